"""Run-time helpers that compiled functions call: argument coercion and a few NumPy kernels.

Generated code (see :mod:`matcalc.codegen.compiler`) imports these by name, so its ``.source`` stays
plain NumPy that can be read and run on its own. Everything here is small and allocation-free
beyond what NumPy itself does; the checks run once per call, so they are kept cheap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..expr.errors import ShapeError

__all__ = ["_matrix", "_column", "_row", "_scalar", "_mismatch", "_dot3", "_chain",
           "_sigmoid", "_commutation", "_logsumexp", "_softmax", "_block_diag",
           "_kron_eye", "_add_diag", "_dense_sum", "_add_block_diag", "_kron_blocks",
           "_kron_diag", "_kron_comm", "_eigh", "_divdiff", "_divdiff2", "_eiggap"]


def _array(x: Any, name: str) -> np.ndarray:
    """``x`` as a float array: ints and bools are promoted to float64, floats kept."""
    a = x if type(x) is np.ndarray else np.asarray(x)
    kind = a.dtype.kind
    if kind == "f":
        return a
    if kind in "biu":
        return a.astype(np.float64)
    raise TypeError(f"argument {name}: expected a real numeric array, got dtype {a.dtype}")


def _matrix(x: Any, name: str, shape: str, _nd: type = np.ndarray) -> np.ndarray:
    """A matrix argument: must be 2-D."""
    # the fast path first, in the fewest attribute reads: a float ndarray of the right
    # ndim is returned as is (this runs once per argument per call)
    if type(x) is _nd and x.ndim == 2 and x.dtype.kind == "f":  # _nd: a local, not np.
        return x
    a = _array(x, name)
    if a.ndim != 2:
        raise ShapeError(f"argument {name} ({shape}) must be a 2-D array, got shape {a.shape}")
    return a


def _column(x: Any, name: str, shape: str, _nd: type = np.ndarray) -> np.ndarray:
    """A column-vector argument: ``(n,)`` or ``(n, 1)``, used internally as ``(n, 1)``."""
    if type(x) is _nd and x.dtype.kind == "f":  # the fast paths (see _matrix)
        if x.ndim == 1:
            return x[:, None]  # a view; cheaper to make than reshape(-1, 1)
        if x.ndim == 2 and x.shape[1] == 1:
            return x
    a = _array(x, name)
    if a.ndim == 1:
        return a.reshape(-1, 1)
    if a.ndim != 2 or a.shape[1] != 1:
        raise ShapeError(
            f"argument {name} ({shape}) must be a vector of shape (n,) or (n, 1), "
            f"got shape {a.shape}"
        )
    return a


def _row(x: Any, name: str, shape: str, _nd: type = np.ndarray) -> np.ndarray:
    """A row-vector argument: ``(n,)`` or ``(1, n)``, used internally as ``(1, n)``."""
    if type(x) is _nd and x.dtype.kind == "f":  # the fast paths (see _matrix)
        if x.ndim == 1:
            return x[None, :]
        if x.ndim == 2 and len(x) == 1:
            return x
    a = _array(x, name)
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim != 2 or a.shape[0] != 1:
        raise ShapeError(
            f"argument {name} ({shape}) must be a row vector of shape (n,) or (1, n), "
            f"got shape {a.shape}"
        )
    return a


def _scalar(x: Any, name: str, shape: str = "1×1") -> Any:
    """A scalar argument: a number, a 0-d array or a one-element array.

    Python numbers stay Python numbers so that they do not widen float32 arrays
    (NumPy treats them as "weak" scalars).
    """
    if type(x) is float or isinstance(x, np.floating):
        return x
    if isinstance(x, (int, bool)) and not isinstance(x, np.generic):
        return float(x)
    a = _array(x, name)
    if a.size != 1 or a.ndim > 2:
        raise ShapeError(f"argument {name} is a scalar, got an array of shape {a.shape}")
    return a.reshape(())[()]


def _mismatch(name: str, axis: int, dim: str, got: int, want: int, source: str) -> None:
    """Raise the ShapeError for an argument whose size contradicts an earlier one."""
    where = "rows" if axis == 0 else "columns"
    raise ShapeError(
        f"argument {name} has {got} {where}, but {dim} = {want} from {source}"
    )


def _dot3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``a @ b @ c`` in the cheaper association, decided from the sizes of this call."""
    p, q = a.shape
    r, s = b.shape[1], c.shape[1]
    # multiply-adds: (ab)c costs pqr + prs, a(bc) costs qrs + pqs
    if p * q * r + p * r * s <= q * r * s + p * q * s:
        return (a @ b) @ c
    return a @ (b @ c)


_CHAIN_PLANS: dict[tuple[tuple[int, ...], ...], Any] = {}


def _plan(dims: tuple[int, ...]) -> Any:
    """The cheapest parenthesization of a chain with sizes ``dims`` (textbook O(k³) DP)."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            cost[i][j] = -1
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, s

    def tree(i: int, j: int) -> Any:
        return i if i == j else (tree(i, split[i][j]), tree(split[i][j] + 1, j))

    return tree(0, k - 1)


def _chain(*arrays: np.ndarray) -> np.ndarray:
    """A product of four or more matrices, ordered by cost; the plan is cached per shapes."""
    dims = tuple(a.shape[0] for a in arrays) + (arrays[-1].shape[1],)
    plan = _CHAIN_PLANS.get(dims)
    if plan is None:
        plan = _CHAIN_PLANS[dims] = _plan(dims)

    def run(node: Any) -> np.ndarray:
        return arrays[node] if isinstance(node, int) else run(node[0]) @ run(node[1])

    return run(plan)


def _sigmoid(x: Any) -> Any:
    """The logistic function from the one exp(−|x|) = e: 1/(1 + e) for x ≥ 0, e/(1 + e)
    for x < 0. No overflow, full relative accuracy in both tails, and one transcendental
    pass (exp(−softplus(−x)) took three: logaddexp's exp and log1p, then an exp). The
    numerator, 1 or e, is max(sign(x), e) (e ≤ 1; NaN stays NaN): a plain elementwise
    pass, where ``np.where(x < 0, e, 1.0)`` made a mask and a broadcasting iterator, 30%
    slower over all."""
    if np.ndim(x) == 0:
        e = np.exp(-np.abs(x))
        return (1.0 if x >= 0 else e) / (1 + e)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    out = np.sign(x)
    np.maximum(out, e, out=out)
    e += 1
    out /= e
    return out


def _logsumexp(x: np.ndarray, axis: Any) -> Any:
    """log Σ exp(x) along ``axis`` (None: a scalar; 0/1: kept 2-D), the maximum subtracted
    first so no exp overflows; an all −inf slice gives −inf, not NaN."""
    m = np.max(x, axis=axis, keepdims=True)
    m[~np.isfinite(m)] = 0
    t = np.subtract(x, m)
    np.exp(t, out=t)
    out = np.log(t.sum(axis=axis, keepdims=True))
    out += m
    return out[0, 0] if axis is None else out


def _softmax(x: np.ndarray, axis: Any) -> np.ndarray:
    """exp(x) / Σ exp(x) along ``axis``, the maximum subtracted first (one buffer)."""
    m = np.max(x, axis=axis, keepdims=True)
    m[~np.isfinite(m)] = 0
    t = np.subtract(x, m)
    np.exp(t, out=t)
    t /= t.sum(axis=axis, keepdims=True)
    return t


def _commutation(m: int, n: int, dtype: Any) -> np.ndarray:
    """The mn×mn commutation matrix K with vec(Xᵀ) = K vec(X) for X m×n."""
    k = np.zeros((m * n, m * n), dtype=dtype)
    i = np.arange(m * n)
    # vec(X)[j*m + r] = X[r, j] goes to vec(Xᵀ)[r*n + j]
    r, j = i % m, i // m
    k[r * n + j, i] = 1
    return k


def _block_diag(blocks: np.ndarray, p: int) -> np.ndarray:
    """I_p ⊗ B (``blocks`` r×c) or the block-diagonal matrix of a p×r×c stack, written
    block by block into a zeroed pr×pc array (no dense Kronecker product is formed)."""
    r, c = blocks.shape[-2:]
    out = np.zeros((p, r, p, c), dtype=np.result_type(blocks, 1.0))
    i = np.arange(p)
    out[i, :, i, :] = blocks  # the advanced indices lead: out[i, :, i, :] is p×r×c
    return out.reshape(p * r, p * c)


def _kron_eye(a: np.ndarray, q: int) -> np.ndarray:
    """A ⊗ I_q, written as the q scattered copies of A into a zeroed array."""
    r, c = a.shape
    out = np.zeros((r, q, c, q), dtype=np.result_type(a, 1.0))
    i = np.arange(q)
    out[:, i, :, i] = a  # out[:, i, :, i] is q×r×c
    return out.reshape(r * q, c * q)


def _add_diag(x: np.ndarray, d: Any) -> np.ndarray:
    """``x + Diag(d)`` (d a scalar or an n×1 column) added onto x's diagonal in place, and x
    returned: the generated code passes only a fresh array of its own (no ``np.eye``)."""
    x.flat[:: x.shape[1] + 1] += np.ravel(d) if np.ndim(d) else d
    return x


def _add_block_diag(blocks: np.ndarray, d: Any) -> np.ndarray:
    """Each block of a p×r×r stack plus the diagonal matrix of its row of ``d`` (p×r, or a
    scalar for s I), added in place onto the block diagonals and the stack returned: the
    generated code passes only a fresh stack of its own."""
    i = np.arange(blocks.shape[1])
    blocks[:, i, i] += d
    return blocks


def _kron_blocks(m: np.ndarray, b: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
    """``m ⊙ (𝟏𝟏ᵀ ⊗ b)`` for an r×c ``b``, plus ``t[a]`` on the entries [(i, a), (j, a)]
    (``t`` r×q×s, or q×s for every a), written into m in place and m returned: the
    generated code passes only a fresh product of its own."""
    r, c = b.shape
    m4 = m.reshape(m.shape[0] // r, r, m.shape[1] // c, c)
    m4 *= b[:, None, :]
    if t is not None:
        diagonal = np.einsum("iaja->aij", m4)  # a writeable view of the entries a = c
        diagonal += t
    return m


def _kron_diag(t: np.ndarray) -> np.ndarray:
    """The (q·r)×(s·r) matrix with entries [(i, a), (j, a)] = t[a, i, j] (``t`` r×q×s) and
    zeros elsewhere: Σₐ t[a] ⊗ eₐeₐᵀ, written into a zeroed array."""
    r, q, s = t.shape
    out = np.zeros((q, r, s, r), dtype=np.result_type(t, 1.0))
    np.einsum("iaja->aij", out)[...] = t  # a writeable view of the entries a = c
    return out.reshape(q * r, s * r)


def _kron_comm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A ⊗ B) K(q_A, q_B), entry [(i, k), (l, j)] = a[i, j] b[k, l]: one broadcast product
    into a C-order array, so the reshape is a view. np.einsum("ij,kl->iklj", order="C") wrote
    the same array 1.3–1.65x slower (n = 32–64: its iterator buffers the output)."""
    (m, q), (r, s) = a.shape, b.shape
    out = np.empty((m, r, s, q), dtype=np.result_type(a, b))
    if out.size <= 4096:
        # small: as m batched outer products vec(b) a[i]ᵀ, which take no iterator buffers
        # (the broadcast's ~5 KB would be 2.6x the 2 KB result at n = 4); the broadcast
        # is 1.1x faster from n = 8 and 2x from n = 16
        np.matmul(b.reshape(1, r * s, 1), a.reshape(m, 1, q), out=out.reshape(m, r * s, q))
    else:
        np.multiply(a[:, None, None, :], b[None, :, :, None], out=out)
    return out.reshape(m * r, s * q)


def _dense_sum(*terms: np.ndarray) -> np.ndarray:
    """T₁ + ⋯ + Tₖ into one fresh C-order array, in place: Aᵀ + A runs through NumPy's
    buffered iterator (the two layouts differ), which allocates a buffer as large as the
    sum (up to 8192 entries); a C-order copy of Aᵀ is one strided pass, as fast, and adding
    A into it takes no buffer."""
    total = terms[0].astype(np.result_type(*terms), order="C")  # astype copies
    for t in terms[1:]:
        total += t
    return total


def _eigh(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(λ, Q) with s = Q diag(λ) Qᵀ for a symmetric s: λ ascending as an n×1 column."""
    w, q = np.linalg.eigh(s)
    return w.reshape(-1, 1), q


def _divdiff(fn: str, w: np.ndarray) -> np.ndarray:
    """F with Fᵢⱼ = f[wᵢ, wⱼ] = (f(wᵢ) − f(wⱼ))/(wᵢ − wⱼ), f′(wᵢ) where wᵢ = wⱼ, for
    f = exp, log or sqrt on the n×1 eigenvalues w, in forms without cancellation (Higham,
    *Functions of Matrices*, §11.3 for log): with g = |wᵢ − wⱼ| and the smaller w₋, larger w₊,
    exp: e^{w₊}·(1 − e^{−g})/g (expm1); log: log1p(g/w₋)/g; sqrt: 1/(√wᵢ + √wⱼ). Each is
    accurate for every g > 0, so the derivative at the mean is used only where g is below
    1e-12 relative (to rounding the same number), and S = I or a repeated eigenvalue gives f′."""
    a = w.reshape(-1, 1)
    b = a.T
    if fn == "sqrt":
        r = np.sqrt(a)
        return 1.0 / (r + r.T)
    g = np.abs(a - b)
    close = g <= 1e-12 * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    g_safe = np.where(close, 1.0, g)
    if fn == "exp":
        out = np.exp(np.maximum(a, b)) * (-np.expm1(-g_safe) / g_safe)
        return np.where(close, np.exp((a + b) / 2), out)
    if fn == "log":
        out = np.log1p(g_safe / np.minimum(a, b)) / g_safe
        return np.where(close, 2.0 / (a + b), out)
    raise ValueError(f"no divided differences for {fn!r}")


def _divdiff2(fn: str, w: np.ndarray) -> np.ndarray:
    """D with Dᵢⱼ = f[wᵢ, wᵢ, wⱼ] = (f′(wᵢ) − f[wᵢ, wⱼ])/(wᵢ − wⱼ), f″(wᵢ)/2 where wᵢ = wⱼ,
    for f = exp, log or sqrt on the n×1 eigenvalues w. With x = (wⱼ − wᵢ)/wᵢ (log) or
    d = wⱼ − wᵢ (exp) the forms are e^wᵢ (e^d − 1 − d)/d² and (log1p(x) − x)/(wᵢ x)², each
    summed as its Taylor series where |x|, |d| < 1e-2 (the cancellation is exact there);
    sqrt has the closed form −1/(2√wᵢ (√wᵢ + √wⱼ)²)."""
    a = w.reshape(-1, 1)
    b = a.T
    if fn == "sqrt":
        r = np.sqrt(a)
        return -0.5 / (r * (r + r.T) ** 2)
    if fn == "exp":
        d = b - a
        small = np.abs(d) < 1e-2
        ds = np.where(small, 1.0, d)
        series = 0.5 + d / 6 + d**2 / 24 + d**3 / 120 + d**4 / 720
        return np.exp(a) * np.where(small, series, (np.expm1(ds) - ds) / ds**2)
    if fn == "log":
        x = (b - a) / a
        small = np.abs(x) < 1e-2
        xs = np.where(small, 1.0, x)
        series = -0.5 + x / 3 - x**2 / 4 + x**3 / 5 - x**4 / 6
        return np.where(small, series, (np.log1p(xs) - xs) / xs**2) / a**2
    raise ValueError(f"no divided differences for {fn!r}")


def _eiggap(w: np.ndarray) -> np.ndarray:
    """E with Eᵢⱼ = 1/(wⱼ − wᵢ), 0 on the diagonal and NaN where two eigenvalues coincide
    (to 1e-12 relative): there dQ, and the second derivatives built on it, are undefined."""
    a = w.reshape(-1, 1)
    g = a.T - a
    close = np.abs(g) <= 1e-12 * np.maximum(np.maximum(np.abs(a), np.abs(a.T)), 1.0)
    out = 1.0 / np.where(close, 1.0, g)
    out[close] = np.nan
    np.fill_diagonal(out, 0.0)
    return out


def standalone_source(source: str) -> str:
    """``source`` with its ``from matcalc.codegen.runtime import ...`` line replaced by the
    helpers themselves (and what they use), so the code runs where only NumPy is installed."""
    import inspect
    import re

    match = re.search(r"^from matcalc\.codegen\.runtime import (.+)$", source, flags=re.MULTILINE)
    if match is None:
        return source
    module = globals()
    wanted = [n.strip() for n in match.group(1).split(",")]
    order: list[str] = []

    def need(name: str) -> None:
        if name in order or name not in module:
            return
        text = _definition(name)
        for used in re.findall(r"\b(_[A-Za-z_]\w*|ShapeError)\b", text):
            if used != name:
                need(used)
        order.append(name)

    def _definition(name: str) -> str:
        obj = module[name]
        if name == "ShapeError":
            return "class ShapeError(ValueError):\n    pass\n"
        if callable(obj):
            return inspect.getsource(obj)
        return f"{name}: dict = {{}}\n"

    for name in wanted:
        need(name)
    helpers = "\n\n\n".join(_definition(n).rstrip() for n in order)
    header = "from typing import Any\n\n" if "Any" in helpers else ""
    return source.replace(match.group(0), header.rstrip() + "\n\n\n" + helpers + "\n" if header
                          else helpers + "\n")
