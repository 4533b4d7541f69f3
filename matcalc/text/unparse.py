"""The inverse of :func:`matcalc.text.parser.parse`: expressions back to text it reads.

Split from the parser (which re-exports :func:`unparse`) so each module owns one direction.
"""

from __future__ import annotations

import sympy

from ..expr import build as mc
from ..expr import nodes
from ..expr.nodes import Expr
from ..expr.spectral import EigVals, MatrixFunction
from ..expr.traverse import walk
from .shapes import ELEMENTWISE

__all__ = ["unparse"]


# ----------------------------------------------------------------------------------------
# The inverse: expressions back to text that parse() reads
# ----------------------------------------------------------------------------------------

# Binding strength of each form, as in the grammar above (higher binds tighter).
_SUM, _PRODUCT, _UNARY, _POWER, _POSTFIX, _ATOM = range(1, 7)
_CALLS = {nodes.Trace: "tr", nodes.Det: "det", nodes.LogDet: "logdet", nodes.Inverse: "inv",
          nodes.Sum: "sum", nodes.Norm: "norm2", nodes.Vec: "vec", nodes.Diag: "Diag",
          nodes.DiagPart: "diag"}


def unparse(e: Expr) -> str:
    """Text in :func:`parse`'s syntax for ``e``, so results can be pasted back in.

    ``parse(unparse(e), **{s.name: s.shape for s in e.free_symbols})`` means the same as
    ``e`` (and is usually ``== e``; it is not when ``e`` was not built the way text builds
    it, e.g. a Frobenius product prints as ``sum(A.*B)``).

    Parameters
    ----------
    e : Expr
        The expression.

    Returns
    -------
    str
        MatrixCalculus.org-style text, e.g. ``"(A' + A)*x"``.

    Raises
    ------
    ValueError
        For what the text syntax cannot say: dims inside constants (``1/n``), generic
        elementwise functions and their derivatives, commutation matrices, reshapes.
    """
    return _unparse(mc.as_expr(e, "mc.unparse", "e"))[0]


def _wrap(e: Expr, level: int) -> str:
    text, prec = _unparse(e)
    return f"({text})" if prec < level else text


def _constant_text(c: sympy.Expr) -> tuple[str, int]:
    """A real number made of rationals by + * ^ (what folding constants in text yields)."""
    if c.free_symbols or not c.is_real:
        raise ValueError(f"the text syntax has no way to write the constant {c}")
    if c.is_Integer:
        return str(c), (_ATOM if c >= 0 else _UNARY)
    if c.is_Rational:
        return f"{c.p}/{c.q}", _PRODUCT
    parts = [_constant_text(arg) for arg in c.args]
    if c.is_Pow:
        (base, bp), (exp, ep) = parts
        return f"{base if bp == _ATOM else f'({base})'}^({exp})", _POWER
    if c.is_Mul:
        return "*".join(t if p > _PRODUCT else f"({t})" for t, p in parts), _PRODUCT
    if c.is_Add:
        return " + ".join(t if p > _SUM else f"({t})" for t, p in parts), _SUM
    raise ValueError(f"the text syntax has no way to write the constant {c}")


def _surely_scalar(e: Expr) -> bool:
    """1×1 in a way the parser sees when it picks an operator (``^`` or ``.^``): an eye's or
    ones vector's size is inferred only later, so those do not count."""
    return nodes.is_scalar_shape(e.shape) and not any(
        isinstance(t, (nodes.Identity, nodes.Ones, nodes.Zero)) for t in walk(e))


def _positive(t: Expr) -> Expr:
    """``x`` for a term ``-x`` (a negative multiple), else ``t`` itself."""
    if isinstance(t, nodes.Scale) and t.coef.could_extract_minus_sign():
        return t.x if t.coef == -1 else -t.coef * t.x
    return t


def _broadcast_of(t: Expr) -> Expr | None:
    """What ``t`` broadcasts, when it is one of build()'s broadcast forms (``b 1ᵀ``)."""
    match t:
        case nodes.Scale(coef=c, x=nodes.Ones()):
            return mc.as_expr(c)
        case nodes.ScalarMul(s=s, x=nodes.Ones()):
            return s
        case nodes.MatMul(factors=(nodes.Ones(cols=c), a)) if c == 1 and a.shape[0] == 1:
            return a  # a 1×1 or a row, stretched down the rows
        case nodes.MatMul(factors=(a, nodes.Ones(rows=r))) if r == 1 and a.shape[1] == 1:
            return a  # a 1×1 or a column, stretched across the columns
    return None


def _mean_of(c: sympy.Expr, x: Expr) -> str | None:
    """``mean(...)`` text for ``c x`` when it is what mc.mean builds: a sum (of all entries,
    or 1ᵀX / X1 along an axis) divided by its count. The count is a dim, which the text
    syntax cannot write as a constant, so the mean is the only way to say it."""
    match x:
        case nodes.Sum(x=y):
            axis, count = "", y.shape[0] * y.shape[1]
        case nodes.MatMul(factors=(nodes.Ones(rows=r), y)) if r == 1:
            axis, count = ", 0", y.shape[0]
        case nodes.MatMul(factors=(y, nodes.Ones(cols=c1))) if c1 == 1:
            axis, count = ", 1", y.shape[1]
        case _:
            return None
    if sympy.simplify(c * count.expr - 1) != 0:
        return None
    return f"mean({unparse(y)}{axis})"


def _unparse(e: Expr) -> tuple[str, int]:  # noqa: C901 - one case per node type
    match e:
        case nodes.Symbol(name=name):
            return name, _ATOM
        case nodes.Let(expr=inner):
            return _unparse(inner)  # a name would read back as a new symbol: expand it
        case nodes.Number(value=c):
            return _constant_text(c)
        case nodes.Identity(n=n) if n == 1:
            return "1", _ATOM  # I₁ is the number 1; eye would take its size from context
        case nodes.Identity():
            return "eye", _ATOM
        case nodes.Ones(rows=r, cols=c) | nodes.Zero(rows=r, cols=c):
            k = "1" if isinstance(e, nodes.Ones) else "0"
            if r == 1 and c == 1:  # a 1×1 constant is a number, not a vector of any size
                return k, _ATOM
            if c == 1 or r == 1:
                return f"vector({k})" + ("'" if c != 1 else ""), _POSTFIX
            return f"matrix({k})", _ATOM
        case nodes.Add(terms=terms):
            # parse() adds left to right, broadcasting as it goes, so once a term of full
            # shape is in (the first, or the second) a broadcast term prints as what was
            # broadcast: x + 1, not x + 1*vector(1)
            first = _broadcast_of(terms[0])
            if first is None or _broadcast_of(_positive(terms[1])) is not None:
                first = terms[0]
            out = _wrap(first, _SUM)
            for t in terms[1:]:
                sign, t = (" + ", t) if _positive(t) is t else (" - ", _positive(t))
                small = _broadcast_of(t)
                out += sign + (_wrap(t, _SUM + 1) if small is None else _wrap(small, _SUM + 1))
            return out, _SUM
        case nodes.Scale(coef=c, x=x) if (mean := _mean_of(c, x)) is not None:
            return mean, _ATOM
        case nodes.Scale(coef=c, x=x):
            if c == -1:
                return "-" + _wrap(x, _POWER), _UNARY
            cs, cprec = _constant_text(c)
            return f"{cs if cprec > _PRODUCT else f'({cs})'}*{_wrap(x, _PRODUCT + 1)}", _PRODUCT
        case nodes.ScalarMul(s=s, x=x):
            return f"{_wrap(s, _PRODUCT + 1)}*{_wrap(x, _PRODUCT + 1)}", _PRODUCT
        case nodes.MatMul(factors=fs):
            return "*".join(_wrap(f, _PRODUCT + 1) for f in fs), _PRODUCT
        case nodes.Hadamard(factors=fs):
            # of 1×1 factors * reads better, and parse() builds the same product from it
            op = "*" if _surely_scalar(e) else ".*"
            return op.join(_wrap(f, _PRODUCT + 1) for f in fs), _PRODUCT
        case nodes.Kron(a=a, b=b):
            return f"kron({unparse(a)}, {unparse(b)})", _ATOM
        case nodes.Frob(a=a, b=b):
            return f"sum({_wrap(a, _PRODUCT + 1)}.*{_wrap(b, _PRODUCT + 1)})", _ATOM
        case nodes.Transpose(x=x):
            return _wrap(x, _POSTFIX) + "'", _POSTFIX
        case nodes.Power(x=x, k=k):
            op = "^" if _surely_scalar(x) else ".^"
            ks, kprec = _constant_text(k)
            return f"{_wrap(x, _POSTFIX)}{op}{ks if kprec == _ATOM else f'({ks})'}", _POWER
        case nodes.MatrixPower(x=x, k=k) if k.is_Integer:
            return f"{_wrap(x, _POSTFIX)}^{k}", _POWER
        case nodes.Apply(fn=fn, x=x, order=0) if fn in ELEMENTWISE:
            return f"{fn}({unparse(x)})", _ATOM
    if isinstance(e, MatrixFunction):
        return f"{e.fn}m({unparse(e.x)})", _ATOM
    if isinstance(e, EigVals):
        return f"eigvalsh({unparse(e.x)})", _ATOM
    if isinstance(e, (nodes.Softmax, nodes.LogSumExp)):
        name = "softmax" if isinstance(e, nodes.Softmax) else "logsumexp"
        axis = "" if e.axis is None else f", {e.axis}"
        return f"{name}({unparse(e.x)}{axis})", _ATOM
    call = _CALLS.get(type(e))
    if call is not None:
        return f"{call}({unparse(nodes.children(e)[0])})", _ATOM
    raise ValueError(f"the text syntax has no way to write {e} ({type(e).__name__})")
