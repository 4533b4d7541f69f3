"""Benchmark mc.compile'd gradients against hand-written NumPy, JAX, PyTorch and autograd.

Run ``python -m bench.run_compiled`` (``--quick`` for a short run). Prints the machine's
BLAS/thread configuration, one table (medians of interleaved repeats; ratios to the
hand-written NumPy gradient), the agreement of every peer's gradients, and the issue's
targets with met/missed. Timings on a shared machine are noisy: read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from typing import Any

if __package__ in (None, ""):  # ``python bench/run_compiled.py`` as well as ``-m``
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# first: pins the CPU before NumPy, jax or torch load (and start their threads)
from bench import pinning  # noqa: E402, I001
from bench import peers as P  # noqa: E402
from bench.harness import (  # noqa: E402
    agree,
    config_lines,
    fmt_t,
    limit_threads,
    measure,
    peak_bytes,
    verdict,
)
from bench.problems import Problem, all_problems  # noqa: E402


def run_problem(p: Problem, avail: dict[str, str | None], budget: float) -> dict:
    info: dict[str, Any] = {}
    runners = {"matcalc": P.matcalc_peer(p, info), "numpy": P.numpy_peer(p)}
    for name, make in P.OPTIONAL.items():
        if avail[name] is None:
            runners[name] = make(p)
    ref = runners["numpy"][1](runners["numpy"][0]())
    ok = {name: agree(ref, conv(call())) for name, (call, conv) in runners.items()}
    calls = {name: call for name, (call, _) in runners.items()}
    fwd, data = info["forward"], p.data
    calls["matcalc fwd"] = lambda: fwd(**data)
    calls["numpy fwd"] = lambda: p.numpy_loss(**data)
    samples = measure(calls, budget)
    times = {k: statistics.median(v) for k, v in samples.items()}
    # ratios: medians of per-round ratios (paired), robust to load that varies over the run
    ratio = {k: statistics.median(a / b for a, b in zip(v, samples["numpy"]))
             for k, v in samples.items()}
    ratio["grad/fwd"] = statistics.median(
        a / b for a, b in zip(samples["matcalc"], samples["matcalc fwd"]))
    ratio["np grad/fwd"] = statistics.median(
        a / b for a, b in zip(samples["numpy"], samples["numpy fwd"]))
    mem = {k: peak_bytes(calls[k]) for k in ("matcalc", "numpy")}
    return dict(problem=p, times=times, ratio=ratio, ok=ok, mem=mem, **info)


def table(rows: list[dict], avail: dict[str, str | None]) -> list[str]:
    peers = [k for k in ("jax", "torch", "autograd") if avail[k] is None]
    head = ["problem", "size", "matcalc ms", "numpy ms", "mc/np"]
    for k in peers:
        head += [f"{k} ms", f"{k}/np"]
    head += ["grad/fwd", "np grad/fwd", "peak MB mc", "peak MB np", "mem mc/np", "compile ms",
             "agree"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        t, p = r["times"], r["problem"]
        q = r["ratio"]
        cells = [p.name, p.size, fmt_t(t["matcalc"]), fmt_t(t["numpy"]), f"{q['matcalc']:.2f}"]
        for k in peers:
            cells += [fmt_t(t[k]), f"{q[k]:.2f}"]
        mm, mn = r["mem"]["matcalc"] / 2**20, r["mem"]["numpy"] / 2**20
        cells += [f"{q['grad/fwd']:.2f}", f"{q['np grad/fwd']:.2f}", f"{mm:.3g}", f"{mn:.3g}",
                  f"{mm / mn:.2f}" if mn else "—", f"{r['compile_s'] * 1e3:.1f}",
                  "all" if all(r["ok"].values()) else
                  "NO: " + ",".join(k for k, v in r["ok"].items() if not v)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def targets(rows: list[dict], avail: dict[str, str | None]) -> list[str]:
    lines = []
    by_tier: dict[str, list[dict]] = {}
    for r in rows:
        by_tier.setdefault(r["problem"].tier, []).append(r)
    ratio = lambda r, k: r["ratio"][k]  # noqa: E731
    big = by_tier.get("medium", []) + by_tier.get("large", [])
    worst = max((ratio(r, "matcalc"), r["problem"].size) for r in big)
    lines.append(f"{verdict(worst[0] <= 1.10)} matcalc <= 1.10x numpy at medium/large sizes "
                 f"(worst {worst[0]:.2f}x at {worst[1]})")
    tiny = by_tier.get("tiny", [])
    worst = max((ratio(r, "matcalc"), r["problem"].size) for r in tiny)
    lines.append(f"{verdict(worst[0] <= 1.5)} matcalc <= 1.5x numpy at tiny sizes "
                 f"(worst {worst[0]:.2f}x at {worst[1]})")
    for peer in ("jax", "torch"):
        if avail[peer] is not None:
            lines.append(f"n/a    faster than {peer}: {peer} not installed")
            continue
        lost = [f"{r['problem'].name} {r['problem'].size}"
                for r in tiny + by_tier.get("medium", []) if ratio(r, "matcalc") >= ratio(r, peer)]
        lines.append(f"{verdict(not lost)} faster than {peer} at tiny and medium sizes"
                     + (f" (slower at {'; '.join(lost)})" if lost else ""))
    worst = max((r["mem"]["matcalc"] / r["mem"]["numpy"], r["problem"].size) for r in rows)
    lines.append(f"{verdict(worst[0] <= 1.2)} peak memory <= 1.2x hand-written "
                 f"(worst {worst[0]:.2f}x at {worst[1]})")
    for r in rows:
        if r["problem"].name.startswith("seed000") and "1e+06" in r["problem"].size:
            mb = r["mem"]["matcalc"] / 2**20
            lines.append(f"{verdict(mb < 1024)} seed 000 at m = 1e6 well under 1 GB "
                         f"(peak {mb:.0f} MB beyond the inputs)")
    worst = max((r["ratio"]["grad/fwd"], f"{r['problem'].name} {r['problem'].size}")
                for r in rows)
    lines.append(f"{verdict(worst[0] <= 3)} gradient/forward <= 3 (worst {worst[0]:.2f} at "
                 f"{worst[1]}; hand-written NumPy there: "
                 + ", ".join(f"{r['ratio']['np grad/fwd']:.2f}" for r in rows
                             if f"{r['problem'].name} {r['problem'].size}" == worst[1]) + ")")
    if not all(r["cold"] for r in rows):
        lines.append("note: mc.compile's cache was not found, so compile times may be warm")
    s001 = [r["compile_s"] for r in rows if r["problem"].name.startswith("seed001")]
    lines.append(f"{verdict(max(s001) < 0.05)} compile < 50 ms for seed 001's four gradients "
                 f"(cold: {', '.join(f'{s * 1e3:.1f}' for s in s001)} ms)")
    bad = [f"{r['problem'].name} {r['problem'].size}: {k}" for r in rows
           for k, v in r["ok"].items() if not v]
    lines.append(f"{verdict(not bad)} all peers' gradients agree (rtol 1e-6)"
                 + (f": disagree {bad}" if bad else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes, shorter timing")
    ap.add_argument("--budget", type=float, default=None, help="seconds of timing per row")
    ap.add_argument("--source", action="store_true", help="print matcalc's generated code")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for every peer's BLAS/intra-op pool (default 1: on a shared "
                         "2-core machine, 2-thread BLAS stalls whenever a thread is descheduled; "
                         "0 = each library's default)")
    a = ap.parse_args(argv)
    limiter = limit_threads(a.threads)  # noqa: F841 - keeps the limit for the whole run
    if a.threads != 1 and pinning.CPU is not None:
        print(f"note: --threads {a.threads} on one pinned CPU; BENCH_CPU=off spreads them",
              file=sys.stderr)
    budget = a.budget if a.budget is not None else (0.5 if a.quick else 6.0)
    avail = P.available()
    print("\n".join(config_lines(avail)))
    print("ms: median time of one evaluation of all gradients (peers interleaved round by "
          "round);\nmc/np etc: median of per-round ratios to hand-written NumPy; grad/fwd: "
          "matcalc gradients over\nmatcalc loss (np grad/fwd: the same for hand-written "
          "NumPy); peak MB: tracemalloc peak during one gradient "
          "call, outputs included\n")
    rows = []
    start = time.perf_counter()
    for p in all_problems(a.quick):
        r = run_problem(p, avail, budget)
        rows.append(r)
        print(f"  done {p.name} {p.size} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
        if a.source:
            print(r["source"])
    print("\n".join(table(rows, avail)))
    print("\nderive (mc.grad) ms: " + ", ".join(
        f"{r['problem'].name} {r['problem'].size}: {r['derive_s'] * 1e3:.0f}" for r in rows))
    print("\nTargets (issue 3):")
    print("\n".join(targets(rows, avail)))
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
