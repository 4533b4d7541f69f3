"""Any depth and size: deep chains, long sums and unrolled RNNs through every public stage,
without RecursionError (matcalc.expr.deep), and valid generated Python at any depth."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.codegen import emit
from matcalc.expr import deep
from matcalc.expr.nodes import Delta
from matcalc.expr.ops import add
from matcalc.expr.traverse import depth, replace

n = mc.dim("n")
x = mc.vector("x", n)
W = mc.matrix("W", n, n)
h0 = mc.vector("h", n)
n_x = 3  # the text tests' x is numeric: x_t
x_t = mc.vector("x", 3)


def chain(levels: int, v: mc.Expr = x) -> mc.Expr:
    e = v
    for _ in range(levels):
        e = mc.tanh(e)
    return e


def rnn(steps: int, lets: bool) -> mc.Expr:
    h = h0
    for i in range(steps):
        h = mc.tanh(W @ h + x)
        if lets:
            h = mc.let(f"h{i}", h)
    return mc.sum(h)


def fd_check(f: mc.Expr, X: mc.Symbol, G: mc.Expr, values: dict, eps: float = 1e-6) -> None:
    """The compiled gradient against a central difference of the compiled f, along V."""
    fc, gc = mc.compile(f), mc.compile(G)
    rng = np.random.default_rng(0)
    V = rng.standard_normal(values[X.name].shape)
    up = {**values, X.name: values[X.name] + eps * V}
    down = {**values, X.name: values[X.name] - eps * V}
    fd = (fc(**up) - fc(**down)) / (2 * eps)
    assert np.isclose(np.sum(gc(**values) * V), fd, rtol=1e-5, atol=1e-8)


# ----------------------------------------------------------------------------------------
# The primitive walks are loops: no worker thread needed
# ----------------------------------------------------------------------------------------


def test_depth_is_cached_at_construction() -> None:
    assert depth(x) == 1 and depth(mc.tanh(x)) == 2
    assert depth(chain(300)) == 301
    assert depth(mc.let("z", chain(5))) == 7
    assert depth(Delta(mc.let("z", chain(5)))) == 1  # its target is not a child


def test_primitive_walks_at_depth_100000() -> None:
    a, b = chain(20_000), chain(20_000)
    assert a is not b and a == b and hash(a) == hash(b)
    assert a != chain(20_000, mc.vector("y", n))
    assert chain(20_000).free_symbols == {x}
    assert not chain(20_000).deltas
    y = mc.vector("y", n)
    assert replace(a, {x: y}) == chain(20_000, y)


# ----------------------------------------------------------------------------------------
# Deep chains through the public functions
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def deep_f() -> mc.Expr:
    return mc.sum(chain(10_000))


def test_deep_chain_prints(deep_f: mc.Expr) -> None:
    s = str(deep_f)
    assert s.startswith("sum(tanh(tanh(") and s.count("tanh") == 10_000
    assert mc.latex(deep_f).count(r"\tanh") == 10_000
    assert deep_f._repr_latex_().startswith("$")


def test_deep_chain_compiles_and_simplifies(deep_f: mc.Expr) -> None:
    assert mc.simplify(deep_f) == deep_f
    vals = {"x": np.array([0.3, -0.2])}
    f = mc.compile(deep_f)
    # valid Python: temporaries instead of one line nested 10,000 deep
    assert max(len(line) for line in f.source.splitlines()) < 2000
    want = vals["x"]
    for _ in range(10_000):
        want = np.tanh(want)
    assert np.isclose(f(**vals), want.sum())


@pytest.mark.slow
def test_deep_chain_grad_and_derive() -> None:
    f = mc.sum(chain(10_000))
    g = mc.grad(f, x)
    assert g.shape == x.shape
    from matcalc.check.numeric import evaluate
    vals = {"x": np.array([0.3, -0.2])}
    fc, eps, v = mc.compile(f), 1e-6, np.array([1.0, 0.5])
    fd = (fc(x=vals["x"] + eps * v) - fc(x=vals["x"] - eps * v)) / (2 * eps)
    assert np.isclose(evaluate(g, vals).ravel() @ v, fd, rtol=1e-5, atol=1e-12)
    assert mc.derive(f, x).gradients[x] == g
    gc = mc.compile(g)  # its printed form is quadratic in the depth: the comment is cut
    lines = gc.source.splitlines()
    assert max(len(line) for line in lines) < 2000
    assert max(len(line) for line in lines if line.lstrip().startswith("#")) < 300
    assert np.allclose(gc(**vals), evaluate(g, vals).ravel(), rtol=1e-12, atol=0)


@pytest.mark.slow
def test_deep_chain_jacobian() -> None:
    J = mc.jacobian(chain(10_000), x)
    v = np.array([0.3, -0.2])
    t, want = v, np.ones(2)
    for _ in range(10_000):  # d tanh(t) = (1 − tanh(t)²) dt, level by level
        t = np.tanh(t)
        want *= 1 - t**2
    assert np.allclose(mc.compile(J)(x=v), np.diag(want), rtol=1e-10, atol=0)


def test_chain_hvp_and_sympy_at_depth_300() -> None:
    # the second derivative of an L-deep chain is a sum of L products of L factors: its
    # size, and so its cost, is quadratic in L (1000 levels take about 20 s)
    f = mc.sum(chain(300))
    v = mc.vector("v", n)
    H = mc.compile(mc.hvp(f, x, v))
    gc = mc.compile(mc.grad(f, x))
    at, dv, eps = np.array([0.3, -0.2]), np.array([1.0, 0.5]), 1e-5
    fd = (gc(x=at + eps * dv) - gc(x=at - eps * dv)) / (2 * eps)
    assert np.allclose(H(x=at, v=dv), fd, rtol=1e-6, atol=1e-12)
    # SymPy's own printers and evalf recurse, so the 300 nested tanh are read by a loop
    exact = mc.to_sympy(chain(300), {n: 2})
    assert exact.shape == (2, 1)
    inner = []
    for i in range(2):
        e, levels = exact[i, 0], 0
        while isinstance(e, sympy.tanh):
            e, levels = e.args[0], levels + 1
        assert levels == 300 and isinstance(e, sympy.Symbol)
        inner.append(e)
    assert inner[0] != inner[1]  # entry i of tanh³⁰⁰(x) depends on xᵢ


def test_deep_chain_reference_interpreter(deep_f: mc.Expr) -> None:
    from matcalc.check.numeric import evaluate
    v = evaluate(deep_f, {"x": np.array([0.5, 1.0])})
    want = np.array([0.5, 1.0])
    for _ in range(10_000):
        want = np.tanh(want)
    assert np.isclose(v[0, 0], want.sum())


def test_generated_code_stays_valid_python_at_depth_201() -> None:
    f = mc.compile(mc.sum(chain(201)))
    compile(f.source, "<test>", "exec")
    want = np.array([1.0, 2.0])
    for _ in range(201):
        want = np.tanh(want)
    assert np.isclose(f(x=np.array([1.0, 2.0])), want.sum())


def test_emitter_bounds_nesting_and_operands() -> None:
    f = mc.compile(mc.sum(chain(1_000)))
    depth_per_line = [line.count("(") for line in f.source.splitlines()]
    assert max(depth_per_line) <= 2 * emit.MAX_NESTING + 10


# ----------------------------------------------------------------------------------------
# Long sums
# ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_sum() -> tuple[mc.Expr, list[mc.Symbol]]:
    xs = [mc.scalar(f"a{i}") for i in range(100)]
    return add(*(xs[i % 100] * (i % 7 + 1) for i in range(100_000))), xs


def test_long_sum_prints_and_differentiates(long_sum) -> None:
    s, xs = long_sum
    assert str(s).count(" + ") == 99_999
    # a0 appears at i = 0, 100, 200, ...: coefficients (i % 7 + 1) summed
    want = sum(i % 7 + 1 for i in range(0, 100_000, 100))
    assert mc.grad(s, xs[0]) == mc.simplify(mc.parse(str(want)))


def _text_sum(n: int) -> tuple[str, list[tuple[int, int, int]]]:
    """``x + 1*a0 - 2*a1 + 3*a2 ...``: a vector and n - 1 scalar terms (broadcast), as text
    and as (sign, coefficient, symbol index) triples."""
    parts, terms = ["x"], []
    for i in range(1, n):
        sign, c, k = (-1 if i % 3 == 0 else 1), i % 7 + 1, i % 100
        parts.append(f" {'-' if sign < 0 else '+'} {c}*a{k}")
        terms.append((sign, c, k))
    return "".join(parts), terms


@pytest.mark.parametrize("n", [99, 101, 10_000])
def test_text_sums_of_any_length_parse(n: int) -> None:
    from matcalc.check.numeric import evaluate
    text, terms = _text_sum(n)
    e = mc.parse(text, x=n_x)
    assert isinstance(e, mc.Expr) and len(e.terms) == n  # one flat Add, built once
    a = [mc.scalar(f"a{k}") for k in range(100)]
    if n < 1000:  # the Python loop of + is quadratic: compared structurally when short
        python = x_t
        for sign, c, k in terms:
            python = python + c * a[k] if sign > 0 else python - c * a[k]
        assert e == python
    rng = np.random.default_rng(n)
    vals = {f"a{k}": rng.standard_normal() for k in range(100)} | {"x": rng.standard_normal(3)}
    want = vals["x"] + sum(sign * c * vals[f"a{k}"] for sign, c, k in terms)
    assert np.allclose(evaluate(e, vals).ravel(), want)


def test_add_terms_is_the_left_fold_of_plus_and_minus() -> None:
    from matcalc.expr.build import add_terms
    a, b, X = mc.scalar("a"), mc.scalar("b"), mc.matrix("X", n, 3)
    v, r = mc.vector("v", n), mc.matrix("r", 1, 3)
    for terms, negate in [((a, b, x), ()), ((x, a, b), (False, True, False)),
                          ((a, v, r, X, 2), (False, False, True, True, False)),
                          ((X + X, X, a - b), (False, True, True))]:
        want = terms[0]
        for k, t in enumerate(terms[1:], 1):
            want = want - t if k < len(negate) and negate[k] else want + t
        assert add_terms(terms, negate) == want
    with pytest.raises(mc.ShapeError, match="cannot subtract"):
        add_terms([x, a, mc.matrix("Y", 2, 2)], [False, False, True])


@pytest.mark.parametrize("opening, closing", [("(", ")"), ("exp(", ")"), ("-", ""),
                                              ("a^", ""), ("a + b*(", ")"),
                                              ("kron(A, ", ")"), ("sum(", ", 0)")])
def test_text_nested_to_the_limit_parses_and_past_it_is_a_parse_error(
        opening: str, closing: str) -> None:
    from matcalc.text.parser import MAX_DEPTH
    core = "a" if opening in ("a^", "a + b*(") else "A"
    e = mc.parse(opening * MAX_DEPTH + core + closing * MAX_DEPTH)
    assert isinstance(e, mc.Expr)
    text = opening * (MAX_DEPTH + 1) + core + closing * (MAX_DEPTH + 1)
    with pytest.raises(mc.ParseError, match="nested too deeply") as info:
        mc.parse(text)
    # the token that opens level 101 is marked: its "(", sign or "^"
    opener = next((opening.index(c) for c in "(^" if c in opening), 0)
    assert info.value.position == len(opening) * MAX_DEPTH + opener
    assert f"column {info.value.position + 1}" in str(info.value)


def test_parse_with_little_stack_left_is_a_parse_error_not_recursion_error() -> None:
    import traceback
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(traceback.extract_stack()) + 150)
    try:
        with pytest.raises(mc.ParseError, match="nested too deeply"):
            mc.parse("exp(" * 90 + "x" + ")" * 90)
    finally:
        sys.setrecursionlimit(limit)


# ----------------------------------------------------------------------------------------
# The RNN, unrolled
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lets", [False, True])
def test_rnn_41_steps(lets: bool) -> None:
    f = rnn(41, lets)
    G = mc.grad(f, W)
    rng = np.random.default_rng(1)
    vals = {"W": 0.5 * rng.standard_normal((3, 3)), "h": rng.standard_normal(3),
            "x": rng.standard_normal(3)}
    fd_check(f, W, G, vals)


# ----------------------------------------------------------------------------------------
# Past the documented limit: a clear error, not RecursionError
# ----------------------------------------------------------------------------------------


def test_past_max_depth_is_a_clear_error() -> None:
    e = mc.sum(chain(deep.MAX_DEPTH))
    for call in (lambda: mc.grad(e, x), lambda: str(e), lambda: mc.latex(e),
                 lambda: mc.compile(e), lambda: mc.simplify(e)):
        with pytest.raises(mc.DepthError, match=f"{deep.MAX_DEPTH}"):
            call()
    assert issubclass(mc.DepthError, ValueError)


def test_recursion_limit_is_restored_and_shallow_calls_stay_on_this_thread() -> None:
    import threading
    limit = sys.getrecursionlimit()
    seen = []

    @deep.deep
    def where(e: mc.Expr) -> str:
        seen.append(threading.current_thread().name)
        return "ok"

    where(chain(3))
    where(chain(deep.SHALLOW + 1))
    assert seen[0] == threading.current_thread().name
    assert seen[1].startswith("matcalc-deep")
    assert sys.getrecursionlimit() == limit


def test_errors_in_the_worker_reach_the_caller() -> None:
    e = chain(500)
    with pytest.raises(mc.ShapeError, match="scalar"):
        mc.grad(e, x)
