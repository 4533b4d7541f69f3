"""The bad-input corpus (issue 6): inputs matcalc must refuse cleanly, as data.

Each :class:`Bad` entry is one call that must raise exactly its ``error`` type (or a
subclass) with ``fragment`` in the message; :class:`Same` entries are inputs that must be
*accepted* and give what NumPy gives (NaN and inf propagate, ints and bools are numbers).
``tests/test_bad_inputs.py`` runs them all and fails on any other exception type.

Calls are thunks, built lazily, so the module imports without the compiler or the parser;
``needs`` names what an entry requires (``"compile"``, ``"parse"``), and ``bug`` marks a
known bug (the test is then a strict xfail with that reason).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import matcalc as mc
from matcalc import ShapeError
from matcalc.check.numeric import evaluate
from matcalc.expr.nodes import Delta, Unvec


@dataclass(frozen=True)
class Bad:
    """A call that must raise ``error`` with ``fragment`` in its message."""

    id: str
    call: Callable[[], Any]
    error: type[BaseException]
    fragment: str
    needs: str | None = None
    bug: str | None = None


@dataclass(frozen=True)
class Same:
    """A call that must return what the plain NumPy ``expected`` returns (NaN == NaN)."""

    id: str
    call: Callable[[], Any]
    expected: Callable[[], Any]
    needs: str | None = None
    bug: str | None = None


m, n = mc.dims("m n")
X, Y, Z = mc.matrix("X", m, n), mc.matrix("Y", n, m), mc.matrix("Z", m, n)
A, B = mc.matrix("A", n, n), mc.matrix("B", m, m)
w, v, y = mc.vector("w", n), mc.vector("v", n), mc.vector("y", m)
r, s = mc.matrix("r", 1, n), mc.scalar("s")
X23, W3, Y2 = np.arange(6.0).reshape(2, 3) / 6, np.array([1.0, -2.0, 0.5]), np.array([1.0, 2.0])


def _compile() -> Callable[..., Any]:
    from matcalc.codegen.compiler import compile as c

    return c


def _parse(text: str, **shapes: Any) -> Any:
    from matcalc.text.parser import parse

    return parse(text, **shapes)


@functools.cache
def loss() -> Callable[..., Any]:
    """sum(exp(X w)) + yᵀ X w, compiled once."""
    return _compile()(mc.sum(mc.exp(X @ w)) + y.T @ X @ w)


@functools.cache
def loss_grad() -> Callable[..., Any]:
    return _compile()(mc.grad(mc.sum(mc.exp(X @ w)), w))


def _np_loss(x: np.ndarray, w_: np.ndarray, y_: np.ndarray) -> float:
    return float(np.sum(np.exp(x @ w_)) + y_ @ x @ w_)


def _with(**changes: Any) -> dict[str, Any]:
    return {"X": X23, "w": W3, "y": Y2, **changes}


def _nan_at(a: np.ndarray, value: float) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.flat[0] = value
    return a


CORPUS: list[Bad | Same] = []
add = CORPUS.append

# ----------------------------------------------------------------------------------------
# Every operator with mismatched shapes: ShapeError naming operator, operands and shapes
# ----------------------------------------------------------------------------------------
for id_, call, frag in [
    ("matmul", lambda: X @ X, "cannot multiply X (m×n) @ X (m×n): inner dimensions n ≠ m"),
    ("matmul vector", lambda: w @ w, "inner dimensions 1 ≠ n"),
    ("add", lambda: X + Y, "cannot add X (m×n) + Y (n×m)"),
    ("add row vs matrix", lambda: X + mc.matrix("q", 1, m), "do not broadcast"),
    ("add column vs matrix", lambda: X + w, "do not broadcast"),
    ("sub", lambda: X - Y, "cannot subtract"),
    ("hadamard *", lambda: X * Y, "cannot multiply elementwise"),
    ("divide /", lambda: X / Y, "cannot divide elementwise"),
    ("mc.hadamard", lambda: mc.hadamard(X, Y), "cannot take the Hadamard product"),
    ("mc.hadamard three", lambda: mc.hadamard(X, Z, Y), "shapes differ"),
    ("frob", lambda: mc.frob(X, Y), "cannot take the Frobenius product"),
    ("Diag of matrix", lambda: mc.Diag(X), "Diag needs a column vector"),
    ("Diag of row", lambda: mc.Diag(r), "Diag needs a column vector"),
    ("diag non-square", lambda: mc.diag(X), "diag needs a square matrix"),
    ("trace non-square", lambda: mc.trace(X), "tr needs a square matrix: X (m×n): m ≠ n"),
    ("tr of vector", lambda: mc.tr(w), "tr needs a square matrix"),
    ("inv non-square", lambda: mc.inv(X), "inv needs a square matrix"),
    ("inv of vector", lambda: mc.inv(w), "inv needs a square matrix"),
    ("det non-square", lambda: mc.det(X), "det needs a square matrix"),
    ("logdet non-square", lambda: mc.logdet(X), "logdet needs a square matrix"),
    ("expm non-square", lambda: mc.expm(X), "expm needs a square matrix: X (m×n): m ≠ n"),
    ("eigvalsh of vector", lambda: mc.eigvalsh(w), "eigvalsh needs a square matrix: w (n×1)"),
    ("unvec wrong size", lambda: Unvec(w, m, n), "cannot reshape to m×n"),
    ("grad of non-scalar", lambda: mc.grad(X @ w, w), "use mc.jacobian"),
    ("derive of non-scalar", lambda: mc.derive(X @ w, w), "needs a scalar"),
    ("hessian of non-scalar", lambda: mc.hessian(X @ w, w), "needs a scalar"),
    ("jvp direction shape", lambda: mc.jvp(X @ w, w, X), "must be shaped like w"),
    ("vjp cotangent shape", lambda: mc.vjp(X @ w, w, w), "must be shaped like F"),
    ("hvp direction shape", lambda: mc.hvp(mc.sum(X @ w), w, y), "must be shaped like w"),
]:
    add(Bad(f"shape: {id_}", call, ShapeError, frag))

# ----------------------------------------------------------------------------------------
# Wrong argument types to constructors and calculus
# ----------------------------------------------------------------------------------------
for id_, call, err, frag in [
    ("@ with a number", lambda: X @ 2, TypeError, "@ needs matcalc expressions"),
    ("number @", lambda: 2 @ X, TypeError, "@ needs matcalc expressions"),
    ("power by a matrix", lambda: X ** Y, TypeError, "exponent must be a number"),
    ("divide by zero", lambda: X / 0, ZeroDivisionError, "by zero"),
    ("divide by 0.0", lambda: X / 0.0, ZeroDivisionError, "by zero"),
    ("add a string", lambda: X + "a", TypeError, "cannot use 'a' (str)"),
    ("add None", lambda: X + None, TypeError, "cannot use None"),
    ("add an ndarray", lambda: X + np.ones((2, 3)), TypeError, "(ndarray)"),
    ("add a bool", lambda: X + True, TypeError, "(bool)"),
    ("add nan", lambda: X + float("nan"), ValueError, "is not finite"),
    ("scale by inf", lambda: X * float("inf"), ValueError, "is not finite"),
    ("scale by -inf", lambda: float("-inf") * X, ValueError, "is not finite"),
    ("kron with a string", lambda: mc.kron(X, "a"), TypeError,
     "mc.kron: argument 'b' must be a matcalc expression or a number, got 'a' (str)"),
    ("hadamard of one", lambda: mc.hadamard(X), TypeError, "at least two operands"),
    ("truth value", lambda: bool(X), TypeError, "truth value"),
    ("if expr", lambda: 1 if X == X and X else 0, TypeError, "ambiguous"),
    ("iterate", lambda: list(X), TypeError, "not iterable"),
    ("ones(0)", lambda: mc.ones(0), ValueError, "positive integer, got 0"),
    ("matrix rows -1", lambda: mc.matrix("Q", -1, 2), ValueError, "positive integer, got -1"),
    ("matrix rows 2.5", lambda: mc.matrix("Q", 2.5, 2), TypeError,
     "mc.matrix: argument 'rows' must be a dimension"),
    ("matrix rows None", lambda: mc.matrix("Q", None, 2), TypeError,
     "mc.matrix: argument 'rows' must be a dimension"),
    ("commutation(0, 2)", lambda: mc.commutation(0, 2), ValueError, "positive integer"),
    ("dims empty", lambda: mc.dims(""), ValueError, "at least one name"),
    ("elementwise shadows exp", lambda: mc.elementwise("exp"), ValueError, "built-in"),
    ("grad wrt expression", lambda: mc.grad(mc.sum(X @ w), X @ w), TypeError,
     "mc.grad: argument 'x' must be a matcalc symbol"),
    ("grad wrt string", lambda: mc.grad(mc.sum(X @ w), "w"), TypeError,
     "mc.grad: argument 'x' must be a matcalc symbol"),
    ("jacobian wrt expression", lambda: mc.jacobian(X @ w, X @ w), TypeError,
     "mc.jacobian: argument 'x' must be a matcalc symbol"),
    # issue 13: these gave an AttributeError, "unhashable type: 'list'" or another message
    ("dims of a list", lambda: mc.dims(["m", "n"]), TypeError,
     "mc.dims: argument 'names' must be a str"),
    ("jacobian wrt a tuple", lambda: mc.jacobian(X @ w, (w,)), TypeError,
     "mc.jacobian: argument 'x' must be one matcalc symbol"),
    ("jacobian wrt a list", lambda: mc.jacobian(X @ w, [w]), TypeError,
     "mc.jacobian: argument 'x' must be one matcalc symbol"),
    ("jvp wrt a list", lambda: mc.jvp(X @ w, [w], w), TypeError,
     "mc.jvp: argument 'x' must be one matcalc symbol"),
    ("check_grad wrt a string", lambda: mc.check_grad(mc.sum(w), "w", {n: 2}), TypeError,
     "mc.check_grad: argument 'x' must be a matcalc symbol"),
    ("to_sympy of None", lambda: mc.to_sympy(None), TypeError,
     "mc.to_sympy: argument 'e' must be a matcalc expression"),
    ("simplify a string", lambda: mc.simplify("x"), TypeError,
     "mc.simplify: argument 'e' must be a matcalc expression"),
]:
    add(Bad(f"type: {id_}", call, err, frag))

for id_, call in [("grad of a string", lambda: mc.grad("x", w)),
                  ("derive of None", lambda: mc.derive(None, w)),
                  ("jacobian of a list", lambda: mc.jacobian([X], w))]:
    add(Bad(f"type: {id_}", call, TypeError, "must be a matcalc expression"))
# A number or a dim is a constant expression wherever an expression is expected (as in
# X + 3): its derivatives are zero and it compiles (issue 13).
for id_, call, want in [
    ("grad of a float", lambda: mc.compile(mc.grad(1.5, w), args=[w])(w=W3), lambda: 0 * W3),
    ("grad of a dim", lambda: mc.compile(mc.grad(n, w), args=[w])(w=W3), lambda: 0 * W3),
    ("jvp of a number", lambda: mc.compile(mc.jvp(2.0, w, w))(), lambda: 0.0),
    ("compile a number", lambda: mc.compile(3)(), lambda: 3.0),
    ("compile a dim", lambda: mc.compile(n, args=[w])(w=W3), lambda: 3.0),
    ("latex of a number", lambda: float(mc.latex(3)), lambda: 3.0),
]:
    add(Same(f"type: {id_}", call, want, needs="compile"))

# ----------------------------------------------------------------------------------------
# Names: keywords, non-identifiers, injection attempts, unicode lookalikes
# ----------------------------------------------------------------------------------------
_NAMES = ["lambda", "None", "class", "import", "1x", "x y", "", "x-1", "a.b", "x\n", "x\x00",
          "x; import os", "__import__('os')", "os.system('ls')", "exec('1')", "x)#", "'x'"]
_NON_ASCII = ["х", "ｘ", "𝑥", "λ", "x\u200b"]  # Cyrillic, fullwidth, math italic, Greek, ZWSP
for name in _NAMES:
    add(Bad(f"name: matrix {name!r}", lambda name=name: mc.matrix(name, 2, 2), ValueError,
            "invalid symbol name"))
for name in _NON_ASCII:
    add(Bad(f"name: vector {name!r}", lambda name=name: mc.vector(name, 2), ValueError,
            "invalid symbol name"))
for name in [123, None, b"x"]:
    add(Bad(f"name: scalar {name!r}", lambda name=name: mc.scalar(name), TypeError,
            "mc.scalar: argument 'name' must be a str"))
for id_, call, what in [
    ("dim keyword", lambda: mc.dim("for"), "dimension"),
    ("dims with minus", lambda: mc.dims("m n-1"), "dimension"),
    ("dim injection", lambda: mc.dim("__import__('os')"), "dimension"),
    ("let keyword", lambda: mc.let("class", X), "symbol"),
    ("let injection", lambda: mc.let("z; import os", X), "symbol"),
    ("elementwise injection", lambda: mc.elementwise("x; import os"), "function"),
    ("elementwise lookalike", lambda: mc.elementwise("ехр"), "function"),  # Cyrillic е, х, р
]:
    add(Bad(f"name: {id_}", call, ValueError, f"invalid {what} name"))

# ----------------------------------------------------------------------------------------
# Compiled functions: wrong, missing and extra arguments; wrong ranks and dtypes
# ----------------------------------------------------------------------------------------
_C = "compile"
for id_, kw, err, frag in [
    ("missing argument", {"X": X23, "w": W3}, TypeError, "missing 1 required"),
    ("extra argument", _with(z=1.0), TypeError, "unexpected keyword argument 'z'"),
    ("misspelt argument", {"X": X23, "W": W3, "y": Y2}, TypeError, "unexpected keyword"),
    ("3-D matrix", _with(X=X23[..., None]), ShapeError, "must be a 2-D array"),
    ("0-D matrix", _with(X=1.0), ShapeError, "must be a 2-D array, got shape ()"),
    ("1-D matrix", _with(X=W3), ShapeError, "X"),
    ("vector as matrix columns", _with(w=np.ones((3, 2))), ShapeError, "must be a vector"),
    ("row for a column", _with(w=np.ones((1, 3))), ShapeError, "must be a vector"),
    ("3-D vector", _with(w=np.ones((3, 1, 1))), ShapeError, "w"),
    ("inconsistent dim n", _with(w=np.ones(4)), ShapeError, "n = 3 from X"),
    ("inconsistent dim m", _with(y=np.ones(3)), ShapeError, "y"),
    ("string array", _with(X=np.array([["a"] * 3] * 2)), TypeError, "real numeric array"),
    ("string", _with(X="abc"), TypeError, "real numeric array"),
    ("None", _with(X=None), TypeError, "real numeric array"),
    ("complex", _with(X=X23 * 1j), TypeError, "complex128"),
    ("object array", _with(X=np.array([[1, 2, 3], [4, 5, object()]], dtype=object)), TypeError,
     "dtype object"),
    ("dict", _with(w={"a": 1}), TypeError, "real numeric array"),
]:
    add(Bad(f"compiled: {id_}", lambda kw=kw: loss()(**kw), err, frag, needs=_C))

for id_, call, err, frag in [
    ("compile a string", lambda: _compile()("x"), TypeError,
     "mc.compile: argument 'exprs' must be a matcalc expression"),
    ("compile a list with a string", lambda: _compile()([X @ w, "3"]), TypeError,
     "mc.compile: argument 'exprs[1]' must be a matcalc expression"),
    ("args missing a symbol", lambda: _compile()(X @ w, args=[X]), ValueError,
     "args is missing the free symbol(s) w"),
    ("args with a string", lambda: _compile()(X @ w, args=[X, "w"]), TypeError,
     "mc.compile: argument 'args[1]' must be a matcalc symbol"),
    ("generic without implementation", lambda: _compile()(mc.elementwise("sig")(w)), KeyError,
     "needs an implementation of 'sig'"),
    ("differential", lambda: _compile()(Delta(w)), ValueError, "differential dw"),
    ("two symbols one name", lambda: _compile()(X @ w + mc.sum(mc.vector("X", n))), ValueError,
     "two different symbols are named 'X'"),
    ("reserved name np", lambda: _compile()(mc.sum(mc.vector("np", n))), ValueError, "reserved"),
    ("reserved helper name", lambda: _compile()(mc.sum(mc.vector("_matrix", n))), ValueError,
     "reserved"),
    ("dim from no argument", lambda: _compile()(mc.trace(mc.ones(n, n)) + s), ValueError,
     "cannot infer dim(s) n"),
    ("singular inverse", lambda: _compile()(mc.inv(A))(A=np.zeros((3, 3))),
     np.linalg.LinAlgError, "Singular matrix"),
    ("non-square array for square symbol", lambda: _compile()(mc.trace(A))(A=np.ones((2, 3))),
     ShapeError, "A"),
]:
    add(Bad(f"compile: {id_}", call, err, frag, needs=_C))

# Names that mean something in the generated module must still be plain arguments.
for name in ["n", "m", "out", "t1", "compiled", "builtins", "numpy", "float", "sum", "print",
             "self", "functions", "exec"]:
    q = mc.vector(name, n)
    add(Same(f"compiled: symbol named {name!r}",
             lambda q=q: _compile()(mc.sum(q * q) + mc.sum(X @ q))(**{q.name: W3, "X": X23}),
             lambda: np.sum(W3 * W3) + np.sum(X23 @ W3), needs=_C))

# ----------------------------------------------------------------------------------------
# NaN and inf propagate as NumPy propagates them; ints and bools are numbers. (No entry
# meets inf with 0 or −inf: there the answer depends on the order of the products.)
# ----------------------------------------------------------------------------------------
for id_, kw in [
    ("nan in X", _with(X=_nan_at(X23, np.nan))),
    ("inf in X", _with(X=_nan_at(X23, np.inf))),
    ("-inf in X", _with(X=_nan_at(X23, -np.inf))),
    ("nan in w", _with(w=_nan_at(W3, np.nan))),
    ("nan in y", _with(y=_nan_at(Y2, np.nan))),
    ("int arrays", _with(X=np.arange(6).reshape(2, 3), w=np.array([1, 0, 2]))),
    ("bool array", _with(X=np.ones((2, 3), dtype=bool))),
    ("nested lists", _with(X=X23.tolist(), w=W3.tolist(), y=Y2.tolist())),
    ("column vectors", _with(w=W3[:, None], y=Y2[:, None])),
]:
    add(Same(f"compiled: {id_}", lambda kw=kw: loss()(**kw),
             lambda kw=kw: _np_loss(np.asarray(kw["X"], float),
                                    np.ravel(np.asarray(kw["w"], float)),
                                    np.ravel(np.asarray(kw["y"], float))), needs=_C))
add(Same("compiled: gradient with inf", lambda: loss_grad()(X=_nan_at(X23, np.inf), w=W3),
         lambda: _nan_at(X23, np.inf).T @ np.exp(_nan_at(X23, np.inf) @ W3), needs=_C))
for fn, ref in [("log", np.log), ("sqrt", np.sqrt), ("relu", lambda t: np.maximum(t, 0)),
                ("sigmoid", lambda t: 1 / (1 + np.exp(-t))), ("tanh", np.tanh),
                ("softplus", lambda t: np.logaddexp(0, t)), ("arcsin", np.arcsin),
                ("abs", np.abs)]:
    vals = np.array([np.nan, np.inf, -np.inf, -1.0, 0.0, 2.0])
    add(Same(f"compiled: {fn} of nan/inf/negative",
             lambda fn=fn, vals=vals: _compile()(getattr(mc, fn)(w))(w=vals),
             lambda ref=ref, vals=vals: ref(vals), needs=_C))
add(Same("compiled: logdet of a singular matrix", lambda: _compile()(mc.logdet(A))(A=np.zeros(
    (2, 2))), lambda: np.linalg.slogdet(np.zeros((2, 2)))[1], needs=_C))
add(Same("check: evaluate propagates nan", lambda: evaluate(
    mc.sum(X @ w), {"X": _nan_at(X23, np.nan), "w": W3}), lambda: np.array([[np.nan]])))

# ----------------------------------------------------------------------------------------
# Checks: dims and values given wrongly
# ----------------------------------------------------------------------------------------
for id_, call, err, frag in [
    ("to_sympy missing dim", lambda: mc.to_sympy(X, {m: 2}), ValueError,
     "no value given for dim(s) n"),
    ("to_sympy dim 0", lambda: mc.to_sympy(X, {m: 0, n: 1}), ValueError, "positive int, got 0"),
    ("to_sympy dim 1.5", lambda: mc.to_sympy(X, {m: 1.5, n: 1}), ValueError, "got 1.5"),
    ("to_sympy dim True", lambda: mc.to_sympy(X, {m: True, n: 1}), ValueError, "got True"),
    ("to_sympy dim key 3", lambda: mc.to_sympy(X, {3: 1}), TypeError,
     "mc.to_sympy: argument 'dims' must be a dict whose keys are dims"),
    ("to_sympy product key", lambda: mc.to_sympy(X, {m * n: 1}), ValueError, "single dims"),
    ("check_grad dim -1", lambda: mc.check_grad(mc.sum(w), w, {n: -1}), ValueError,
     "positive int"),
    ("evaluate missing value", lambda: evaluate(X @ w, {"X": X23}), KeyError,
     "no value given for w"),
    ("evaluate inconsistent", lambda: evaluate(X @ w, {"X": X23, "w": np.ones(4)}),
     ShapeError, "while n = 3 elsewhere"),
    ("evaluate 3-D", lambda: evaluate(X @ w, {"X": np.ones((2, 3, 1)), "w": W3}),
     ShapeError, "0-, 1- or 2-D"),
]:
    add(Bad(f"check: {id_}", call, err, frag))

# ----------------------------------------------------------------------------------------
# Malformed text for mc.parse: ParseError with the position marked, never evaluated
# ----------------------------------------------------------------------------------------
_P = "parse"
for text, frag in [
    ("", "empty expression"), ("   ", "empty expression"), ("x +", "found the end"),
    ("(x", "expected ')'"), ("x)", "unmatched ')'"), ("x ** y", "found '*'"),
    ("X''*", "found the end"), ("1..2", "found '.2'"), ("x $ y", "unexpected character '$'"),
    ("import os", "Python keyword"), ("__import__('os')", "unknown function '__import__'"),
    ("os.system('ls')", "unexpected character '.'"),
    ("x; y", "only the last statement is an expression"),
    ("exec('1')", "unknown function 'exec'"), ("def", "Python keyword"),
    ("exp()", "found ')'"), ("kron(x)", "second argument of kron"),
    ("tr(X, y)", "tr takes 1 argument"), ("sum(x, y)", "axis of sum must be 0"),
    ("foo(x)", "unknown function 'foo'"),
    ("(" * 200 + "x" + ")" * 200, "nested too deeply"), ("-" * 5000 + "x", "nested too deeply"),
    ("х+1", "unexpected character 'х'"), ("x\x00", "unexpected character"),
    ("x = 1", "the definition of x needs a final expression"), ("2e", "found 'e'"),
    ("1e999", "out of range"),
    ("1e-400", "out of range"), ("x^y^", "found the end"), (",", "found ','"),
    ("exp", "expected '(' after the function 'exp'"), ("exp x", "expected '('"),
    ("vector(x)", "expected a number in vector"), ("x(1)", "unknown function 'x'"),
    ("1/0", "division by zero"), ("x/0", "division by zero"), ("0^-1", "division by zero"),
    ("2^1000000", "constant too large"), ("[1,2]", "unexpected character '['"),
    ("x@y", "unexpected character '@'"), ("x'x", "found 'x'"), ("kron(x,)", "found ')'"),
    ("x#y", "unexpected character '#'"), ("x\\y", "unexpected character"),
]:
    add(Bad(f"parse: {text[:30]!r}", lambda text=text: _parse(text), mc.ParseError, frag,
            needs=_P))
for id_, call, err, frag in [
    ("transpose mismatch", lambda: _parse("x'*A*x'"), ShapeError, "inner dimensions"),
    ("tr of vector", lambda: _parse("tr(x)"), ShapeError, "tr needs a square matrix"),
    ("inv of vector", lambda: _parse("inv(x)"), ShapeError, "inv needs a square matrix"),
    ("det non-square", lambda: _parse("det(A)", A=(2, 3)), ShapeError, "square"),
    ("Diag of matrix", lambda: _parse("Diag(X)"), ShapeError, "Diag needs a column vector"),
    ("matrix power 0.5", lambda: _parse("X^0.5"), ShapeError, "integer constant exponent"),
    ("declared shapes clash", lambda: _parse("x'*A*x", A=(2, 3)), ShapeError, "3 ≠ 2"),
    ("shape 0", lambda: _parse("X", X=(0, 2)), ValueError, "dimensions are positive"),
    ("shape 3-D", lambda: _parse("X", X=(2, 2, 2)), TypeError, "expected (rows, cols)"),
    ("shape float", lambda: _parse("x", x=3.5), TypeError, "expected (rows, cols)"),
    ("shape dim keyword", lambda: _parse("X", X=("for", 2)), ValueError,
     "invalid dimension name"),
    ("text not a str", lambda: _parse(123), TypeError, "mc.parse: argument 'text' must be"),
    ("text bytes", lambda: _parse(b"x"), TypeError, "mc.parse: argument 'text' must be"),
]:
    add(Bad(f"parse: {id_}", call, err, frag, needs=_P))

# ----------------------------------------------------------------------------------------
# Every public callable × a wrong type for each argument (issue 13): a TypeError that
# names the function and the argument ("mc.grad: argument 'x' must be ..."), never an
# AttributeError, a NotImplementedError or a message about something else.
# ----------------------------------------------------------------------------------------
#: What goes wrong for each kind of argument: values of a type it never takes. Numbers
#: and dims are not wrong where an expression is expected (they are constants), and a
#: str is not wrong where a dim is (it names one).
WRONG: dict[str, list[Any]] = {
    "expr": [None, "x", [X], np.ones((2, 2)), object()],
    "exprs": [None, "x", [X, "x"], np.ones((2, 2)), object()],
    "claim": [None, [X], np.ones((2, 2)), object()],
    "symbol": ["w", None, X @ w, [w]],
    "symbols": ["w", None, X @ w, [w, "v"]],
    "name": [3, None, ["x"]],
    "names": [["m", "n"], None, 3],
    "dim": [None, 2.5, X, [2]],
    "dims": ["n", [2], 3],
    "text": [3, None, X, b"x"],
    "args": [X, "w", ["w"]],
    "functions": ["sigma", [1]],
    "seed": ["0", 1.5, None],
    "backend": [None, 3, ["numpy"]],
    "option": [None, 3, ["auto"]],
    "axis": ["0", [0], 0.5],
    "expr_only": [None, "x", [X], object()],
    "mapping": ["w", [("w", 1)], 3],
    "power": ["2", None, [2], X],
    "structure": [3, None, [3], X],
}
_sigma = mc.elementwise("sigma")
_f = mc.sum(X @ w)
#: Public callable → (valid arguments by name, the kind of each). Each call below passes
#: the valid arguments with exactly one replaced by a wrong value.
SIGNATURES: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "dim": ({"name": "m"}, {"name": "name"}),
    "dims": ({"names": "m n"}, {"names": "names"}),
    "matrix": ({"name": "Q", "rows": m, "cols": n}, {"name": "name", "rows": "dim", "cols": "dim"}),
    "vector": ({"name": "q", "n": n}, {"name": "name", "n": "dim"}),
    "scalar": ({"name": "c"}, {"name": "name"}),
    "ones": ({"rows": m, "cols": n}, {"rows": "dim", "cols": "dim"}),
    "zeros": ({"rows": m, "cols": n}, {"rows": "dim", "cols": "dim"}),
    "eye": ({"n": n}, {"n": "dim"}),
    **{fn: ({"name": "S", "n": n}, {"name": "name", "n": "dim"})
       for fn in ["symmetric", "spd", "diagonal"]},
    "matrix_power": ({"x": A, "k": 3}, {"x": "expr", "k": "power"}),
    **{fn: ({"S": mc.spd("P", n)}, {"S": "expr"}) for fn in ["expm", "logm", "sqrtm", "eigvalsh"]},
    "commutation": ({"m": m, "n": n}, {"m": "dim", "n": "dim"}),
    "let": ({"name": "z", "expr": X @ w}, {"name": "name", "expr": "expr"}),
    "elementwise": ({"name": "rho"}, {"name": "name"}),
    "kron": ({"a": X, "b": w}, {"a": "expr", "b": "expr"}),
    "frob": ({"a": X, "b": Z}, {"a": "expr", "b": "expr"}),
    "Diag": ({"v": w}, {"v": "expr"}),
    **{fn: ({"x": A}, {"x": "expr"}) for fn in [
        "vec", "diag", "trace", "tr", "inv", "det", "logdet", "norm", "relu", "step",
        "exp", "log", "tanh", "sigmoid", "softplus", "sin", "cos", "abs", "sqrt", "tan",
        "arcsin", "arccos", "arctan", "sign"]},
    "grad": ({"f": _f, "x": w, "convention": "space"},
             {"f": "expr", "x": "symbols", "convention": "option"}),
    "derive": ({"f": _f, "wrt": w, "names": "auto", "convention": "space"},
               {"f": "expr", "wrt": "symbols", "names": "option", "convention": "option"}),
    "jacobian": ({"F": X @ w, "x": w}, {"F": "expr", "x": "symbol"}),
    "hessian": ({"f": _f, "x": w}, {"f": "expr", "x": "symbol"}),
    "jvp": ({"F": X @ w, "x": w, "v": v}, {"F": "expr", "x": "symbol", "v": "expr"}),
    "vjp": ({"F": X @ w, "x": w, "u": y}, {"F": "expr", "x": "symbols", "u": "expr"}),
    "hvp": ({"f": _f, "x": w, "v": v}, {"f": "expr", "x": "symbol", "v": "expr"}),
    "simplify": ({"e": X @ w}, {"e": "expr"}),
    "latex": ({"e": X @ w}, {"e": "expr"}),
    "compile": ({"exprs": _f, "args": [X, w], "functions": None, "backend": "numpy"},
                {"exprs": "exprs", "args": "args", "functions": "functions",
                 "backend": "backend"}),
    "to_sympy": ({"e": X @ w, "dims": {m: 1, n: 2}}, {"e": "expr", "dims": "dims"}),
    "check_grad": ({"f": _f, "x": w, "dims": {m: 1, n: 2}},
                   {"f": "expr", "x": "symbols", "dims": "dims"}),
    "verify": ({"f": _f, "x": w, "claimed": X.T @ mc.ones(m), "dims": None, "seed": 0},
               {"f": "expr", "x": "symbols", "claimed": "claim", "dims": "dims", "seed": "seed"}),
    "parse": ({"text": "x'*x", "symmetric": (), "spd": (), "diagonal": ()},
              {"text": "text", "symmetric": "structure", "spd": "structure",
               "diagonal": "structure"}),
    "unparse": ({"e": X @ w}, {"e": "expr"}),
    "hadamard": ({"xs[0]": X, "xs[1]": Z}, {"xs[0]": "expr", "xs[1]": "expr"}),
    **{fn: ({"x": X, "axis": None}, {"x": "expr", "axis": "axis"})
       for fn in ["sum", "mean", "softmax", "log_softmax", "logsumexp"]},
    "sigma": ({"x": X}, {"x": "expr"}),  # a declared generic function: its call
    "minimize": ({"f": mc.sum(w * w), "x0": {"w": W3}, "data": None, "method": "L-BFGS-B"},
                 {"f": "expr_only", "x0": "mapping", "data": "mapping", "method": "option"}),
}
_NEEDS = {"compile": "compile", "parse": "parse", "unparse": "parse"}
_ALIASES = {"tr": "trace"}  # an alias reports under the name it is defined by


def _call(fn: str, kwargs: dict[str, Any]) -> Any:
    if fn == "hadamard":
        return mc.hadamard(*kwargs.values())
    if fn == "sigma":
        return _sigma(kwargs["x"])
    if fn == "parse":
        return _parse(kwargs.pop("text"), **kwargs)
    return getattr(mc, fn)(**kwargs)


def _label(value: Any) -> str:
    if isinstance(value, mc.Expr):
        return str(value)
    if value is None or isinstance(value, (str, int, float, list, bytes)):
        return repr(value)
    return type(value).__name__


for fn, (valid, kinds) in SIGNATURES.items():
    label = fn if fn == "sigma" else f"mc.{_ALIASES.get(fn, fn)}"
    for arg, kind in kinds.items():
        for bad in WRONG[kind]:
            call = functools.partial(_call, fn, {**valid, arg: bad})
            if kind == "axis":  # a value outside None, 0, 1 (whatever its type): ValueError
                add(Bad(f"signature: mc.{fn}({arg}={_label(bad)})", call, ValueError,
                        f"{label}: the argument 'axis' must be None, 0 or 1"))
                continue
            add(Bad(f"signature: mc.{fn}({arg}={_label(bad)})", call, TypeError,
                    f"{label}: argument {arg.split('[')[0]!r}"[:-1], needs=_NEEDS.get(fn)))
