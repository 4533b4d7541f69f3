"""The differential-testing properties: matcalc against independent references.

Each ``prop_*`` returns None when the property holds and a description of the disagreement
when it does not; :class:`Skip` means it could not be checked (no admissible test point,
out of time, outside the text syntax). The references: SymPy's elementwise derivatives
(exact), central differences and the NumPy reference interpreter (:mod:`matcalc.numeric`),
pdflatex, the text parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from ..check.deadline import time_limit as _time_limit
from ..expr.dims import Dim, fmt_shape
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Apply, Commutation, Expr, Number, Scale, Symbol, Unvec
from ..expr.traverse import walk
from .generate import Case, Shape, generic_functions

__all__ = [
    "Skip", "Undecided", "time_limit", "prop_grad_fd", "prop_grad_sympy", "prop_jacobian_fd",
    "prop_directional",
    "prop_simplify", "prop_compile", "prop_parse", "text_uncovered", "latex_failures",
]


class Skip(Exception):
    """The property could not be checked here (no admissible point, or out of time)."""


class Undecided(Skip):
    """SymPy could not prove two entries equal, yet they agree at every numeric probe."""


def time_limit(seconds: float) -> AbstractContextManager[None]:
    """Raise :class:`Skip` when the block runs longer than ``seconds`` (a per-example
    deadline for SymPy, whose ``simplify`` has no bound of its own)."""
    return _time_limit(seconds, Skip)


def _point(exprs: Sequence[Expr], dims: Mapping[Dim, int], seed: int) -> dict[Symbol, Any]:
    from ..check.numeric import random_point

    try:
        return random_point(list(exprs), dims, seed)
    except ValueError as exc:
        if "no point found" in str(exc):
            raise Skip(str(exc)) from None
        raise


def _shape_mismatch(got: Expr, want: Shape, what: str) -> str | None:
    if got.shape != want:
        return f"{what} has shape {fmt_shape(got.shape)}, expected {fmt_shape(want)}: {got}"
    return None


def prop_grad_fd(case: Case, dims: Mapping[Dim, int], seed: int,
                 grad: Callable[..., Any] | None = None) -> str | None:
    """``grad`` agrees with central differences along random directions at a random point.

    A mismatch at the default step is retried at three other steps on the same point:
    a wrong gradient fails at every step, rounding or curvature noise does not.
    ``grad`` defaults to ``mc.grad`` (the sanity test passes a deliberately wrong one).
    """
    from ..calculus.api import grad as mc_grad
    from ..check.fdcheck import fd_grad_check

    grads = (grad or mc_grad)(case.f, case.wrt)
    for x, g in zip(case.wrt, grads):
        bad = _shape_mismatch(g, x.shape, f"grad wrt {x.name}")
        if bad:
            return bad
    point = _point([case.f, *grads, *case.wrt], dims, seed)
    report = None
    for eps in (1e-6, 1e-5, 1e-4, 1e-7):
        report = fd_grad_check(case.f, case.wrt, grads, values=point, dims=dims, rng=seed,
                               eps=eps)
        if report:
            return None
    return f"gradients {[str(g) for g in grads]}\n{report}"


def prop_grad_sympy(case: Case, dims: Mapping[Dim, int]) -> str | None:
    """``mc.check_grad``: the gradient equals SymPy's elementwise derivatives exactly."""
    from ..check.sympy_exact import check_grad

    report = check_grad(case.f, case.wrt, dims)
    if report:
        return None
    mismatches = [mm for part in (report.parts or [report]) for mm in part.mismatches]
    errors = [part.error for part in (report.parts or [report]) if part.error]
    if mismatches and not errors and all(_probably_equal(mm.got, mm.expected)
                                         for mm in mismatches):
        raise Undecided(f"SymPy cannot decide, numerically equal:\n{report}")
    return str(report)


def _probably_equal(a: Any, b: Any) -> bool:
    """Whether a − b vanishes at three random rational points (30 digits), as far as known.

    Used only to tell a SymPy non-proof (|x| and sign(x) identities) from a wrong gradient;
    such cases are counted apart, never as agreement.
    """
    from ..check.sympy_exact import _probe

    values = [_probe(a - b, seed) for seed in (11, 12, 13)]
    return all(v is not None and v.is_comparable and abs(v) < 1e-20 for v in values)


def prop_jacobian_fd(case: Case, dims: Mapping[Dim, int], seed: int) -> str | None:
    """``mc.jacobian`` (vec dF = J vec dx) agrees with central differences, per variable."""
    from ..calculus.api import jacobian
    from ..check.fdcheck import fd_jacobian_check

    for x in case.wrt[:2]:
        J = jacobian(case.f, x)
        n_f, n_x = case.f.shape[0] * case.f.shape[1], x.shape[0] * x.shape[1]
        bad = _shape_mismatch(J, (n_f, n_x), f"jacobian wrt {x.name}")
        if bad:
            return bad
        point = _point([case.f, J, x], dims, seed)
        report = None
        for eps in (1e-6, 1e-5, 1e-4):
            report = fd_jacobian_check(case.f, x, J, values=point, dims=dims, rng=seed,
                                       eps=eps)
            if report:
                break
        else:
            return f"J = {J}\n{report}"
    return None


def prop_directional(case: Case, dims: Mapping[Dim, int], seed: int) -> str | None:
    """``mc.jvp`` agrees with central differences along a direction V, and ``mc.vjp`` is its
    adjoint: U : jvp(F, x, V) = vjp(F, x, U) : V. For a scalar F, ``mc.hvp(F, x, V)`` agrees
    with central differences of the gradient along V.
    """
    from ..calculus.api import grad, hvp, jvp, vjp
    from ..check.numeric import evaluate
    from ..expr.build import matrix

    F, x = case.f, case.wrt[0]
    V, U = matrix("Vdir", *x.shape), matrix("Uadj", *F.shape)
    Jv, uJ = jvp(F, x, V), vjp(F, x, U)
    for got, want, what in [(Jv, F.shape, "jvp"), (uJ, x.shape, "vjp")]:
        bad = _shape_mismatch(got, want, what)
        if bad:
            return bad
    pairs = [(F, Jv, "jvp")]
    if F.shape[0] == 1 and F.shape[1] == 1:
        g = grad(F, x)
        pairs.append((g, hvp(F, x, V), "hvp"))
    point = _point([F, x, V, U, *(d for _, d, _ in pairs)], dims, seed)
    base = {s.name: v for s, v in point.items()}
    for fn, d, what in pairs:
        ref = evaluate(d, base, dims)
        for eps in (1e-6, 1e-5, 1e-4):
            shifted = [{**base, x.name: base[x.name] + h * base["Vdir"]} for h in (eps, -eps)]
            fd = (evaluate(fn, shifted[0], dims) - evaluate(fn, shifted[1], dims)) / (2 * eps)
            if _close(fd, ref, 1e-5):
                break
        else:
            return f"{what} = {d}\n  central difference {fd.ravel()}\n  {what} {ref.ravel()}"
    lhs = float(np.sum(evaluate(U, base, dims) * evaluate(Jv, base, dims)))
    rhs = float(np.sum(evaluate(uJ, base, dims) * evaluate(V, base, dims)))
    if not _close(lhs, rhs, 1e-8):
        return f"U : jvp = {lhs} but vjp : V = {rhs}\n  jvp = {Jv}\n  vjp = {uJ}"
    return None


def _close(a: Any, b: Any, rtol: float = 1e-7) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = 1.0 + max(float(np.max(np.abs(a), initial=0)), float(np.max(np.abs(b), initial=0)))
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= rtol * scale))


def prop_simplify(e: Expr, dims: Mapping[Dim, int], seed: int) -> str | None:
    """``mc.simplify`` keeps the shape and the value (reference interpreter, random point)."""
    from ..calculus.simplifier import simplify
    from ..check.numeric import evaluate

    s = simplify(e)
    bad = _shape_mismatch(s, e.shape, "simplify(e)")
    if bad:
        return bad
    point = _point([e, s], dims, seed)
    a, b = evaluate(e, point, dims), evaluate(s, point, dims)
    if not _close(a, b):
        return f"simplify({e}) = {s}\n  before {a.ravel()}\n  after  {b.ravel()}"
    return None


def _sympy_value(e: Expr, point: Mapping[Symbol, Any], dims: Mapping[Dim, int],
                 seconds: float = 10.0) -> Any:
    """``e`` at ``point`` through SymPy (30 digits), or None when SymPy takes too long:
    the symbolic matrix of nested inverses can blow up even at dims 2, and the compiled
    value has already been checked against the NumPy reference by then."""
    from ..check.sympy_bridge import resolve_dims, symbol_matrix, to_sympy

    subs = {}
    for s, v in point.items():
        sm = symbol_matrix(s.name, s.shape, resolve_dims(dims))
        subs.update({sm[i, j]: float(v[i, j]) for i in range(sm.rows) for j in range(sm.cols)})
    try:
        with time_limit(seconds):
            return np.array(to_sympy(e, dims).xreplace(subs).evalf(30), dtype=float)
    except Skip:
        return None


def _compiled_shape_ok(value: Any, shape: tuple[Dim, Dim]) -> bool:
    """The API's return convention: 1×1 → scalar, n×1 → 1-D, a matrix → 2-D."""
    ndim = np.ndim(value)
    r, c = shape
    if r == 1 and c == 1:
        return ndim == 0
    if c == 1:
        return ndim == 1
    return ndim == 2 if r != 1 else ndim in (1, 2)


def prop_compile(outs: Sequence[Expr], dims: Mapping[Dim, int], seed: int,
                 compile: Callable[..., Any], exact: bool = False) -> str | None:  # noqa: A002
    """``mc.compile`` agrees with the reference interpreter (and SymPy with ``exact``).

    Arrays are passed 2-D except vectors, which go in 1-D, as users pass them.
    """
    from ..check.numeric import evaluate

    outs = list(outs)
    args = sorted({s for e in outs for s in e.free_symbols}, key=lambda s: s.name)
    try:
        fn = compile(outs, args=args, functions=generic_functions())
    except ValueError as exc:
        # A dim that only constants carry (ones(m, m) with no m-sized argument) cannot be
        # read from the arrays: the documented limit, not a disagreement.
        if "cannot infer dim" in str(exc):
            raise Skip(str(exc)) from None
        raise
    point = _point(outs, dims, seed)
    kwargs = {s.name: (v[:, 0] if s.shape[1] == 1 and s.shape[0] != 1 else v)
              for s, v in point.items()}
    got = fn(**kwargs)
    for i, (e, value) in enumerate(zip(outs, got)):
        ref = evaluate(e, point, dims)
        if not _compiled_shape_ok(value, e.shape):
            return f"output {i} ({e}, {fmt_shape(e.shape)}) came back with shape {np.shape(value)}"
        if not _close(np.reshape(value, ref.shape), ref, 1e-9):
            return f"output {i} = {e}: compiled {np.ravel(value)}, reference {ref.ravel()}"
        if exact and not any(isinstance(n, Apply) and n.fn not in FUNCTIONS for n in walk(e)):
            exact_val = _sympy_value(e, point, dims)
            if exact_val is not None and not _close(np.reshape(value, ref.shape), exact_val,
                                                    1e-8):
                return f"output {i} = {e}: compiled {np.ravel(value)}, SymPy {exact_val.ravel()}"
    return None


#: What the text syntax of :func:`matcalc.parse` cannot say, so round trips skip it:
#: commutation matrices and reshapes (no text form), generic σ and its derivatives, step,
#: and constants involving dims (``m/2``). Every other node type in :data:`NODE_COVERAGE`
#: has a text form; a constant whose size no symbol fixes reads back with a fresh dim.
def text_uncovered(e: Expr) -> list[str]:
    """Why ``e`` is outside the text syntax (empty when it is covered)."""
    out = []
    for n in walk(e):
        if isinstance(n, (Commutation, Unvec)):
            out.append(type(n).__name__)
        elif isinstance(n, Apply) and (n.fn not in FUNCTIONS or n.order):
            out.append(f"generic function {n.fn}")
        elif isinstance(n, Apply) and n.fn == "step":
            out.append("step (the text has relu and sign, not step)")
        elif isinstance(n, Number) and n.value.free_symbols:
            out.append(f"dim constant {n.value}")
        elif isinstance(n, Scale) and n.coef.free_symbols:
            out.append(f"dim coefficient {n.coef}")
    return out


def prop_parse(e: Expr, dims: Mapping[Dim, int], seed: int, parse: Callable[..., Any],
               unparse: Callable[[Expr], str]) -> str | None:
    """``parse(unparse(e))`` means ``e`` where the syntax covers ``e``, and ``parse(str(e))``
    never raises anything but ParseError or ShapeError.

    ``str(e)`` is the readable Unicode form (``Xᵀ``, ``⊙``, ``1`` for a ones vector); it is
    not a text form, so only its failure mode is a property. The round trip goes through
    :func:`matcalc.parse.unparse`, the text made for pasting back in. The text does not say
    the size of a constant (``matrix(1)``, ``eye``), so where no symbol fixes it parse
    names a fresh dim (``n_1``); such cases are skipped, not compared.
    """
    from ..check.numeric import evaluate
    from ..expr.errors import ParseError, ShapeError

    shapes = {s.name: s.shape for s in e.free_symbols}
    known = {x for n in walk(e) for d in n.shape for x in d.symbols}
    try:
        parse(str(e), **shapes)
    except (ParseError, ShapeError):
        pass
    try:
        text = unparse(e)
    except ValueError as exc:
        if not text_uncovered(e):
            return f"unparse refused a covered expression {e}: {exc}"
        raise Skip("outside the text syntax") from None
    try:
        back = parse(text, **shapes)
    except ShapeError as exc:
        if re.search(r"\b[mn]_\w+", str(exc)):  # a dim parse invented could not be unified
            raise Skip(f"constant sizes not inferable: {exc}") from None
        return f"parse(unparse(e)) of {e} raised {exc!r}\n  text: {text}"
    except ParseError as exc:
        return f"parse(unparse(e)) of {e} raised {exc!r}\n  text: {text}"
    if any(de == 1 and db != 1 for de, db in zip(e.shape, back.shape)):
        return f"parse(unparse(e)) of {e} ({fmt_shape(e.shape)}) reads back as " \
               f"{fmt_shape(back.shape)}: {back}\n  text: {text}"
    if {x for n in walk(back) for d in n.shape for x in d.symbols} - known:
        raise Skip("a constant's size is fixed by no symbol")
    if back.shape != e.shape:
        return f"parse(unparse(e)) of {e} has shape {fmt_shape(back.shape)}: {back}"
    point = _point([e, back], dims, seed)
    a, b = evaluate(e, point, dims), evaluate(back, point, dims)
    if not _close(a, b):
        return f"parse(unparse(e)) = {back} differs from e = {e}: {a.ravel()} vs {b.ravel()}" \
               f"\n  text: {text}"
    return None


def latex_failures(items: Sequence[Expr | str], compile_latex: Callable[[str], tuple[bool, str]],
                   document: Callable[..., str], batch: int = 500) -> list[tuple[str, str]]:
    """The items whose LaTeX does not compile: one pdflatex run per ``batch`` items, and
    bisection down to the culprits only when a run fails (a clean batch costs one run)."""
    from ..printing.tex import latex

    texs = [x if isinstance(x, str) else latex(x) for x in items]

    def doc(part: Sequence[str]) -> str:
        return document("\n".join(rf"\[ {t} \]" for t in part), math=False)

    def bad(part: list[str]) -> list[tuple[str, str]]:
        ok, log = compile_latex(doc(part))
        if ok:
            return []
        if len(part) == 1:
            errors = [ln for ln in log.splitlines() if ln.startswith("!")]
            return [(part[0], "; ".join(errors) or log[-500:])]
        mid = len(part) // 2
        return bad(part[:mid]) + bad(part[mid:])

    return [b for i in range(0, len(texs), batch) for b in bad(texs[i:i + batch])]
