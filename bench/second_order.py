"""Benchmark matcalc's compiled second-order derivatives: Hessians, Hessian-vector products,
dense Jacobians, jvp and vjp, against hand-written NumPy, jitted JAX and ``torch.func``.

Run ``python -m bench.second_order`` (``--quick``: tiny and medium sizes, shorter timing).
The process is pinned to one CPU (:mod:`bench.pinning`) and every peer gets one thread.
Prints the machine's configuration, one table (medians of interleaved repeats; ratios are
medians of per-round ratios against peers measured in the same run), the agreement of every
peer with the hand-written result, and the issue's targets with met/MISSED per row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

if __package__ in (None, ""):  # ``python bench/second_order.py`` as well as ``-m``
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# first: pins the CPU before NumPy, jax or torch load (and start their threads)
from bench import pinning  # noqa: E402, F401, I001
import matcalc as mc  # noqa: E402
from bench import second_order_peers as P  # noqa: E402
from bench.harness import (  # noqa: E402
    agree,
    config_lines,
    fmt_t,
    limit_threads,
    load_line,
    measure,
    peak_bytes,
    verdict,
)
from bench.second_order_problems import Task, all_tasks  # noqa: E402

#: The issue's targets.
SPEED_VS_NUMPY, MEMORY_VS_NUMPY = 1.10, 1.1
#: Why the frameworks' memory is not in the table.
MEMORY_NOTE = ("peak MB: tracemalloc peak during one call, output included, inputs not "
               "(NumPy-based peers only: XLA and\ntorch allocate outside Python's allocator, "
               "which tracemalloc cannot see, and jax's CPU device has no memory_stats(); "
               "n/a for them)")


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}" + (f": {text[:70]}" if text else "")


def run_task(t: Task, avail: dict[str, str | None], budget: float, min_rounds: int,
             slow_s: float) -> dict[str, Any]:
    """Set up every peer, check it against the hand-written result, then time them all."""
    info: dict[str, Any] = {}
    runners = {"numpy": P.numpy_peer(t), "matcalc": P.matcalc_peer(t, info)}
    failed: dict[str, str] = {}
    for name, make in P.PEERS.items():
        if avail[name] is not None:
            continue
        try:
            runners[name] = make(t)
        except Exception as exc:  # noqa: BLE001 - a peer that cannot do the row is a result
            failed[name] = f"setup: {_why(exc)}"
    ref = runners["numpy"][0]()
    ok: dict[str, bool] = {}
    for name, (call, conv) in list(runners.items()):
        try:
            ok[name] = agree([ref], [conv(call())])  # also every peer's warm-up call
        except Exception as exc:  # noqa: BLE001
            failed[name] = _why(exc)
            del runners[name]
    calls = {name: call for name, (call, _) in runners.items()}
    samples = measure(calls, budget, min_rounds=min_rounds, slow_s=slow_s, warm=False)
    times = {k: statistics.median(v) for k, v in samples.items()}

    def paired(a: str, b: str) -> float | None:
        if a not in samples or b not in samples:
            return None
        return statistics.median(x / y for x, y in zip(samples[a], samples[b]))

    ratio = {k: paired(k, "numpy") for k in samples}
    ratio.update({f"matcalc/{k}": paired("matcalc", k) for k in P.OPTIONAL})
    mem = {k: peak_bytes(calls[k]) for k in ("matcalc", "numpy")}
    few = {k for k, v in samples.items() if len(v) < min_rounds}
    return dict(task=t, times=times, ratio=ratio, ok=ok, failed=failed, mem=mem, few=few,
                rounds=len(samples["numpy"]), **info)


def _label(r: dict) -> list[str]:
    t = r["task"]
    return [t.problem, t.kind, t.size]


def _cell_t(r: dict, k: str) -> str:
    if k not in r["times"]:
        return "—"
    return fmt_t(r["times"][k]) + ("*" if k in r["few"] else "")


def _cell_r(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:.2g}" if x < 0.1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def table(rows: list[dict], peers: list[str]) -> list[str]:
    """The results: one row per derivative and size."""
    head = ["problem", "derivative", "size", "matcalc ms", "numpy ms", "mc/np"]
    for k in peers:
        head += [f"{k} ms", f"{k}/np"]
    head += ["peak MB mc", "peak MB np", "mem mc/np", "derive+compile ms", "agree"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = _label(r) + [_cell_t(r, "matcalc"), _cell_t(r, "numpy"),
                             _cell_r(r["ratio"]["matcalc"])]
        for k in peers:
            cells += [_cell_t(r, k), _cell_r(r["ratio"].get(k))]
        mm, mn = r["mem"]["matcalc"] / 2**20, r["mem"]["numpy"] / 2**20
        bad = [k for k, v in r["ok"].items() if not v] + list(r["failed"])
        cells += [f"{mm:.3g}", f"{mn:.3g}", f"{mm / mn:.2f}" if mn else "—",
                  f"{(r['derive_s'] + r['compile_s']) * 1e3:.1f}",
                  "all" if not bad else "NO: " + ",".join(bad)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def agreement(rows: list[dict], peers: list[str]) -> list[str]:
    """Which peers were checked on how many rows, and every disagreement or failure."""
    lines = []
    for k in ["matcalc", *peers]:
        checked = [r for r in rows if k in r["ok"]]
        same = sum(r["ok"][k] for r in checked)
        lines.append(f"  {k}: agrees with hand-written NumPy on {same} of {len(checked)} rows "
                     "(np.allclose, rtol 1e-6, atol 1e-9·max(1, max|ref|))")
    for r in rows:
        for k, v in r["ok"].items():
            if not v:
                lines.append(f"  DISAGREES: {k} on {' '.join(_label(r))}")
        for k, why in r["failed"].items():
            lines.append(f"  FAILED: {k} on {' '.join(_label(r))}: {why}")
    return lines


def targets(rows: list[dict], peers: list[str]) -> list[str]:
    """The issue's targets, met/MISSED per row, then one summary line per target."""
    head = ["problem", "derivative", "size", f"mc/np <= {SPEED_VS_NUMPY} (medium, large)"]
    head += [f"faster than {k}" for k in peers] + [f"memory <= {MEMORY_VS_NUMPY}x np"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    missed: dict[str, list[tuple[float, str]]] = {h: [] for h in head[3:]}
    counted: dict[str, int] = {h: 0 for h in head[3:]}

    def judge(col: str, value: float | None, limit: float, r: dict,
              strict: bool = False) -> str:
        if value is None:
            return "n/a"
        counted[col] += 1
        if value < limit or (not strict and value <= limit):
            return f"met {_cell_r(value)}x"
        missed[col].append((value, " ".join(_label(r))))
        return f"MISSED {_cell_r(value)}x"

    for r in rows:
        q = r["ratio"]
        speed = q["matcalc"] if r["task"].tier != "tiny" else None
        cells = _label(r) + [judge(head[3], speed, SPEED_VS_NUMPY, r)]
        cells += [judge(f"faster than {k}", q.get(f"matcalc/{k}"), 1.0, r, strict=True)
                  for k in peers]
        mem = r["mem"]["matcalc"] / r["mem"]["numpy"] if r["mem"]["numpy"] else None
        cells.append(judge(head[-1], mem, MEMORY_VS_NUMPY, r))
        out.append("| " + " | ".join(cells) + " |")
    out.append("(faster than X: matcalc's time over X's, a median of per-round ratios; "
               "met when < 1)")
    out.append("")
    for col in head[3:]:
        m = sorted(missed[col], reverse=True)
        worst = f"; worst {_cell_r(m[0][0])}x at {m[0][1]}" if m else ""
        out.append(f"{verdict(not m)} {col}: {counted[col] - len(m)} of {counted[col]} rows "
                   f"met{worst}")
    bad = sum(not v for r in rows for v in r["ok"].values()) + sum(len(r["failed"])
                                                                   for r in rows)
    out.append(f"{verdict(not bad)} every peer agrees with the hand-written result"
               + (f" ({bad} disagreements or failures)" if bad else ""))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny and medium sizes, short timing")
    ap.add_argument("--budget", type=float, default=None, help="seconds of timing per row")
    ap.add_argument("--only", default="", help="rows whose problem or derivative contains this")
    ap.add_argument("--source", action="store_true", help="print matcalc's generated code")
    a = ap.parse_args(argv)
    limiter = limit_threads(1)  # noqa: F841 - keeps the limit for the whole run
    budget = a.budget if a.budget is not None else (0.3 if a.quick else 2.0)
    min_rounds, slow_s = (5, 0.25) if a.quick else (7, 0.5)
    avail = P.available()
    peers = [k for k in P.OPTIONAL if avail[k] is None]
    print("\n".join(config_lines(avail)))
    print(f"ms: median of interleaved rounds (at least {min_rounds} rounds, about {budget:g} s "
          f"per row; * = a call slower than {slow_s:g} s,\nsampled in 3 rounds only); mc/np "
          "etc: median of per-round ratios to hand-written NumPy; dense Hessians and Jacobians "
          "in\nmatcalc's vec layout (jax/torch return x.shape + x.shape, converted for the "
          "agreement check only, untimed);\nderive+compile ms: mc.hessian etc. plus "
          "mc.compile, once (compiled code is cached across sizes)")
    print(MEMORY_NOTE + "\n")
    # matcalc's first derivation and compile in a process pay for lazy imports and rule-table
    # set-up; a throwaway one here keeps that out of the first row's derive+compile time
    x = mc.vector("x", mc.dim("n"))
    mc.compile(mc.hessian(mc.norm(x) ** 2, x), args=[x])
    rows = []
    start = time.perf_counter()
    for t in all_tasks(a.quick):
        if a.only and a.only not in f"{t.problem} {t.kind}":
            continue
        r = run_task(t, avail, budget, min_rounds, slow_s)
        rows.append(r)
        print(f"  done {' '.join(_label(r))} ({time.perf_counter() - start:.0f} s)",
              file=sys.stderr)
        if a.source:
            print(f"\n{' '.join(_label(r))}: {r['expr']}\n{r['source']}")
    print("\n".join(table(rows, peers)))
    print("\nAgreement:")
    print("\n".join(agreement(rows, peers)))
    print("\nTargets (issue 14):")
    print("\n".join(targets(rows, peers)))
    print(f"\ntotal {time.perf_counter() - start:.0f} s; at the end: {load_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
