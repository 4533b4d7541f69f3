"""The text front end: grammar, shape inference, gradients of pasted text, errors, fuzzing."""

from __future__ import annotations

import types

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matcalc as mc

parse = mc.parse  # bind the function before importing its module by name (mc's lazy exports)

from matcalc.check.numeric import evaluate  # noqa: E402
from matcalc.expr import build, nodes  # noqa: E402
from matcalc.expr.traverse import walk  # noqa: E402
from matcalc.text.parser import FUNCTIONS, unparse  # noqa: E402
from matcalc.text.shapes import ELEMENTWISE  # noqa: E402

m, n = mc.dims("m n")
x, w, v = mc.vector("x", n), mc.vector("w", n), mc.vector("v", n)
y = mc.vector("y", m)
A, X = mc.matrix("A", n, n), mc.matrix("X", m, n)
a, b = mc.scalar("a"), mc.scalar("b")
SHAPES = dict(x=n, w=(n,), v=("n",), y=m, A=(n, n), X=("m", "n"), a=(), b=(1, 1))

# ----------------------------------------------------------------------------------------
# What text means: the same expression as the Python API builds
# ----------------------------------------------------------------------------------------

SAME_AS_PYTHON = [
    ("x'*A*x", x.T @ A @ x),
    ("x' * A * x", x.T @ A @ x),
    ("A*x + x", A @ x + x),
    ("2*x", 2 * x),
    ("x*2", 2 * x),
    ("x/2", x / 2),
    ("-x", -x),
    ("+x", x),
    ("a*x", a * x),
    ("x*a", a * x),
    ("x.*v", x * v),
    ("x./v", x / v),
    ("x.^2", x**2),
    ("a^2", a**2),
    ("-a^2", -(a**2)),
    ("a - -b", a - (-b)),
    ("a^b^2", mc.exp(b**2 * mc.log(a))),
    ("norm2(X*w-y)^2", mc.norm(X @ w - y) ** 2),
    ("norm1(x)", mc.sum(mc.abs(x))),
    ("sum(log(1+exp(-y.*(X*w))))", mc.sum(mc.log(1 + mc.exp(-y * (X @ w))))),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))",
     mc.sum(mc.log(mc.exp(-y * (X @ w)) + mc.ones(m)))),
    ("tr(A)", mc.trace(A)),
    ("det(A)", mc.det(A)),
    ("logdet(A)", mc.logdet(A)),
    ("inv(A)", mc.inv(A)),
    ("A^-1", mc.inv(A)),
    ("A^2", mc.matrix_power(A, 2)),  # the matrix power, printed A²
    ("A^-2", mc.matrix_power(A, -2)),
    ("A^0*x", mc.eye(n) @ x),
    ("diag(A)", mc.diag(A)),
    ("diag(x)", mc.Diag(x)),
    ("Diag(x)", mc.Diag(x)),
    ("vec(X)", mc.vec(X)),
    ("kron(A, X)", mc.kron(A, X)),
    ("eye*x", mc.eye(n) @ x),
    ("x'*vector(1)", x.T @ mc.ones(n)),
    ("vector(1)'*x", mc.ones(1, n) @ x),
    ("vector(0) + x", mc.zeros(n) + x),
    ("x'*matrix(2)*x", x.T @ (mc.ones(n, n) * 2) @ x),
    ("matrix(2)*x", (mc.ones(mc.dim("n_1"), n) * 2) @ x),  # its rows are free: a fresh dim
    ("X + y", X + y),
    ("X - a", X - a),
    ("(x+w)'", (x + w).T),
    ("x''", x.T.T),
    ("a^b", mc.exp(b * mc.log(a))),
    ("x.^a", mc.exp(a * mc.log(x))),
    ("1.5e-1*x", sympy.Rational(3, 20) * x),
    ("2.*x", 2 * x),
    (".5*x", x / 2),
    ("2.5.^2*a", sympy.Rational(25, 4) * a),
    ("0^0*a", 1 * a),
    ("(1+2)*3^2/4 - 1", build.as_expr(sympy.Rational(23, 4))),
    ("2^0.5*x", sympy.sqrt(2) * x),
] + [(f"{fn}(x)", fun(x)) for fn, fun in ELEMENTWISE.items()]


@pytest.mark.parametrize("text, expected", SAME_AS_PYTHON, ids=[t for t, _ in SAME_AS_PYTHON])
def test_text_builds_what_the_python_api_builds(text: str, expected: mc.Expr) -> None:
    assert parse(text, **SHAPES) == expected


def test_the_function_table_is_the_documented_list() -> None:
    # issue 5's list, plus step (relu's derivative), which hand-derived claims need, and
    # issue 10's reductions along an axis, issue 11's spectral functions
    documented = ("sin cos tan arcsin arccos arctan exp log tanh abs sign relu sigmoid softplus "
                  "sqrt sum norm1 norm2 tr det logdet inv diag Diag vec kron step mean softmax "
                  "log_softmax logsumexp expm logm sqrtm eigvalsh").split()
    assert sorted(FUNCTIONS) == sorted(documented)


# ----------------------------------------------------------------------------------------
# Shapes: defaults, keyword arguments, inference
# ----------------------------------------------------------------------------------------


def _shapes(e: mc.Expr) -> dict[str, tuple[str, str]]:
    return {s.name: (str(s.shape[0]), str(s.shape[1])) for s in e.free_symbols}


def test_default_shapes_follow_matrixcalculus_org() -> None:
    e = parse("a*h'*z + tr(A*Z)*g")
    assert _shapes(e) == {"a": ("1", "1"), "g": ("1", "1"), "h": ("n_h", "1"),
                          "z": ("n_h", "1"), "A": ("m_A", "n_A"), "Z": ("n_A", "m_A")}


def test_inference_makes_the_quadratic_form_square() -> None:
    assert _shapes(parse("x'*A*x")) == {"x": ("n_x", "1"), "A": ("n_x", "n_x")}
    assert _shapes(parse("norm2(X*w-y)^2")) == {"X": ("m_X", "n_X"), "w": ("n_X", "1"),
                                                "y": ("m_X", "1")}


def test_each_name_is_one_symbol_object() -> None:
    e = parse("x'*A*x + sum(exp(A*x)) - x'*x")
    xs = [s for s in walk(e) if isinstance(s, nodes.Symbol) and s.name == "x"]
    assert xs and all(s is xs[0] for s in xs)


def test_keyword_shapes_accept_dims_ints_names_and_symbols() -> None:
    k = mc.dim("k")
    assert _shapes(parse("x'*A*x", A=(3, 3))) == {"x": ("3", "1"), "A": ("3", "3")}
    assert _shapes(parse("X*w", X=("m", "n"))) == {"X": ("m", "n"), "w": ("n", "1")}
    assert _shapes(parse("X*w", w=mc.vector("w", k))) == {"X": ("m_X", "k"), "w": ("k", "1")}
    assert _shapes(parse("x*y", y=())) == {"x": ("n_x", "1"), "y": ("1", "1")}
    assert _shapes(parse("h*H", h=(1, k), H=k)) == {"h": ("1", "k"), "H": ("k", "1")}
    assert _shapes(parse("x", q=(2, 2))) == {"x": ("n_x", "1")}  # unused shapes are ignored


@pytest.mark.parametrize("shape, error", [
    ((0,), ValueError), (("not a name",), ValueError), ((1, 2, 3), TypeError),
    ((1.5,), TypeError), (None, TypeError), ((True,), TypeError),
])
def test_bad_keyword_shapes_are_rejected(shape: object, error: type) -> None:
    with pytest.raises(error):
        parse("x", x=shape)


def test_fresh_dims_never_take_a_name_already_in_use() -> None:
    # a vector called n_x, and a user dim called n_y: fresh names step around both
    e = parse("x + n_x + y'*z*a", z=("n_y",))
    names = {str(d) for s in e.free_symbols for d in s.shape}
    assert "n_x" not in names and _shapes(e)["x"] == ("n_x_2", "1")
    dims = {d for s in e.free_symbols for d in s.shape}
    assert len({str(d) for d in dims}) == len(dims)  # one name, one dim


def test_products_of_dims_unify_factor_by_factor() -> None:
    assert _shapes(parse("vec(X)'*vec(Y)"))["Y"] == ("m_X", "n_X")
    e = parse("vec(X)'*kron(A,B)*vec(X)")
    assert e.shape == (1, 1)
    assert _shapes(e)["A"] == ("m_X", "m_X") and _shapes(e)["B"] == ("n_X", "n_X")


def test_constants_take_the_dims_of_the_symbols_they_meet() -> None:
    assert _shapes(parse("eye*x")) == {"x": ("n_x", "1")}
    assert parse("x'*vector(1)").free_symbols == parse("x'*x").free_symbols


SHAPE_ERRORS = [
    ("x*y", {}, ["cannot multiply x (n_x×1) * y (n_y×1)", "1 ≠ n_y", "names h–z"]),
    ("x'*A*x", {"A": ("m", "n")}, ["cannot multiply x'*A (1×n) * x (m×1)", "n ≠ m"]),
    ("x + X*w", {"x": (5,), "X": (3, 4)}, ["cannot add x (5×1) + X*w (3×1)", "5 ≠ 3"]),
    ("X/Y", {}, ["cannot divide X (m_X×n_X) / Y (m_Y×n_Y)", "write ./"]),
    ("x^2", {}, ["x (n_x×1) ^ 2", "write .^"]),
    ("A^0.5", {}, ["integer constant exponent"]),
    ("A^x", {}, ["exponent x (n_x×1) of ^ is not a scalar"]),
    ("A^100", {}, ["too large"]),
    ("Diag(A)", {}, ["Diag needs a column vector, not A (m_A×n_A)", "names A–Z"]),
    ("tr(x)", {}, ["tr needs a square matrix, not x (n_x×1)"]),
    ("logdet(X)", {"X": ("m", "n")}, ["logdet needs a square matrix, not X (m×n)", "m ≠ n"]),
    ("x'*A*x", {"A": (2, 3)}, ["cannot multiply x'*A (1×3) * x (2×1)", "3 ≠ 2"]),
    ("B*x*kron(B, matrix(1))", {}, ["kron(B, matrix(1)) (m_B·n_1×m_1·n_B)", "m_B ≠ 1"]),
]


@pytest.mark.parametrize("text, shapes, parts", SHAPE_ERRORS, ids=[t for t, *_ in SHAPE_ERRORS])
def test_shape_errors_name_the_operands(text: str, shapes: dict, parts: list[str]) -> None:
    with pytest.raises(mc.ShapeError) as info:
        parse(text, **shapes)
    for part in parts:
        assert part in str(info.value)


# ----------------------------------------------------------------------------------------
# Malformed text: a ParseError at the right column, saying what was expected
# ----------------------------------------------------------------------------------------

PARSE_ERRORS = [
    ("", 0, "empty expression"),
    ("   ", 3, "empty expression"),
    ("x'*A*", 5, "expected a number, a name or '(', found the end of the text"),
    ("(x+y", 4, "expected ')' to close the '(' at column 1"),
    ("x+y)", 3, "unmatched ')'"),
    ("2x", 1, "expected an operator or the end of the text, found 'x'"),
    ("x y", 2, "expected an operator"),
    ("x\ny", 2, "expected an operator"),
    ("*x", 0, "expected a number, a name or '('"),
    ("x**2", 2, "expected a number, a name or '(', found '*'"),
    ("x'+", 3, "found the end of the text"),
    ("foo(x)", 0, "unknown function 'foo'"),
    ("__import__(x)", 0, "unknown function '__import__'"),
    ("def", 0, "'def' is a Python keyword"),
    ("None + x", 0, "Python keyword"),
    ("x @ y", 2, "unexpected character '@'"),
    ("x; y", 0, "only the last statement is an expression"),
    ("exp('x')", 4, "expected a number, a name or '(', found \"'\""),
    ("x ᵀ", 2, "use ' for the transpose"),
    ("é", 0, "unexpected character 'é'"),
    ("a..b", 1, "unexpected character '.'"),
    ("1.2.3", 3, "expected an operator"),
    ("exp x", 4, "expected '(' after the function 'exp'"),
    ("exp(x", 5, "expected ')' to close exp("),
    ("kron(A)", 6, "expected ',' and a second argument of kron"),
    ("kron(A,B,C)", 8, "kron takes 2 arguments"),
    ("tr(x,y)", 4, "tr takes 1 argument"), ("sum(x,y)", 6, "axis of sum must be 0"),
    ("eye(3)", 3, "'eye' takes no arguments"),
    ("vector(x)", 7, "expected a number in vector(...)"),
    ("matrix", 6, "expected '(' after 'matrix'"),
    ("vector(1", 8, "expected ')' to close vector("),
    ("1/0", 2, "division by zero"),
    ("x/(1-1)", 2, "division by zero"),
    ("x./0", 3, "division by zero"),
    ("0^-1", 2, "division by zero"),
    ("0^(1-2)", 2, "division by zero"),
    ("(-1)^0.5", 5, "not a real number"),
    ("2^2^2^2^2^2", 4, "constant too large"),
    ("1e999", 0, "out of range"),
    ("1" * 5000, 0, "out of range"),
    ("x + 0." + "1" * 500, 4, "out of range"),
    ("_x + 1", 0, "cannot tell whether '_x' is a scalar, vector or matrix"),
    # more than 100 levels of nesting: the token that opens level 101 is marked
    ("(" * 101 + "x" + ")" * 101, 100, "nested too deeply"),
    ("-" * 101 + "x", 100, "nested too deeply"),
    ("exp(" * 101 + "x" + ")" * 101, 403, "nested too deeply"),
    ("x^" * 101 + "x", 201, "nested too deeply"),
    ("a*(" * 101 + "a" + ")" * 101, 302, "nested too deeply"),
]


@pytest.mark.parametrize("text, position, part", PARSE_ERRORS,
                         ids=[repr(t[:20]) for t, *_ in PARSE_ERRORS])
def test_parse_errors_mark_the_position(text: str, position: int, part: str) -> None:
    with pytest.raises(mc.ParseError) as info:
        parse(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.text == text and err.position == position
    assert part in str(err)
    assert f"column {position + 1}" in str(err).split("\n")[0]
    if text and "\n" not in text:
        message, shown, caret = str(err).split("\n")
        assert shown == "  " + text and caret == "  " + " " * position + "^"


def test_text_is_never_evaluated_as_python() -> None:
    import inspect
    import sys

    from matcalc import cli
    from matcalc.text import construct as parse_construct
    from matcalc.text import shapes as parse_shapes

    for module in (sys.modules["matcalc.text.parser"], parse_shapes, parse_construct, cli):
        source = inspect.getsource(module)
        for call in ("eval(", "exec(", "compile(", "__import__(", "importlib"):
            assert call not in source, (module.__name__, call)
    # the one getattr in the CLI takes fixed API names, never text from the input
    assert "getattr(matcalc, name)" in inspect.getsource(cli._api)
    assert all(f'_api("{n}")' in inspect.getsource(cli) or f"_api('{n}')"
               in inspect.getsource(cli) for n in ("latex", "derive", "compile", "verify"))


def test_parse_needs_a_string() -> None:
    with pytest.raises(TypeError):
        parse(b"x'*x")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------
# Gradients of pasted text, checked with NumPy: value, central differences, mc.grad
# ----------------------------------------------------------------------------------------


def sig(t: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-t))


def inv(M: np.ndarray) -> np.ndarray:
    return np.linalg.inv(M)


def _vec(M: np.ndarray) -> np.ndarray:
    return M.flatten(order="F")


def _kron_quad_grad(V: types.SimpleNamespace) -> np.ndarray:
    K = np.kron(V.A, V.B)
    return ((K + K.T) @ _vec(V.X)).reshape(V.X.shape, order="F")


# text, variable, f(values), ∂f/∂variable(values), signed values
GRADIENTS = [
    ("x'*A*x", "x", lambda V: V.x @ V.A @ V.x, lambda V: (V.A + V.A.T) @ V.x),
    ("x'*A*x", "A", lambda V: V.x @ V.A @ V.x, lambda V: np.outer(V.x, V.x)),
    ("0.5*x'*A*x", "x", lambda V: 0.5 * V.x @ V.A @ V.x, lambda V: 0.5 * (V.A + V.A.T) @ V.x),
    ("a*x'*x", "x", lambda V: V.a * V.x @ V.x, lambda V: 2 * V.a * V.x),
    ("a*x'*x", "a", lambda V: V.a * V.x @ V.x, lambda V: V.x @ V.x),
    ("x'*y", "x", lambda V: V.x @ V.y, lambda V: V.y),
    ("norm2(X*w-y)^2", "w", lambda V: np.sum((V.X @ V.w - V.y) ** 2),
     lambda V: 2 * V.X.T @ (V.X @ V.w - V.y)),
    ("norm2(X*w-y)^2", "X", lambda V: np.sum((V.X @ V.w - V.y) ** 2),
     lambda V: 2 * np.outer(V.X @ V.w - V.y, V.w)),
    ("norm2(x)", "x", lambda V: np.linalg.norm(V.x), lambda V: V.x / np.linalg.norm(V.x)),
    ("norm1(x)", "x", lambda V: np.abs(V.x).sum(), lambda V: np.sign(V.x), True),
    ("norm1(A*x-y)", "x", lambda V: np.abs(V.A @ V.x - V.y).sum(),
     lambda V: V.A.T @ np.sign(V.A @ V.x - V.y), True),
    ("sum(log(1+exp(-y.*(X*w))))", "w", lambda V: np.sum(np.log1p(np.exp(-V.y * (V.X @ V.w)))),
     lambda V: -V.X.T @ (V.y * sig(-V.y * (V.X @ V.w))), True),
    ("sum(log(exp(-y.*(X*w)) + vector(1)))", "w",
     lambda V: np.sum(np.log1p(np.exp(-V.y * (V.X @ V.w)))),
     lambda V: -V.X.T @ (V.y * sig(-V.y * (V.X @ V.w))), True),
    ("sum(log(sigmoid(y.*(X*w))))", "w", lambda V: np.sum(np.log(sig(V.y * (V.X @ V.w)))),
     lambda V: V.X.T @ (V.y * (1 - sig(V.y * (V.X @ V.w)))), True),
    ("tr(A*X'*B*X*C)", "X", lambda V: np.trace(V.A @ V.X.T @ V.B @ V.X @ V.C),
     lambda V: V.B @ V.X @ V.C @ V.A + V.B.T @ V.X @ V.A.T @ V.C.T),
    ("log(det(inv(X)))", "X", lambda V: -np.log(np.linalg.det(V.X)), lambda V: -inv(V.X).T),
    ("logdet(X)", "X", lambda V: np.log(np.linalg.det(V.X)), lambda V: inv(V.X).T),
    ("det(X)", "X", lambda V: np.linalg.det(V.X),
     lambda V: np.linalg.det(V.X) * inv(V.X).T),
    ("tr(X)", "X", lambda V: np.trace(V.X), lambda V: np.eye(len(V.X))),
    ("tr(X'*X)", "X", lambda V: np.sum(V.X**2), lambda V: 2 * V.X),
    ("tr(inv(X))", "X", lambda V: np.trace(inv(V.X)), lambda V: -(inv(V.X) @ inv(V.X)).T),
    ("tr(A^2)", "A", lambda V: np.trace(V.A @ V.A), lambda V: 2 * V.A.T),
    ("sum(exp(x))", "x", lambda V: np.exp(V.x).sum(), lambda V: np.exp(V.x)),
    ("sum(sin(x))", "x", lambda V: np.sin(V.x).sum(), lambda V: np.cos(V.x)),
    ("sum(cos(x))", "x", lambda V: np.cos(V.x).sum(), lambda V: -np.sin(V.x)),
    ("sum(tan(x))", "x", lambda V: np.tan(V.x).sum(), lambda V: 1 + np.tan(V.x) ** 2),
    ("sum(tanh(x))", "x", lambda V: np.tanh(V.x).sum(), lambda V: 1 - np.tanh(V.x) ** 2),
    ("sum(sigmoid(x))", "x", lambda V: sig(V.x).sum(), lambda V: sig(V.x) * (1 - sig(V.x))),
    ("sum(softplus(x))", "x", lambda V: np.logaddexp(0, V.x).sum(), lambda V: sig(V.x)),
    ("sum(sqrt(x))", "x", lambda V: np.sqrt(V.x).sum(), lambda V: 0.5 / np.sqrt(V.x)),
    ("sum(log(x))", "x", lambda V: np.log(V.x).sum(), lambda V: 1 / V.x),
    ("sum(arctan(x))", "x", lambda V: np.arctan(V.x).sum(), lambda V: 1 / (1 + V.x**2)),
    ("sum(arcsin(x))", "x", lambda V: np.arcsin(V.x).sum(), lambda V: 1 / np.sqrt(1 - V.x**2)),
    ("sum(arccos(x))", "x", lambda V: np.arccos(V.x).sum(),
     lambda V: -1 / np.sqrt(1 - V.x**2)),
    ("sum(relu(A*x))", "x", lambda V: np.maximum(V.A @ V.x, 0).sum(),
     lambda V: V.A.T @ (V.A @ V.x > 0), True),
    ("sum(abs(x).*y)", "x", lambda V: np.abs(V.x) @ V.y, lambda V: np.sign(V.x) * V.y, True),
    ("sign(a)*x'*x", "x", lambda V: np.sign(V.a) * V.x @ V.x,
     lambda V: 2 * np.sign(V.a) * V.x, True),
    ("sum(x.^3)", "x", lambda V: np.sum(V.x**3), lambda V: 3 * V.x**2),
    ("sum(x./y)", "x", lambda V: np.sum(V.x / V.y), lambda V: 1 / V.y),
    ("sum(x./y)", "y", lambda V: np.sum(V.x / V.y), lambda V: -V.x / V.y**2),
    ("(y.*v)'*x", "x", lambda V: (V.y * V.v) @ V.x, lambda V: V.y * V.v),
    ("a^2*b", "a", lambda V: V.a**2 * V.b, lambda V: 2 * V.a * V.b),
    ("a^b", "b", lambda V: V.a**V.b, lambda V: V.a**V.b * np.log(V.a)),
    ("a^b", "a", lambda V: V.a**V.b, lambda V: V.b * V.a ** (V.b - 1)),
    ("a/(1+b^2)", "b", lambda V: V.a / (1 + V.b**2), lambda V: -2 * V.a * V.b / (1 + V.b**2) ** 2),
    ("x'*inv(A)*x", "x", lambda V: V.x @ inv(V.A) @ V.x, lambda V: (inv(V.A) + inv(V.A).T) @ V.x),
    ("x'*A^-1*x", "A", lambda V: V.x @ inv(V.A) @ V.x,
     lambda V: -inv(V.A).T @ np.outer(V.x, V.x) @ inv(V.A).T),
    ("norm2(A*x-b*y)^2", "b", lambda V: np.sum((V.A @ V.x - V.b * V.y) ** 2),
     lambda V: -2 * V.y @ (V.A @ V.x - V.b * V.y)),
    ("exp(a*x'*y)", "a", lambda V: np.exp(V.a * V.x @ V.y),
     lambda V: np.exp(V.a * V.x @ V.y) * (V.x @ V.y)),
    ("sum(diag(X))", "X", lambda V: np.trace(V.X), lambda V: np.eye(len(V.X))),
    ("x'*diag(y)*x", "x", lambda V: V.y @ V.x**2, lambda V: 2 * V.y * V.x),
    ("diag(A)'*x", "A", lambda V: np.diag(V.A) @ V.x, lambda V: np.diag(V.x)),
    ("vec(X)'*vec(X)", "X", lambda V: np.sum(V.X**2), lambda V: 2 * V.X),
    ("vec(X)'*kron(A,B)*vec(X)", "X", lambda V: _vec(V.X) @ np.kron(V.A, V.B) @ _vec(V.X),
     _kron_quad_grad),
    ("sum(Diag(x)*y)", "x", lambda V: V.x @ V.y, lambda V: V.y),
    ("x'*x/a", "a", lambda V: V.x @ V.x / V.a, lambda V: -(V.x @ V.x) / V.a**2),
    ("-x'*x + 2*a", "x", lambda V: -V.x @ V.x + 2 * V.a, lambda V: -2 * V.x),
    ("sum(X.^2)", "X", lambda V: np.sum(V.X**2), lambda V: 2 * V.X),
    ("norm2(X)^2", "X", lambda V: np.sum(V.X**2), lambda V: 2 * V.X),
    ("sum(eye*x)", "x", lambda V: V.x.sum(), lambda V: np.ones_like(V.x)),
    ("x'*A*y + a*norm2(x)^2", "x", lambda V: V.x @ V.A @ V.y + V.a * V.x @ V.x,
     lambda V: V.A @ V.y + 2 * V.a * V.x),
    ("sum(exp(X*w))", "w", lambda V: np.exp(V.X @ V.w).sum(), lambda V: V.X.T @ np.exp(V.X @ V.w)),
    ("log(sum(exp(x)))", "x", lambda V: np.log(np.exp(V.x).sum()),
     lambda V: np.exp(V.x) / np.exp(V.x).sum()),
    ("x'*A'*A*x", "x", lambda V: np.sum((V.A @ V.x) ** 2), lambda V: 2 * V.A.T @ V.A @ V.x),
]


def _point(expr: mc.Expr, rng: np.random.Generator,
           signed: bool) -> tuple[dict[str, object], dict[str, int]]:
    """Random values for the symbols (square matrices well inside the invertible ones), and
    the dims' values."""
    sizes: dict[str, int] = {}
    for name in sorted({str(a) for s in expr.free_symbols for d in s.shape for a in d.symbols}):
        sizes[name] = (3, 4, 2, 5)[len(sizes) % 4]
    out: dict[str, object] = {}
    for s in sorted(expr.free_symbols, key=lambda s: s.name):
        r, c = (int(d.expr.subs({a: sizes[str(a)] for a in d.symbols})) for d in s.shape)
        value = rng.uniform(0.3, 0.9, (r, c))
        if signed:
            value *= rng.choice([-1.0, 1.0], (r, c))
        if s.shape[0] == s.shape[1] and r > 1:
            value = rng.uniform(-0.4, 0.4, (r, r)) + r * np.eye(r)
        out[s.name] = float(value[0, 0]) if r == c == 1 else value[:, 0] if c == 1 else value
    return out, sizes


def _central_differences(f, V: types.SimpleNamespace, name: str, h: float = 1e-6):  # noqa: ANN001, ANN202
    x0 = np.array(getattr(V, name), dtype=float)
    grad = np.zeros_like(x0)
    for i in np.ndindex(*x0.shape):
        for sign in (1, -1):
            xi = x0.copy()
            xi[i] += sign * h
            grad[i] += sign * f(types.SimpleNamespace(**{**vars(V), name: xi[()]})) / (2 * h)
    return grad


@pytest.mark.parametrize("case", GRADIENTS, ids=[f"{c[0]} d{c[1]}" for c in GRADIENTS])
def test_gradients_of_matrixcalculus_inputs(case: tuple) -> None:
    text, name, f_np, g_np, *signed = case
    f = parse(text)
    (var,) = [s for s in f.free_symbols if s.name == name]
    values, dims = _point(f, np.random.default_rng(len(text)), bool(signed))
    V = types.SimpleNamespace(**values)
    expected = np.asarray(g_np(V), dtype=float)
    # the table itself: its gradient is the derivative of its function
    np.testing.assert_allclose(_central_differences(f_np, V, name), expected,
                               rtol=1e-5, atol=1e-6)
    # the parsed text means the function
    np.testing.assert_allclose(evaluate(f, values)[0, 0], f_np(V), rtol=1e-10)
    # and matcalc's gradient is the table's
    got = evaluate(mc.grad(f, var), values, dims)
    np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-8, atol=1e-10)


def test_the_gradient_table_is_large_enough() -> None:
    assert len(GRADIENTS) >= 40 and len({c[0] for c in GRADIENTS}) >= 40


# ----------------------------------------------------------------------------------------
# Round trips: text → expression → text → the same expression
# ----------------------------------------------------------------------------------------

ROUND_TRIPS = [t for t, _ in SAME_AS_PYTHON] + [c[0] for c in GRADIENTS] + [
    "x - a", "a - x", "a + b + x", "x + a + b", "X + x'", "-(x'*y)", "(x'*y)*z", "-x.^2",
    "x - 2*y", "-2*x + y", "inv(A)'*x", "kron(A,B)*vec(X)", "x.^(1/2)", "matrix(3)*x",
    # found by fuzzing: a folded radical, an outer broadcast, a constant made 1×1 by use
    "-2^(1/2)'*x", "vector(1)-x'", "x'*(eye.^(1/2))*x",
]


def _same_symbols(e: mc.Expr) -> dict[str, object]:
    return {s.name: s.shape for s in e.free_symbols}


@pytest.mark.parametrize("text", ROUND_TRIPS)
def test_parse_unparse_parse_is_the_same_expression(text: str) -> None:
    e = parse(text)
    assert parse(unparse(e), **_same_symbols(e)) == e


@pytest.mark.parametrize("case", GRADIENTS[::3], ids=[f"{c[0]} d{c[1]}" for c in GRADIENTS[::3]])
def test_gradients_print_as_text_that_reads_back_to_the_same_values(case: tuple) -> None:
    text, name, *_ = case
    f = parse(text)
    (var,) = [s for s in f.free_symbols if s.name == name]
    g = mc.grad(f, var)
    if not g.free_symbols:
        pytest.skip("a constant gradient (I, 1) reads back with its dims free")
    again = parse(unparse(g), **_same_symbols(f))
    values, dims = _point(f, np.random.default_rng(7), False)
    np.testing.assert_allclose(evaluate(again, values, dims), evaluate(g, values, dims),
                               rtol=1e-12)


@pytest.mark.parametrize("text", [
    "x + y", "a + b", "tr(A)", "det(A)", "logdet(A)", "exp(x)", "sum(x)", "vec(X)",
    "diag(A)", "Diag(x)", "relu(x) - x", "sigmoid(x) + tanh(x)",
])
def test_where_the_printer_writes_parse_syntax_str_reads_back(text: str) -> None:
    e = parse(text)
    assert parse(str(e), **_same_symbols(e)) == e


@pytest.mark.parametrize("text, printed, plain", [
    ("x.^2", "x∘²", "x.^2"), ("x./y", "x ⊘ y", "x.*y.^(-1)"), ("x + 1", "x + 𝟏", "x + vector(1)"),
])
def test_where_the_printer_writes_math_unparse_writes_the_syntax(text: str, printed: str,
                                                                  plain: str) -> None:
    """The Hadamard power and quotient print as ∘ and ⊘ (one notation with ⊙), the ones
    vector as 𝟏; ``unparse`` (the CLI's --plain) gives text that parse() reads back."""
    e = parse(text)
    assert str(e) == printed and unparse(e) == plain
    assert parse(unparse(e), **_same_symbols(e)) == e


def test_unparse_refuses_what_text_cannot_say() -> None:
    sigma = mc.elementwise("sigma")
    for e in [x / n, sigma(x), nodes.Commutation(m, n)]:
        with pytest.raises(ValueError, match="no way to write"):
            unparse(e)


# ----------------------------------------------------------------------------------------
# Fuzzing: any text gives an expression, a ParseError or a ShapeError, nothing else
# ----------------------------------------------------------------------------------------

TOKENS = sorted(FUNCTIONS) + [
    "x", "y", "A", "X", "a", "b", "eye", "vector(1)", "matrix(1)", "vector", "0", "1", "2.5",
    "1e3", ".5", "+", "-", "*", "/", "^", ".*", "./", ".^", "'", "(", ")", ",", " ", "_z",
    "lambda", "1e999", "é", "@",
]


def _parse_or_clean_error(text: str) -> mc.Expr | None:
    try:
        return parse(text)
    except (mc.ParseError, mc.ShapeError):
        return None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from("xyAXab12.+-*/^'(), e\té_"), max_size=30) | st.text())
def test_random_strings_raise_only_parse_or_shape_errors(text: str) -> None:
    _parse_or_clean_error(text)


def _same_meaning(e: mc.Expr, again: mc.Expr) -> bool:
    """Equal, or equal in value at a random point (text cannot spell every tree build()
    makes: ``a ./ x`` broadcasts ``a`` as ``1 a`` where ``a .* x`` scales)."""
    if again == e:
        return True
    values, sizes = _point(e, np.random.default_rng(0), True)
    if any(str(s) not in sizes for t in [*walk(e), *walk(again)]
           for d in t.shape for s in d.symbols):
        # an eye, vector(1) or matrix(1) whose size no symbol fixes: text cannot tie two of
        # them to one size, so only the reading back itself is checked
        return True
    results = []
    for expr in (again, e):
        try:
            with np.errstate(all="ignore"):
                results.append(evaluate(expr, values, sizes))
        except np.linalg.LinAlgError:  # inv(matrix(1)): singular in both, or a difference
            results.append(None)
    got, expected = results
    if got is None or expected is None:
        return got is expected
    return got.shape == expected.shape and bool(np.allclose(got, expected, equal_nan=True))


def test_same_meaning_tells_different_values_apart() -> None:
    assert _same_meaning(parse("a./x"), parse("a*x.^(-1)"))
    assert not _same_meaning(parse("x"), parse("2*x"))
    assert _same_meaning(parse("eye*x"), parse("x'*x + eye*x - x'*x*vector(1)"))
    assert not _same_meaning(parse("eye*x"), parse("x + x'*x*vector(1)"))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=14))
def test_token_soups_raise_only_parse_or_shape_errors_and_round_trip(tokens: list[str]) -> None:
    e = _parse_or_clean_error("".join(tokens))
    if e is not None:
        assert _same_meaning(e, parse(unparse(e), **_same_symbols(e)))


_ATOMS = st.sampled_from(["x", "y", "A", "B", "X", "a", "b", "2", "0.5", "1e-2", "eye",
                          "vector(1)", "matrix(1)", "vector(2)"])
_SENTENCES = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", ".*", "./"]), inner).map(
            lambda t: f"{t[0]}{t[1]}{t[2]}"),
        st.tuples(inner, st.sampled_from(["^", ".^"]),
                  st.sampled_from(["2", "-1", "(1/2)", "a", "0", "3"])).map("".join),
        inner.map(lambda s: f"({s})"), inner.map(lambda s: f"{s}'"),
        inner.map(lambda s: f"-{s}"),
        st.tuples(st.sampled_from(sorted(set(FUNCTIONS) - {"kron"})), inner).map(
            lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"kron({t[0]}, {t[1]})"),
    ),
    max_leaves=8,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SENTENCES)
def test_grammatical_text_parses_or_is_a_shape_error_and_round_trips(text: str) -> None:
    e = _parse_or_clean_error(text)
    if e is not None:
        assert _same_meaning(e, parse(unparse(e), **_same_symbols(e)))


# ----------------------------------------------------------------------------------------
# Definitions: NAME = EXPR; ... EXPR names intermediates as mc.let does
# ----------------------------------------------------------------------------------------


def test_definitions_become_lets() -> None:
    f = parse("z = X*w + b; norm2(relu(z) - y)^2")
    X, w, b, y = (next(s for s in f.free_symbols if s.name == n) for n in "Xwby")
    z = mc.let("z", X @ w + b)
    assert f == mc.norm(mc.relu(z) - y) ** 2
    assert "z" in str(mc.grad(f, w))  # the name reaches the gradient, as mc.let's does


def test_definitions_share_shapes_and_chain() -> None:
    f = parse("z = A*x; u = tanh(z) - y; u'*u", A=(3, 4))
    names = {s.name: s.shape for s in f.free_symbols}
    assert [str(d) for d in names["x"] + names["y"]] == ["4", "1", "3", "1"]
    assert str(f) == "uᵀ u"


@pytest.mark.parametrize("text, position, part", [
    ("x = y", 5, "the definition of x needs a final expression"),
    ("z = x;", 6, "the definition of z needs a final expression"),
    ("z = x; z = y; z", 7, "z is defined twice (first at column 1)"),
    ("u = z + x; z = x; u", 4, "z is used before its definition"),
    ("z = z + x; z", 4, "z is used before its definition"),
    ("exp = x; exp", 0, "'exp' cannot be defined"),
    ("x = ; x", 4, "expected an expression after 'x ='"),
    ("x + y = 2; x", 6, "'=' defines a name"),
])
def test_definition_errors_mark_the_position(text: str, position: int, part: str) -> None:
    with pytest.raises(mc.ParseError) as info:
        parse(text)
    assert info.value.position == position and part in str(info.value), str(info.value)


# ---- the text forgives what people type (issue 13) ---------------------------------------


def test_trace_and_norm_are_aliases_of_tr_and_norm2() -> None:
    assert mc.parse("trace(A)") == mc.parse("tr(A)")
    # norm is mc.norm, as norm2: the 2-norm of a vector, the Frobenius norm of a matrix
    assert mc.parse("norm(x)") == mc.parse("norm2(x)") == mc.norm(mc.vector("x", mc.dim("n_x")))
    assert mc.parse("norm(X)") == mc.parse("norm2(X)")
    # as plain names they are still symbols
    assert str(mc.parse("trace + norm", trace=(), norm=())) == "trace + norm"


def test_lambda_is_read_as_lam_and_prints_as_lambda() -> None:
    e = mc.parse("lambda*x'*x", **{"lambda": ()})
    assert e == mc.parse("lam*x'*x", lam=())
    assert r"\lambda" in mc.latex(e)


@pytest.mark.parametrize("text, suggestion", [
    ("expp(x)", "did you mean 'exp'"), ("sigmod(x)", "did you mean 'sigmoid'"),
    ("tarce(A)", "did you mean 'trace'"), ("logdett(A)", "did you mean 'logdet'"),
])
def test_an_unknown_function_gets_did_you_mean(text: str, suggestion: str) -> None:
    with pytest.raises(mc.ParseError, match=suggestion):
        mc.parse(text)


def test_no_suggestion_for_a_name_like_no_function() -> None:
    with pytest.raises(mc.ParseError) as info:
        mc.parse("foo(x)")
    assert "did you mean" not in str(info.value)
