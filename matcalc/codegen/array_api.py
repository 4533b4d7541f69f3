"""The array-API backend: the NumPy-level calls of the lowering rules, in standard functions.

The lowering rules (:mod:`lower`, :mod:`chain`, :mod:`reduce`) say what to compute in NumPy
terms (``np.vdot``, ``x.sum(1, keepdims=True)``, ``np.linalg.solve``); with
``mc.compile(..., backend="array_api")`` each of those requests goes through
:class:`ArrayAPI`, which writes the same computation with the functions of the Python array
API standard on a namespace ``xp`` that the generated code takes from its data arguments
(:mod:`matcalc.codegen.array_runtime`). One table per request kind, side by side; a request
with no entry is an error here, at compile time, never NumPy code in disguise.

What is not in the standard goes to a small run-time helper that uses the namespace's own
function where it has one (``einsum``, ``linalg``) and a standard fallback otherwise; on
Dask the linear-algebra helpers also check that their operand is one chunk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..expr.dims import fmt_shape
from ..expr.functions import FunctionSpec
from ..expr.nodes import Symbol
from .emit import MUL, POSTFIX, Code
from .lower import Lowerer

__all__ = ["ArrayAPI", "HELPERS"]

# Run-time helpers (matcalc.codegen.array_runtime) the generated code may import.
HELPERS = ("_namespace", "_xmatrix", "_xcolumn", "_xrow", "_xscalar", "_xdtype", "_xout",
           "_whole", "_mismatch", "_dot3", "_chain", "_vdot", "_einsum", "_diagonal", "_trace",
           "_norm", "_linalg", "_eye", "_diagflat", "_kron", "_broadcast", "_commutation",
           "_relu", "_step", "_sigmoid", "_softplus", "_logsumexp", "_softmax")

# NumPy elementwise names → the standard's names (the standard spells arcsin asin, ...).
_ELEMENTWISE = {"abs": "abs", "log": "log", "sqrt": "sqrt", "exp": "exp", "sign": "sign",
                "tanh": "tanh", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin",
                "arccos": "acos", "arctan": "atan", "prod": "prod", "log1p": "log1p",
                "expm1": "expm1"}
# Elementwise functions whose standard form needs a helper (relu = maximum(x, 0) takes a
# Python scalar only from the 2024.12 standard on; sigmoid and softplus need care in the tails).
_FUNCTION_HELPERS = {"relu": "_relu", "step": "_step", "sigmoid": "_sigmoid",
                     "softplus": "_softplus"}
_CALL_HELPERS = {"np.diagonal": "_diagonal", "np.trace": "_trace", "np.linalg.norm": "_norm",
                 "np.diagflat": "_diagflat", "np.kron": "_kron", "np.broadcast_to": "_broadcast",
                 "_commutation": "_commutation", "_logsumexp": "_logsumexp",
                 "_softmax": "_softmax"}
_LINALG = {"np.linalg.inv": "inv", "np.linalg.det": "det", "np.linalg.slogdet": "slogdet",
           "np.linalg.solve": "solve", "np.linalg.matrix_power": "matrix_power"}
_NAMESPACE_FREE = {"_dot3", "_chain"}  # these use only ``@`` and ``.shape``
_SUM = re.compile(r"^\.sum\((?:(\d), keepdims=True)?\)$")
_ASTYPE = re.compile(r"^\.astype\(([A-Za-z_]\w*)\)$")
_LITERAL = re.compile(r"^-?[\d.]")


def _tuple(lo: Lowerer, dims: Sequence[Code | str]) -> Code:
    parts: list = ["("]
    for i, d in enumerate(dims):
        parts += ([", "] if i else []) + [d if isinstance(d, str) else (d, 0)]
    parts.append(",)" if len(dims) == 1 else ")")
    return lo.em.op(POSTFIX, *parts)


class ArrayAPI:
    """Rewrites the lowering's NumPy requests as array-API code on the namespace ``xp``."""

    name = "array_api"
    reserved = frozenset({"xp", "math", *HELPERS})
    helpers = HELPERS

    def _array(self, lo: Lowerer, x: Code | str) -> Code | str:
        """A literal (``2.0``) as a 0-d array: standard functions take arrays only."""
        if isinstance(x, Code) and x.fixed and _LITERAL.match(x.parts[0]):
            return lo.call_text("xp.asarray", x, "dtype=" + lo.dtype().name)
        return x

    def call(self, lo: Lowerer, fn: str, args: Sequence[Code | str]) -> Code:
        """``fn(*args)`` as the lowering asked for it (NumPy names), in standard terms."""
        if fn == "np.vdot":
            return lo.call_text("_vdot", "xp", *args)
        if fn == "np.einsum":
            spec, *ops = args
            if spec == '"ij,ji->i"':  # diag(AB)ᵢ = Σⱼ AᵢⱼBⱼᵢ
                prod = lo.binop("*", MUL, ops[0], lo.transpose_code(ops[1]))
                return lo.call_text("xp.sum", prod, "axis=1")
            if spec == '"ij,ji->"':  # tr(AB) = Σᵢⱼ AᵢⱼBⱼᵢ
                return lo.call_text("xp.sum", lo.binop("*", MUL, ops[0], lo.transpose_code(ops[1])))
            return lo.call_text("_einsum", "xp", spec, *ops)
        if fn == "np.eye":
            return lo.call_text("_eye", "xp", *args)
        if fn in _LINALG:
            return lo.call_text("_linalg", "xp", f'"{_LINALG[fn]}"', *args)
        if fn in _CALL_HELPERS:
            return lo.call_text(_CALL_HELPERS[fn], "xp", *args)
        if fn.startswith("np.") and fn[3:] in _ELEMENTWISE:
            return lo.call_text("xp." + _ELEMENTWISE[fn[3:]], *[self._array(lo, a) for a in args])
        if fn in _NAMESPACE_FREE or fn in lo.functions.values():
            return lo.call_text(fn, *args)  # a user implementation gets the namespace's arrays
        raise NotImplementedError(f"the array_api backend has no translation of {fn}(...)")

    def method(self, lo: Lowerer, x: Code, text: str) -> Code:
        """``x<text>`` (a NumPy method or attribute) in standard terms."""
        if text == ".T":  # the standard's attribute for 2-D arrays
            return lo.em.op(POSTFIX, (x, POSTFIX), ".T")
        m = _SUM.match(text)
        if m:
            axis = () if m.group(1) is None else (f"axis={m.group(1)}", "keepdims=True")
            return lo.call_text("xp.sum", x, *axis)
        m = _ASTYPE.match(text)
        if m:
            return lo.call_text("xp.astype", x, m.group(1))
        if text == ".copy()":
            return lo.call_text("xp.asarray", x, "copy=True")
        if text == ".reshape(-1)":
            return lo.call_text("xp.reshape", x, "(-1,)")
        if text == ".transpose(1, 0, 2)":
            return lo.call_text("xp.permute_dims", x, "(1, 0, 2)")
        raise NotImplementedError(f"the array_api backend has no translation of x{text}")

    def reshape(self, lo: Lowerer, x: Code, dims: list[Code | str], order: str) -> Code:
        """C order is ``xp.reshape``; the column-major (vec) layout of a 2-D x is the
        row-major layout of xᵀ, so reshape(x, (r, c), F) = reshape(xᵀ, (c, r))ᵀ."""
        if order == "F":
            assert len(dims) == 2, dims
            t = lo.call_text("xp.reshape", lo.transpose_code(x), _tuple(lo, dims[::-1]))
            return lo.transpose_code(t)
        return lo.call_text("xp.reshape", x, _tuple(lo, dims))

    def astype(self, lo: Lowerer, x: Code, dtype: Code) -> Code:
        return lo.call_text("xp.astype", x, dtype)

    def apply(self, lo: Lowerer, spec: FunctionSpec, x: Code) -> Code:
        """A built-in elementwise function."""
        x = self._array(lo, x)
        if spec.name in _FUNCTION_HELPERS:
            return lo.call_text(_FUNCTION_HELPERS[spec.name], "xp", x)
        return lo.call_text("xp." + _ELEMENTWISE[spec.name], x)

    def constant(self, text: str) -> str:
        """Dim arithmetic is on Python ints: ``math.sqrt``, not a namespace function."""
        return text.replace("np.sqrt(", "math.sqrt(")

    def scalar_output(self, lo: Lowerer, code: Code) -> Code:
        """A 1×1 result as a 0-d array of the namespace (a lazy one on Dask)."""
        return lo.call_text("_xout", "xp", code, lo.dtype())

    # --- the prologue: namespace, argument coercion, dtype ----------------------------
    def prologue(self, lo: Lowerer, params: list[Symbol], kinds: dict[Symbol, str],
                 square: set) -> list[str]:
        """Source lines that fix ``xp`` from the arguments, bring every argument into it,
        and bind the dtype. ``square`` holds the dims some n×n value has: a Dask argument
        split along one of them is made one chunk there (with a warning) when that is small.
        """
        names = [s.name for s in params]
        lines = [f"xp = _namespace({', '.join(f'{n}={n}' for n in names)})"]
        arrays = [s.name for s in params if kinds[s] != "_scalar"]
        lines.append(f"{lo.dtype_name} = _xdtype(xp{''.join(', ' + a for a in arrays)})")
        for s in params:
            kind = kinds[s]
            if kind == "_scalar":
                lines.append(f"{s.name} = _xscalar(xp, {s.name}, {s.name!r}, {lo.dtype_name})")
                continue
            lines.append(f"{s.name} = _x{kind[1:]}(xp, {s.name}, {s.name!r}, "
                         f"{fmt_shape(s.shape)!r}, {lo.dtype_name})")
            axes = tuple(ax for ax in range(2) if s.shape[ax] != 1 and s.shape[ax] in square)
            if axes:
                lines.append(f"{s.name} = _whole(xp, {s.name}, {s.name!r}, {axes!r})")
        return lines

    def header(self, used: list[str]) -> list[str]:
        lines = ["import math"] if any("math." in u for u in used) else []
        helpers = [h for h in HELPERS if any(re.search(rf"\b{h}\(", u) for u in used)]
        if helpers:
            lines.append(f"from matcalc.codegen.array_runtime import {', '.join(helpers)}")
        return lines
