"""Readable one-line text for expressions, with one precedence table shared with LaTeX.

``to_str`` dispatches per node type; each printer returns ``(text, precedence)`` and uses
:func:`parenthesize` for its operands, the way SymPy's printers do.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import singledispatch

import sympy

from ..expr.nodes import (
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    LogSumExp,
    MatMul,
    MatrixPower,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Softmax,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
    is_scalar_shape,
)

__all__ = ["to_str", "PREC", "precedence", "coef_is_negative", "signed_terms", "join_terms",
           "hadamard_quotient", "power_of_log", "ONE_VECTOR"]

# One precedence table for every printer: higher binds tighter.
PREC = {
    "sum": 10,
    "frob": 20,
    "kron": 40,
    "hadamard": 42,
    "scale": 45,
    "product": 50,
    "postfix": 90,
    "atom": 100,
}


def coef_is_negative(c: sympy.Expr) -> bool:
    """True for a constant that prints with a leading minus sign."""
    if c.is_Rational:  # the common case, without SymPy's assumption system (slow per number)
        return bool(c.p < 0)
    return bool(c.could_extract_minus_sign())


def precedence(e: Expr) -> int:
    return _print(e)[1]


def to_str(e: Expr) -> str:
    """Readable one-line text for ``e``."""
    return _print(e)[0]


def _paren(e: Expr, level: int, strict: bool = False) -> str:
    text, p = _print(e)
    if p < level or (strict and p == level):
        return f"({text})"
    return text


def _coef(c: sympy.Expr) -> str:
    return str(c).replace("**", "^").replace("*", "·")


@singledispatch
def _print(e: Expr) -> tuple[str, int]:
    raise NotImplementedError(f"no text printer for {type(e).__name__}")


@_print.register
def _(e: Symbol) -> tuple[str, int]:
    # lam is how text and Python spell λ (lambda is a Python keyword); LaTeX writes \lambda
    return ("λ" if e.name == "lam" else e.name), PREC["atom"]


@_print.register
def _(e: Let) -> tuple[str, int]:
    return e.name, PREC["atom"]


@_print.register
def _(e: Delta) -> tuple[str, int]:
    return "d" + _print(e.of)[0], PREC["atom"]


@_print.register
def _(e: Number) -> tuple[str, int]:
    v = e.value
    if v.is_Integer and v >= 0 or v.is_Symbol:
        return str(v), PREC["atom"]
    if coef_is_negative(v):
        return _coef(v), PREC["sum"]
    return _coef(v), PREC["product"]


# The ones vector is a bold one, so that it never reads as the number 1 (∂f/∂b = 𝟏).
ONE_VECTOR = "𝟏"


@_print.register
def _(e: Ones) -> tuple[str, int]:
    """``𝟏`` (a column), ``𝟏ᵀ`` (a row), ``𝟏 𝟏ᵀ`` (a matrix: the outer product); ``1`` for 1×1."""
    if e.cols == 1 and e.rows == 1:
        return "1", PREC["atom"]
    if e.cols == 1:
        return ONE_VECTOR, PREC["atom"]
    if e.rows == 1:
        return ONE_VECTOR + "ᵀ", PREC["postfix"]
    return f"{ONE_VECTOR} {ONE_VECTOR}ᵀ", PREC["product"]


@_print.register
def _(e: Identity) -> tuple[str, int]:
    return "I", PREC["atom"]


@_print.register
def _(e: Zero) -> tuple[str, int]:
    return "0", PREC["atom"]


@_print.register
def _(e: Commutation) -> tuple[str, int]:
    return f"K({e.m},{e.n})", PREC["atom"]


@_print.register
def _(e: Add) -> tuple[str, int]:
    return join_terms(e, _paren), PREC["sum"]


def signed_terms(e: Add) -> list[tuple[str, Expr, bool]]:
    """The terms of a sum as (sign, term, strict): ``a - b`` rather than ``a + -b``.

    ``strict`` says the term follows a minus sign, so a term of equal precedence needs
    parentheses (``a - (b - c)``). Every printer of sums uses this one reading.
    """
    out: list[tuple[str, Expr, bool]] = []
    for i, t in enumerate(e.terms):
        neg = _negated(t) if i else None
        if neg is not None:
            out.append(("-", neg, True))
        else:
            out.append(("+" if i else "", t, False))
    return out


def join_terms(e: Add, paren: Callable[..., str]) -> str:
    """A sum on one line, each term printed by ``paren(term, PREC["sum"], strict=...)``."""
    return "".join(
        (f" {sign} " if sign else "") + paren(t, PREC["sum"], strict=strict)
        for sign, t, strict in signed_terms(e)
    )


def _negated(t: Expr) -> Expr | None:
    """``x`` when ``t`` is ``-x`` (a negative constant multiple), else None."""
    if isinstance(t, Scale) and coef_is_negative(t.coef):
        return t.x if t.coef == -1 else Scale(-t.coef, t.x)
    if isinstance(t, Number) and coef_is_negative(t.value):
        return Number(-t.value)
    return None


@_print.register
def _(e: Scale) -> tuple[str, int]:
    c = e.coef
    if c == -1:
        return "-" + _paren(e.x, PREC["product"]), PREC["sum"]
    # 2 (a x / b) reads as 2 a x / b: an integer multiple of a quotient needs no parentheses
    quotient = c.is_Integer and precedence(e.x) == PREC["scale"]
    inner = _paren(e.x, PREC["scale"] if quotient else PREC["product"])
    prec = PREC["sum"] if coef_is_negative(c) else PREC["scale"]
    cs = _coef(c)
    if c.is_Add:
        cs = f"({cs})"
    return f"{cs} {inner}", prec


@_print.register
def _(e: ScalarMul) -> tuple[str, int]:
    s = e.s
    if isinstance(s, Power) and coef_is_negative(s.k):
        denom = s.x if s.k == -1 else Power(s.x, -s.k)
        return f"{_paren(e.x, PREC['product'])} / {_paren(denom, PREC['postfix'])}", PREC["scale"]
    split = scalar_fraction(s)
    if split is not None:  # (a b⁻¹) X reads a X / b, as books write sum(y) p / sum(p)
        num, den = split
        return (f"{_paren(num, PREC['product'], strict=True)} {_paren(e.x, PREC['product'])} / "
                f"{_paren(den, PREC['postfix'])}"), PREC["scale"]
    if isinstance(e.x, Ones) and e.x.cols == 1:  # a column of s: written 𝟏 s, as in z = Xw + 𝟏b
        return f"{ONE_VECTOR} {_paren(s, PREC['product'])}", PREC["product"]
    # strict, as in LaTeX: a 1×1 product gets parentheses, (xᵀ A x) x, not xᵀ A x x
    return f"{_paren(s, PREC['product'], strict=True)} {_paren(e.x, PREC['product'])}", \
        PREC["product"]


def scalar_fraction(s: Expr) -> tuple[Expr, Expr] | None:
    """(numerator, denominator) of a product of scalars with reciprocal factors, or None."""
    if not (isinstance(s, Hadamard) and is_scalar_shape(s.shape)):
        return None
    num = [f for f in s.factors if not (isinstance(f, Power) and coef_is_negative(f.k))]
    den = [(f.x if f.k == -1 else Power(f.x, -f.k)) for f in s.factors
           if isinstance(f, Power) and coef_is_negative(f.k)]
    if not num or not den:
        return None
    return (num[0] if len(num) == 1 else Hadamard(tuple(num)),
            den[0] if len(den) == 1 else Hadamard(tuple(den)))


@_print.register
def _(e: MatMul) -> tuple[str, int]:
    return " ".join(_paren(f, PREC["product"]) for f in e.factors), PREC["product"]


@_print.register
def _(e: Hadamard) -> tuple[str, int]:
    if is_scalar_shape(e.shape):  # a product of scalars
        return " ".join(_paren(f, PREC["product"]) for f in e.factors), PREC["product"]
    num, den = hadamard_quotient(e)
    text = " ⊙ ".join(_paren(f, PREC["product"], strict=True) for f in num) if num else "1"
    if den:
        below = den[0] if len(den) == 1 else Hadamard(tuple(den))
        # a product below ⊘ is parenthesized too: a ⊘ (B C), lest it read as (a ⊘ B) C
        text += " ⊘ " + _paren(below, PREC["postfix"])
    return text, PREC["hadamard"]


def hadamard_quotient(e: Hadamard) -> tuple[list[Expr], list[Expr]]:
    """The factors of ``e`` above and below an elementwise division: ``a ⊙ b∘⁻¹`` is ``a ⊘ b``.

    A factor ``x∘(-k)`` goes below as ``x∘k``, so every printer writes a quotient as one,
    with ⊘ last (``a ⊙ b ⊘ c``, never ``a ⊘ c ⊙ b``).
    """
    num: list[Expr] = []
    den: list[Expr] = []
    for f in e.factors:
        if isinstance(f, Power) and coef_is_negative(f.k) and f.shape == e.shape:
            den.append(f.x if f.k == -1 else Power(f.x, -f.k))
        else:
            num.append(f)
    return num, den


@_print.register
def _(e: Kron) -> tuple[str, int]:
    return (f"{_paren(e.a, PREC['product'], strict=True)} ⊗ "
            f"{_paren(e.b, PREC['product'], strict=True)}"), PREC["kron"]


@_print.register
def _(e: Frob) -> tuple[str, int]:
    return f"{_paren(e.a, PREC['scale'])} : {_paren(e.b, PREC['scale'])}", PREC["frob"]


@_print.register
def _(e: Transpose) -> tuple[str, int]:
    if isinstance(e.x, Inverse):
        return _paren(e.x.x, PREC["postfix"], strict=True) + "⁻ᵀ", PREC["postfix"]
    if isinstance(e.x, Ones):  # the transpose of a ones matrix is a ones matrix
        return _print(Ones(e.x.cols, e.x.rows))
    return _paren(e.x, PREC["postfix"], strict=True) + "ᵀ", PREC["postfix"]


@_print.register
def _(e: Inverse) -> tuple[str, int]:
    if isinstance(e.x, Transpose):
        return _paren(e.x.x, PREC["postfix"], strict=True) + "⁻ᵀ", PREC["postfix"]
    return _paren(e.x, PREC["postfix"], strict=True) + "⁻¹", PREC["postfix"]


@_print.register
def _(e: Power) -> tuple[str, int]:
    """``x^2`` for a 1×1 base; the Hadamard power ``X∘²`` (``X∘⁻¹``, ``X∘(1/3)``) else."""
    k = e.k
    base = _paren(e.x, PREC["postfix"], strict=True)
    if is_scalar_shape(e.x.shape):
        bare = (k.is_Integer and k >= 0) or k.is_Symbol  # x^2, det(X)^k; x^(-1), x^(k - 1)
        ks = str(k) if bare else f"({_coef(k)})"
        return f"{base}^{ks}", PREC["postfix"]
    if k == sympy.Rational(1, 2):  # as a person writes it: sqrt(𝟏 + x∘²), not (…)∘(1/2)
        return f"sqrt({to_str(e.x)})", PREC["atom"]
    ks = str(k).translate(_SUPERSCRIPTS) if k.is_Integer else f"({_coef(k)})"
    return f"{base}∘{ks}", PREC["postfix"]


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


_SUPERSCRIPT = str.maketrans("0123456789+-()abcdefghijklmnoprstuvwxyz",
                             "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ")


@_print.register
def _(e: MatrixPower) -> tuple[str, int]:
    """Xᵏ with the exponent in superscript letters where Unicode has them (X^(2 m) else)."""
    sup = str(e.k).replace(" ", "").translate(_SUPERSCRIPT)
    exponent = f"^({e.k})" if any(ch.isascii() for ch in sup) else sup
    return f"{_paren(e.x, PREC['postfix'], strict=True)}{exponent}", PREC["postfix"]


def power_of_log(e: Apply) -> tuple[Expr, Expr] | None:
    """(u, s) when ``e`` is exp(s log u) with a 1×1 exponent s: the power uˢ (u∘ˢ for a
    matrix u) that the text a^b and the derivative of xᵃ are built as, read back for print.

    exp(log(a) x) with a vector x stays as it is: a scalar to a vector power has no
    notation that reads better.
    """
    if e.fn != "exp" or e.order != 0:
        return None
    return _log_factor(e.x)


def _log_factor(x: Expr) -> tuple[Expr, Expr] | None:
    def is_log(f: Expr) -> bool:
        return isinstance(f, Apply) and f.fn == "log" and f.order == 0

    match x:
        case ScalarMul(s=s, x=f) if is_log(f):
            return f.x, s  # type: ignore[attr-defined]
        case Scale(coef=c, x=inner):
            found = _log_factor(inner)
            return None if found is None else (found[0], Scale(c, found[1]))
        case Hadamard(factors=fs) if is_scalar_shape(x.shape):
            logs = [f for f in fs if is_log(f)]
            if len(logs) != 1:
                return None
            rest = tuple(f for f in fs if f is not logs[0])
            return logs[0].x, rest[0] if len(rest) == 1 else Hadamard(rest)  # type: ignore[attr-defined]
    return None


@_print.register
def _(e: Apply) -> tuple[str, int]:
    power = power_of_log(e)
    if power is not None:
        base, s = power
        text, p = _print(s)
        ks = text if p >= PREC["atom"] and not text.startswith("-") else f"({text})"
        op = "^" if is_scalar_shape(base.shape) else "∘"
        return f"{_paren(base, PREC['postfix'], strict=True)}{op}{ks}", PREC["postfix"]
    return f"{e.fn}{chr(39) * e.order}({to_str(e.x)})", PREC["atom"]


def _call(name: str):  # noqa: ANN202
    def printer(e: Expr) -> tuple[str, int]:
        return f"{name}({to_str(e.x)})", PREC["atom"]  # type: ignore[attr-defined]

    return printer


for _cls, _name in [(DiagPart, "diag"), (Vec, "vec"), (Trace, "tr"), (Det, "det"),
                    (LogDet, "logdet"), (Sum, "sum")]:
    _print.register(_cls)(_call(_name))


@_print.register(Softmax)
@_print.register(LogSumExp)
def _(e: Softmax | LogSumExp) -> tuple[str, int]:
    """``softmax(Z)``, ``logsumexp(Z, axis=1)``: SciPy's spelling of the axis."""
    name = "softmax" if isinstance(e, Softmax) else "logsumexp"
    axis = "" if e.axis is None else f", axis={e.axis}"
    return f"{name}({to_str(e.x)}{axis})", PREC["atom"]


@_print.register
def _(e: Diag) -> tuple[str, int]:
    if isinstance(e.v, DiagPart):  # Diag(diag(X)) is X's diagonal: X ⊙ I, as the Cookbook
        return _print(Hadamard((e.v.x, Identity(e.shape[0]))))
    return f"Diag({to_str(e.v)})", PREC["atom"]


@_print.register
def _(e: Unvec) -> tuple[str, int]:
    return f"unvec({to_str(e.v)}, {e.rows}×{e.cols})", PREC["atom"]


@_print.register
def _(e: Norm) -> tuple[str, int]:
    return f"‖{to_str(e.x)}‖", PREC["atom"]
