"""Checking a hand-derived gradient: ``mc.verify(f, x, claimed)``.

The claim is compared with the truth two independent ways: exactly, entry by entry with
SymPy at small dims (the truth there is SymPy's own derivative of the explicit f, not
``mc.grad``), and numerically at seeded random points, where the truth is a central
difference of f. When they differ the report says how, in the terms of the usual mistakes:
the wrong shape (often the transpose: the row-vector layout), the wrong sign, a constant or
dimension factor (2, 1/2, 1/n), a scalar factor that varies from point to point (a missing
square), or else a counterexample with the dims, the point and both values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from ..calculus.api import grad
from ..expr.args import expect_symbol, expect_symbols
from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.dims import ONE, fmt_shape
from ..expr.errors import ParseError, ShapeError, type_error
from ..expr.nodes import (
    Apply,
    Diag,
    DiagPart,
    Expr,
    Let,
    Number,
    Power,
    Scale,
    Symbol,
    is_scalar_shape,
)
from ..expr.traverse import map_children, replace, walk
from ..printing.tex import latex
from ..printing.tex_names import latex_name
from ..text.parser import parse
from .fdcheck import numeric_grad
from .numeric import evaluate, random_point
from .sympy_bridge import dim_value, resolve_dims, to_sympy
from .sympy_exact import compare_exact, sympy_grad

__all__ = ["verify", "VerifyReport"]

# Exact checks write every entry out; beyond these sizes they are left to the numbers.
_EXACT_MAX_DIM = 4
_EXACT_MAX_ENTRIES = 16
_RTOL = 1e-6  # central differences are good to ~1e-9 relative at the points we draw


@dataclass
class VerifyReport:
    """The verdict on a claimed gradient: truthy iff it is correct.

    Attributes
    ----------
    ok : bool
        Whether the claim equals the gradient.
    message : str
        Why not (or how it was checked), in words.
    kind : str
        ``"ok"``, ``"shape"``, ``"transpose"``, ``"sign"``, ``"factor"``,
        ``"varying factor"``, ``"value"``, ``"invalid"`` (a text claim that cannot be built),
        ``"symmetric"`` (right only if a general square matrix is symmetric: the message
        says which, and how to declare it) or ``"convention"`` (for a symmetric variable:
        the Cookbook's derivative w.r.t. the independent entries, or a non-symmetric G).
    factor : sympy.Expr or None
        For ``"sign"``/``"factor"``: claimed = factor × true gradient.
    claimed : Expr or None
        The claim as an expression.
    f, x :
        The function and the variable.
    """

    ok: bool
    message: str
    kind: str
    f: Expr
    x: Symbol | None
    claimed: Expr | None
    factor: sympy.Expr | None = None
    parts: list[VerifyReport] = field(default_factory=list)
    text: str | None = None  # the claim as given, when it was text
    _expected: Any = field(default=None, repr=False)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def expected(self) -> Expr | None:
        """The true gradient ``mc.grad(f, x)`` (None where it cannot be derived)."""
        if self._expected is None and self.x is not None:
            try:
                self._expected = grad(self.f, self.x)
            except Exception:  # the verdict does not depend on it; the report just omits it
                self._expected = False
        return self._expected if isinstance(self._expected, Expr) else None

    def __str__(self) -> str:
        if self.parts:
            return "\n\n".join(str(p) for p in self.parts)
        mark = "correct" if self.ok else "WRONG"
        var = self.x.name if self.x is not None else "?"
        lines = [f"verify ∂f/∂{var} for f = {self.f}: {mark}",
                 f"  claimed: {self.claimed if self.claimed is not None else repr(self.text)}"]
        if self.expected is not None:
            lines.append(f"  true:    {self.expected}")
        lines.append("  " + self.message.replace("\n", "\n  "))
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_latex_(self) -> str:
        if self.parts:
            return "\n".join(p._repr_latex_() for p in self.parts)
        return f"$$ {self.latex()} $$"

    def latex(self) -> str:
        """Claimed and true gradient side by side, with the verdict, as math-mode LaTeX."""
        var = latex_name(self.x.name) if self.x is not None else "x"
        head = rf"\frac{{\partial f}}{{\partial {var}}}"
        claimed = latex(self.claimed) if self.claimed is not None else r"\text{(none)}"
        true = latex(self.expected) if self.expected is not None else r"\text{(not derived)}"
        verdict = "correct" if self.ok else _tex_text(self.message.splitlines()[0])
        # gathered + array only: MathJax and KaTeX lack \multicolumn.
        return (r"\begin{gathered} \begin{array}{c|c} \text{claimed } " + head
                + r" & \text{true } " + head + r" \\ \hline " + claimed + " & " + true
                + r" \end{array} \\ \text{" + verdict + r"} \end{gathered}")


def _tex_text(s: str) -> str:
    """Plain text made safe for ``\\text{...}`` (plain LaTeX, MathJax and KaTeX)."""
    table = {"\\": r"\backslash ", "{": r"\{", "}": r"\}", "_": r"\_", "%": r"\%", "&": r"\&",
             "#": r"\#", "$": r"\$", "^": r"\^{}", "~": r"\~{}",
             "×": r"}\times\text{", "∂": r"}\partial\text{", "ᵀ": r"}^{\top}\text{",
             "‖": r"}\|\text{", "⊙": r"}\odot\text{", "⊗": r"}\otimes\text{",
             "·": r"}\cdot\text{", "−": "-", "′": "'"}
    return "".join(table.get(ch, ch if ch.isascii() else "?") for ch in s)


# ----------------------------------------------------------------------------------------
# Dims and points
# ----------------------------------------------------------------------------------------


def _dim_names(exprs: Sequence[Expr]) -> list[str]:
    """Every symbolic dim in the shapes and constants (``2/m``) of ``exprs``, sorted."""
    names: set[str] = set()
    for e in exprs:
        for node in walk(e):
            for d in node.shape:
                names |= {str(s) for s in d.expr.free_symbols}
            for c in (getattr(node, "value", None), getattr(node, "coef", None),
                      getattr(node, "k", None)):
                if isinstance(node, (Number, Scale, Power)) and isinstance(c, sympy.Basic):
                    names |= {str(s) for s in c.free_symbols}
    return sorted(names)


def _default_dims(names: list[str], x: Symbol) -> tuple[dict[str, int], dict[str, int]]:
    """(small dims for the exact check, larger distinct dims for the numeric one).

    The variable's own dims come first and get 3 and 2, so a transposed claim cannot slip
    through a square special case; the other dims alternate 3, 2 to keep SymPy quick. The
    second assignment gives every dim its own value.
    """
    first = [str(d.expr) for d in x.shape if d.expr.is_Symbol]
    order = list(dict.fromkeys([n for n in first if n in names] + names))
    small = {name: (3, 2)[i % 2] for i, name in enumerate(order)}
    large = {name: 4 + i for i, name in enumerate(order)}
    return small, large


def _fmt_dims(d: dict[str, int]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(d.items())) or "fixed shapes"


def _fmt_array(a: np.ndarray) -> str:
    a = a[:, 0] if a.ndim == 2 and a.shape[1] == 1 else a
    if a.size == 1:
        return f"{float(a.reshape(-1)[0]):.6g}"
    return np.array2string(a, precision=4, suppress_small=True, separator=", ").replace("\n", "")


@dataclass
class _Sample:
    dims: dict[str, int]
    point: dict[Symbol, np.ndarray]
    claimed: np.ndarray
    true: np.ndarray


def _samples(f: Expr, x: Symbol, c: Expr, assignments: list[dict[str, int]],
             rng: np.random.Generator) -> list[_Sample]:
    out = []
    for d in assignments:
        for _ in range(2):
            try:
                point = random_point([f, c, x], d, rng)
            except ValueError:
                # The claim may be undefined wherever we look: draw for f, and plain
                # normal values for symbols only the claim has; its value will show nan.
                point = random_point([f, x], d, rng)
                for s in c.free_symbols - set(point):
                    point[s] = rng.standard_normal((dim_value(s.rows, d), dim_value(s.cols, d)))
            try:
                with np.errstate(all="ignore"):
                    cv = evaluate(c, point, d)
            except (np.linalg.LinAlgError, ValueError, ZeroDivisionError):
                cv = np.full((dim_value(x.rows, d), dim_value(x.cols, d)), np.nan)
            out.append(_Sample(d, point, cv, numeric_grad(f, x, point, d)))
    return out


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-3)
    return bool(np.all(np.isfinite(a))) and float(np.max(np.abs(a - b))) <= _RTOL * scale * 10


_ANY = object()  # a sample where claim and truth are both zero: any factor fits


def _ratio(s: _Sample) -> Any:
    """r with claimed ≈ r · true at this sample; ``_ANY`` if both vanish; None if no r fits."""
    if not np.all(np.isfinite(s.claimed)):
        return None
    tt = float(np.sum(s.true * s.true))
    if tt < 1e-12:
        return _ANY if float(np.max(np.abs(s.claimed))) < 1e-6 else None
    r = float(np.sum(s.claimed * s.true)) / tt
    return r if _close(s.claimed, r * s.true) else None


# ----------------------------------------------------------------------------------------
# The comparison
# ----------------------------------------------------------------------------------------


@dataclass
class _Verdict:
    kind: str
    message: str
    factor: sympy.Expr | None = None


def _exact(f: Expr, x: Symbol, c: Expr, d: dict[str, int]) -> tuple[Any, Any] | None:
    """(claimed, true) as SymPy matrices at d, or None where that would be too big."""
    if max(d.values(), default=1) > _EXACT_MAX_DIM:
        return None
    xs = to_sympy(x, d)
    if xs.rows * xs.cols > _EXACT_MAX_ENTRIES:
        return None
    return to_sympy(c, d), sympy_grad(f, x, d)


def _fit_factor(samples: list[_Sample], exact: tuple[Any, Any] | None,
                small: dict[str, int]) -> tuple[sympy.Expr, bool] | None:
    """The factor c with claimed = c · true, if there is one; (c, exact_confirmed)."""
    ratios = [_ratio(s) for s in samples]
    if any(r is None for r in ratios):
        return None
    by_dims: dict[tuple, list[float]] = {}
    for s, r in zip(samples, ratios):
        if r is not _ANY:
            by_dims.setdefault(tuple(sorted(s.dims.items())), []).append(r)
    if not by_dims:
        return None
    per = list(by_dims.values())
    if any(max(rs) - min(rs) > 1e-6 * max(map(abs, rs)) for rs in per):
        return sympy.nan, False  # proportional at each point, by a varying factor
    values = [(dict(k), rs[0]) for k, rs in by_dims.items()]
    c = _constant_or_monomial(values)
    if c is None or c == 1:
        return None
    if exact is None:
        return c, False
    cs, ts = exact
    cv = c.xreplace({sympy.Symbol(k, integer=True, positive=True): v for k, v in small.items()})
    # The numbers suggested c; only an exact match at the small dims makes it the diagnosis.
    return (c, True) if not compare_exact(cs, ts * cv) else None


def _constant_or_monomial(values: list[tuple[dict[str, int], float]]) -> sympy.Expr | None:
    """A rational k or k·dᵉ (d a dim, e = ±1, ±2) that takes the observed values."""
    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b))

    d0, r0 = values[0]
    if all(near(r, r0) for _, r in values):
        return sympy.nsimplify(r0, rational=True, tolerance=1e-7)
    for name in sorted(d0):
        for e in (1, -1, 2, -2):
            k = r0 / d0[name] ** e
            if all(near(r, k * d[name] ** e) for d, r in values):
                ks = sympy.nsimplify(k, rational=True, tolerance=1e-7)
                return ks * sympy.Symbol(name, integer=True, positive=True) ** e
    return None


def _describe_factor(c: sympy.Expr) -> str:
    words = {2: "twice its value", sympy.Rational(1, 2): "half its value",
             -2: "minus twice its value", sympy.Rational(-1, 2): "minus half its value"}
    if c.free_symbols:
        return f"{c} times the true gradient (a factor {1 / c} is missing)"
    word = words.get(c)
    return f"{c} times the true gradient" + (f" ({word})" if word else "")


def _compare(f: Expr, x: Symbol, c: Expr, small: dict[str, int], large: dict[str, int] | None,
             rng: np.random.Generator) -> _Verdict:
    """How the claim ``c`` (of x's shape) relates to the gradient."""
    assignments = [small] + ([large] if large is not None else [])
    samples = _samples(f, x, c, assignments, rng)
    numeric_ok = all(_close(s.claimed, s.true) for s in samples)
    try:
        exact = _exact(f, x, c, small)
        mismatches = compare_exact(*exact) if exact is not None else None
    except Exception as exc:  # a SymPy limitation must not hide the numeric verdict
        exact, mismatches, note = None, None, f" (exact check unavailable: {exc})"
    else:
        note = "" if exact is not None else " (exact check skipped: dims too large)"
    where = " and ".join(_fmt_dims(a) for a in assignments)
    if mismatches == [] or (mismatches is None and numeric_ok):
        how = f"exactly (SymPy, {_fmt_dims(small)}) and " if exact is not None else ""
        return _Verdict("ok", f"equal to the gradient {how}numerically at {len(samples)} "
                              f"random points ({where}){note}")
    fit = _fit_factor(samples, exact, small)
    if fit is not None:
        factor, confirmed = fit
        how = f", exactly at {_fmt_dims(small)}" if confirmed else " (numerically)"
        if factor is sympy.nan:
            rs = ", ".join(f"{r:.4g}" for r in map(_ratio, samples) if isinstance(r, float))
            return _Verdict("varying factor", (
                "wrong by a scalar factor that changes from point to point: claimed = r · true "
                f"with r = {rs}, ... A scalar function of the variables is missing or extra "
                "(for example a norm written without its square)"))
        if factor == -1:
            return _Verdict("sign", f"wrong sign: the claim is minus the gradient{how}", factor)
        if factor == 0:
            return _Verdict("value", "the claim is zero but the gradient is not", factor)
        return _Verdict("factor", f"off by a constant factor: the claim is "
                                  f"{_describe_factor(factor)}{how}", factor)
    if exact is not None and x.shape[0] == x.shape[1] and not is_scalar_shape(x.shape):
        cs, ts = exact
        if not compare_exact(cs, ts.T):
            return _Verdict("transpose", "the claim is the transpose of the gradient "
                                         f"(exactly, at {_fmt_dims(small)})")
    return _Verdict("value", _counterexample(samples, mismatches, small))


# ----------------------------------------------------------------------------------------
# Structure: claims right only for a symmetric matrix, or in the other convention
# ----------------------------------------------------------------------------------------


def _declared(e: Expr, table: dict[Symbol, Symbol]) -> Expr:
    """``e`` with the symbols of ``table`` replaced, named intermediates entered too."""
    memo: dict[Expr, Expr] = {}

    def go(node: Expr) -> Expr:
        hit = memo.get(node)
        if hit is None:
            if isinstance(node, Symbol):
                hit = table.get(node, node)
            elif isinstance(node, Let):
                inner = go(node.expr)
                hit = node if inner is node.expr else Let(node.name, inner)
            else:
                hit = map_children(node, go)
            memo[node] = hit
        return hit

    return go(e)


def _symmetry_hint(f: Expr, x: Symbol, c: Expr, small: dict[str, int],
                   large: dict[str, int] | None, seed: int) -> _Verdict | None:
    """If the claim is right once some general square matrices are symmetric, say which."""
    squares = sorted((s for s in f.free_symbols | c.free_symbols | {x}
                      if s.structure is None and s.rows == s.cols
                      and not is_scalar_shape(s.shape)), key=lambda s: s.name)
    groups = [[s] for s in squares[:4]] + ([squares] if 1 < len(squares) <= 4 else [])
    for group in groups:
        table = {s: Symbol(s.name, s.rows, s.cols, "symmetric") for s in group}
        v = _compare(_declared(f, table), table.get(x, x), _declared(c, table), small, large,
                     np.random.default_rng(seed))
        if v.kind == "ok":
            names = " and ".join(s.name for s in group)
            decl = ", ".join(f'{s.name} = mc.symmetric("{s.name}", {s.rows})' for s in group)
            verb = "are" if len(group) > 1 else "is"
            return _Verdict("symmetric", f"correct if {names} {verb} symmetric (declare it "
                                         f"with mc.symmetric: {decl}; on the command line "
                                         f"--symmetric {','.join(s.name for s in group)})")
    return None


def _convention_hint(f: Expr, x: Symbol, c: Expr, small: dict[str, int],
                     large: dict[str, int] | None, seed: int) -> _Verdict | None:
    """For a symmetric x: the claim may be the Cookbook's derivative w.r.t. the independent
    entries (E = 2T − T ∘ I, so T = (E + E ∘ I)/2), or a non-symmetric G with the right df."""
    if x.structure not in ("symmetric", "spd"):
        return None
    half = sympy.Rational(1, 2)
    as_space = Scale(half, c + Diag(DiagPart(c)))
    if _compare(f, x, as_space, small, large, np.random.default_rng(seed)).kind == "ok":
        return _Verdict("convention", (
            f"this is the derivative w.r.t. the independent entries of {x.name} (the Matrix "
            f"Cookbook's G + Gᵀ − G ∘ I, mc.grad(f, {x.name}, convention='entries')), not the "
            f"gradient in the space of symmetric matrices that mc.grad gives by default; "
            f"their off-diagonal entries differ by a factor 2"))
    if _compare(f, x, Scale(half, c + c.T), small, large,
                np.random.default_rng(seed)).kind == "ok":
        return _Verdict("convention", (
            f"the claim G gives the right df = G : d{x.name} for every symmetric "
            f"d{x.name}, but it is not symmetric: the gradient w.r.t. the symmetric "
            f"{x.name} is its symmetric part (G + Gᵀ)/2"))
    return None


def _counterexample(samples: list[_Sample], mismatches: list | None,
                    small: dict[str, int]) -> str:
    bad = next((s for s in samples if not _close(s.claimed, s.true)), None)
    if bad is None:  # only the exact check tells them apart
        mm = mismatches[0]  # type: ignore[index]
        return (f"wrong value: at {_fmt_dims(small)} entry {mm.index} of the claim is "
                f"{mm.got}, the true derivative is {mm.expected}")
    diff = np.abs(bad.claimed - bad.true)
    diff[~np.isfinite(diff)] = np.inf
    i, j = np.unravel_index(int(np.argmax(diff)), diff.shape)
    lines = [f"wrong value. Counterexample at {_fmt_dims(bad.dims)}:"]
    lines += [f"  {s.name} = {_fmt_array(v)}" for s, v in sorted(bad.point.items(),
                                                                 key=lambda kv: kv[0].name)]
    lines += [f"  claimed = {_fmt_array(bad.claimed)}",
              f"  true    = {_fmt_array(bad.true)}  (central differences)",
              f"  largest difference at entry ({i}, {j}): claimed {bad.claimed[i, j]:.6g}, "
              f"true {bad.true[i, j]:.6g}"]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------------------


def _parse_claim(text: str, f: Expr, x: Symbol) -> Expr:
    # The symbols themselves, so the claim's X is f's X (same name, same shape).
    symbols = {s.name: s for s in f.free_symbols | {x}}
    functions = {n.fn for n in walk(f) if isinstance(n, Apply)}
    shapes: dict[str, Any] = {k: v for k, v in symbols.items() if k not in functions}
    # f's named intermediates (yhat) and its dims (1/n) may appear in the claim too: they
    # are read as placeholders of the right shape and replaced afterwards.
    stand_in: dict[Expr, Expr] = {}
    for node in walk(f):
        if isinstance(node, Let) and node.name not in shapes:
            stand_in[Symbol(node.name, *node.shape)] = node
            shapes[node.name] = node.shape
    dim_syms = {d for s in symbols.values() for dim in s.shape for d in dim.expr.free_symbols}
    for d in dim_syms:
        if d.name not in shapes and d.name not in functions:
            stand_in[Symbol(d.name, ONE, ONE)] = Number(d)
            shapes[d.name] = ()
    claim = parse(text, **shapes)
    return replace(claim, stand_in)


@deep
def verify(f: Expr, x: Symbol | Sequence[Symbol], claimed: Any,
           dims: Any = None, *, seed: int = 0) -> VerifyReport:
    """Check a hand-derived gradient of ``f`` w.r.t. ``x``.

    Parameters
    ----------
    f : Expr
        The scalar function.
    x : Symbol or list of Symbol
        The variable; a list takes a list of claims and reports on each.
    claimed : Expr or str
        The claimed gradient (text is read with ``mc.parse``, using the shapes of the
        symbols of f).
    dims : mapping, optional
        Dim (or name) → int to check at; by default small dims (3, 2, …) exactly and
        larger distinct ones (4, 5, …) numerically.
    seed : int
        Seed of the random points.

    Returns
    -------
    VerifyReport
        ``.ok`` (also its truth value), ``.message``, ``.kind``, ``.claimed``,
        ``.expected``; never raises for a wrong or ill-shaped claim.

    Raises
    ------
    ShapeError
        If ``f`` is not 1×1 (that is a question for ``mc.jacobian``).
    """
    f = as_expr(f, "mc.verify", "f")
    if dims is not None:
        resolve_dims(dims, "mc.verify")  # a wrong type fails here, before any work
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise type_error("mc.verify", "seed", seed, "an int")
    if isinstance(x, (list, tuple)):
        expect_symbols(x, "mc.verify", "x")
        if not isinstance(claimed, (list, tuple)) or len(claimed) != len(x):
            raise ValueError("verify with a list of variables takes a list of claims, one each")
        parts = [verify(f, xi, ci, dims, seed=seed) for xi, ci in zip(x, claimed)]
        return VerifyReport(all(parts), "; ".join(p.message for p in parts),
                            "ok" if all(parts) else "several", f, None, None, parts=parts)
    if not is_scalar_shape(f.shape):
        raise ShapeError(f"verify checks gradients of scalar functions; f = {f} is "
                         f"{fmt_shape(f.shape)}: use mc.jacobian for its derivative")
    expect_symbol(x, "mc.verify", "x")
    text = claimed if isinstance(claimed, str) else None
    if text is not None:
        try:
            claimed = _parse_claim(text, f, x)
        except (ParseError, ShapeError) as exc:
            return VerifyReport(False, f"the claim cannot be built: {exc}", "invalid",
                                f, x, None, text=text)
    c = as_expr(claimed, "mc.verify", "claimed")
    ours = {s.name: s for s in f.free_symbols | {x}}
    clash = [(s, ours[s.name]) for s in c.free_symbols if ours.get(s.name, s) != s]
    if clash:
        s, t = clash[0]
        return VerifyReport(False, f"the claim's {s.name} is {fmt_shape(s.shape)} but in f "
                                   f"{t.name} is {fmt_shape(t.shape)}", "invalid", f, x, c,
                            text=text)
    rng = np.random.default_rng(seed)
    small, large = _default_dims(_dim_names([f, x, c]), x)
    if not small:  # no symbolic dims: one assignment is all there is
        large = None
    if dims is not None:
        # The caller's dims, for the exact and the numeric check alike; any dim they left
        # out keeps its default.
        small, large = {**small, **resolve_dims(dims)}, None
    extra = sorted(s.name for s in c.free_symbols - f.free_symbols - {x})
    note = f"\nnote: the claim uses {', '.join(extra)}, which f does not" if extra else ""

    def report(v: _Verdict, claim: Expr = c) -> VerifyReport:
        return VerifyReport(v.kind == "ok", v.message + note, v.kind, f, x, claim, v.factor,
                            text=text)

    if c.shape == x.shape:
        v = _compare(f, x, c, small, large, rng)
        if v.kind != "ok":
            hint = (_convention_hint(f, x, c, small, large, seed)
                    or _symmetry_hint(f, x, c, small, large, seed))
            if hint is not None and hint.kind == "symmetric" and v.kind != "value":
                # the usual diagnosis (transpose, factor) stays; the hint is added to it
                v = _Verdict(v.kind, f"{v.message}; it would be {hint.message}", v.factor)
            elif hint is not None:
                v = _Verdict(hint.kind, f"{hint.message}. In general: {v.message}"
                             if hint.kind == "symmetric" else hint.message)
        return report(v)
    shape_msg = (f"wrong shape: the claim is {fmt_shape(c.shape)} but a gradient has the shape "
                 f"of its variable, {x.name}: {fmt_shape(x.shape)}")
    if c.shape == (x.shape[1], x.shape[0]):
        v = _compare(f, x, c.T, small, large, rng)
        if v.kind == "ok":
            layout = ("the row-vector (numerator) layout" if x.shape[1] == 1
                      else "the numerator layout")
            return report(_Verdict("transpose", f"{shape_msg}. The claim is the transpose of "
                                                f"the gradient ({layout}); its transpose is "
                                                "correct"))
        return report(_Verdict("shape", f"{shape_msg}. Transposed, it would still be wrong: "
                                        f"{v.message}"))
    return report(_Verdict("shape", shape_msg))

