"""Per-call overhead of compiled functions: the argument checks, measured at tiny sizes.

Run ``python -m bench.call_overhead``. Each row compiles one expression and times, interleaved:

- ``compiled``: the compiled function, called positionally with the arrays a user passes
  (1-D vectors, float64 arrays, a Python float for a scalar; the last row passes its
  vectors as n×1 columns, which need no view);
- ``bare``: the same generated body without its argument checks (the coercion lines and
  the ``_mismatch`` checks removed from ``f.source``; the dims are still read from the
  shapes), called with arrays already in the internal layout (vectors as columns).

``checks μs`` times the checks alone: a function holding only the prologue (coercions, dim
bindings, ``_mismatch`` checks) minus an empty function of the same signature, each the
minimum over rounds of 20-call samples (the shared machine's load only ever slows a sample,
and a body's own noise is absent). The issue's
target (issue 14) is under 1 μs on this fast path (arrays with the right dtype and ndim).
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import re
import statistics
import sys
import time
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import pinning  # noqa: E402, F401, I001  (first: pins the CPU before NumPy loads)
import numpy as np  # noqa: E402

import matcalc as mc  # noqa: E402
from bench.harness import load_line, verdict  # noqa: E402

TARGET_US = 1.0
_CHECK = re.compile(r"^\s+(\w+ = _(matrix|column|row|scalar)\(|if .*_mismatch\()")
_DIMS = re.compile(r"^\s+[\w, ]+ = (len\(\w+\)|\w+\.shape(\[\d\])?)$")


def bare(f: Any) -> Any:
    """``f``'s generated body without its argument checks, as a function."""
    lines = [ln for ln in f.source.splitlines() if not _CHECK.match(ln)]
    namespace: dict[str, Any] = {}
    exec("\n".join(lines), namespace)  # noqa: S102 - matcalc's own generated code
    return namespace["compiled"]


def checks_only(f: Any) -> tuple[Any, Any]:
    """``f``'s argument checks alone (its prologue, then ``return``), and an empty function
    with the same signature: their difference is the checks' cost without the body's noise."""
    lines = f.source.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("def compiled("))
    prologue = [ln for ln in lines[start + 1:] if _CHECK.match(ln) or _DIMS.match(ln)]
    checked: dict[str, Any] = {}
    exec("\n".join(lines[:start + 1] + prologue + ["    return None"]), checked)  # noqa: S102
    empty: dict[str, Any] = {}
    exec(lines[start] + "\n    return None", empty)  # noqa: S102
    return checked["compiled"], empty["compiled"]


def cases() -> list[tuple[str, Any, list, dict[str, Any]]]:
    """(name, expression, args, values a user would pass)."""
    rng = np.random.default_rng(0)
    m, n = mc.dims("m n")
    A, B = mc.matrix("A", n, n), mc.matrix("B", n, n)
    X, w, y, v = mc.matrix("X", m, n), mc.vector("w", n), mc.vector("y", m), mc.vector("v", n)
    x, s = mc.vector("x", n), mc.scalar("s")
    z = X @ w
    logistic = mc.sum(mc.softplus(z) - y * z) / m + mc.norm(w) ** 2 / 2
    vals = {"A": rng.standard_normal((4, 4)), "B": rng.standard_normal((4, 4)),
            "X": rng.standard_normal((8, 4)), "w": rng.standard_normal(4),
            "y": rng.standard_normal(8), "v": rng.standard_normal(4),
            "x": rng.standard_normal(4), "s": 0.5}
    # vectors already in the internal layout (n×1): the fast path has no view to make
    columns = {k: internal(x) for k, x in vals.items()}
    return [
        ("A + B", A + B, [A, B], vals),
        ("s A + B", s * A + B, [s, A, B], vals),
        ("xᵀAx hvp", mc.hvp(x.T @ A @ x, x, v), [x, A, v], vals),
        ("logistic hvp", mc.hvp(logistic, w, v), [X, w, y, v], vals),
        ("logistic Hessian", mc.hessian(logistic, w), [X, w, y], vals),
        ("logistic hvp", mc.hvp(logistic, w, v), [X, w, y, v], columns),
    ]


def internal(value: Any) -> Any:
    """The value in the compiled code's internal layout (vectors as columns)."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value.reshape(-1, 1)
    return value


def _samples(calls: dict[str, Any], budget: float, k: int = 20) -> dict[str, list[float]]:
    """Seconds per call, one sample of ``k`` calls per peer per round, interleaved in a
    fresh order each round. Samples are short (~0.1 ms), so a round the scheduler
    preempts (the shared machine) spoils one sample, and the minimum over rounds is the
    undisturbed cost."""
    order = list(calls)
    shuffle = random.Random(0).shuffle
    out: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        call()
    deadline = time.perf_counter() + budget
    while time.perf_counter() < deadline or len(out[order[0]]) < 31:
        shuffle(order)
        for name in order:
            call = calls[name]
            t = time.perf_counter()
            for _ in range(k):
                call()
            out[name].append((time.perf_counter() - t) / k)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=1.0, help="seconds of timing per row")
    a = ap.parse_args(argv)
    print(f"  {pinning.STATUS}\n  {load_line()}")
    print("μs: medians of interleaved rounds (20 calls per sample); compiled/bare: median of "
          "per-round ratios;\nchecks μs: the prologue alone minus an empty call, minima over "
          "rounds\n")
    head = ["expression", "arguments", "compiled μs", "bare μs", "compiled/bare",
            "checks μs"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    worst = 0.0
    for name, e, args, vals in cases():
        f = mc.compile(e, args=args)
        g = bare(f)
        user = [vals[s.name] for s in args]
        inner = [internal(vals[s.name]) for s in args]
        samples = _samples({"compiled": functools.partial(f, *user),
                            "bare": functools.partial(g, *inner)}, a.budget)
        tc, tb = (statistics.median(samples[k]) * 1e6 for k in ("compiled", "bare"))
        ratio = statistics.median(x / y for x, y in zip(samples["compiled"], samples["bare"]))
        checked, empty = checks_only(f)
        alone = _samples({"checks": functools.partial(checked, *user),
                          "empty": functools.partial(empty, *user)}, a.budget / 2)
        checks = (min(alone["checks"]) - min(alone["empty"])) * 1e6
        # the fast path: every array already float with the internal ndim (vectors n×1)
        if all(np.ndim(vals[s.name]) != 1 for s in args):
            worst = max(worst, checks)
        kinds = ", ".join(f"{s.name} {np.shape(vals[s.name]) or 'float'}" for s in args)
        out.append(f"| {name} | {kinds} | {tc:.2f} | {tb:.2f} | {ratio:.2f} | "
                   f"{checks:.2f} |")
    print("\n".join(out))
    print(f"\n{verdict(worst < TARGET_US)} argument checks under {TARGET_US:g} μs per call on "
          f"the fast path (rows without 1-D vectors, which need a view each): worst "
          f"{worst:.2f} μs")
    print(f"at the end: {load_line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
