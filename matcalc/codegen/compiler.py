"""Code generation: ``mc.compile`` turns expressions into one plain-NumPy Python function.

The function reads dims from its array arguments and checks them, then runs straight-line
NumPy code produced by :mod:`matcalc.codegen.lower` (structured lowering, one rule per node
type) and :mod:`matcalc.codegen.products` (matrix products, as chains). All outputs share one
set of intermediates, so ``compile([loss, *grads])`` runs the forward pass once. The
generated source is kept on the function (``f.source``) and compiled functions are cached
by expression.
"""

from __future__ import annotations

import builtins
import itertools
import keyword
import linecache
import math
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.dims import Dim, check_name, fmt_shape
from ..expr.errors import type_error
from ..expr.functions import FUNCTIONS
from ..expr.nodes import (
    Apply,
    Delta,
    Expr,
    Inverse,
    Number,
    Power,
    Scale,
    Symbol,
    Transpose,
    children,
)
from ..expr.traverse import map_children, walk
from . import (  # noqa: F401  (they register)
    array_runtime,
    chain,
    products,
    reduce,
    runtime,
    spectral,
    stable,
    sums,
)
from .array_api import ArrayAPI
from .emit import POSTFIX, Code, Emitter
from .lower import Lowerer, Val, densify, full, impl_key, lower, split_scale

__all__ = ["compile", "CompiledFunction", "MissingFunctionError"]

# Names the generated module defines; a symbol with one of these names would shadow them.
_HELPERS = tuple(runtime.__all__)
_RESERVED = {"np", *_HELPERS}

BACKENDS = ("numpy", "array_api")

_CACHE: OrderedDict[tuple, Callable[..., Any]] = OrderedDict()
_CACHE_SIZE = 256
_counter = itertools.count(1)


class MissingFunctionError(KeyError):
    """A generic elementwise function (or a derivative of it) has no implementation."""

    def __str__(self) -> str:
        return str(self.args[0])


class CompiledFunction:
    """The type of what :func:`compile` returns (a plain function with these attributes).

    Attributes
    ----------
    source : str
        The generated Python/NumPy source.
    args : tuple of str
        The argument names, in order.
    """

    source: str
    args: tuple[str, ...]


@deep
def compile(  # noqa: A001 - the API's name
    exprs: Expr | Sequence[Expr],
    args: Sequence[Symbol] | None = None,
    functions: dict[str, Callable[..., Any]] | None = None,
    backend: str = "numpy",
) -> Callable[..., Any]:
    """Compile expressions to a fast NumPy function (or array-API code for any library).

    Parameters
    ----------
    exprs : Expr or sequence of Expr
        What to compute. A sequence gives a function returning a tuple; intermediates
        shared by several expressions are computed once.
    args : sequence of Symbol, optional
        The signature, as in ``sympy.lambdify``: must include every free symbol and may
        include others (their arrays then also fix dims). Default: the free symbols in
        order of first appearance.
    functions : dict, optional
        Implementations of generic elementwise functions declared with
        ``mc.elementwise``: ``{"sigma": f, "sigma'": fprime}``.
    backend : {"numpy", "array_api"}
        ``"numpy"`` (default): plain NumPy. ``"array_api"``: code that takes its namespace
        from the data arguments (``array_api_compat.array_namespace``) and uses only the
        array API standard, so it runs unchanged on NumPy, Dask (lazy in, lazy out), PyTorch,
        CuPy and JAX arrays; NumPy arrays and numbers beside them are converted to that
        library. Needs the ``array`` extra (``array-api-compat``).

    Returns
    -------
    callable
        ``f(**arrays)`` (positional arguments in ``f.args`` order also work), with
        ``f.source`` (the generated code) and ``f.args`` (argument names).

    Raises
    ------
    ValueError
        For a differential (``dX``) in an expression, an ``args`` list that misses a free
        symbol, two symbols sharing a name, or a dim no argument determines.
    MissingFunctionError
        (a ``KeyError``) when a generic function has no implementation in ``functions``.
    """
    single = not isinstance(exprs, (list, tuple))
    # a number or a dim is a constant expression (mc.compile(3)() == 3)
    outs = ([as_expr(exprs, "mc.compile", "exprs")] if single
            else [as_expr(e, "mc.compile", f"exprs[{i}]") for i, e in enumerate(exprs)])
    if args is not None and not isinstance(args, (list, tuple)):
        raise type_error("mc.compile", "args", args, "a list or tuple of matcalc symbols")
    if functions is not None and not isinstance(functions, Mapping):
        raise type_error("mc.compile", "functions", functions,
                         'a dict of implementations ({"sigma": f, "sigma\'": fprime})')
    if not isinstance(backend, str):
        raise type_error("mc.compile", "backend", backend,
                         f"one of {', '.join(map(repr, BACKENDS))}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, "
                         f"got {backend!r}")
    fns = dict(functions or {})
    key = (tuple(outs), single, None if args is None else tuple(args),
           tuple(sorted((k, id(v)) for k, v in fns.items())), backend)
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    fn = _build(outs, single, args, fns, ArrayAPI() if backend == "array_api" else None)
    _CACHE[key] = fn
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return fn


# ----------------------------------------------------------------------------------------


def _free_symbols_in_order(outs: Iterable[Expr]) -> list[Symbol]:
    seen: dict[Symbol, None] = {}
    for e in outs:
        for node in walk(e):
            if isinstance(node, Delta):
                raise ValueError(
                    f"cannot compile an expression containing the differential d{node.of}"
                )
            if isinstance(node, Symbol):
                seen.setdefault(node, None)
    return list(seen)


def _dims_used(outs: Iterable[Expr]) -> set[sympy.Symbol]:
    """Dim symbols the generated code needs: in shapes and in constants (``2/n``)."""
    acc: set[sympy.Symbol] = set()
    for e in outs:
        for node in walk(e):
            for d in node.shape:
                acc |= d.symbols
            for value in _constants(node):
                acc |= value.free_symbols
    return acc


def _constants(node: Expr) -> list[sympy.Expr]:
    if isinstance(node, Scale):
        return [node.coef]
    if isinstance(node, Number):
        return [node.value]
    if isinstance(node, Power):
        return [node.k]
    return []


def _arg_kind(s: Symbol) -> str:
    r, c = s.shape
    if r == 1 and c == 1:
        return "_scalar"
    if c == 1:
        return "_column"
    if r == 1:
        return "_row"
    return "_matrix"


def _build(outs: list[Expr], single: bool, args: Sequence[Symbol] | None,
           fns: dict[str, Callable[..., Any]], backend: ArrayAPI | None) -> Callable[..., Any]:
    reserved = _RESERVED | (backend.reserved if backend is not None else set())
    free = _free_symbols_in_order(outs)
    if args is None:
        params = free
    else:
        params = list(args)
        for i, s in enumerate(params):
            if not isinstance(s, Symbol):
                raise type_error("mc.compile", f"args[{i}]", s, "a matcalc symbol")
        missing = [s.name for s in free if s not in params]
        if missing:
            raise ValueError(f"args is missing the free symbol(s) {', '.join(missing)}")
    names: dict[str, Symbol] = {}
    for s in params:
        check_name(s.name)  # a hand-built Symbol could carry any text: never emit it unchecked
        other = names.setdefault(s.name, s)
        if other != s:
            raise ValueError(
                f"two different symbols are named {s.name!r} ({fmt_shape(other.shape)} and "
                f"{fmt_shape(s.shape)}); compiled functions take arguments by name"
            )
        if s.name in reserved:
            raise ValueError(f"symbol name {s.name!r} is reserved in compiled code; rename it")
    params = list(names.values())

    em = Emitter(set(names) | reserved)
    dim_syms = sorted({x for s in params for d in s.shape for x in d.symbols}, key=str)
    dim_names = {d: em.fresh(str(d)) for d in dim_syms}
    unknown = _dims_used(outs) - set(dim_syms)
    if unknown:
        raise ValueError(
            "cannot infer dim(s) " + ", ".join(sorted(map(str, unknown)))
            + " from the arguments; pass a symbol of that size in args="
        )

    impls: dict[str, str] = {}
    namespace: dict[str, Any] = {"np": np} if backend is None else {}
    for e in outs:
        for node in walk(e):
            if isinstance(node, Apply) and (node.fn not in FUNCTIONS or node.order):
                k = impl_key(node.fn, node.order)
                if k in impls:
                    continue
                if k not in fns:
                    raise MissingFunctionError(
                        f"mc.compile needs an implementation of {k!r}: pass "
                        f"functions={{{k!r}: ...}}"
                    )
                if not callable(fns[k]):
                    raise TypeError(f"functions[{k!r}] must be callable, got {fns[k]!r}")
                if not node.fn.isidentifier() or keyword.iskeyword(node.fn):
                    raise ValueError(f"invalid function name {node.fn!r}")
                var = em.fresh(node.fn + "_prime" * min(node.order, 1)
                               + (str(node.order) if node.order > 1 else ""))
                impls[k] = var
                namespace[var] = fns[k]

    lo = Lowerer(em, dim_names, impls, {s: s.name for s in params}, backend)
    lo.shared = _shared(outs)
    lo.inverses = _inverse_uses(outs)
    out_codes = [_output(lo, lower(e, lo)) for e in outs]
    for c in out_codes:
        if not c.fixed and c.hint is None:
            c.hint = "out"
    body, returns = em.render(out_codes)

    lines = [f"def compiled({', '.join(names)}):"]
    for e in outs:
        lines.append(f"    # {_one_line(e)}  :  {fmt_shape(e.shape)}")
    text = "\n".join(body + returns)
    unused = {s for s in params if not re.search(rf"\b{s.name}\b", text)}
    prologue = _prologue(params, dim_names, numpy=backend is None,
                         unused=unused if backend is None and not lo.needs_dtype else set())
    if backend is not None:  # its own coercion: the namespace first, then the arguments
        prologue = backend.prologue(lo, params, {s: _arg_kind(s) for s in params},
                                    _square_dims(outs)) + prologue[len(params):]
    elif lo.needs_dtype:
        arrays = ", ".join([*names, "1.0"])
        prologue.append(f"{lo.dtype_name} = np.result_type({arrays})")
    lines += ["    " + ln for ln in prologue + body]
    ret = returns[0] if single else (", ".join(returns) + ("," if len(returns) == 1 else ""))
    ret = ret or "()"
    lines.append(f"    return {ret}")

    if backend is not None:
        header = backend.header(lines)
        used: list[str] = []
        for h in backend.helpers:
            if any(h + "(" in ln for ln in lines):
                namespace[h] = getattr(array_runtime, h)
        if any("math." in ln for ln in lines):
            namespace["math"] = math
    else:
        # whole names only: _block_diag is not used where only _add_block_diag is
        used = sorted(h for h in _HELPERS if any(re.search(rf"\b{h}\b", ln) for ln in lines))
        header = ["import numpy as np"]
        if used:
            header.append(f"from matcalc.codegen.runtime import {', '.join(used)}")
    if impls:
        header.append("# " + ", ".join(f"{v} = functions[{k!r}]" for k, v in impls.items()))
    source = "\n".join(header) + "\n\n\n" + "\n".join(lines) + "\n"

    for h in used:
        namespace[h] = getattr(runtime, h)
    filename = f"<matcalc-compiled-{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(builtins.compile(source, filename, "exec"), namespace)  # noqa: S102 - our own code
    fn = namespace["compiled"]
    fn.source = source
    fn.args = tuple(names)
    return fn


def _shared(outs: list[Expr]) -> set[Expr]:
    """Subexpressions with two or more parents across all outputs (or that are outputs)."""
    parents: dict[Expr, int] = {}
    seen: set[Expr] = set()
    for e in outs:
        parents[e] = parents.get(e, 0) + 1
        for node in walk(e):
            if node in seen:
                continue
            seen.add(node)
            for c in children(node):
                parents[c] = parents.get(c, 0) + 1
    return {e for e, k in parents.items() if k > 1}


def _inverse_uses(outs: list[Expr]) -> dict[Expr, int]:
    """For each matrix X that is inverted somewhere (as X⁻¹ or (Xᵀ)⁻¹), how many places use
    one of its inverses: with two or more, one np.linalg.inv serves them all, where a solve
    per use would factorize X again for each (see products.product)."""
    uses: dict[Expr, int] = {}
    seen: set[Expr] = set()

    def count(node: Expr) -> None:
        if isinstance(node, Inverse):
            x = node.x.x if isinstance(node.x, Transpose) else node.x
            uses[x] = uses.get(x, 0) + 1

    for e in outs:
        count(e)
        for node in walk(e):
            if node not in seen:
                seen.add(node)
                for c in children(node):
                    count(c)
    return uses


_COMMENT_NODES = 120  # about what 200 characters of text can show


def _one_line(e: Expr) -> str:
    """``e`` as one line of at most 200 characters, for a comment. A large tree (a deep
    chain's gradient prints in a length quadratic in its depth) is printed with the
    subtrees past the first nodes written ``…``, so the text costs what the line shows."""
    sizes: dict[int, int] = {}
    for node in walk(e):  # the printed size, counting shared subtrees at each use
        sizes[id(node)] = min(_COMMENT_NODES + 1, 1 + sum(sizes[id(c)] for c in children(node)))
    if sizes[id(e)] > _COMMENT_NODES:
        budget = [_COMMENT_NODES]

        def cut(node: Expr) -> Expr:
            if budget[0] <= 0:
                return Symbol("…", *node.shape)
            budget[0] -= 1
            return map_children(node, cut)

        e = cut(e)
    text = " ".join(str(e).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _output(lo: Lowerer, v: Val) -> Code:
    """An output in the API's form: scalars as scalars, vectors 1-D, never an input alias."""
    v = densify(lo, v)
    if v.rows == 1 and v.cols == 1:
        if lo.backend is not None:
            return lo.backend.scalar_output(lo, v.code)
        if v.code.fixed:  # a constant or a scalar argument: a NumPy scalar of the result type
            return lo.em.op(POSTFIX, lo.dtype().name + ".type(", (v.code, 0), ")")
        return v.code
    code = full(lo, v)
    if code.fixed:
        code = lo.method(code, ".copy()")
    if v.rows == 1 or v.cols == 1:
        coef, codes, base = split_scale(code)
        if base.reshape_of is not None:  # c x.reshape(..).reshape(-1): c x.reshape(-1)
            inner, order = base.reshape_of
            flat = lo.dense(lo.reshape(inner, ["-1"], order=order), v.rows, v.cols)
            code = lo.scale([coef, *codes], flat).code
        else:
            code = lo.method(code, ".reshape(-1)")
    return code


def _prologue(params: list[Symbol], dim_names: dict[sympy.Symbol, str],
              numpy: bool = True, unused: set[Symbol] = frozenset()) -> list[str]:
    """Argument coercion and the dim bindings/checks, as source lines. For NumPy arrays an
    axis-0 size is read as len(x) (x.shape[0] without building the shape tuple, which
    costs more, once per argument per call); array-API arrays need not support len. A
    column in ``unused`` (the body never reads it) is checked but not kept: its (n, 1)
    view would be made for nothing, and len(x) is its size either way."""

    def size(name: str, ax: int) -> str:
        return f"len({name})" if ax == 0 and numpy else f"{name}.shape[{ax}]"

    lines = []
    for s in params:
        check = f"{_arg_kind(s)}({s.name}, {s.name!r}, {fmt_shape(s.shape)!r})"
        keep = s not in unused or _arg_kind(s) != "_column"
        lines.append(f"{s.name} = {check}" if keep else check)
    bound: dict[sympy.Symbol, str] = {}  # dim → the argument that fixed it
    pending: list[tuple[Symbol, int, Dim]] = []
    for s in params:
        kind = _arg_kind(s)
        axes = {"_scalar": (), "_column": (0,), "_row": (1,), "_matrix": (0, 1)}[kind]
        fresh = [ax for ax in axes if s.shape[ax].expr.is_Symbol
                 and s.shape[ax].expr not in bound]
        if len(fresh) == 2 and s.shape[0] != s.shape[1]:
            r, c = (dim_names[s.shape[ax].expr] for ax in (0, 1))
            lines.append(f"{r}, {c} = {s.name}.shape")
            for ax in (0, 1):
                bound[s.shape[ax].expr] = s.name
            continue
        for ax in axes:
            d = s.shape[ax].expr
            if d.is_Symbol and d not in bound:
                lines.append(f"{dim_names[d]} = {size(s.name, ax)}")
                bound[d] = s.name
            else:
                pending.append((s, ax, s.shape[ax]))
    for s, ax, d in pending:
        if not d.symbols <= set(bound):
            raise ValueError(f"cannot infer the dims of {d} for argument {s.name}")
        want = _dim_text(d.expr, dim_names)
        src = ", ".join(sorted({bound[x] for x in d.symbols})) or "the expression"
        got = size(s.name, ax)
        lines.append(
            f"if {got} != {want}: "
            f"_mismatch({s.name!r}, {ax}, {str(d)!r}, {got}, {want}, {src!r})"
        )
    return lines


def _square_dims(outs: Iterable[Expr]) -> set[Dim]:
    """Dims that some n×n value in the computation has (an argument split along one of them
    would have that value split along both axes)."""
    return {node.shape[0] for e in outs for node in walk(e)
            if node.shape[0] == node.shape[1] and node.shape[0] != 1}


def _dim_text(expr: sympy.Expr, dim_names: dict[sympy.Symbol, str]) -> str:
    if expr.is_Integer:
        return str(int(expr))
    if expr.is_Symbol:
        return dim_names[expr]
    return "(" + str(sympy.pycode(expr.xreplace(
        {s: sympy.Symbol(dim_names[s]) for s in expr.free_symbols}))) + ")"


