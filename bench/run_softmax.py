"""Benchmark softmax regression and an attention head (issue 10): compiled value-and-gradient
against hand-written NumPy, ``jax.jit(jax.value_and_grad)`` and PyTorch eager; peak memory;
the softmax-regression Hessian w.r.t. W, dense and as an hvp, against ``jax.hessian`` and
``torch.func.hessian``.

Run ``python -m bench.run_softmax`` (``--quick`` for a short run). The process is pinned to
one CPU before any framework is imported (bench/pinning.py), and every library gets one
thread, as in bench/run_compiled.py.
Medians of interleaved repeats; ratios are medians of per-round ratios to hand-written NumPy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

if __package__ in (None, ""):  # ``python bench/run_softmax.py`` as well as ``-m``
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# first: pins the CPU before NumPy, jax or torch load (and start their threads)
from bench import pinning  # noqa: E402, F401, I001
from bench import peers as P  # noqa: E402
from bench.harness import agree, config_lines, fmt_t, limit_threads, measure, peak_bytes  # noqa: E402

import numpy as np  # noqa: E402
import sympy  # noqa: E402

import matcalc as mc  # noqa: E402

D, K = 64, 10  # feature / head dimension; classes
SIZES = (64, 256, 1024, 4096)
Runner = dict[str, Callable[[], Any]]


# ----------------------------------------------------------------------------------------
# Softmax regression: L = -sum(Y ⊙ log_softmax(W X + b 1ᵀ, axis=0)) / n
# ----------------------------------------------------------------------------------------


def softmax_regression(n: int, avail: dict) -> tuple[Runner, dict]:
    k, d, nn = mc.dims("k d n")
    W, X, b = mc.matrix("W", k, d), mc.matrix("X", d, nn), mc.vector("b", k)
    Y = mc.matrix("Y", k, nn)
    L = -mc.sum(Y * mc.log_softmax(W @ X + b @ mc.ones(nn).T, axis=0)) / nn
    f = mc.compile([L, *mc.grad(L, [W, b])], args=[W, X, b, Y])
    rng = np.random.default_rng(0)
    data = dict(W=rng.standard_normal((K, D)) * 0.1, X=rng.standard_normal((D, n)),
                b=rng.standard_normal(K) * 0.1, Y=np.eye(K)[:, rng.integers(0, K, n)])

    def numpy(W, X, b, Y):  # noqa: N803 - the math's names
        S = W @ X + b[:, None]
        m = S.max(0, keepdims=True)
        E = np.exp(S - m)
        s = E.sum(0, keepdims=True)
        loss = -np.vdot(Y, S - m - np.log(s)) / n
        G = (E / s * Y.sum(0, keepdims=True) - Y) / n
        return loss, G @ X.T, G.sum(1)

    runners: Runner = {"matcalc": lambda: f(**data), "numpy": lambda: numpy(**data)}

    def generic(ops, W, b, X, Y):  # noqa: N803
        S = W @ X + b[:, None]
        return -(Y * ops.log_softmax(S, 0)).sum() / n

    _frameworks(runners, generic, ["W", "b"], ["X", "Y"], data, avail)
    return runners, data


# ----------------------------------------------------------------------------------------
# Attention head: L = ½ ‖softmax(Q Kᵀ / √d, axis=1) V − T‖²
# ----------------------------------------------------------------------------------------


def attention(n: int, avail: dict) -> tuple[Runner, dict]:
    nn, d = mc.dims("n d")
    Q, Km, V, T = (mc.matrix(s, nn, d) for s in "QKVT")
    A = mc.softmax(Q @ Km.T / sympy.sqrt(d.expr), axis=1)
    L = mc.sum((A @ V - T) ** 2) / 2
    f = mc.compile([L, *mc.grad(L, [Q, Km, V])], args=[Q, Km, V, T])
    rng = np.random.default_rng(0)
    data = {s: rng.standard_normal((n, D)) for s in "QKVT"}
    r = 1 / np.sqrt(D)

    def numpy(Q, K, V, T):  # noqa: N803
        S = Q @ K.T * r
        S -= S.max(1, keepdims=True)
        Pm = np.exp(S, out=S)
        Pm /= Pm.sum(1, keepdims=True)
        R = Pm @ V - T
        G = R @ V.T
        G -= (Pm * G).sum(1, keepdims=True)
        G *= Pm
        return 0.5 * np.vdot(R, R), (G @ K) * r, (G.T @ Q) * r, Pm.T @ R

    runners: Runner = {"matcalc": lambda: f(**data), "numpy": lambda: numpy(**data)}

    def generic(ops, Q, K, V, T):  # noqa: N803
        A = ops.softmax(Q @ K.T * r, 1)
        R = A @ V - T
        return 0.5 * (R * R).sum()

    _frameworks(runners, generic, ["Q", "K", "V"], ["T"], data, avail)
    return runners, data


def _frameworks(runners: Runner, generic: Callable, params: list[str], rest: list[str],
                data: dict, avail: dict) -> None:
    """jax.jit(jax.value_and_grad) and torch eager (forward, then autograd.grad)."""
    if avail["jax"] is None:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        jops = SimpleNamespace(log_softmax=lambda s, a: jax.nn.log_softmax(s, axis=a),
                               softmax=lambda s, a: jax.nn.softmax(s, axis=a))
        ps = [jnp.asarray(data[k]) for k in params]
        ds = [jnp.asarray(data[k]) for k in rest]
        vg = jax.jit(jax.value_and_grad(lambda p, q: generic(jops, *p, *q)))
        runners["jax"] = lambda: jax.block_until_ready(vg(ps, ds))
    if avail["torch"] is None:
        import torch

        tops = SimpleNamespace(log_softmax=lambda s, a: torch.log_softmax(s, a),
                               softmax=lambda s, a: torch.softmax(s, a))
        tp = [torch.tensor(data[k], requires_grad=True) for k in params]
        td = [torch.from_numpy(data[k]) for k in rest]

        def call() -> Any:
            loss = generic(tops, *tp, *td)
            return loss.detach(), *torch.autograd.grad(loss, tp)

        runners["torch"] = call


def _outputs(name: str, out: Any) -> list[np.ndarray]:
    if name == "jax":
        loss, grads = out
        return [np.asarray(loss), *[np.asarray(g) for g in grads]]
    if name == "torch":
        return [o.numpy() for o in out]
    return [np.asarray(o) for o in out]


# ----------------------------------------------------------------------------------------
# The Hessian of softmax regression w.r.t. W
# ----------------------------------------------------------------------------------------


def hessian_runners(n: int, avail: dict, dense: bool) -> tuple[Runner, list[str]]:
    k, d, nn = mc.dims("k d n")
    W, X, Y, Vd = mc.matrix("W", k, d), mc.matrix("X", d, nn), mc.matrix("Y", k, nn), \
        mc.matrix("V", k, d)
    L = -mc.sum(Y * mc.log_softmax(W @ X, axis=0)) / nn
    rng = np.random.default_rng(0)
    data = dict(W=rng.standard_normal((K, D)) * 0.1, X=rng.standard_normal((D, n)),
                Y=np.eye(K)[:, rng.integers(0, K, n)], V=rng.standard_normal((K, D)))
    hv = mc.compile(mc.hvp(L, W, Vd), args=[W, X, Y, Vd])
    runners: Runner = {"mc hvp": lambda: hv(**data)}
    if dense:
        H = mc.compile(mc.hessian(L, W), args=[W, X, Y])
        runners["mc dense"] = lambda: H(W=data["W"], X=data["X"], Y=data["Y"])

    def loss(ops, W, X, Y):  # noqa: N803
        return -(Y * ops.log_softmax(W @ X, 0)).sum() / n

    notes = []
    if avail["jax"] is None:
        import jax
        import jax.numpy as jnp

        jops = SimpleNamespace(log_softmax=lambda s, a: jax.nn.log_softmax(s, axis=a))
        Wj, Xj, Yj, Vj = (jnp.asarray(data[s]) for s in "WXYV")
        fj = lambda w: loss(jops, w, Xj, Yj)  # noqa: E731
        jh = jax.jit(jax.hessian(fj))
        jhv = jax.jit(lambda w, v: jax.jvp(jax.grad(fj), (w,), (v,))[1])
        runners["jax hvp"] = lambda: jax.block_until_ready(jhv(Wj, Vj))
        if dense:
            runners["jax.hessian"] = lambda: jax.block_until_ready(jh(Wj))
    if avail["torch"] is None:
        import torch

        tops = SimpleNamespace(log_softmax=lambda s, a: torch.log_softmax(s, a))
        Wt, Xt, Yt, Vt = (torch.from_numpy(data[s]) for s in "WXYV")
        ft = lambda w: loss(tops, w, Xt, Yt)  # noqa: E731
        runners["torch hvp"] = lambda: torch.func.jvp(torch.func.grad(ft), (Wt,), (Vt,))[1]
        if dense:
            runners["torch.func.hessian"] = lambda: torch.func.hessian(ft)(Wt)
    # agreement: every dense Hessian (kd × kd, vec column-major) and every hvp (k × d)
    ref_h = np.asarray(runners["mc hvp"]())
    for name, call in runners.items():
        out = np.asarray(call())
        if "hvp" in name:
            ok = np.allclose(out, ref_h, rtol=1e-6, atol=1e-9)
        else:
            Hd = out.reshape(K * D, K * D) if name == "mc dense" else \
                out.reshape(K, D, K, D).transpose(1, 0, 3, 2).reshape(K * D, K * D)
            ok = np.allclose((Hd @ data["V"].reshape(-1, order="F")).reshape(K, D, order="F"),
                             ref_h, rtol=1e-6, atol=1e-9)
        if not ok:
            notes.append(name)
    return runners, notes


# ----------------------------------------------------------------------------------------
# Tables
# ----------------------------------------------------------------------------------------


def run_gradients(make: Callable, name: str, sizes: tuple, avail: dict, budget: float) -> list:
    rows = []
    for n in sizes:
        runners, _ = make(n, avail)
        ref = _outputs("numpy", runners["numpy"]())
        ok = {k: agree(ref, _outputs(k, c())) for k, c in runners.items()}
        samples = measure(runners, budget, min_rounds=7)
        times = {k: statistics.median(v) for k, v in samples.items()}
        ratio = {k: statistics.median(a / b for a, b in zip(v, samples["numpy"]))
                 for k, v in samples.items()}
        mem = {k: peak_bytes(runners[k]) for k in ("matcalc", "numpy")}
        rows.append(dict(name=name, n=n, times=times, ratio=ratio, mem=mem, ok=ok))
        print(f"  done {name} n={n}", file=sys.stderr)
    return rows


def gradient_table(rows: list, avail: dict) -> list[str]:
    peers = [k for k in ("jax", "torch") if avail[k] is None]
    head = ["problem", "n", "matcalc ms", "numpy ms", "mc/np"]
    for k in peers:
        head += [f"{k} ms", f"{k}/np"]
    head += ["peak MB mc", "peak MB np", "mem mc/np", "agree"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        t, q = r["times"], r["ratio"]
        cells = [r["name"], str(r["n"]), fmt_t(t["matcalc"]), fmt_t(t["numpy"]),
                 f"{q['matcalc']:.2f}"]
        for k in peers:
            cells += [fmt_t(t[k]), f"{q[k]:.2f}"]
        mm, mn = r["mem"]["matcalc"] / 2**20, r["mem"]["numpy"] / 2**20
        cells += [f"{mm:.3g}", f"{mn:.3g}", f"{mm / mn:.2f}",
                  "all" if all(r["ok"].values()) else
                  "NO: " + ",".join(k for k, v in r["ok"].items() if not v)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def targets(rows: list, avail: dict) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met   " if ok else "MISSED"

    worst = max((r["ratio"]["matcalc"], f"{r['name']} n={r['n']}") for r in rows)
    lines = [f"{verdict(worst[0] <= 1.10)} within 1.10x of hand-written NumPy "
             f"(worst {worst[0]:.2f}x at {worst[1]})"]
    if avail["torch"] is None:
        lost = [f"{r['name']} n={r['n']}" for r in rows
                if r["ratio"]["matcalc"] >= r["ratio"]["torch"]]
        lines.append(f"{verdict(not lost)} faster than torch eager at every size"
                     + (f" (slower at {'; '.join(lost)})" if lost else ""))
    worst = max((r["mem"]["matcalc"] / r["mem"]["numpy"], f"{r['name']} n={r['n']}")
                for r in rows)
    lines.append(f"{verdict(worst[0] <= 1.2)} peak memory within 1.2x of hand-written "
                 f"(worst {worst[0]:.2f}x at {worst[1]})")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes, shorter timing")
    ap.add_argument("--budget", type=float, default=None, help="seconds of timing per row")
    a = ap.parse_args(argv)
    limiter = limit_threads(1)  # noqa: F841 - keeps the limit for the whole run
    budget = a.budget if a.budget is not None else (0.5 if a.quick else 4.0)
    sizes = (64, 1024) if a.quick else SIZES
    avail = {k: v for k, v in P.available().items() if k in ("jax", "torch")}
    print("\n".join(config_lines(avail)))
    print(f"pinned to CPU {sorted(os.sched_getaffinity(0))}; d = {D}, k = {K} classes; "
          "ms: median of one loss-and-gradients evaluation; ratios: per-round medians\n")
    start = time.perf_counter()
    rows = run_gradients(softmax_regression, "softmax regression", sizes, avail, budget)
    rows += run_gradients(attention, "attention head", sizes, avail, budget)
    print("\n".join(gradient_table(rows, avail)))
    print("\nTargets (issue 10):")
    print("\n".join(targets(rows, avail)))

    print("\nHessian of softmax regression w.r.t. W (kd × kd = "
          f"{K * D}²; hvp = H vec(V) without forming H); ms, ratio to mc hvp")
    hrows = []
    for n in ((64, 256) if a.quick else (64, 256, 1024, 4096)):
        runners, bad = hessian_runners(n, avail, dense=n <= 256)
        samples = measure(runners, budget, min_rounds=5)
        hrows.append((n, {k: statistics.median(v) for k, v in samples.items()}, bad))
        print(f"  done hessian n={n}", file=sys.stderr)
    names = list(dict.fromkeys(k for _, t, _ in hrows for k in t))
    print("| n | " + " | ".join(f"{k} ms" for k in names) + " | agree |")
    print("|" + "---|" * (len(names) + 2))
    for n, t, bad in hrows:
        print(f"| {n} | " + " | ".join(fmt_t(t.get(k)) for k in names) + " | "
              + ("all" if not bad else "NO: " + ",".join(bad)) + " |")
    print("(dense Hessians only at n ≤ 256: matcalc's dense form builds Diag(vec P), kn × kn)")
    print(f"\ntotal {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
