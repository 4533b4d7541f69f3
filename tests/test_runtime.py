"""The argument coercions compiled functions call (matcalc.codegen.runtime): the fast path
returns float arrays of the right ndim as they are (vectors as a column view), and every
other input still goes through the full checks."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc
from matcalc.codegen.runtime import _column, _dense_sum, _matrix, _row, _sigmoid


def test_fast_path_returns_the_array_or_a_view() -> None:
    X, w = np.ones((3, 2)), np.arange(3.0)
    assert _matrix(X, "X", "m×n") is X
    col, row = _column(w, "w", "n×1"), _row(w, "w", "1×n")
    assert col.shape == (3, 1) and row.shape == (1, 3)
    assert np.shares_memory(col, w) and np.shares_memory(row, w)
    assert _column(col, "w", "n×1") is col and _row(row, "w", "1×n") is row
    f32 = np.ones((2, 2), dtype=np.float32)
    assert _matrix(f32, "A", "n×n") is f32


@pytest.mark.parametrize("bad, error", [
    (np.ones((2, 2, 2)), mc.ShapeError), (np.ones(3), mc.ShapeError),
    (np.array([["a"]]), TypeError), (np.ones((2, 2), dtype=complex), TypeError)])
def test_slow_path_still_checks(bad: np.ndarray, error: type) -> None:
    with pytest.raises(error, match="argument X"):
        _matrix(bad, "X", "m×n")


def test_slow_path_converts() -> None:
    assert _matrix([[1, 2]], "X", "m×n").dtype == np.float64
    assert _column(np.arange(3), "w", "n×1").shape == (3, 1)
    with pytest.raises(mc.ShapeError, match="argument w"):
        _column(np.ones((3, 2)), "w", "n×1")
    with pytest.raises(mc.ShapeError, match="argument r"):
        _row(np.ones((2, 3)), "r", "1×n")


def test_sigmoid_tails_and_specials() -> None:
    x = np.array([-800.0, -40.0, -1.0, 0.0, 1.0, 40.0, 800.0, np.nan, -np.inf, np.inf])
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # no overflow
        got = _sigmoid(x)
    with np.errstate(over="ignore"):
        want = 1 / (1 + np.exp(-x.astype(np.longdouble)))
    finite = np.isfinite(x)
    np.testing.assert_allclose(got[finite], want[finite].astype(float), rtol=1e-15, atol=0)
    assert np.isnan(got[7]) and got[8] == 0 and got[9] == 1
    assert got[0] == 0 and got[1] > 0  # full relative accuracy in the left tail
    assert _sigmoid(-40.0) == got[1] and _sigmoid(np.float32(-3)).dtype == np.float32
    assert _sigmoid(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert (_sigmoid(np.array([[-0.0], [0.0]])) == 0.5).all()  # sign(-0) = -0: still 1/2


def test_dense_sum_promotes_like_the_sum_and_copies() -> None:
    """T₁ + ⋯ + Tₖ (transposed terms included) into an array of its own, C-ordered, with
    the dtype the sum would have."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((8, 8))
    b = rng.standard_normal((8, 8)).astype(np.float32)
    a0, b0 = a.copy(), b.copy()
    got = _dense_sum(a.T, b, a)
    np.testing.assert_allclose(got, a.T + b + a, rtol=1e-12)
    assert got.dtype == np.float64 and got.flags.c_contiguous
    got32 = _dense_sum(b.T, b)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, b.T + b, rtol=1e-6)
    assert (a == a0).all() and (b == b0).all()  # the sum went into an array of its own


@pytest.mark.parametrize("sa, sb", [((2, 3), (3, 2)), ((4, 4), (4, 4)), ((9, 10), (8, 7))],
                         ids=["small rectangular", "n=4 (batched products)", "large (broadcast)"])
def test_kron_comm_is_the_permuted_kronecker_on_both_paths(sa, sb) -> None:
    from matcalc.codegen.runtime import _kron_comm
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    (m, q), (r, s) = sa, sb
    want = np.einsum("ij,kl->iklj", a, b).reshape(m * r, s * q)  # [(i, k), (l, j)] = a_ij b_kl
    got = _kron_comm(a, b)
    assert got.shape == want.shape and np.array_equal(got, want)
