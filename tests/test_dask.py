"""Array-API compiled functions on dask.array, run on a real ``dask.distributed`` cluster.

Two worker processes, one thread each, memory-limited; the cluster starts once per module.
Shown: nothing computes when the compiled function is called; one ``dask.compute`` of all
outputs reads every chunk once and equals NumPy; ∂L/∂X keeps X's chunks; an n×n inverse
runs, an inverse along the chunked sample axis is refused; a feature axis split under an
n×n value is rechunked with a warning; and a gradient over an X three times larger than a
worker's memory limit completes with every worker under its limit.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import matcalc as mc

pytest.importorskip("array_api_compat", reason="needs the dask extra (array-api-compat)")
dask = pytest.importorskip("dask", reason="needs the dask extra (dask[array,distributed])")
da = pytest.importorskip("dask.array", reason="needs the dask extra (dask[array])")
distributed = pytest.importorskip("distributed", reason="needs the dask extra (distributed)")

from matcalc.codegen.array_runtime import ChunkWarning  # noqa: E402
from matcalc.codegen.dask_io import from_npy  # noqa: E402

LIMIT = 400 * 2**20  # bytes per worker
ROOT = Path(__file__).resolve().parents[1]

m, n = mc.dims("m n")
X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
z = mc.let("z", X @ w + b)
r = mc.let("r", mc.relu(z) - y)
L = mc.let("L", r.T @ r / m)
SEED0 = [L, *mc.grad(L, [w, b, X])]
F = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
F_NP = mc.compile(SEED0, args=[X, w, b, y])


@pytest.fixture(scope="module")
def client():
    # worker processes import this checkout's matcalc (the generated code imports it)
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit=LIMIT, dashboard_address=None,
                                  env=env) as cluster, distributed.Client(cluster) as c:
        yield c


def _npy(tmp_path: Path, a: np.ndarray, name: str = "X.npy") -> str:
    path = tmp_path / name
    np.save(path, a)
    return str(path)


def _reads(log: Path) -> list[int]:
    return sorted(int(s) for s in log.read_text().split()) if log.exists() else []


def test_lazy_one_read_per_chunk_equal_to_numpy(client, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    Xn, wn, yn = rng.normal(size=(4000, 8)), rng.normal(size=8), rng.normal(size=4000)
    log = tmp_path / "reads.log"
    Xd = from_npy(_npy(tmp_path, Xn), 500, str(log))
    yd = da.from_array(yn, chunks=500)
    outs = F(X=Xd, w=wn, b=0.2, y=yd)  # a NumPy w and a Python b join dask's namespace
    assert all(isinstance(o, da.Array) for o in outs)
    assert _reads(log) == []  # nothing computed
    assert outs[3].chunks == Xd.chunks  # ∂L/∂X chunked like X
    # the task-graph check: one graph, X's 8 chunk keys in it once each, shared by all outputs
    dsk: dict = {}
    for o in outs:  # the outputs' graphs, merged as dask.compute merges them (by key)
        dsk.update(dict(o.__dask_graph__()))
    x_keys = [k for k in dsk if isinstance(k, tuple) and k[0] == Xd.name]
    assert sorted(x_keys) == sorted(k for row in Xd.__dask_keys__() for k in row)
    got = dask.compute(*outs)
    assert _reads(log) == list(range(0, 4000, 500))  # each chunk read exactly once
    for g, want in zip(got, F_NP(X=Xn, w=wn, b=0.2, y=yn)):
        np.testing.assert_allclose(g, want, rtol=1e-10, atol=1e-12)


def test_reductions_over_samples_are_trees() -> None:
    Xd = da.ones((8000, 4), chunks=(500, 4))
    _, gw, gb, _ = F(X=Xd, w=np.ones(4), b=0.0, y=da.zeros(8000, chunks=500))
    layers = gw.__dask_graph__().layers
    # dask's tree reduction: partial sums combined in rounds, not one 16-input task
    deps = max(len(v) for v in gw.__dask_graph__().dependencies.values())
    assert deps < 16 and len(layers) > 3


def test_small_inverse_runs_a_sample_axis_inverse_is_refused(client) -> None:
    lam = mc.scalar("lam")
    A = X.T @ X + lam * mc.eye(n)
    ridge = mc.compile([mc.inv(A) @ X.T @ y, mc.logdet(A)], args=[X, y, lam],
                       backend="array_api")
    rng = np.random.default_rng(1)
    Xn, yn = rng.normal(size=(3000, 5)), rng.normal(size=3000)
    outs = ridge(X=da.from_array(Xn, chunks=(600, 5)), y=da.from_array(yn, chunks=600), lam=0.5)
    got = dask.compute(*outs)
    want = mc.compile([mc.inv(A) @ X.T @ y, mc.logdet(A)], args=[X, y, lam])(X=Xn, y=yn, lam=0.5)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-10)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)
    big = mc.compile(mc.logdet(X @ X.T + mc.eye(m)), args=[X], backend="array_api")
    with pytest.raises(ValueError, match=r"logdet needs the whole of axis 0 of its 5000×5000 "
                                         r"operand, which is split into \d+ Dask chunks"):
        big(X=da.ones((5000, 2), chunks=(1000, 2)))


def test_a_split_feature_axis_is_rechunked_with_a_warning(client) -> None:
    S = mc.inv(X.T @ X + mc.eye(n)) @ w
    f = mc.compile(S, args=[X, w], backend="array_api")
    rng = np.random.default_rng(2)
    Xn, wn = rng.normal(size=(1000, 6)), rng.normal(size=6)
    with pytest.warns(ChunkWarning, match=r"argument X: rechunked to one chunk along axis 1 "
                                          r"\(3 chunks\)"):
        got = f(X=da.from_array(Xn, chunks=(250, 2)), w=wn)
    np.testing.assert_allclose(got.compute(), mc.compile(S, args=[X, w])(X=Xn, w=wn))


def test_dask_and_torch_in_one_call_name_both() -> None:
    torch = pytest.importorskip("torch", reason="needs torch (torch==2.13.0)")
    with pytest.raises(TypeError, match=r"arguments X \(dask\.Array\) and y \(torch\.Tensor\)"):
        F(X=da.ones((10, 2), chunks=(5, 2)), w=np.ones(2), b=0.0, y=torch.ones(10))


def _peak_rss() -> int:
    """This process's peak resident memory (VmHWM: its own address space's high-water mark;
    getrusage's ru_maxrss would carry the parent's peak across the spawn's exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM (Linux)")
def test_gradient_over_x_three_times_a_workers_memory(client, tmp_path: Path) -> None:
    rows, cols, chunk = 10_000_000, 16, 250_000  # X: 1.28 GB = 3.05 × a worker's 400 MiB
    path = tmp_path / "X.npy"
    Xm = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, cols))
    rng = np.random.default_rng(3)
    wn = rng.normal(size=cols) / 4
    ref = np.zeros(cols + 2)  # loss·m, Σ r ⊙ step, Xᵀ(step ⊙ r): accumulated chunk by chunk
    for s in range(0, rows, chunk):
        xc = rng.normal(size=(chunk, cols))
        Xm[s:s + chunk] = xc
        zc = xc @ wn + 0.1
        rc = np.maximum(zc, 0) - np.sin(np.arange(s, s + chunk))
        ref[0] += rc @ rc
        t = (zc > 0) * rc
        ref[1] += t.sum()
        ref[2:] += xc.T @ t
    Xm.flush()
    del Xm
    assert path.stat().st_size >= 3 * LIMIT
    log = tmp_path / "reads.log"
    Xd = from_npy(str(path), chunk, str(log))
    yd = da.sin(da.arange(rows, chunks=chunk, dtype=np.float64))
    loss, gw, gb, _ = F(X=Xd, w=wn, b=0.1, y=yd)  # ∂L/∂X (1.6 GB) is not asked for
    got = client.compute([loss, gw, gb], sync=True)
    np.testing.assert_allclose(got[0], ref[0] / rows, rtol=1e-9)
    np.testing.assert_allclose(got[2], 2 / rows * ref[1], rtol=1e-9)
    np.testing.assert_allclose(got[1], 2 / rows * ref[2:], rtol=1e-9)
    assert _reads(log) == list(range(0, rows, chunk))
    peaks = client.run(_peak_rss)  # each worker process's lifetime peak resident memory
    print("worker peaks (MB):", {k: v // 2**20 for k, v in peaks.items()})
    assert len(peaks) == 2 and max(peaks.values()) < LIMIT, peaks


def test_minimize_with_data_held_on_the_workers(client) -> None:
    pytest.importorskip("scipy", reason="needs the optimize extra (scipy)")
    lam = mc.scalar("lam")
    ridge = (X @ w - y).T @ (X @ w - y) / m + lam * (w.T @ w)
    rng = np.random.default_rng(5)
    Xn = rng.normal(size=(4000, 5))
    yn = Xn @ rng.normal(size=5) + rng.normal(size=4000)
    Xd, yd = client.persist([da.from_array(Xn, chunks=(1000, 5)), da.from_array(yn, chunks=1000)])
    res = mc.minimize(ridge, {"w": np.zeros(5)}, data={"X": Xd, "y": yd, "lam": 0.1},
                      options={"gtol": 1e-12, "ftol": 1e-16})
    want = np.linalg.solve(Xn.T @ Xn / 4000 + 0.1 * np.eye(5), Xn.T @ yn / 4000)
    np.testing.assert_allclose(res.x["w"], want, rtol=1e-7)
