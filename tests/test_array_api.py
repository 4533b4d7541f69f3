"""``mc.compile(..., backend="array_api")``: the same computation on any array library.

array_api_strict has only the standard (no ``einsum``, no methods beyond it, no implicit
NumPy), so random expressions that run on it and agree with the NumPy backend show the
generated code is standard; PyTorch CPU tensors show it runs on a real second library.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc as mc

strict = pytest.importorskip("array_api_strict", reason="needs the array extra (array-api-strict)")
pytest.importorskip("array_api_compat", reason="needs the array extra (array-api-compat)")

from test_compile_random import RUNTIME_SIZES, SYMBOLS, _env, expr  # noqa: E402

m, n = mc.dims("m n")
X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
z = mc.let("z", X @ w + b)
yhat = mc.let("yhat", mc.relu(z))
L = mc.let("L", (yhat - y).T @ (yhat - y) / m)
SEED0 = [L, *mc.grad(L, [w, b, X])]


def _seed0_data(seed: int = 0, m_: int = 50, n_: int = 4) -> dict:
    rng = np.random.default_rng(seed)
    return {"X": rng.normal(size=(m_, n_)), "w": rng.normal(size=n_), "b": 0.3,
            "y": rng.normal(size=m_)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(list(SYMBOLS)).flatmap(lambda s: expr(s, 3)), st.integers(0, 3),
       RUNTIME_SIZES)
def test_random_expressions_on_array_api_strict(e, seed: int, sizes: dict) -> None:
    env = _env(seed, sizes)
    args = sorted(e.free_symbols | set(list(SYMBOLS.values())[:2]), key=lambda v: v.name)
    f = mc.compile(e, args=args, backend="array_api")
    assert "np." not in f.source, f.source
    want = mc.compile(e, args=args)(**{k: env[k] for k in f.args})
    got = f(**{k: strict.asarray(env[k]) if isinstance(env[k], np.ndarray) else env[k]
               for k in f.args})
    assert isinstance(got, strict._array_object.Array), (type(got), f.source)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-9, atol=1e-9, err_msg=f.source)
    assert got.shape == np.shape(want)


def test_seed000_on_strict_arrays_gives_strict_arrays() -> None:
    d = _seed0_data()
    f = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
    want = mc.compile(SEED0, args=[X, w, b, y])(**d)
    got = f(X=strict.asarray(d["X"]), w=strict.asarray(d["w"]), b=d["b"],
            y=strict.asarray(d["y"]))
    for g, r in zip(got, want):
        assert isinstance(g, strict._array_object.Array)
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-12)
    assert [g.shape for g in got] == [(), (4,), (), (50, 4)]


def test_source_uses_only_the_namespace() -> None:
    f = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
    assert "xp = _namespace(X=X, w=w, b=b, y=y)" in f.source
    assert "np." not in f.source and "import numpy" not in f.source
    assert "xp.astype(z > 0, z.dtype)" in f.source


def test_torch_cpu_tensors_in_torch_tensors_out() -> None:
    torch = pytest.importorskip("torch", reason="needs torch (torch==2.13.0)")
    d = _seed0_data(1)
    f = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
    want = mc.compile(SEED0, args=[X, w, b, y])(**d)
    got = f(X=torch.asarray(d["X"]), w=torch.asarray(d["w"]), b=d["b"],
            y=torch.asarray(d["y"]))
    for g, r in zip(got, want):
        assert isinstance(g, torch.Tensor) and g.dtype == torch.float64
        np.testing.assert_allclose(g.numpy(), r, rtol=1e-12)
    # float32 data stays float32; a NumPy w and a Python b join torch's namespace
    got32 = f(X=torch.asarray(d["X"], dtype=torch.float32), w=d["w"], b=d["b"],
              y=torch.asarray(d["y"], dtype=torch.float32))
    assert {g.dtype for g in got32} == {torch.float32}
    np.testing.assert_allclose(got32[1].numpy(), want[1], rtol=1e-4)


def test_torch_gradients_match_autograd() -> None:
    torch = pytest.importorskip("torch", reason="needs torch (torch==2.13.0)")
    d = _seed0_data(2)
    Xt, wt = torch.asarray(d["X"], requires_grad=True), torch.asarray(d["w"], requires_grad=True)
    yt = torch.asarray(d["y"])
    r = torch.relu(Xt @ wt + 0.3) - yt
    (r @ r / 50).backward()
    f = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
    _, gw, _, gX = f(X=Xt.detach(), w=wt.detach(), b=0.3, y=yt)
    assert torch.allclose(gw, wt.grad) and torch.allclose(gX, Xt.grad)


def test_two_libraries_in_one_call_name_both_arguments() -> None:
    torch = pytest.importorskip("torch", reason="needs torch (torch==2.13.0)")
    d = _seed0_data()
    f = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
    with pytest.raises(TypeError, match=r"arguments X \(torch\.Tensor\) and y "
                                        r"\(array_api_strict\.Array\)"):
        f(X=torch.asarray(d["X"]), w=d["w"], b=0.1, y=strict.asarray(d["y"]))


def test_bad_arguments_are_clear() -> None:
    f = mc.compile(SEED0, args=[X, w, b, y], backend="array_api")
    d = _seed0_data()
    with pytest.raises(mc.ShapeError, match="argument w has 3 rows, but n = 4 from X"):
        f(**{**d, "w": strict.asarray(np.ones(3)), "X": strict.asarray(d["X"])})
    with pytest.raises(mc.ShapeError, match="argument X .* must be a 2-D array"):
        f(**{**d, "X": strict.asarray(np.ones(3))})
    with pytest.raises(TypeError, match="argument X: expected an array, got builtins.object"):
        f(**{**d, "X": object()})
    with pytest.raises(ValueError, match="backend must be one of 'numpy', 'array_api'"):
        mc.compile(SEED0, backend="cupy")
    with pytest.raises(ValueError, match="symbol name 'xp' is reserved"):
        mc.compile(mc.vector("xp", n).T @ w, backend="array_api")


def test_structured_values_lower_to_standard_functions() -> None:
    """Kronecker, commutation, Diag, inverse, logdet and trace: the helpers' fallbacks."""
    A, S = mc.matrix("A", n, n), mc.matrix("S", n, n)
    v = mc.vector("v", n)
    exprs = [mc.kron(A, S), mc.commutation(n, n), mc.Diag(v), mc.inv(S) @ A,
             mc.logdet(S), mc.det(S), mc.trace(A @ S), mc.diag(A @ S), mc.norm(A),
             mc.hessian(v.T @ A @ v + mc.sum(mc.exp(A @ v)), v)]
    rng = np.random.default_rng(3)
    env = {"A": rng.normal(size=(3, 3)), "S": 5 * np.eye(3) + rng.normal(size=(3, 3)),
           "v": rng.normal(size=3)}
    f = mc.compile(exprs, args=[A, S, v], backend="array_api")
    want = mc.compile(exprs, args=[A, S, v])(**env)
    got = f(**{k: strict.asarray(a) for k, a in env.items()})
    for g, r in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), r, rtol=1e-10, atol=1e-12, err_msg=f.source)
