"""Minimized failing examples found by the randomized differential tests (issue 6).

Each test is the smallest expression found for one root cause, written with the public
API. A bug in code the fuzzing owner does not own is marked ``xfail(strict=True)``: the
test fails once the owner fixes it, so the mark (and the matching entry in
:data:`KNOWN_BUGS`, which keeps the random properties green meanwhile) is removed then.

:func:`known_fixes` applies a correct version of each known-wrong rewrite rule in place. The
random properties re-run a failing example under it: a failure that disappears is
explained by a known bug (and covered by a test here); one that does not is new.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import matcalc as mc
from matcalc.nodes import MatMul, Ones, Scale, is_scalar_shape
from matcalc.numeric import evaluate, fd_grad_check

m, n, p = mc.dims("m n p")

# ----------------------------------------------------------------------------------------
# Known bugs: a correct version of each wrong rule, to tell known failures from new ones
# ----------------------------------------------------------------------------------------


def _fixed_ones_product(original):  # noqa: ANN001, ANN202
    """ones(m,k) ones(k,n) = k ones(m,n); the simplifier's rule drops the factor k."""

    def rule(e):  # noqa: ANN001, ANN202
        fs = e.factors
        if (not is_scalar_shape(e.shape) and len(fs) == 2
                and isinstance(fs[0], Ones) and isinstance(fs[1], Ones)):
            k = fs[0].shape[1]
            return Ones(*e.shape) if k == 1 else Scale(k.expr, Ones(*e.shape))
        return original(e)

    return rule


#: Rule name in ``matcalc.simplifier.RULES`` → a factory for its corrected version.
KNOWN_BUGS = {
    (MatMul, "1ᵀx = sum(x)"): _fixed_ones_product,
}


@contextmanager
def known_fixes() -> Iterator[None]:
    """Run the block with every known-wrong simplifier rule replaced by a correct one."""
    from matcalc.simplifier import RULES

    saved = {t: list(rules) for t, rules in RULES.items()}
    try:
        for (t, name), fix in KNOWN_BUGS.items():
            RULES[t] = [(nm, fix(fn) if nm == name else fn) for nm, fn in RULES[t]]
        yield
    finally:
        RULES.clear()
        RULES.update(saved)


def test_known_fixes_is_applied_and_undone() -> None:
    e = mc.ones(m, n) @ mc.ones(n, p)
    with known_fixes():
        fixed = mc.simplify(e)
    assert fixed == Scale(n.expr, mc.ones(m, p))
    assert mc.simplify(e) is not None  # the real rule is back (whatever it returns)


# ----------------------------------------------------------------------------------------
# 1. simplifier.py, rule "1ᵀx = sum(x)": ones(m,k) ones(k,n) → ones(m,n), dropping k
# ----------------------------------------------------------------------------------------

SIMPLIFIER_ONES = ("simplifier.py rule '1ᵀx = sum(x)' rewrites ones(m,k) ones(k,n) to "
                   "ones(m,n); the product is k ones(m,n) (the factor k is dropped unless k = 1)")


@pytest.mark.xfail(strict=True, reason=SIMPLIFIER_ONES)
def test_simplify_product_of_ones_keeps_inner_dim() -> None:
    e = mc.ones(m, n) @ mc.ones(n, p)
    s = mc.simplify(e)
    d = {m: 2, n: 3, p: 2}
    np.testing.assert_allclose(evaluate(s, {}, d), evaluate(e, {}, d))


@pytest.mark.xfail(strict=True, reason=SIMPLIFIER_ONES)
def test_grad_of_sum_of_ones_times_vector() -> None:
    # d/du sum(1ₙₓₙ u) = n 1: the adjoint 1ₙₓₙᵀ 1ₙ is simplified to 1ₙ.
    u = mc.vector("u", n)
    f = mc.sum(mc.ones(n, n) @ u)
    assert mc.check_grad(f, u, {n: 2})


@pytest.mark.xfail(strict=True, reason=SIMPLIFIER_ONES)
def test_grad_of_trace_with_ones_square() -> None:
    X = mc.matrix("X", n, n)
    f = mc.trace(X @ mc.ones(n, n) @ mc.ones(n, n))
    assert fd_grad_check(f, X, mc.grad(f, X), dims={n: 3})


def test_ones_fix_explains_the_examples() -> None:
    """The corrected rule makes the examples above right: the root cause is that rule."""
    u, X = mc.vector("u", n), mc.matrix("X", n, n)
    with known_fixes():
        assert mc.check_grad(mc.sum(mc.ones(n, n) @ u), u, {n: 2})
        f = mc.trace(X @ mc.ones(n, n) @ mc.ones(n, n))
        assert fd_grad_check(f, X, mc.grad(f, X), dims={n: 3})


# ----------------------------------------------------------------------------------------
# 2. matcalc/__init__.py: importing a submodule shadows the lazily exported function
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["parse", "verify"])
@pytest.mark.xfail(strict=True, reason=(
    "matcalc/__init__.py: `import matcalc.<name>` (or `from matcalc.<name> import ...`) "
    "before the first `mc.<name>` binds the submodule on the package, so `mc.<name>` is a "
    "module, not the function; latex is imported eagerly for this reason, parse and verify "
    "are not"))
def test_submodule_import_does_not_shadow_function(name: str) -> None:
    code = (f"import matcalc.{name}\nimport matcalc as mc\n"
            f"assert callable(mc.{name}), type(mc.{name})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
