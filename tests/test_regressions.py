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
from matcalc.check.fdcheck import fd_grad_check
from matcalc.check.numeric import evaluate
from matcalc.expr.nodes import Scale, Unvec

m, n, p = mc.dims("m n p")

# ----------------------------------------------------------------------------------------
# Known bugs: a correct version of each wrong rule, to tell known failures from new ones
# ----------------------------------------------------------------------------------------


#: Rule name in ``matcalc.simplifier.RULES`` → a factory for its corrected version.
KNOWN_BUGS: dict = {}
#: (module, attribute) → a factory for a corrected version of that function.
KNOWN_FUNCTION_BUGS: dict = {}


@contextmanager
def known_fixes() -> Iterator[None]:
    """Run the block with every known-wrong rule or function replaced by a correct one."""
    import importlib

    from matcalc.calculus.simplifier import RULES

    saved = {t: list(rules) for t, rules in RULES.items()}
    patched = []
    try:
        for (t, name), fix in KNOWN_BUGS.items():
            RULES[t] = [(nm, fix(fn) if nm == name else fn) for nm, fn in RULES[t]]
        for (module, attr), fix in KNOWN_FUNCTION_BUGS.items():
            mod = importlib.import_module(module)
            patched.append((mod, attr, getattr(mod, attr)))
            setattr(mod, attr, fix(getattr(mod, attr)))
        _clear_compile_cache()  # functions compiled before would keep the old code
        yield
    finally:
        RULES.clear()
        RULES.update(saved)
        for mod, attr, original in reversed(patched):
            setattr(mod, attr, original)
        _clear_compile_cache()


def _clear_compile_cache() -> None:
    import sys

    codegen = sys.modules.get("matcalc.codegen.compiler")
    if codegen is not None and hasattr(codegen, "_CACHE"):
        codegen._CACHE.clear()


def test_known_fixes_is_applied_and_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism, with a stand-in entry (every bug it has held is fixed by now)."""
    import matcalc.printing.text as printing

    original = printing.to_str
    monkeypatch.setitem(KNOWN_FUNCTION_BUGS, ("matcalc.printing.text", "to_str"),
                        lambda f: lambda e: "fixed " + f(e))
    with known_fixes():
        assert printing.to_str(mc.scalar("a")) == "fixed a"
    assert printing.to_str is original


# ----------------------------------------------------------------------------------------
# 1. simplifier.py, rule "1ᵀx = sum(x)" rewrote ones(m,k) ones(k,n) to ones(m,n), dropping
#    the factor k (fixed in 25c3471; 338 simplify, 145 gradient, 99 Jacobian and 40 SymPy
#    disagreements of the first long run came from it)
# ----------------------------------------------------------------------------------------


def test_simplify_product_of_ones_keeps_inner_dim() -> None:
    e = mc.ones(m, n) @ mc.ones(n, p)
    s = mc.simplify(e)
    d = {m: 2, n: 3, p: 2}
    np.testing.assert_allclose(evaluate(s, {}, d), evaluate(e, {}, d))


def test_grad_of_sum_of_ones_times_vector() -> None:
    # d/du sum(1ₙₓₙ u) = n 1: the adjoint 1ₙₓₙᵀ 1ₙ is simplified to 1ₙ.
    u = mc.vector("u", n)
    f = mc.sum(mc.ones(n, n) @ u)
    assert mc.check_grad(f, u, {n: 2})


def test_grad_of_trace_with_ones_square() -> None:
    X = mc.matrix("X", n, n)
    f = mc.trace(X @ mc.ones(n, n) @ mc.ones(n, n))
    assert fd_grad_check(f, X, mc.grad(f, X), dims={n: 3})


# ----------------------------------------------------------------------------------------
# 2. matcalc/__init__.py: importing a submodule shadowed the lazily exported function
#    (fixed in ab233d5)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("module, name", [
    ("matcalc.text.parser", "parse"), ("matcalc.check.verifier", "verify"),
    ("matcalc.printing.tex", "latex"), ("matcalc.codegen.compiler", "compile"),
    ("matcalc.codegen", "compile"), ("matcalc.check", "check_grad")])
def test_submodule_import_does_not_shadow_function(module: str, name: str) -> None:
    code = (f"import {module}\nimport matcalc as mc\n"
            f"assert callable(mc.{name}), type(mc.{name})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------------------------------
# 3. codegen.py / lower.py / chain.py (mc.compile): wrong or crashing generated code
# ----------------------------------------------------------------------------------------

compile_ = mc.compile
u_, A_ = mc.vector("u", n), mc.matrix("A", n, n)
U, AV = np.array([1.0, 2.0]), np.array([[1.0, 2.0], [3.0, 4.0]])


def _agrees(e: mc.Expr, **values: np.ndarray) -> None:
    values = {s.name: values[s.name] for s in e.free_symbols}
    got = compile_(e)(**values)
    ref = evaluate(e, values)
    np.testing.assert_allclose(np.reshape(got, ref.shape), ref)


# Fixed in 67ade76: a reshape to a hoisted shape tuple was emitted as `.reshapet1`.
def test_compile_commutation_times_kron() -> None:
    v = mc.matrix("v", 1, n * n)
    _agrees(v @ mc.commutation(n, n) @ mc.kron(u_, mc.eye(n)), v=np.arange(4.0), u=U)


# Fixed in 67ade76: a Kronecker product with a ones constant was lowered to a value of
# another shape (AssertionError 'lowering changed the shape of A ⊗ ones(n,n)').
@pytest.mark.parametrize("make", [
    lambda: mc.sum(mc.kron(A_, mc.ones(n, n))),
    lambda: mc.kron(mc.ones(n, 1), mc.sum(u_)) + u_,
    lambda: mc.trace(mc.kron(Unvec(mc.kron(u_, mc.ones(n, 1)), n, n), A_)),
], ids=["sum(A⊗1)", "1⊗sum(u)+u", "tr(unvec(u⊗1)⊗A)"])
def test_compile_kron_with_ones(make) -> None:  # noqa: ANN001
    _agrees(make(), u=U, A=AV)


# Fixed in 67ade76: a 1×1 result built from 1×1 matrices (I₁ + a, inv of a scalar) came
# back as a 1×1 array, or np.linalg failed on a 0-D array.
@pytest.mark.parametrize("make", [
    lambda a: mc.eye(1) + a,
    lambda a: mc.inv(a * a + 1),
    lambda a: mc.det(a * a + 1) + a,
], ids=["I1+a", "inv(a²+1)", "det(a²+1)+a"])
def test_compile_one_by_one_results_are_scalars(make) -> None:  # noqa: ANN001
    a = mc.scalar("a")
    out = compile_(make(a))(a=2.0)
    assert np.ndim(out) == 0
    np.testing.assert_allclose(out, evaluate(make(a), {"a": 2.0})[0, 0])


# Fixed: lower_reduce.trace applied tr(A ⊗ B) = tr A tr B to non-square factors, so
# tr(u ⊗ uᵀ) = uᵀu was compiled as np.trace(u) * np.trace(u.T) = u₀² (silently wrong).
@pytest.mark.parametrize("make", [
    lambda: mc.trace(mc.kron(u_, u_.T)),
    lambda: mc.trace(mc.kron(mc.vec(mc.matrix("r", 1, n)), mc.matrix("r", 1, n))),
], ids=["tr(u⊗uᵀ)", "tr(vec(r)⊗r)"])
def test_compile_trace_of_kron_with_non_square_factors(make) -> None:  # noqa: ANN001
    _agrees(make(), u=U, r=U[None, :])


@pytest.mark.parametrize("make", [
    lambda: mc.kron(u_, u_.T) @ mc.kron(u_.T, u_) @ A_,
    lambda: mc.kron(mc.ones(n, 1), mc.ones(1, n)) @ mc.kron(mc.ones(1, n), mc.ones(n, 1)) @ A_,
], ids=["(u⊗uᵀ)(uᵀ⊗u)A", "(1⊗1ᵀ)(1ᵀ⊗1)A"])
def test_compile_product_of_krons_with_a_one_by_one_factor(make) -> None:  # noqa: ANN001
    _agrees(make(), u=U, A=AV)


# Fixed in reduce._diag_part (issue 13): diag of a 1×1 product was lowered by the einsum
# of diag(AB), which got NumPy scalars for s t (ValueError 'too many subscripts') and made
# r v a 1×1 array that spread into enclosing sums. diag(x) = x for a 1×1 x.
@pytest.mark.parametrize("make", [
    lambda s, t, r, v: mc.diag(s @ t),
    lambda s, t, r, v: mc.diag(r @ v),
    lambda s, t, r, v: mc.sum(mc.diag(r @ v)) + s,
    lambda s, t, r, v: mc.Diag(mc.diag(r @ v)) * t,
    lambda s, t, r, v: mc.kron(mc.diag(s @ t), v),
], ids=["diag(st)", "diag(rv)", "sum(diag(rv))+s", "Diag(diag(rv))t", "diag(st)⊗v"])
def test_compile_diag_of_a_one_by_one_product(make) -> None:  # noqa: ANN001
    s, t, r, v = mc.scalar("s"), mc.scalar("t"), mc.matrix("r", 1, n), mc.vector("v", n)
    e = make(s, t, r, v)
    values = {"s": 0.5, "t": 2.0, "r": np.array([[1.0, 2.0]]), "v": np.array([1.0, 3.0])}
    got = compile_(e)(**{x.name: values[x.name] for x in e.free_symbols})
    ref = evaluate(e, {k: np.atleast_2d(x) if k != "v" else x[:, None]
                       for k, x in values.items()})
    assert np.ndim(got) == (0 if e.shape == (1, 1) else 1)
    np.testing.assert_allclose(np.reshape(got, ref.shape), ref)


# ----------------------------------------------------------------------------------------
# 4. parse.py: unparse wrote the 1×1 constants as vector(1), vector(0), eye, which read back
#    as a vector or an n×n matrix (fixed in 84fb13e)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda a: a + mc.ones(1, 1),
    lambda a: a + mc.zeros(1, 1),
    lambda a: mc.inv(a * a + mc.eye(1)),
], ids=["a+ones(1,1)", "a+zeros(1,1)", "inv(a²+I₁)"])
def test_unparse_of_one_by_one_constants(make) -> None:  # noqa: ANN001
    from matcalc.text.parser import parse, unparse

    e = make(mc.scalar("a"))
    back = parse(unparse(e), a=())
    assert back.shape == e.shape
    np.testing.assert_allclose(evaluate(back, {"a": 0.7}), evaluate(e, {"a": 0.7}))


# ----------------------------------------------------------------------------------------
# 5. check_grad (now in sympy_exact.py) could not decide x/|x| = sign(x): 30 false SymPy
#    mismatches in the first long run (fixed in 18704a9)
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: (mc.norm(mc.matrix("A", m, n)), mc.matrix("A", m, n)),
    lambda: (mc.norm(mc.scalar("a") * mc.vector("r", n)), mc.scalar("a")),
], ids=["‖A‖", "‖a r‖"])
def test_check_grad_decides_abs_sign_identities(make) -> None:  # noqa: ANN001
    f, x = make()
    assert mc.check_grad(f, x, {m: 1, n: 1})


# ----------------------------------------------------------------------------------------
# 6. build.py: constant() sent SymPy rationals through float, so X / 3 was inexact
#    (fixed in f85abe6)
# ----------------------------------------------------------------------------------------


def test_division_by_an_integer_is_exact() -> None:
    import sympy

    X = mc.matrix("X", m, n)
    assert X / 3 == Scale(sympy.Rational(1, 3), X)


# ----------------------------------------------------------------------------------------
# 7. printing.py: a power of a dim in a coefficient printed as n··2 (fixed in 2596b46)
# ----------------------------------------------------------------------------------------


def test_dim_power_in_a_coefficient_prints_as_a_power() -> None:
    a = mc.scalar("a")
    text = str(n * n / 2 * a)
    assert "··" not in text and "n^2" in text


# ----------------------------------------------------------------------------------------
# 8. parse_shapes.py: unifying a dim with a product of unknown dims recursed without end
#    (RecursionError from x - kron(vector(1), vector(1)); a clean ShapeError since)
# ----------------------------------------------------------------------------------------


def test_parse_kron_of_unsized_constants_against_a_dim() -> None:
    from matcalc.text.parser import parse

    with pytest.raises(mc.ShapeError, match="n_1"):
        parse("x - kron(vector(1), vector(1))", x=(n, 1))
