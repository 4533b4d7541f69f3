"""``mc.minimize``: SciPy's optimizers fed a derived, compiled value and gradient (GENO's idea).

The objective's gradients w.r.t. the named variables are derived once (``mc.grad``) and
compiled with the objective into one function, so each SciPy evaluation runs the forward
pass once for the value and every gradient. Variables are flattened into SciPy's one vector
and unflattened on the way back; the result's ``.x`` is a dict name → array. Methods that
use Hessian-vector products (Newton-CG, trust-ncg, trust-krylov, trust-constr) get a compiled
``hessp`` from ``mc.hvp``-style directional derivatives, never a formed Hessian.

Data given as Dask arrays (or any non-NumPy array library) selects the array-API backend:
each evaluation builds the lazy graph and computes it in one ``dask.compute`` (on the
cluster of the active ``distributed`` client, if any), so the data stay on the workers and
only the value and the small gradients travel. SciPy is the ``optimize`` extra.

Lives at the top of the package: it uses the calculus (``grad``, ``jvp``) and the code
generator (``compile``), two stages that do not import each other.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np

from .calculus.api import grad, jvp
from .codegen.compiler import compile as compile_
from .expr.build import matrix
from .expr.errors import type_error
from .expr.nodes import Expr, Symbol

__all__ = ["minimize"]

# SciPy methods that take a Hessian-vector product (``hessp``).
HESSP_METHODS = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}


def minimize(f: Expr, x0: Mapping[str, Any], data: Mapping[str, Any] | None = None,
             method: str = "L-BFGS-B", **options: Any) -> Any:
    """Minimize the scalar ``f`` over the symbols named in ``x0`` with scipy.optimize.

    Parameters
    ----------
    f : Expr
        A 1×1 matcalc expression.
    x0 : dict
        Variable name → initial array (its shape is kept: a 1-D start gives a 1-D result).
    data : dict, optional
        Values of the other symbols of ``f``: NumPy arrays and numbers, or arrays of one
        other library (Dask: lazy, computed once per evaluation).
    method : str
        A ``scipy.optimize.minimize`` method. Newton-CG, trust-ncg, trust-krylov and
        trust-constr also get a compiled Hessian-vector product.
    **options
        Passed to ``scipy.optimize.minimize`` (``tol``, ``options``, ``callback``, ...).
        ``bounds`` may also be a dict name → (low, high), applied to every entry of that
        variable (unnamed variables are unbounded).

    Returns
    -------
    scipy.optimize.OptimizeResult
        SciPy's result; ``.x`` is a dict name → fitted array, ``.x_flat`` SciPy's vector.

    Raises
    ------
    TypeError
        ``f`` not an expression, ``x0``/``data`` not dicts.
    ValueError
        A non-scalar ``f``, a name in ``x0`` that is not a symbol of ``f``, or a symbol of
        ``f`` with no value in ``x0`` or ``data``.
    """
    try:
        import scipy.optimize
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ImportError("mc.minimize needs SciPy: pip install 'matcalc[optimize]'") from exc
    if not isinstance(f, Expr):
        raise type_error("mc.minimize", "f", f, "a matcalc expression")
    if f.shape[0] != 1 or f.shape[1] != 1:
        raise ValueError(f"mc.minimize needs a scalar objective; f is {f.shape[0]}×{f.shape[1]}")
    if not isinstance(x0, Mapping) or not x0:
        raise type_error("mc.minimize", "x0", x0, "a non-empty dict: variable name → initial array")
    if data is not None and not isinstance(data, Mapping):
        raise type_error("mc.minimize", "data", data, "a dict: symbol name → array")
    if not isinstance(method, str):
        raise type_error("mc.minimize", "method", method, "a str (a scipy.optimize method)")
    data = dict(data or {})
    symbols = {s.name: s for s in f.free_symbols}
    for name in x0:
        if name not in symbols:
            raise ValueError(f"x0 names {name!r}, which is not a symbol of f "
                             f"(its symbols: {', '.join(sorted(symbols))})")
        if name in data:
            raise ValueError(f"{name!r} is in both x0 and data")
    missing = sorted(set(symbols) - set(x0) - set(data))
    if missing:
        raise ValueError(f"no value for the symbol(s) {', '.join(missing)}: pass them in data")
    variables = [symbols[name] for name in x0]
    extra = [symbols[name] for name in data if name in symbols]
    starts = {name: np.asarray(a, dtype=np.float64) for name, a in x0.items()}
    sizes = [starts[v.name].size for v in variables]
    offsets = np.cumsum([0, *sizes])

    lazy = any(not isinstance(a, (np.ndarray, np.generic, int, float, list, tuple))
               for a in data.values())
    backend = "array_api" if lazy else "numpy"
    args = variables + extra
    value_and_grad = compile_([f, *grad(f, variables)], args=args, backend=backend)

    def unflatten(theta: np.ndarray) -> dict[str, np.ndarray]:
        return {v.name: theta[offsets[i]:offsets[i + 1]].reshape(starts[v.name].shape)
                for i, v in enumerate(variables)}

    def run(fn: Any, theta: np.ndarray, more: dict | None = None) -> list[np.ndarray]:
        out = fn(**unflatten(theta), **data, **(more or {}))
        out = out if isinstance(out, tuple) else (out,)
        if lazy:
            out = _materialize(out)
        return [np.asarray(o, dtype=np.float64) for o in out]

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, *grads = run(value_and_grad, theta)
        return float(value), np.concatenate([g.ravel() for g in grads])

    kwargs = dict(options)
    if isinstance(kwargs.get("bounds"), Mapping):
        kwargs["bounds"] = _flat_bounds(kwargs["bounds"], variables, sizes)
    if method.lower() in HESSP_METHODS and "hess" not in kwargs and "hessp" not in kwargs:
        directions, hvp = _hvp(f, variables, args, backend, set(symbols))

        def hessp(theta: np.ndarray, p: np.ndarray) -> np.ndarray:
            more = {d.name: part for d, part in zip(directions, unflatten(p).values())}
            return np.concatenate([h.ravel() for h in run(hvp, theta, more)])

        kwargs["hessp"] = hessp
    theta0 = np.concatenate([starts[v.name].ravel() for v in variables])
    res = scipy.optimize.minimize(fun, theta0, jac=True, method=method, **kwargs)
    res.x_flat = res.x
    res.x = unflatten(res.x)
    return res


def _materialize(out: tuple) -> tuple:
    """Lazy outputs computed together (Dask: one graph, each chunk read once)."""
    try:
        import dask
    except ImportError:  # not Dask: another eager library
        return out
    if any(dask.is_dask_collection(o) for o in out):
        return dask.compute(*out)
    return out


def _hvp(f: Expr, variables: list[Symbol], args: list[Symbol], backend: str,
         taken: set[str]) -> tuple[list[Symbol], Any]:
    """(H p)ⱼ = Σᵢ ∂/∂xᵢ (∂f/∂xⱼ)[pᵢ], compiled with the directions pᵢ as arguments."""
    directions = []
    for v in variables:
        name = v.name + "_dir"
        while name in taken:
            name += "_"
        taken.add(name)
        directions.append(matrix(name, *v.shape))
    grads = grad(f, variables)
    parts = []
    for g in grads:
        terms = [jvp(g, v, d) for v, d in zip(variables, directions)]
        parts.append(functools.reduce(operator.add, terms))
    return directions, compile_(parts, args=args + directions, backend=backend)


def _flat_bounds(bounds: Mapping[str, Any], variables: list[Symbol],
                 sizes: list[int]) -> list[tuple[Any, Any]]:
    names = {v.name for v in variables}
    for name in bounds:
        if name not in names:
            raise ValueError(f"bounds names {name!r}, which is not a variable in x0")
    flat: list[tuple[Any, Any]] = []
    for v, k in zip(variables, sizes):
        flat += [tuple(bounds.get(v.name, (None, None)))] * k
    return flat
