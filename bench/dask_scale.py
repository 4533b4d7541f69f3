"""Compiled gradients on Dask: rows per second and peak memory per worker, against the same
computation written by hand in dask.array (``python3 -m bench.dask_scale``).

A ``distributed.LocalCluster`` of 2 worker processes (1 thread each, memory-limited) runs
seed 000 (relu regression: loss, ∂L/∂w, ∂L/∂b) and seed 001 (two-layer net, samples as
columns: loss and the four weight gradients) over data generated inside the graph, chunk
by chunk (``dask.array.random``), so no process ever holds the whole X. ∂L/∂X of seed 000
is as large as X and is not gathered. Each peer's loss and gradients are computed in one
``dask.compute``; a thread in every worker samples its resident memory every 20 ms, and
the table shows the larger of the two workers' peaks. Medians over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

import matcalc as mc

ROOT = Path(__file__).resolve().parents[1]


def _sampler_start(dask_worker: Any) -> None:
    """Start sampling this worker's resident memory (state kept on the worker object: a
    function sent from ``__main__`` is pickled by value, its module globals with it)."""
    import psutil

    proc = psutil.Process()
    state = {"rss": proc.memory_info().rss, "stop": False}
    dask_worker.matcalc_peak = state

    def loop() -> None:
        while not state["stop"]:
            state["rss"] = max(state["rss"], proc.memory_info().rss)
            time.sleep(0.02)

    threading.Thread(target=loop, daemon=True).start()


def _sampler_stop(dask_worker: Any) -> int:
    state = dask_worker.matcalc_peak
    state["stop"] = True
    return state["rss"]


def seed000(rows: int, chunk: int) -> tuple[Any, Any]:
    import dask.array as da

    m, n = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
    r = mc.relu(X @ w + b) - y
    L = r.T @ r / m
    f = mc.compile([L, *mc.grad(L, [w, b])], args=[X, w, b, y], backend="array_api")
    rng = da.random.default_rng(0)
    Xd = rng.standard_normal((rows, 16), chunks=(chunk, 16))
    yd = rng.standard_normal(rows, chunks=chunk)
    wn = np.random.default_rng(1).standard_normal(16) / 4

    def matcalc_run() -> tuple:
        return f(X=Xd, w=wn, b=0.1, y=yd)

    def hand_run() -> tuple:
        z = Xd @ wn + 0.1
        res = da.maximum(z, 0) - yd
        g = (2 / rows) * res * (z > 0)
        return (res @ res) / rows, Xd.T @ g, g.sum()

    return matcalc_run, hand_run


def seed001(rows: int, chunk: int) -> tuple[Any, Any]:
    import dask.array as da

    m0, m1, m2, n = mc.dims("m0 m1 m2 n")
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    X, Y = mc.matrix("X", m0, n), mc.matrix("Y", m2, n)
    R = W2 @ mc.relu(W1 @ X + b1) + b2 - Y
    L = mc.norm(R) ** 2 / n
    f = mc.compile([L, *mc.grad(L, [W1, W2, b1, b2])], args=[W1, W2, b1, b2, X, Y],
                   backend="array_api")
    s0, s1, s2 = 16, 32, 4
    rng = da.random.default_rng(0)
    Xd = rng.standard_normal((s0, rows), chunks=(s0, chunk))
    Yd = rng.standard_normal((s2, rows), chunks=(s2, chunk))
    g = np.random.default_rng(1)
    p = dict(W1=g.standard_normal((s1, s0)) / 4, W2=g.standard_normal((s2, s1)) / 6,
             b1=g.standard_normal(s1), b2=g.standard_normal(s2))

    def matcalc_run() -> tuple:
        return f(**p, X=Xd, Y=Yd)

    def hand_run() -> tuple:  # seed 001's vectorized gradient, section 3, in dask.array
        Z = p["W1"] @ Xd + p["b1"][:, None]
        S = da.maximum(Z, 0)
        Rd = p["W2"] @ S + p["b2"][:, None] - Yd
        VD = (p["W2"].T @ Rd) * (Z > 0)
        return ((Rd * Rd).sum() / rows, 2 / rows * VD @ Xd.T, 2 / rows * Rd @ S.T,
                2 / rows * VD.sum(1), 2 / rows * Rd.sum(1))

    return matcalc_run, hand_run


def measure(client: Any, build: Any) -> tuple[float, int, tuple]:
    import dask

    client.run(_sampler_start)
    t = time.perf_counter()
    out = dask.compute(*build())
    wall = time.perf_counter() - t
    peak = max(client.run(_sampler_stop).values())
    return wall, peak, out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="1e6,1e7", help="comma-separated row counts")
    ap.add_argument("--chunk", type=int, default=500_000, help="rows per chunk")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-limit", default="2GiB", help="per worker")
    args = ap.parse_args(argv)
    from distributed import Client, LocalCluster

    env = {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    sizes = [int(float(s)) for s in args.rows.split(",")]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=None, env=env,
                      silence_logs=50) as cluster, Client(cluster) as client:
        print(f"2 workers x 1 thread, memory limit {args.memory_limit} each, "
              f"chunks of {args.chunk} rows; medians of {args.repeat}")
        print("| problem | rows | matcalc s | dask s | mc/dask | matcalc rows/s | dask rows/s "
              "| peak MB/worker mc | peak MB/worker dask | agree |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name, make in (("seed000 relu", seed000), ("seed001 2-layer", seed001)):
            for rows in sizes:
                mc_run, hand_run = make(rows, min(args.chunk, rows))
                runs: dict[str, list] = {"mc": [], "dask": []}
                outs: dict[str, tuple] = {}
                for build in (mc_run, hand_run):  # warm-up: imports on the workers
                    measure(client, build)
                for _ in range(args.repeat):  # interleaved, so load drifts hit both
                    for key, build in (("mc", mc_run), ("dask", hand_run)):
                        wall, peak, out = measure(client, build)
                        runs[key].append((wall, peak))
                        outs[key] = out
                agree = all(np.allclose(np.asarray(a), np.asarray(b), rtol=1e-8)
                            for a, b in zip(outs["mc"], outs["dask"]))
                t_mc = statistics.median(w for w, _ in runs["mc"])
                t_da = statistics.median(w for w, _ in runs["dask"])
                p_mc = max(p for _, p in runs["mc"]) / 2**20
                p_da = max(p for _, p in runs["dask"]) / 2**20
                print(f"| {name} | {rows:.0e} | {t_mc:.2f} | {t_da:.2f} | {t_mc / t_da:.2f} "
                      f"| {rows / t_mc:.3g} | {rows / t_da:.3g} | {p_mc:.0f} | {p_da:.0f} "
                      f"| {'yes' if agree else 'NO'} |", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
