"""Run-time helpers of array-API compiled functions (``mc.compile(..., backend="array_api")``).

The generated code calls these with the namespace ``xp`` it took from its data arguments
(:func:`_namespace`). Each helper uses only the array API standard, or the namespace's own
function where it has one that the standard lacks (``einsum``), with a standard fallback.
On Dask arrays the linear-algebra helper checks that its operand is one chunk: an inverse,
a solve or a determinant needs the whole matrix, so a matrix split along an axis is a clear
error rather than a silent gather of that axis.

``array_api_compat`` is imported when a compiled function is first called (an extra:
``pip install matcalc[array]``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..expr.errors import ShapeError
from .runtime import _chain, _dot3, _mismatch

__all__ = ["_namespace", "_xmatrix", "_xcolumn", "_xrow", "_xscalar", "_xdtype", "_xout",
           "_whole", "_mismatch", "_dot3", "_chain", "_vdot", "_einsum", "_diagonal", "_trace",
           "_norm", "_linalg", "_eye", "_diagflat", "_kron", "_broadcast", "_commutation",
           "_relu", "_step", "_sigmoid", "_softplus", "_logsumexp", "_softmax", "ChunkWarning",
           "compat"]


class ChunkWarning(UserWarning):
    """A Dask argument was rechunked so that an n×n operand is one chunk."""


def compat() -> Any:
    """The ``array_api_compat`` module, or an ImportError that says which extra to install."""
    try:
        import array_api_compat
    except ImportError as exc:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "backend='array_api' needs array-api-compat: pip install 'matcalc[array]'"
        ) from exc
    return array_api_compat


def _library(x: Any) -> str:
    t = type(x)
    return f"{t.__module__.split('.')[0]}.{t.__qualname__}"


def _namespace(**args: Any) -> Any:
    """The one array namespace of the arguments. NumPy arrays, Python numbers and lists
    are small parameters that join any library; two other libraries are an error."""
    c = compat()
    found: tuple[str, Any, Any] | None = None
    for name, x in args.items():
        if isinstance(x, (int, float, bool, list, tuple, np.ndarray, np.generic)) or x is None:
            continue
        try:
            xp = c.array_namespace(x)
        except TypeError as exc:
            raise TypeError(f"argument {name}: expected an array, got {_library(x)}") from exc
        if found is None:
            found = (name, x, xp)
        elif xp is not found[2]:
            raise TypeError(
                f"arguments {found[0]} ({_library(found[1])}) and {name} ({_library(x)}) "
                "come from different array libraries; pass arrays of one library (NumPy "
                "arrays are converted to it)"
            )
    return found[2] if found is not None else c.array_namespace(np.empty(0))


def _native(x: Any) -> bool:
    """Whether ``x`` is an array of a library other than NumPy (it fixes the namespace)."""
    return not isinstance(x, (np.ndarray, np.generic)) and compat().is_array_api_obj(x)


def _lift(xp: Any, x: Any, name: str, dtype: Any) -> Any:
    """``x`` as an array of ``xp`` in the computation's floating ``dtype``."""
    a = x if _native(x) or xp is compat().array_namespace(np.empty(0)) else None
    if a is None or not compat().is_array_api_obj(a):
        a = xp.asarray(x)
    if not xp.isdtype(a.dtype, ("real floating", "integral", "bool")):
        raise TypeError(f"argument {name}: expected a real numeric array, got dtype {a.dtype}")
    return a if a.dtype == dtype else xp.astype(a, dtype)


def _xmatrix(xp: Any, x: Any, name: str, shape: str, dtype: Any) -> Any:
    """A matrix argument: must be 2-D."""
    a = _lift(xp, x, name, dtype)
    if a.ndim != 2:
        raise ShapeError(f"argument {name} ({shape}) must be a 2-D array, got shape "
                         f"{tuple(a.shape)}")
    return a


def _xvector(xp: Any, x: Any, name: str, shape: str, dtype: Any, axis: int) -> Any:
    a = _lift(xp, x, name, dtype)
    if a.ndim == 1:
        return xp.reshape(a, (-1, 1) if axis == 0 else (1, -1))
    if a.ndim != 2 or a.shape[1 - axis] != 1:
        what = "a vector of shape (n,) or (n, 1)" if axis == 0 else \
            "a row vector of shape (n,) or (1, n)"
        raise ShapeError(f"argument {name} ({shape}) must be {what}, got shape {tuple(a.shape)}")
    return a


def _xcolumn(xp: Any, x: Any, name: str, shape: str, dtype: Any) -> Any:
    """A column-vector argument: ``(n,)`` or ``(n, 1)``, used internally as ``(n, 1)``."""
    return _xvector(xp, x, name, shape, dtype, 0)


def _xrow(xp: Any, x: Any, name: str, shape: str, dtype: Any) -> Any:
    """A row-vector argument: ``(n,)`` or ``(1, n)``, used internally as ``(1, n)``."""
    return _xvector(xp, x, name, shape, dtype, 1)


def _xdtype(xp: Any, *args: Any) -> Any:
    """The floating dtype the computation runs in: that of the arrays of the data's library
    (a NumPy float64 ``w`` beside a float32 torch ``X`` runs in float32, as torch needs one
    dtype per product); with NumPy arrays only, NumPy's promotion. Ints and bools: float64."""
    native = [a.dtype for a in args if _native(a) and xp.isdtype(a.dtype, "real floating")]
    if native:
        return xp.result_type(*native)
    if any(_native(a) for a in args):
        return xp.float64
    floats = [np.asarray(a).dtype for a in args if isinstance(a, (np.ndarray, np.generic))
              and np.asarray(a).dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.float64


def _xscalar(xp: Any, x: Any, name: str, dtype: Any) -> Any:
    """A scalar argument as a 0-d array of the data's dtype (as NumPy treats a Python
    number beside a float32 array: it takes the array's precision)."""
    if _native(x):
        a = _lift(xp, x, name, dtype)
        if a.size != 1 or a.ndim > 2:
            raise ShapeError(f"argument {name} is a scalar, got an array of shape "
                             f"{tuple(a.shape)}")
        return xp.reshape(a, ())
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"argument {name}: expected a real number, got dtype {a.dtype}")
    if a.size != 1 or a.ndim > 2:
        raise ShapeError(f"argument {name} is a scalar, got an array of shape {a.shape}")
    return xp.asarray(float(a.reshape(())), dtype=dtype)


def _xout(xp: Any, x: Any, dtype: Any) -> Any:
    """A 1×1 result as a 0-d array of the namespace."""
    c = compat()
    if c.is_array_api_obj(x) and not isinstance(x, (np.generic, float)):
        return xp.reshape(x, ()) if x.ndim else x
    return xp.asarray(x, dtype=dtype)


# --- Dask: chunks ------------------------------------------------------------------------


def _is_dask(a: Any) -> bool:
    return compat().is_dask_array(a)


def _small_limit() -> int:
    import dask

    return int(dask.utils.parse_bytes(dask.config.get("array.chunk-size")))


def _whole(xp: Any, a: Any, name: str, axes: tuple[int, ...]) -> Any:
    """A Dask argument split along an axis that also indexes an n×n value: one chunk there,
    when the n×n value fits one chunk (else left alone: an inverse of it is then refused)."""
    if not _is_dask(a):
        return a
    split = [ax for ax in axes if len(a.chunks[ax]) > 1
             and a.shape[ax] ** 2 * a.dtype.itemsize <= _small_limit()]
    if not split:
        return a
    where = ", ".join(f"axis {ax} ({len(a.chunks[ax])} chunks)" for ax in split)
    warnings.warn(
        f"argument {name}: rechunked to one chunk along {where}: an {a.shape[split[0]]}×"
        f"{a.shape[split[0]]} value in the computation is indexed by that axis, and split "
        "it would be regathered at every use; chunk along the sample axis only",
        ChunkWarning, stacklevel=3)
    return a.rechunk({ax: -1 for ax in split})


def _linalg(xp: Any, op: str, *arrays: Any) -> Any:
    """``xp.linalg.<op>``; on Dask, on a one-chunk operand as one NumPy task per block
    (so the function stays lazy), and a clear error for an operand split along an axis."""
    if not any(_is_dask(a) for a in arrays):
        return getattr(xp.linalg, op)(*arrays)
    import dask.array as da

    a = arrays[0]
    label = "logdet" if op == "slogdet" else op
    for ax, chunks in enumerate(a.chunks):
        if len(chunks) > 1:
            raise ValueError(
                f"{label} needs the whole of axis {ax} of its {a.shape[0]}×{a.shape[1]} operand, "
                f"which is split into {len(chunks)} Dask chunks; an inverse, solve or "
                "determinant cannot be taken chunk by chunk. Chunk only the sample axis, "
                "or rechunk that axis to one chunk if it fits in memory"
            )
    if op == "inv":
        return a.map_blocks(np.linalg.inv, dtype=a.dtype)
    if op == "matrix_power":
        return a.map_blocks(np.linalg.matrix_power, arrays[1], dtype=a.dtype)
    if op == "det":
        return a.map_blocks(np.linalg.det, drop_axis=[0, 1], dtype=a.dtype)
    if op == "slogdet":
        sign = a.map_blocks(lambda b: np.linalg.slogdet(b)[0], drop_axis=[0, 1], dtype=a.dtype)
        log = a.map_blocks(lambda b: np.linalg.slogdet(b)[1], drop_axis=[0, 1], dtype=a.dtype)
        return sign, log
    b = arrays[1]
    if len(b.chunks[0]) > 1:
        b = b.rechunk({0: -1})  # b's rows are a's columns: n, small (a is one chunk)
    return da.blockwise(np.linalg.solve, "ij", a, "ik", b, "kj", dtype=a.dtype,
                        concatenate=True)


# --- standard forms of NumPy functions ----------------------------------------------------


def _vdot(xp: Any, a: Any, b: Any) -> Any:
    """Σ aᵢbᵢ over all entries (NumPy's vdot of real arrays), as a 0-d array."""
    if tuple(a.shape) != tuple(b.shape):
        a = a.T if tuple(a.shape) == tuple(b.shape)[::-1] else xp.reshape(a, tuple(b.shape))
    return xp.sum(a * b)


def _einsum(xp: Any, spec: str, *ops: Any) -> Any:
    """``einsum`` where the namespace has it; else pairwise ``tensordot`` contractions."""
    if hasattr(xp, "einsum"):
        return xp.einsum(spec, *ops)
    ins, out = spec.split("->")
    terms = list(zip(ins.split(","), ops))
    while len(terms) > 1:
        (sa, a), (sb, b) = terms[0], terms[1]
        later = set(out).union(*[s for s, _ in terms[2:]])
        summed = [c for c in sa if c in sb and c not in later]
        kept = [c for c in sa if c in sb and c not in summed]
        if kept:  # a shared index that survives: not a tensordot; broadcast instead
            raise NotImplementedError(f"einsum {spec} without einsum in the namespace")
        axes = ([sa.index(c) for c in summed], [sb.index(c) for c in summed])
        t = xp.tensordot(a, b, axes=axes)
        spec_t = "".join(c for c in sa + sb if c not in summed)
        terms = [(spec_t, t)] + terms[2:]
    s, t = terms[0]
    return xp.permute_dims(t, tuple(s.index(c) for c in out))


def _diagonal(xp: Any, a: Any) -> Any:
    """The main diagonal of a square matrix, 1-D."""
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "diagonal"):
        return xp.linalg.diagonal(a)
    return xp.sum(a * _eye(xp, a.shape[0], dtype=a.dtype), axis=1)


def _trace(xp: Any, a: Any) -> Any:
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "trace"):
        return xp.linalg.trace(a)
    return xp.sum(_diagonal(xp, a))


def _norm(xp: Any, a: Any) -> Any:
    """The 2-norm of all entries (Frobenius for a matrix)."""
    if hasattr(xp, "linalg") and hasattr(xp.linalg, "vector_norm"):
        return xp.linalg.vector_norm(a)
    return xp.sqrt(xp.sum(a * a))


def _eye(xp: Any, n: int, dtype: Any) -> Any:
    return xp.eye(n, dtype=dtype)


def _diagflat(xp: Any, v: Any) -> Any:
    """Diag(v) for a column v: v broadcast along the rows of the identity."""
    return v * _eye(xp, v.shape[0], dtype=v.dtype)


def _kron(xp: Any, a: Any, b: Any) -> Any:
    """a ⊗ b: (a ⊗ b)[i·r + k, j·s + l] = a[i, j] b[k, l]; a scalar factor scales."""
    if isinstance(a, (int, float)) or a.ndim < 2 or isinstance(b, (int, float)) or b.ndim < 2:
        return a * b
    a4 = xp.expand_dims(xp.expand_dims(a, axis=1), axis=3)
    b4 = xp.expand_dims(xp.expand_dims(b, axis=0), axis=2)
    return xp.reshape(a4 * b4, (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))


def _broadcast(xp: Any, x: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(x, (int, float)):
        return xp.full(shape, float(x))
    return xp.broadcast_to(x, shape)


def _commutation(xp: Any, m: int, n: int, dtype: Any) -> Any:
    """K with vec(Xᵀ) = K vec(X) for X m×n: row r·n + j of K is row j·m + r of I."""
    eye = xp.reshape(_eye(xp, m * n, dtype=dtype), (n, m, m * n))
    return xp.reshape(xp.permute_dims(eye, (1, 0, 2)), (m * n, m * n))


def _relu(xp: Any, x: Any) -> Any:
    return xp.where(x > 0, x, xp.zeros_like(x))


def _step(xp: Any, x: Any) -> Any:
    return xp.astype(x > 0, x.dtype)


def _softplus(xp: Any, x: Any) -> Any:
    """log(1 + eˣ) without overflow."""
    return xp.logaddexp(xp.zeros_like(x), x)


def _sigmoid(xp: Any, x: Any) -> Any:
    """The logistic function as exp(−softplus(−x)): no overflow in either tail."""
    return xp.exp(-_softplus(xp, -x))


def _shift(xp: Any, x: Any, axis: Any) -> tuple[Any, Any]:
    """(x − m, m) with m the maximum along ``axis`` (kept 2-D; 0 where it is not finite)."""
    axes = (0, 1) if axis is None else axis
    m = xp.max(x, axis=axes, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return x - m, m


def _logsumexp(xp: Any, x: Any, axis: Any) -> Any:
    """log Σ exp(x) along ``axis`` (None: 0-d; 0/1: 2-D), the maximum subtracted first."""
    t, m = _shift(xp, x, axis)
    axes = (0, 1) if axis is None else axis
    out = xp.log(xp.sum(xp.exp(t), axis=axes, keepdims=True)) + m
    return xp.reshape(out, ()) if axis is None else out


def _softmax(xp: Any, x: Any, axis: Any) -> Any:
    """exp(x) / Σ exp(x) along ``axis``, the maximum subtracted first."""
    t, _ = _shift(xp, x, axis)
    t = xp.exp(t)
    return t / xp.sum(t, axis=(0, 1) if axis is None else axis, keepdims=True)

