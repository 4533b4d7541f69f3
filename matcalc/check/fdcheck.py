"""Finite-difference checks: derivatives compared with central differences of the function.

As autograd's ``check_grads`` does: along random directions v, (f(x + εv) − f(x − εv)) / 2ε
must equal the claimed derivative applied to v. The function is evaluated by the plain
reference interpreter :func:`matcalc.numeric.evaluate`, so no calculus of ours is trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..expr.deep import deep
from ..expr.dims import fmt_shape
from ..expr.errors import ShapeError
from ..expr.nodes import Expr, Symbol, is_scalar_shape
from .numeric import Array, Functions, _Interp, _key_name, infer_dims, random_point
from .sympy_bridge import DimValues, dim_value, resolve_dims

__all__ = ["FDReport", "fd_grad_check", "fd_jacobian_check", "numeric_grad", "direction"]


@dataclass
class FDReport:
    """Result of a finite-difference check: truthy iff every direction agrees."""

    what: str
    dims: dict[str, int]
    rows: list[tuple[float, float, float]] = field(default_factory=list)  # (fd, exact, tol)
    labels: tuple[str, str] = ("central difference", "claimed")

    @property
    def ok(self) -> bool:
        return all(abs(fd - ex) <= tol for fd, ex, tol in self.rows)

    @property
    def max_error(self) -> float:
        return max((abs(fd - ex) for fd, ex, _ in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v}" for k, v in sorted(self.dims.items())) or "fixed dims"
        head = f"{self.what} at {at}: {'OK' if self.ok else 'MISMATCH'}"
        lines = [head] + [
            f"  direction {i}: {self.labels[0]} {fd:.10g}, {self.labels[1]} {ex:.10g}"
            + ("" if abs(fd - ex) <= tol else f"   <-- differs by {abs(fd - ex):.3g}")
            for i, (fd, ex, tol) in enumerate(self.rows)
        ]
        return "\n".join(lines)

    __repr__ = __str__


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _shifted(point: Mapping[Symbol, Array], xs: Sequence[Symbol], vs: Sequence[Array],
             h: float) -> dict[str, Array]:
    vals = {s.name: np.asarray(v, dtype=float) for s, v in point.items()}
    for x, v in zip(xs, vs):
        vals[x.name] = vals[x.name].reshape(v.shape) + h * v
    return vals


def _setup(exprs: list[Expr], xs: list[Symbol], values: Mapping[Any, Any] | None,
           dims: DimValues | None, rng: Any, functions: Functions | None
           ) -> tuple[dict[Symbol, Array], dict[str, int], np.random.Generator]:
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if values is None:
        point = random_point(exprs + xs, dims, gen, functions=functions)
        d = resolve_dims(dims)
    else:
        d = infer_dims(exprs + xs, values, dims)
        byname = {_key_name(k): v for k, v in values.items()}
        syms = {s for e in exprs + xs for s in e.free_symbols}
        point = {s: np.asarray(byname[s.name], dtype=float).reshape(
            dim_value(s.rows, d), dim_value(s.cols, d)) for s in syms}
    return point, d, gen


@deep
def fd_grad_check(f: Expr, x: Symbol | Sequence[Symbol], G: Expr | Sequence[Expr],
                  values: Mapping[Any, Any] | None = None, dims: DimValues | None = None,
                  *, rng: np.random.Generator | int | None = 0, directions: int = 3,
                  eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
                  functions: Functions | None = None) -> FDReport:
    """Compare gradient(s) ``G`` of scalar ``f`` with central differences along random v.

    ``(f(x + εv) − f(x − εv)) / 2ε`` must equal ``Σᵢ Gᵢ : vᵢ`` within
    ``rtol·max(|fd|, |G:v|) + atol·(1 + |f|)`` for each direction.

    Parameters
    ----------
    f : Expr
        A 1×1 expression.
    x : Symbol or list of Symbol
        Variable(s); all move together along one random direction per check.
    G : Expr or list of Expr
        The claimed gradient(s), each of its variable's shape.
    values : mapping, optional
        The point (Symbol or name → array); a seeded random point when omitted.
    dims : mapping, optional
        Dim (or name) → int; needed when ``values`` is omitted.
    rng, directions, eps, rtol, atol, functions
        Seed or generator; number of random directions; step; tolerances; generic
        functions as in :func:`evaluate`.

    Returns
    -------
    FDReport
        Truthy iff all directions agree; ``str()`` lists each direction's two numbers.
    """
    xs, gs = _as_list(x), _as_list(G)
    if len(xs) != len(gs):
        raise ValueError("one gradient per variable")
    for xi, gi in zip(xs, gs):
        if gi.shape != xi.shape:
            raise ShapeError(f"gradient {gi} is {fmt_shape(gi.shape)}, "
                             f"{xi.name} is {fmt_shape(xi.shape)}")
    point, d, gen = _setup([f, *gs], xs, values, dims, rng, functions)
    base = {s.name: v for s, v in point.items()}
    f0 = float(_Interp(base, d, functions).ev(f)[0, 0])
    garr = [_Interp(base, d, functions).ev(g) for g in gs]
    report = FDReport(
        f"fd_grad_check wrt {', '.join(s.name for s in xs)} of f = {f}", d)
    for _ in range(directions):
        # A structured variable moves only within its structure (symmetric directions).
        vs = [direction(xi, gen.standard_normal(g.shape)) for xi, g in zip(xs, garr)]
        fp = _Interp(_shifted(point, xs, vs, eps), d, functions).ev(f)[0, 0]
        fm = _Interp(_shifted(point, xs, vs, -eps), d, functions).ev(f)[0, 0]
        fd = float((fp - fm) / (2 * eps))
        exact = float(sum(np.sum(g * v) for g, v in zip(garr, vs)))
        report.rows.append((fd, exact, rtol * max(abs(fd), abs(exact)) + atol * (1 + abs(f0))))
    return report


@deep
def fd_jacobian_check(F: Expr, x: Symbol, J: Expr, values: Mapping[Any, Any] | None = None,
                      dims: DimValues | None = None, *,
                      rng: np.random.Generator | int | None = 0, directions: int = 3,
                      eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
                      functions: Functions | None = None) -> FDReport:
    """Compare a Jacobian ``J`` (vec dF = J vec dx) with central differences of ``F``.

    For each random direction v the check compares ``J vec(v)`` with
    ``(vec F(x + εv) − vec F(x − εv)) / 2ε`` in the max norm; the report holds, per
    direction, the largest entry of each side's difference (fd error, 0, tolerance).

    Parameters
    ----------
    F : Expr
        Any expression.
    x : Symbol
        The variable.
    J : Expr
        Of shape (rows·cols of F, rows·cols of x), column-major vec on both sides.
    values, dims, rng, directions, eps, rtol, atol, functions
        As in :func:`fd_grad_check`.

    Returns
    -------
    FDReport
    """
    point, d, gen = _setup([F, J], [x], values, dims, rng, functions)
    base = {s.name: v for s, v in point.items()}
    Jarr = _Interp(base, d, functions).ev(J)
    F0 = _Interp(base, d, functions).ev(F)
    xr, xc = dim_value(x.rows, d), dim_value(x.cols, d)
    if Jarr.shape != (F0.size, xr * xc):
        raise ShapeError(f"J is {Jarr.shape[0]}×{Jarr.shape[1]} here, expected "
                         f"{F0.size}×{xr * xc} (vec F by vec {x.name})")
    report = FDReport(f"fd_jacobian_check wrt {x.name} of F = {F}", d,
                      labels=("max |central difference − J vec(v)|", "target"))
    for _ in range(directions):
        v = direction(x, gen.standard_normal((xr, xc)))
        Fp = _Interp(_shifted(point, [x], [v], eps), d, functions).ev(F)
        Fm = _Interp(_shifted(point, [x], [v], -eps), d, functions).ev(F)
        fd = ((Fp - Fm) / (2 * eps)).reshape(-1, order="F")
        exact = Jarr @ v.reshape(-1, order="F")
        err = float(np.max(np.abs(fd - exact)))
        scale = max(float(np.max(np.abs(fd))), float(np.max(np.abs(exact))))
        tol = rtol * scale + atol * (1 + float(np.max(np.abs(F0))))
        report.rows.append((err, 0.0, tol))
    return report


def direction(x: Symbol, v: Array) -> Array:
    """A direction of change of ``x``: ``v`` itself, or for a structured x its part within
    the structure (symmetric: (v + vᵀ)/2; diagonal: its diagonal)."""
    if x.structure == "diagonal":
        return np.diag(np.diag(v))
    if x.structure is not None:
        return (v + v.T) / 2
    return v


@deep
def numeric_grad(f: Expr, x: Symbol, point: Mapping[Any, Any], dims: DimValues | None = None,
                 *, eps: float = 1e-6, functions: Functions | None = None) -> Array:
    """The full gradient of scalar ``f`` w.r.t. ``x`` by central differences, entry by entry.

    For a structured x (``mc.symmetric``...) it is the gradient in the space of such
    matrices, as :func:`matcalc.grad` gives by default: the entrywise differences of f's
    formula, projected onto the structure (sym(G) for symmetric x, G ∘ I for diagonal); the
    projection does not depend on how the formula extends off symmetric matrices.
    """
    if not is_scalar_shape(f.shape):
        raise ShapeError(f"f must be 1×1, it is {fmt_shape(f.shape)}")
    vals = {_key_name(k): np.asarray(v, dtype=float) for k, v in point.items()}
    d = infer_dims([f, x], point, dims)
    xr, xc = dim_value(x.rows, d), dim_value(x.cols, d)
    x0 = vals[x.name].reshape(xr, xc)
    g = np.zeros((xr, xc))
    for i in range(xr):
        for j in range(xc):
            e = np.zeros((xr, xc))
            e[i, j] = eps
            fp = _Interp({**vals, x.name: x0 + e}, d, functions).ev(f)[0, 0]
            fm = _Interp({**vals, x.name: x0 - e}, d, functions).ev(f)[0, 0]
            g[i, j] = (fp - fm) / (2 * eps)
    return direction(x, g)
