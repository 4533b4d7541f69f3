"""Randomized differential testing (issue 6): properties on generated expressions.

Every property runs on expressions from :mod:`matcalc.testing`, which generates random
well-typed trees over every node type, and compares matcalc with an independent reference:
SymPy's elementwise derivatives, central differences, the NumPy reference interpreter,
pdflatex, the text parser.

Profiles (``tests/conftest.py``): ``ci``, the default, is derandomized and runs a few
hundred expressions in all (10–40 s on two cores); ``long`` multiplies every count
by 100: ``pytest -m slow --hypothesis-profile=long tests/test_random_exprs.py`` runs the
properties (marked ``slow``) on 53,000 generated expressions. The cheaper documented
≥ 10,000-expression run, with failures counted instead of stopping at the first, is
``python scripts/long_fuzz.py --n 10000``.

A failure that disappears when the known-wrong rules are corrected
(:func:`test_regressions.known_fixes`) is a known bug with its own strict-xfail regression
test, so it is rejected here (counted in ``--hypothesis-show-statistics``); any other
failure fails the test, with hypothesis' shrunk example.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import event, given, reject, settings
from hypothesis import strategies as st
from latex_util import PDFLATEX_MISSING, compile_latex, pdflatex_available
from test_regressions import known_fixes

import matcalc as mc
from matcalc import testing as mt
from matcalc.calculus import api as calculus_api
from matcalc.calculus import simplifier
from matcalc.check import sympy_exact
from matcalc.expr import nodes
from matcalc.expr.functions import FUNCTIONS
from matcalc.expr.nodes import NODE_TYPES
from matcalc.expr.traverse import walk
from matcalc.printing.tex import latex_document

try:
    from matcalc.codegen.compiler import compile as mc_compile
except ImportError:  # the compiler is optional while it is being written
    mc_compile = None
try:
    from matcalc.text.parser import parse as mc_parse
    from matcalc.text.parser import unparse as mc_unparse
except ImportError:
    mc_parse = mc_unparse = None

#: 100 in the ci profile; the long profile's value scales every count below.
BASE = settings.default.max_examples


def n_examples(count: int) -> int:
    """``count`` examples at the ci profile's size, scaled by the active profile."""
    return max(3, count * BASE // 100)


#: Compile failures with a minimized strict-xfail test in test_regressions.py: message
#: pattern → reason. Empty: the six found are fixed (.reshapet1, Kronecker with ones, 1×1
#: results as arrays, np.linalg on 0-D, tr(A ⊗ B) for non-square factors, and the einsum of
#: (A ⊗ b) X with a 1×1 factor b).
KNOWN_COMPILE: dict[str, str] = {}


def seeds() -> st.SearchStrategy[int]:
    return st.integers(0, 2**31 - 1)


def dims_of(data: st.DataObject, case: mt.Case, lo: int = 1, hi: int = 3) -> dict:
    return mt.dim_values(case, mt.DrawSource(data.draw), lo, hi)


def holds(prop: Callable[[], str | None], known: dict[str, str] | None = None) -> None:
    """Assert that a property holds, rejecting examples explained by a known bug.

    A failure is re-run with the known-wrong rules corrected; if it then holds, the known
    bug explains it. A failure whose message matches a pattern of ``known`` likewise.
    """
    try:
        msg = prop()
    except mt.Undecided:
        event("SymPy undecided, numerically equal (test_regressions: check_grad on |x|)")
        reject()
    except mt.Skip as exc:
        event(f"skipped: {str(exc)[:40]}")
        reject()
    except Exception as exc:  # a crash: a known one is rejected, any other fails
        msg = f"raised {exc!r}"
        if not _known(msg, known):
            raise
    if msg is None:
        return
    if _known(msg, known):
        reject()
    try:
        with known_fixes():
            again = prop()
    except Exception:  # noqa: BLE001 - still broken with the fixes: report the first failure
        again = msg
    if again is None:
        event("known bug: explained by test_regressions.known_fixes")
        reject()
    pytest.fail(msg)


def _known(msg: str, known: dict[str, str] | None) -> bool:
    for pattern, reason in (known or {}).items():
        if re.search(pattern, msg):
            event(f"known bug: {reason}")
            return True
    return False


# ----------------------------------------------------------------------------------------
# Properties
# ----------------------------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=n_examples(120))
@given(mt.scalar_cases(), st.data(), seeds())
def test_grad_matches_central_differences(case: mt.Case, data: st.DataObject, seed: int) -> None:
    dims = dims_of(data, case)
    holds(lambda: mt.prop_grad_fd(case, dims, seed))


@pytest.mark.slow
@settings(max_examples=n_examples(30))
@given(mt.scalar_cases(depth=2, budget=5), st.data())
def test_grad_equals_sympy_exactly(case: mt.Case, data: st.DataObject) -> None:
    dims = dims_of(data, case, 1, 2)

    def prop() -> str | None:
        with mt.time_limit(15.0):  # the per-example deadline: SymPy's simplify is unbounded
            return mt.prop_grad_sympy(case, dims)

    holds(prop)


@pytest.mark.slow
@settings(max_examples=n_examples(80))
@given(mt.matrix_cases(), st.data(), seeds())
def test_jacobian_matches_central_differences(case: mt.Case, data: st.DataObject,
                                              seed: int) -> None:
    dims = dims_of(data, case)
    holds(lambda: mt.prop_jacobian_fd(case, dims, seed))


@pytest.mark.slow
@settings(max_examples=n_examples(60))
@given(st.booleans().flatmap(lambda scalar: mt.cases(scalar=scalar)), st.data(), seeds())
def test_jvp_vjp_hvp_match_central_differences(case: mt.Case, data: st.DataObject,
                                               seed: int) -> None:
    dims = dims_of(data, case)
    holds(lambda: mt.prop_directional(case, dims, seed))


@pytest.mark.slow
@settings(max_examples=n_examples(100))
@given(mt.matrix_cases(), st.data(), seeds())
def test_simplify_preserves_value(case: mt.Case, data: st.DataObject, seed: int) -> None:
    dims = dims_of(data, case)
    holds(lambda: mt.prop_simplify(case.f, dims, seed))


@pytest.mark.slow
@pytest.mark.skipif(mc_compile is None, reason="mc.compile (matcalc/codegen.py) is not there yet")
@settings(max_examples=n_examples(60))
@given(mt.scalar_cases(), st.data(), seeds(), st.booleans())
def test_compile_agrees_with_reference(case: mt.Case, data: st.DataObject, seed: int,
                                       exact: bool) -> None:
    dims = dims_of(data, case, 1, 2 if exact else 3)
    holds(lambda: mt.prop_compile([case.f, *mc.grad(case.f, case.wrt)], dims, seed,
                                  mc_compile, exact=exact), KNOWN_COMPILE)


@pytest.mark.slow
@pytest.mark.skipif(mc_parse is None, reason="mc.parse (matcalc/parse.py) is not there yet")
@settings(max_examples=n_examples(80))
@given(mt.matrix_cases(), st.data(), seeds())
def test_parse_round_trip(case: mt.Case, data: st.DataObject, seed: int) -> None:
    dims = dims_of(data, case)
    holds(lambda: mt.prop_parse(case.f, dims, seed, mc_parse, mc_unparse))


def _latex_items(first_seed: int, count: int) -> list[mc.Expr]:
    items: list[mc.Expr] = []
    for seed in range(first_seed, first_seed + count):
        case = mt.random_case(mt.RandomSource(seed))
        items.append(case.f)
        try:
            items += mc.grad(case.f, case.wrt)
        except Exception:  # noqa: BLE001 - gradients are checked elsewhere; print the rest
            pass
    return items


@pytest.mark.skipif(not pdflatex_available(), reason=PDFLATEX_MISSING)
def test_latex_of_expressions_and_gradients_compiles() -> None:
    """One pdflatex run for a batch of expressions and their gradients (sampled)."""
    items = _latex_items(0, n_examples(40))
    bad = mt.latex_failures(items, compile_latex, latex_document)
    assert not bad, "\n".join(f"{tex}\n  {err}" for tex, err in bad[:5])


@pytest.mark.slow
@pytest.mark.skipif(not pdflatex_available(), reason=PDFLATEX_MISSING)
def test_latex_compiles_long() -> None:
    """More seeds than the quick batch; with the long profile, 40,000 of them."""
    items = _latex_items(10_000, n_examples(400))
    bad = mt.latex_failures(items, compile_latex, latex_document)
    assert not bad, "\n".join(f"{tex}\n  {err}" for tex, err in bad[:5])


# ----------------------------------------------------------------------------------------
# The generator and the harness themselves
# ----------------------------------------------------------------------------------------


def test_generator_covers_every_node_type() -> None:
    seen: set[str] = set()
    functions: set[str] = set()
    for seed in range(300):
        for scalar in (True, False):
            f = mt.random_case(mt.RandomSource(seed), scalar=scalar).f
            seen |= mt.node_types(f)
            functions |= {n.fn for n in walk(f) if isinstance(n, nodes.Apply)}
    every = {t.__name__ for t in NODE_TYPES} - {"Delta"}  # only derivations make a dX
    # The spectral nodes are checked in test_spectral.py instead: SymPy has their exact
    # form only at 1×1 and for diagonal matrices, and third derivatives are refused, so
    # generated cases would mostly be skipped.
    every -= {"MatrixFunction", "EigVals", "EigVecs", "DivDiff", "EigGap"}
    assert set(mt.NODE_COVERAGE) == every
    assert every <= seen, f"never generated: {sorted(every - seen)}"
    wanted = {mt.GENERIC_NAME} | set(FUNCTIONS)
    assert wanted <= functions, f"never generated: {sorted(wanted - functions)}"


@given(mt.cases(scalar=False))
def test_generated_cases_are_well_formed(case: mt.Case) -> None:
    dims = {str(d) for d in case.dims}
    for node in walk(case.f):
        assert {str(s) for d in node.shape for s in d.symbols} <= dims
    assert case.wrt and all(isinstance(x, mc.Symbol) for x in case.wrt)
    assert len({s.name for s in case.f.free_symbols}) == len(case.f.free_symbols)


def _wrong(factor: Any, shift: Any) -> Callable[..., list[mc.Expr]]:
    """``factor · ∇f + shift · 1``: a deliberately wrong gradient."""
    def grad(f: mc.Expr, xs: list[mc.Symbol]) -> list[mc.Expr]:
        return [factor * g + shift * mc.ones(*x.shape) for g, x in zip(mc.grad(f, xs), xs)]
    return grad


@pytest.mark.parametrize("factor, shift, share", [
    (1, Fraction(1, 1000), 1.0),  # wrong everywhere: every case must fail
    (Fraction(1001, 1000), 0, 0.9),  # 0.1% off: fails wherever the gradient is not 0
])
def test_harness_fails_on_a_wrong_gradient(factor: Any, shift: Any, share: float) -> None:
    """The finite-difference property is not vacuous: slightly wrong gradients fail it."""
    failed = tried = 0
    for seed in range(40):
        case = mt.random_case(mt.RandomSource(seed))
        dims = mt.dim_values(case, mt.RandomSource(seed))
        try:
            msg = mt.prop_grad_fd(case, dims, seed, grad=_wrong(factor, shift))
        except mt.Skip:
            continue
        tried += 1
        failed += msg is not None
    assert tried >= 30 and failed >= share * tried, (failed, tried)


def test_harness_fails_on_wrong_sympy_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    grad = calculus_api.grad
    monkeypatch.setattr(sympy_exact, "grad", lambda f, x: 2 * grad(f, x))
    x = mc.vector("x", mc.dim("n"))
    case = mt.Case(mc.sum(mc.exp(x)), [x], [])
    assert mt.prop_grad_sympy(case, {mc.dim("n"): 2}) is not None


def test_harness_fails_on_wrong_simplify_jacobian_and_compile(
        monkeypatch: pytest.MonkeyPatch) -> None:
    n = mc.dim("n")
    A, x = mc.matrix("A", n, n), mc.vector("x", n)
    case = mt.Case(mc.tanh(A @ x), [x], [n])
    monkeypatch.setattr(simplifier, "simplify", lambda e: simplifier.Simplifier()(e).T.T
                        + Fraction(1, 100) * mc.ones(*e.shape))
    assert mt.prop_simplify(case.f, {n: 2}, 0) is not None
    monkeypatch.undo()
    jacobian = calculus_api.jacobian
    monkeypatch.setattr(calculus_api, "jacobian", lambda F, x: Fraction(101, 100) * jacobian(F, x))
    assert mt.prop_jacobian_fd(case, {n: 2}, 0) is not None

    for name in ("jvp", "vjp", "hvp"):
        original = getattr(calculus_api, name)
        monkeypatch.setattr(calculus_api, name, lambda *a, f=original: Fraction(101, 100) * f(*a))
        scalar = mt.Case(mc.sum(mc.tanh(A @ x)), [x], [n])
        assert mt.prop_directional(case if name != "hvp" else scalar, {n: 2}, 0) is not None
        monkeypatch.undo()

    def bad_compile(outs: list, args: Any = None, functions: Any = None) -> Callable:
        return lambda **kw: tuple(np.ones(2) for _ in outs)

    assert mt.prop_compile([case.f], {n: 2}, 0, bad_compile) is not None


@pytest.mark.skipif(not pdflatex_available(), reason=PDFLATEX_MISSING)
def test_latex_batches_find_the_broken_item() -> None:
    items = ["x^2", r"\frac{a}{b}", r"\notacommand{x}", "y_1", r"\sqrt{2"]
    bad = mt.latex_failures(items, compile_latex, latex_document, batch=3)
    assert [tex for tex, _ in bad] == [r"\notacommand{x}", r"\sqrt{2"]


def test_time_limit_stops_a_slow_check() -> None:
    import time

    start = time.monotonic()
    with pytest.raises(mt.Skip, match="deadline"), mt.time_limit(0.2):
        time.sleep(5)
    assert time.monotonic() - start < 2
    with mt.time_limit(5):  # a quick block is untouched, and the alarm is cleared after it
        pass
