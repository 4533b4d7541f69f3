"""mc.compile: every node type against an independent dense reference, argument handling,
dtypes, shared intermediates, no wasted dense matrices in the seeds' code, and the cache."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.codegen.lower import LOWERINGS
from matcalc.expr import nodes as N
from matcalc.expr.functions import FUNCTIONS
from matcalc.expr.spectral import DivDiff, EigGap, EigVals, EigVecs, MatrixFunction
from matcalc.expr.traverse import walk

# ----------------------------------------------------------------------------------------
# A tiny dense reference evaluator: everything as explicit 2-D arrays, the naive way.
# ----------------------------------------------------------------------------------------


def _commutation_ref(m: int, n: int) -> np.ndarray:
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            # vec(X)[j*m + i] = X[i, j] = Xᵀ[j, i] = vec(Xᵀ)[i*n + j]
            k[i * n + j, j * m + i] = 1
    return k


def _num(value: sympy.Expr, dims: dict) -> float:
    return float(sympy.sympify(value).subs({d.expr: v for d, v in dims.items()}))


def _size(d, dims: dict) -> int:
    return int(d.expr.subs({k.expr: v for k, v in dims.items()}))


_NP_FN = {
    "relu": lambda x: np.maximum(x, 0), "step": lambda x: (x > 0).astype(float),
    "sign": np.sign, "exp": np.exp, "log": np.log, "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "softplus": lambda x: np.log1p(np.exp(x)),
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arctan": np.arctan, "abs": np.abs, "sqrt": np.sqrt,
}


_NP_D = {"exp": np.exp, "log": lambda t: 1 / t, "sqrt": lambda t: 0.5 / np.sqrt(t)}


def ref(e: N.Expr, env: dict, dims: dict, fns: dict | None = None) -> np.ndarray:
    """The value of ``e`` as a 2-D float array (1×1 for scalars)."""
    r = lambda x: ref(x, env, dims, fns)  # noqa: E731
    shape = tuple(_size(d, dims) for d in e.shape)
    match e:
        case N.Symbol():
            return np.asarray(env[e.name], dtype=float).reshape(shape)
        case N.Number():
            return np.full((1, 1), _num(e.value, dims))
        case N.Ones():
            return np.ones(shape)
        case N.Identity():
            return np.eye(shape[0])
        case N.Zero():
            return np.zeros(shape)
        case N.Commutation():
            return _commutation_ref(_size(e.m, dims), _size(e.n, dims))
        case N.Let():
            return r(e.expr)
        case N.Add():
            return sum(r(t) for t in e.terms)
        case N.Scale():
            return _num(e.coef, dims) * r(e.x)
        case N.ScalarMul():
            return r(e.s)[0, 0] * r(e.x)
        case N.MatMul():
            out = r(e.factors[0])
            for f in e.factors[1:]:
                out = out @ r(f)
            return out
        case N.Transpose():
            return r(e.x).T
        case N.Hadamard():
            out = r(e.factors[0])
            for f in e.factors[1:]:
                out = out * r(f)
            return out
        case N.Power():
            return r(e.x) ** _num(e.k, dims)
        case N.Apply():
            if e.fn in FUNCTIONS and e.order == 0:
                return _NP_FN[e.fn](r(e.x))
            return fns[e.fn + "'" * e.order](r(e.x))
        case N.Diag():
            return np.diag(r(e.v)[:, 0])
        case N.DiagPart():
            return np.diag(r(e.x)).reshape(-1, 1)
        case N.Vec():
            return r(e.x).T.reshape(-1, 1)
        case N.Unvec():
            return r(e.v).reshape(shape[1], shape[0]).T
        case N.Kron():
            return np.kron(r(e.a), r(e.b))
        case N.Trace():
            return np.full((1, 1), np.trace(r(e.x)))
        case N.Inverse():
            return np.linalg.inv(r(e.x))
        case N.MatrixPower():
            out = np.eye(shape[0])
            for _ in range(int(_num(e.k, dims))):
                out = out @ r(e.x)
            return out
        case N.Det():
            return np.full((1, 1), np.linalg.det(r(e.x)))
        case N.LogDet():
            return np.full((1, 1), np.log(abs(np.linalg.det(r(e.x)))))
        case N.Sum():
            return np.full((1, 1), r(e.x).sum())
        case N.Norm():
            return np.full((1, 1), np.sqrt((r(e.x) ** 2).sum()))
        case N.Frob():
            return np.full((1, 1), (r(e.a) * r(e.b)).sum())
        case N.LogSumExp():  # the naive formula: the test values are small
            return np.log(np.exp(r(e.x)).sum(axis=e.axis, keepdims=True))
        case N.Softmax():
            z = np.exp(r(e.x))
            return z / z.sum(axis=e.axis, keepdims=True)
        case MatrixFunction():
            w, v = np.linalg.eigh(r(e.x))
            return v @ np.diag(_NP_FN[e.fn](w)) @ v.T
        case EigVals():
            return np.linalg.eigvalsh(r(e.x)).reshape(-1, 1)
        case EigVecs():
            return np.linalg.eigh(r(e.x))[1]
        case DivDiff():  # distinct eigenvalues at the test point: the plain formulas
            w = np.linalg.eigvalsh(r(e.x))
            f, df = _NP_FN[e.fn], _NP_D[e.fn]
            d = np.subtract.outer(w, w) + np.eye(len(w))
            first = (np.subtract.outer(f(w), f(w)) + np.diag(df(w))) / d
            if e.order == 1:
                return first
            half_d2 = {"exp": lambda: np.exp(w) / 2, "log": lambda: -0.5 / w**2,  # only e.fn's:
                       "sqrt": lambda: -w**-1.5 / 8}[e.fn]()  # exp(w) overflows at a log's w
            return (df(w)[:, None] - first + np.diag(half_d2)) / d
        case EigGap():
            w = np.linalg.eigvalsh(r(e.x))
            return 1 / (np.subtract.outer(w, w).T + np.eye(len(w))) - np.eye(len(w))
    raise AssertionError(f"reference evaluator lacks {type(e).__name__}")


# ----------------------------------------------------------------------------------------
# Fixtures: symbols at small concrete sizes
# ----------------------------------------------------------------------------------------

m, n, p = mc.dims("m n p")
DIMS = {m: 3, n: 4, p: 2}
A, C = mc.matrix("A", m, n), mc.matrix("C", m, n)
B = mc.matrix("B", n, p)
S, T = mc.matrix("S", n, n), mc.matrix("T", n, n)
P = mc.matrix("P", m, n)  # positive entries
G = mc.matrix("G", p, n)
H = mc.matrix("H", p, m)
Q = mc.matrix("Q", m * n, p)
x, u = mc.vector("x", n), mc.vector("u", n)
y = mc.vector("y", m)
q = mc.vector("q", m * n)
s = mc.scalar("s")


def _env(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    e = {}
    for sym in (A, C, B, S, T, P, G, H, Q, x, u, y, q, s):
        shape = tuple(_size(d, DIMS) for d in sym.shape)
        e[sym.name] = rng.standard_normal(shape)
    e["P"] = np.abs(e["P"]) + 0.5
    e["S"] = e["S"] + 4 * np.eye(4)  # well-conditioned, positive determinant
    e["x"] = np.abs(e["x"]) + 0.5  # nonzero diagonal for inv/det of Diag(x)
    for name in ("x", "u", "y", "q"):
        e[name] = e[name].reshape(-1)  # vectors are passed 1-D
    e["s"] = float(e["s"][0, 0])
    return e


def _check(expr: N.Expr, env: dict | None = None, fns: dict | None = None) -> str:
    env = env or _env()
    args = None
    free = {d for sym in expr.free_symbols for dd in sym.shape for d in dd.symbols}
    if not {d for node in walk(expr) for dd in node.shape for d in dd.symbols} <= free:
        # constants alone do not say their sizes: other arguments fix the dims
        args = sorted(expr.free_symbols, key=lambda v: v.name) + [A, B]
    try:
        f = mc.compile(expr, args=args, functions=fns)
    except ValueError as err:  # q (m·n) alone does not say m and n
        assert "cannot infer" in str(err)
        f = mc.compile(expr, args=sorted(expr.free_symbols, key=lambda v: v.name) + [A, B],
                       functions=fns)
    got = f(**{k: env[k] for k in f.args})
    want = ref(expr, env, DIMS, fns)
    r, c = expr.shape
    if r == 1 and c == 1:
        assert np.ndim(got) == 0, f.source
        want = want[0, 0]
    elif r == 1 or c == 1:
        assert np.ndim(got) == 1, f.source
        want = want.reshape(-1)
    else:
        assert np.ndim(got) == 2, f.source
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=f.source)
    return f.source


CASES = {
    "symbol": A, "symbol_vector": x, "symbol_scalar": s,
    "number": s + 2.5, "number_dims": A / n + 1,
    "ones_add": A + mc.ones(m, n), "ones_rowsum": A @ mc.ones(n), "ones_colsum": mc.ones(m).T @ A,
    "ones_alone": mc.ones(m, n), "ones_outer": mc.ones(m) @ mc.ones(n).T,
    "ones_inner": mc.ones(n).T @ mc.ones(n), "ones_vec": mc.ones(n),
    "identity_mm": S @ mc.eye(n), "identity_add": S + 2 * mc.eye(n), "identity_alone": mc.eye(n),
    "zero_add": A + mc.zeros(m, n), "zero_mm": mc.zeros(m, n) @ B, "zero_alone": mc.zeros(m, n),
    "commutation_vec": mc.commutation(m, n) @ mc.vec(A),
    "commutation_matrix": mc.commutation(m, n) @ Q,
    "commutation_left": Q.T @ mc.commutation(m, n),
    "commutation_alone": mc.commutation(m, n),
    "let": mc.let("z", A @ B) + mc.let("z", A @ B),
    "add": A + C, "sub": A - C, "add_col": A + y, "add_row": A + x.T, "add_scalar": A + s,
    "add_diag": S + mc.Diag(x), "add_diag_diag": mc.Diag(x) + mc.Diag(u),
    "scale": 3 * A, "scale_dims": 2 / (m * n) * A, "neg": -A,
    "scalarmul": s * A, "scalarmul_expr": (x.T @ x) * A,
    "matmul": A @ B, "matmul3": A.T @ A @ x, "matmul4": A @ B @ B.T @ A.T,
    "matmul5": A @ S @ T @ S @ x, "matmul_scalar": x.T @ u, "matmul_scalar3": x.T @ S @ u,
    "matmul_outer": y @ x.T, "matmul_outer_chain": A @ x @ u.T @ S,
    "diag_left": mc.Diag(y) @ A, "diag_right": A @ mc.Diag(x), "diag_diag": mc.Diag(x) @ mc.Diag(u),
    "diag_vec": mc.Diag(x) @ u, "diag_ones": mc.Diag(x) @ mc.ones(n),
    "diag_chain": A.T @ mc.Diag(y) @ A,
    "transpose": A.T, "transpose_product": (A @ B).T, "transpose_vector": x.T,
    "hadamard": A * C, "hadamard_ones": A * mc.ones(m, n), "hadamard_outer": (y @ x.T) * A,
    "hadamard_scaled": 3 * (A * (y @ x.T)),
    "power2": A ** 2, "power3": A ** 3, "power_inv": P ** -1, "power_sqrt": P ** 0.5,
    "power_rsqrt": P ** -0.5, "power_frac": P ** 1.5,
    "diag_alone": mc.Diag(x), "diag_scaled": mc.Diag(2 * x) @ S,
    "diagpart": mc.diag(S), "diagpart_product": mc.diag(A.T @ A),
    "diagpart_diag": mc.diag(mc.Diag(x)),
    "diagpart_eye": mc.diag(3 * mc.eye(n)),
    "vec": mc.vec(A), "vec_transpose": mc.vec(A.T), "vec_ones": mc.vec(mc.ones(m, n)),
    "unvec": N.Unvec(q, m, n), "unvec_vec": N.Unvec(mc.vec(A), m, n),
    "kron": mc.kron(A, B), "kron_vec": mc.kron(A, B) @ mc.vec(G),
    "kron_eye_vec": mc.kron(mc.eye(n), A) @ mc.vec(S),
    "kron_matrix": mc.kron(G, H) @ Q, "kron_left": Q.T @ mc.kron(A, B),
    "kron_kron": mc.kron(A, B) @ mc.kron(B.T, S), "kron_transpose": mc.kron(A, B).T,
    "kron_eye_left": mc.kron(mc.eye(m), S) @ q,
    "kron_ones": mc.sum(mc.kron(A, mc.ones(n, n))),
    "kron_ones_col": mc.kron(mc.ones(n), mc.sum(x)) + x,
    "kron_ones_trace": mc.trace(mc.kron(N.Unvec(mc.kron(x, mc.ones(n)), n, n), S)),
    "kron_scalar": mc.kron(s, A) + mc.kron(A, s * s),
    "commutation_kron": mc.vec(A).T @ mc.commutation(m, n) @ mc.kron(x, mc.eye(m)),
    "one_by_one_eye": mc.eye(1) + s, "one_by_one_inv": mc.inv(s * s + 1),
    "one_by_one_det": mc.det(s * s + 1) + s, "one_by_one_logdet": mc.logdet(s * s + 1),
    "one_by_one_diag": mc.Diag(s) * 2 + mc.trace(s) + mc.diag(s), "one_by_one_solve": mc.inv(s) @ s,
    "diag_kron_row": mc.Diag(y) @ mc.kron(x.T, mc.eye(m)),
    "diag_kron_row_b": mc.Diag(y) @ mc.kron(A, x.T),
    "kron_col_diag": mc.kron(A, u) @ mc.Diag(x), "kron_col_a_diag": mc.kron(y, S) @ mc.Diag(x),
    "trace": mc.trace(S), "trace_product": mc.trace(A.T @ C),
    "trace_product3": mc.trace(A @ S @ A.T),
    "trace_diag": mc.trace(mc.Diag(x) @ S), "trace_eye": mc.trace(mc.eye(n)),
    "trace_kron": mc.trace(mc.kron(S, T)), "trace_kron_nonsquare": mc.trace(mc.kron(x, u.T)),
    "trace_kron_rect": mc.trace(mc.kron(mc.vec(A), mc.vec(C).T)),
    "expm": mc.expm(S + S.T) @ x, "logm_sqrtm": mc.logm(mc.sqrtm(mc.expm(S.T @ S / 4))),
    "eigvalsh": mc.eigvalsh(S + S.T), "eigvecs": EigVecs(S + S.T) @ x,
    "divdiff": DivDiff("log", mc.expm(S + S.T)) * DivDiff("sqrt", mc.expm(S + S.T)),
    "divdiff2": DivDiff("log", mc.expm(S + S.T), 2) + DivDiff("sqrt", mc.expm(S + S.T), 2)
    + DivDiff("exp", S + S.T, 2), "eiggap": EigGap(S + S.T),
    "matrix_power": mc.matrix_power(S, 3) @ x, "matrix_power_diag": mc.matrix_power(mc.Diag(x), 2),
    "inverse": mc.inv(S), "inverse_diag": mc.inv(mc.Diag(x)), "inverse_product": mc.inv(S) @ T,
    "inverse_right": A @ mc.inv(S), "inverse_kron": mc.inv(mc.kron(S, T + 5 * mc.eye(n))),
    "inverse_middle": x.T @ mc.inv(S) @ u,
    "inverse_shared": mc.inv(S) @ T + mc.inv(S), "inverse_ones": mc.inv(S) @ mc.ones(n),
    "det": mc.det(S), "det_diag": mc.det(mc.Diag(x)),
    "logdet": mc.logdet(S), "logdet_diag": mc.logdet(mc.Diag(x)),
    "sum": mc.sum(A), "sum_product": mc.sum(A @ B), "sum_square": mc.sum(A ** 2),
    "sum_hadamard": mc.sum(A * C), "sum_outer": mc.sum(y @ x.T), "sum_broadcast": mc.sum(A + y),
    "norm": mc.norm(A), "norm_vector": mc.norm(x), "norm_squared": mc.norm(A) ** 2,
    "norm_outer": mc.norm(y @ x.T), "norm_ones": mc.norm(mc.ones(m, n)),
    "frob": mc.frob(A, C), "frob_transposes": mc.frob(A.T, C.T), "frob_mixed": mc.frob(S.T, B @ G),
    "frob_broadcast": mc.frob(A, y @ mc.ones(n).T), "frob_row": mc.frob(A, mc.ones(m) @ x.T),
    "frob_eye": mc.frob(mc.eye(n), S), "frob_diag": mc.frob(mc.Diag(x), S),
    "softmax": mc.softmax(A), "softmax_cols": mc.softmax(A, axis=0),
    "softmax_rows": mc.softmax(A, axis=1), "softmax_vector": mc.softmax(x),
    "softmax_broadcast": mc.softmax(A + y, axis=1),
    "logsumexp": mc.logsumexp(A), "logsumexp_cols": mc.logsumexp(A, axis=0),
    "logsumexp_rows": mc.logsumexp(A, axis=1), "logsumexp_vector": mc.logsumexp(x),
    "log_softmax_rows": mc.log_softmax(A, axis=1),
    "softmax_and_logsumexp": mc.softmax(A, 0) + mc.logsumexp(A, 0),
    "sum_axis0": mc.sum(A, axis=0), "sum_axis1": mc.sum(A, axis=1), "mean_axis0": mc.mean(A, 0),
    "log1p": mc.log(1 + A * A), "expm1": mc.exp(A) - 1, "log_sigmoid": mc.log(mc.sigmoid(A)),
    "log_one_plus_exp": mc.log(1 + mc.exp(A)),
}
for _name in FUNCTIONS:
    arg = P if _name in ("log", "sqrt") else (mc.tanh(A) * 0.5 if _name.startswith("arc") else A)
    CASES[f"apply_{_name}"] = N.Apply(_name, arg)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_reference(name: str) -> None:
    _check(CASES[name])


def test_every_node_type_is_exercised_and_has_a_lowering() -> None:
    """A new node type cannot be half-added: it needs a lowering and a case here."""
    seen = {type(node) for e in CASES.values() for node in walk(e)}
    for t in N.NODE_TYPES:
        assert t in LOWERINGS.registry, f"no lowering registered for {t.__name__}"
        if t is not N.Delta:
            assert t in seen, f"no compile test exercises {t.__name__}"


def test_delta_is_an_error() -> None:
    with pytest.raises(ValueError, match="differential"):
        mc.compile(A + N.Delta(A))


# ----------------------------------------------------------------------------------------
# No waste: structured matrices stay structured
# ----------------------------------------------------------------------------------------

DENSE_BUILDERS = ("np.diagflat", "np.diag(", "np.kron", "np.eye", "np.ones", "np.full",
                  "_commutation", "broadcast_to", "np.identity")


@pytest.mark.parametrize("name", [
    "ones_rowsum", "ones_colsum", "ones_add", "identity_mm", "zero_add", "commutation_vec",
    "commutation_matrix", "add_col", "add_row", "add_scalar", "diag_left", "diag_right",
    "diag_vec", "diag_chain", "hadamard_ones", "kron_vec", "kron_eye_vec",
    "kron_matrix", "kron_left", "trace_product", "trace_diag", "trace_kron",
    "det_diag", "logdet_diag", "sum", "sum_product", "sum_outer", "norm_outer", "frob_broadcast",
    "frob_eye", "frob_diag", "diagpart_product", "diagpart_diag", "sum_broadcast",
])
def test_structured_factors_are_not_materialized(name: str) -> None:
    src = _check(CASES[name])
    for builder in DENSE_BUILDERS:
        assert builder not in src, f"{builder} in\n{src}"


def test_product_shortcuts_in_source() -> None:
    assert ".sum(1, keepdims=True)" in mc.compile(A @ mc.ones(n)).source
    assert ".sum(0, keepdims=True)" in mc.compile(mc.ones(m).T @ A).source
    assert "np.einsum" in mc.compile(mc.trace(A @ S @ A.T)).source
    assert "np.vdot" in mc.compile(mc.frob(A, C)).source
    src = mc.compile(y @ x.T).source
    assert "@" not in src.split("return")[0].split("_mismatch")[-1]  # outer product broadcasts
    assert "_dot3" in mc.compile(A.T @ A @ x).source  # association decided from the sizes
    assert "solve" in mc.compile(mc.inv(S) @ T).source and "inv(" not in mc.compile(
        mc.inv(S) @ T).source


def test_trace_of_product_never_forms_the_product() -> None:
    src = mc.compile(mc.trace(A.T @ C)).source
    assert "@" not in src.split("\n    t1" if "t1" in src else "return")[-1].split("return")[-1]


# ----------------------------------------------------------------------------------------
# Arguments, shapes and dtypes
# ----------------------------------------------------------------------------------------

m_, n_ = mc.dims("m n")
X0, w0, b0, y0 = mc.matrix("X", m_, n_), mc.vector("w", n_), mc.scalar("b"), mc.vector("y", m_)
LOSS0 = mc.sum((mc.relu(X0 @ w0 + b0) - y0) ** 2) / m_


def _seed0_args(mm: int = 20, nn: int = 3, seed: int = 1) -> dict:
    rng = np.random.default_rng(seed)
    return dict(X=rng.standard_normal((mm, nn)), w=rng.standard_normal(nn), b=0.1,
                y=rng.standard_normal(mm))


def test_args_default_order_and_keywords_or_positions() -> None:
    f = mc.compile(LOSS0)
    assert f.args == ("X", "w", "b", "y")
    a = _seed0_args()
    assert f(**a) == pytest.approx(f(a["X"], a["w"], a["b"], a["y"]))


def test_missing_and_unknown_arguments_are_type_errors_naming_them() -> None:
    f = mc.compile(LOSS0)
    a = _seed0_args()
    del a["w"]
    with pytest.raises(TypeError, match="'w'"):
        f(**a)
    with pytest.raises(TypeError, match="'Z'"):
        f(**_seed0_args(), Z=1.0)


def test_inconsistent_dims_raise_shape_error_naming_symbol_dim_and_sizes() -> None:
    f = mc.compile(LOSS0)
    a = _seed0_args()
    a["w"] = np.ones(5)
    with pytest.raises(mc.ShapeError) as err:
        f(**a)
    msg = str(err.value)
    assert "w" in msg and "n" in msg and "5" in msg and "3" in msg
    a = _seed0_args()
    a["y"] = np.ones(7)
    with pytest.raises(mc.ShapeError, match=r"y.*7.*m = 20"):
        f(**a)


@pytest.mark.parametrize("name, value", [
    ("X", np.ones(20)), ("X", np.ones((20, 3, 1))), ("w", np.ones((3, 2))), ("b", np.ones(2)),
])
def test_wrong_rank_is_a_shape_error(name: str, value: np.ndarray) -> None:
    a = _seed0_args()
    a[name] = value
    with pytest.raises(mc.ShapeError, match=name):
        mc.compile(LOSS0)(**a)


def test_args_must_cover_free_symbols_and_may_add_more() -> None:
    with pytest.raises(ValueError, match="w"):
        mc.compile(LOSS0, args=[X0, b0, y0])
    g = 2 * X0.T @ y0
    f = mc.compile(g, args=[X0, w0, b0, y0])
    a = _seed0_args()
    np.testing.assert_allclose(f(**a), 2 * a["X"].T @ a["y"])
    a["w"] = np.ones(4)  # an unused argument still fixes n
    with pytest.raises(mc.ShapeError, match="w"):
        f(**a)


def test_unused_column_is_checked_not_kept() -> None:
    """A column the body never reads is checked (rank, dtype, size) without keeping the
    (n, 1) view that a used one gets."""
    m, n = mc.dims("m n")
    A, w, y = mc.matrix("A", m, n), mc.vector("w", n), mc.vector("y", m)
    f = mc.compile(mc.hessian(mc.norm(A @ w - y) ** 2 / 2, w), args=[A, w, y])
    assert "    _column(w, 'w'" in f.source and "y = _column(" not in f.source
    a = {"A": np.arange(6.0).reshape(3, 2), "w": np.ones(2), "y": np.ones((3, 1))}
    np.testing.assert_allclose(f(**a), a["A"].T @ a["A"])
    for name, bad, error in [("w", np.ones((2, 2)), mc.ShapeError),
                             ("y", np.ones(4), mc.ShapeError),
                             ("y", np.array(["a", "b", "c"]), TypeError)]:
        with pytest.raises(error, match=name):
            f(**{**a, name: bad})


def test_vectors_as_1d_or_column_give_1d_results() -> None:
    f = mc.compile(2 * X0.T @ y0 + w0)
    a = _seed0_args()
    r1 = f(X=a["X"], y=a["y"], w=a["w"])
    r2 = f(X=a["X"], y=a["y"][:, None], w=a["w"][:, None])
    assert r1.shape == r2.shape == (3,)
    np.testing.assert_allclose(r1, r2)


def test_scalar_results_are_scalars() -> None:
    out = mc.compile(LOSS0)(**_seed0_args())
    assert np.ndim(out) == 0


def test_float32_in_float32_out_and_ints_promoted() -> None:
    grads = [LOSS0, 2 * X0.T @ y0, X0 * 2 + 1, mc.sum(X0)]
    f = mc.compile(grads)
    a = {k: (np.asarray(v, dtype=np.float32) if k != "b" else v) for k, v in _seed0_args().items()}
    for out in f(**a):
        assert np.asarray(out).dtype == np.float32
    ai = {k: np.asarray(np.round(np.asarray(v) * 3), dtype=np.int64)
          for k, v in _seed0_args().items()}
    for out in f(**ai):
        assert np.asarray(out).dtype == np.float64


def test_nan_and_inf_propagate_and_singular_inverse_raises() -> None:
    a = _seed0_args()
    a["X"][0, 0] = np.nan
    assert np.isnan(mc.compile(LOSS0)(**a))
    for e in (mc.inv(S), mc.inv(S) @ T):  # np.linalg.inv and np.linalg.solve alike
        f = mc.compile(e)
        with pytest.raises(np.linalg.LinAlgError):
            f(**{k: v for k, v in dict(S=np.zeros((3, 3)), T=np.ones((3, 3))).items()
                 if k in f.args})


def test_generic_functions_come_from_functions_argument() -> None:
    sigma = mc.elementwise("sigma")
    e = sigma(A) + N.Apply("sigma", A, 1)
    fns = {"sigma": np.tanh, "sigma'": lambda v: 1 - np.tanh(v) ** 2}
    _check(e, fns=fns)
    with pytest.raises(KeyError, match="sigma'"):
        mc.compile(e, functions={"sigma": np.tanh})
    with pytest.raises(TypeError, match="callable"):
        mc.compile(e, functions={"sigma": np.tanh, "sigma'": 3.0})


def test_compile_is_cached() -> None:
    e = mc.trace(A.T @ C) + mc.sum(A)
    assert mc.compile(e) is mc.compile(e)
    assert mc.compile([e, A]) is mc.compile([e, A])
    assert mc.compile([e, A]) is not mc.compile([A, e])


def test_list_of_one_gives_tuple() -> None:
    out = mc.compile([mc.sum(A)])(A=np.ones((3, 4)))
    assert isinstance(out, tuple) and len(out) == 1 and out[0] == 12
    assert mc.compile([])() == ()


def test_only_validated_names_reach_the_source() -> None:
    bad = N.Symbol("x=__import__('os')", m, n)
    with pytest.raises(ValueError, match="invalid"):
        mc.compile(bad + A)
    weird_let = N.Let("not a name", A @ B)
    src = _check(weird_let + weird_let)
    code = [ln for ln in src.splitlines() if not ln.strip().startswith("#")]  # comments aside
    assert not any("not a name" in ln for ln in code), src


# ----------------------------------------------------------------------------------------
# The seeds, through mc.grad: one forward pass, nothing dense that the result does not need
# ----------------------------------------------------------------------------------------


def _seed001():
    m0, m1, m2, nn = mc.dims("m0 m1 m2 n")
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    X, Y = mc.matrix("X", m0, nn), mc.matrix("Y", m2, nn)
    R = mc.let("R", W2 @ mc.relu(mc.let("Z", W1 @ X + b1)) + b2 - Y)
    loss = mc.norm(R) ** 2 / nn
    return loss, [W1, W2, b1, b2], [W1, W2, b1, b2, X, Y]


def _seed001_data(rng: np.random.Generator) -> dict:
    return dict(W1=rng.standard_normal((6, 4)), W2=rng.standard_normal((3, 6)),
                b1=rng.standard_normal(6), b2=rng.standard_normal(3),
                X=rng.standard_normal((4, 9)), Y=rng.standard_normal((3, 9)))


def _seed001_by_hand(W1, W2, b1, b2, X, Y):
    n = X.shape[1]
    Z = W1 @ X + b1[:, None]
    S = np.maximum(Z, 0)
    R = W2 @ S + b2[:, None] - Y
    VD = (W2.T @ R) * (Z > 0)
    return (R * R).sum() / n, 2 / n * VD @ X.T, 2 / n * R @ S.T, 2 / n * VD.sum(1), 2 / n * R.sum(1)


def test_seed001_loss_and_gradients_share_one_forward_pass() -> None:
    loss, wrt, args = _seed001()
    f = mc.compile([loss, *mc.grad(loss, wrt)], args=args)
    d = _seed001_data(np.random.default_rng(3))
    for got, want in zip(f(**d), _seed001_by_hand(**d)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    body = f.source.split("return")[0]
    assert body.count("W1 @ X") == 1, f.source  # the forward pass, once
    assert body.count("np.maximum(") == 1, f.source
    assert body.count("W2.T @") == 1, f.source  # V = W2ᵀR, once (as seed 001 does)
    # seed 001's vectorized section: W1 X, W2 S, W2ᵀR, (V ⊙ D) Xᵀ, R Sᵀ; the rest is sums
    assert body.count(" @ ") == 5, f.source
    for builder in DENSE_BUILDERS:
        assert builder not in f.source, f.source


def test_seed000_gradients_have_no_dense_diag() -> None:
    m_, n_ = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m_, n_), mc.vector("w", n_), mc.scalar("b"), mc.vector("y", m_)
    z = mc.let("z", X @ w + b)
    r = mc.relu(z) - y
    loss = r.T @ r / m_
    # the hand derivation of seed 000, with its m×m Diag(H), next to mc.grad's
    H = mc.Diag(mc.step(z))
    by_hand = [2 / m_ * X.T @ H @ r, 2 / m_ * mc.ones(m_).T @ H @ r, 2 / m_ * H @ r @ w.T]
    for grads in (mc.grad(loss, [w, b, X]), by_hand):
        f = mc.compile(grads, args=[X, w, b, y])
        for builder in DENSE_BUILDERS:
            assert builder not in f.source, f.source
        a = _seed0_args(50, 4)
        zz = a["X"] @ a["w"] + a["b"]
        g = 2 / 50 * (np.maximum(zz, 0) - a["y"]) * (zz > 0)
        gw, gb, gX = f(**a)
        np.testing.assert_allclose(gw, a["X"].T @ g)
        np.testing.assert_allclose(gb, g.sum())
        np.testing.assert_allclose(gX, np.outer(g, a["w"]))


@pytest.mark.slow
def test_seed000_at_a_million_rows_stays_small() -> None:
    """m = 10⁶: a dense Diag(H) would need 8 TB; the compiled gradient needs a few arrays."""
    import tracemalloc

    m_, n_ = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m_, n_), mc.vector("w", n_), mc.scalar("b"), mc.vector("y", m_)
    r = mc.relu(X @ w + b) - y
    f = mc.compile(mc.grad(r.T @ r / m_, [w, b, X]), args=[X, w, b, y])
    a = _seed0_args(1_000_000, 16, seed=7)
    tracemalloc.start()
    gw, gb, gX = f(**a)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MB"  # gX alone is 128 MB
    zz = a["X"] @ a["w"] + a["b"]
    g = 2 / 1e6 * (np.maximum(zz, 0) - a["y"]) * (zz > 0)
    np.testing.assert_allclose(gw, a["X"].T @ g, rtol=1e-9)
    np.testing.assert_allclose(gb, g.sum(), rtol=1e-9)
    np.testing.assert_allclose(gX, np.outer(g, a["w"]), rtol=1e-9)


def test_source_runs_on_its_own_and_names_lets() -> None:
    """f.source is plain Python: exec'd by itself it defines the same function."""
    loss, wrt, args = _seed001()
    f = mc.compile([loss, *mc.grad(loss, wrt)], args=args)
    namespace: dict = {}
    exec(f.source, namespace)  # noqa: S102 - the code we just generated
    d = _seed001_data(np.random.default_rng(5))
    for a, b in zip(namespace["compiled"](**d), f(**d)):
        np.testing.assert_array_equal(a, b)
    assert "\n    Z = W1 @ X + b1\n" in f.source  # named intermediates keep their names
    assert "\n    R = " in f.source


def test_division_by_a_power_is_one_division() -> None:
    """a ⊙ x∘ᵏ for k < 0 (an integer, or −1/2) is a ⊘ x∘⁻ᵏ: one division, no array of
    reciprocals and no integer power (NumPy's x ** -2 runs ~4x slower than 1 / x ** 2)."""
    half = sympy.Rational(-1, 2)
    cases = {C / P: "C / P", mc.hadamard(C, P ** -2): "C / P ** 2",
             mc.hadamard(P ** -3, C, A): "/ (P ** 2 * P)",
             mc.hadamard(C, P ** half): "/ np.sqrt(P)",
             A / (mc.ones(m) @ x.T): "A / x.T",
             3 * mc.hadamard(P ** -1, P ** -2, C): "/ (P * P ** 2)", P ** -2: "1 / P ** 2"}
    for e, text in cases.items():
        src = _check(e)
        assert text in src and "**(-" not in src.replace(" ", ""), (e, src)
        if e.shape != (1, 1) and not isinstance(e, N.Power):
            assert "1 / " not in src, (e, src)


@pytest.mark.parametrize("k", [3, 4, 5, 7, 11, 16, -3, -6])
def test_integer_power_is_repeated_squaring(k: int) -> None:
    """x∘ᵏ for 2 < |k| ≤ 16 is squares and products (``x ** 2 * x``): NumPy's ``pow`` for
    other integer exponents is about 100x slower; the values stay within a few ulps."""
    src = _check(A ** k)
    assert f"** {abs(k)}" not in src and "** 2" in src, src
    assert "A ** 17" in mc.compile(A ** 17).source  # beyond 16: NumPy's own power
    a = np.random.default_rng(k % 7).uniform(-3, 3, size=(5, 6)).astype(np.float32)
    got = mc.compile(A ** k)(A=a)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, a.astype(np.float64) ** k, rtol=2e-6)


def test_folded_constants_that_are_not_finite_compile() -> None:
    """A constant folded to 0⁻¹ or (−2)^½ is written as NumPy's real arithmetic has it
    (inf, nan), not a crash: the gradient of ‖sum(A ⊗ B) ⊗ z‖ with z = 0 divides by ‖0‖
    (the long fuzz run's seed 9401 raised TypeError: Cannot convert complex to float)."""
    from matcalc.codegen.emit import constant_source

    assert constant_source(sympy.zoo, {})[0] == 'float("inf")'
    assert constant_source(sympy.sqrt(-2), {})[0] == 'float("nan")'
    assert constant_source(-sympy.oo, {})[0] == 'float("-inf")'
    assert eval(constant_source(-sympy.oo, {})[0]) == -np.inf  # noqa: S307 - our own literal
    m_, n_ = mc.dims("m n")
    A_, B_ = mc.matrix("A", n_, n_), mc.matrix("B", m_, m_)
    f = mc.norm(mc.kron(mc.sum(mc.kron(A_, B_)), mc.let("z1", mc.zeros(1, m_))))
    for g in mc.grad(f, [A_, B_]):
        got = mc.compile(g, args=[A_, B_])(np.ones((2, 2)), np.ones((3, 3)))
        assert np.shape(got) == ((2, 2) if g.shape[0] == n_ else (3, 3))
