"""The textbook corpus (issue 9, item 3): every case correct, and no longer than the book.

Three checks per case of :mod:`textbook_corpus`:

* ``test_numerically_equal``: matcalc's gradient equals the book form at random points and
  sizes. Must pass for every case: a failure is a wrong derivative or a wrong book form.
* ``test_book_form_is_right``: the book form equals central differences of f, so the
  corpus cannot hold a wrong closed form that matcalc happens to agree with.
* ``test_no_longer_than_book``: ``str(mc.grad(f, x))`` has at most as many characters as the
  book form printed by the same printer. The cases that are longer today are in
  :data:`LONGER_TODAY`, marked ``xfail(strict=True)``: a case that starts passing fails the
  suite until its id is removed from the set, so the set only shrinks.
"""

from __future__ import annotations

import numpy as np
import pytest
from textbook_corpus import (
    CASES,
    PENDING_STRUCTURED,
    book_expr,
    compare,
    derived,
    fd_check,
    printed,
)

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check
from matcalc.check.numeric import evaluate

# Printed longer than the book today (the readability work removes ids from this set;
# scripts/corpus_report.py says why each one is longer).
LONGER_TODAY: set[str] = set()  # empty: every case is as short as the book

IDS = [case.id for case in CASES]
_XFAIL = pytest.mark.xfail(strict=True, reason="issue 9: not yet simplified to the book form")
LENGTH_PARAMS = [pytest.param(case, marks=_XFAIL) if case.id in LONGER_TODAY else case
                 for case in CASES]


def test_corpus_size_and_ids():
    assert len(CASES) >= 45
    assert len(set(IDS)) == len(IDS), "case ids must be unique"
    assert LONGER_TODAY <= set(IDS), f"unknown ids: {sorted(LONGER_TODAY - set(IDS))}"
    assert all(case.source for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_numerically_equal(case):
    ok, why = compare(case)
    assert ok, f"{case.id} ({case.source}): {why}\n  matcalc: {derived(case)}\n" \
               f"  book:    {book_expr(case)}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_book_form_is_right(case):
    ok, why = fd_check(case)
    assert ok, f"{case.id} ({case.source}): book form {book_expr(case)}: {why}"


@pytest.mark.parametrize("case", LENGTH_PARAMS, ids=IDS)
def test_no_longer_than_book(case):
    got, book = str(derived(case)), printed(book_expr(case))
    assert len(got) <= len(book), (
        f"{case.id}: matcalc {len(got)} chars, book {len(book)}\n"
        f"  matcalc: {got}\n  book:    {book}"
    )


@pytest.mark.parametrize("pending", PENDING_STRUCTURED, ids=[pc.id for pc in PENDING_STRUCTURED])
def test_pending_cases_are_well_formed(pending):
    """Pending cases parse (as unstructured matrices) with the variable in f, ready to move."""
    f = mc.parse(pending.f)
    assert pending.wrt in {sym.name for sym in f.free_symbols}
    mc.parse(pending.book)
    assert {name for name, _ in pending.structure} <= {sym.name for sym in f.free_symbols}


# ---- the structured cases, now that symbols can be declared symmetric, SPD or diagonal ----

# Printed longer than the book today (none: Diag(diag(S⁻¹)) prints as the Cookbook's S⁻¹ ⊙ I).
STRUCTURED_LONGER: set[str] = set()


def _structured(pc):
    """(f, x, convention, book) for a pending case, its symbols declared as it says."""
    declared: dict[str, list[str]] = {}
    for name, kind in pc.structure:
        declared.setdefault(kind, []).append(name)
    f = mc.parse(pc.f, **declared)
    syms = {s.name: s for s in f.free_symbols}
    convention = "entries" if "entries convention" in pc.source else "space"
    return f, syms[pc.wrt], convention, mc.parse(pc.book, **syms)


def _structured_point(f, seed: int = 0):
    rng = np.random.default_rng(seed)
    dims = sorted({d for s in f.free_symbols for d in s.shape if str(d) != "1"}, key=str)
    # 4, 3, 4, ...: X need not be square, and is tall (m_X before n_X), so XᵀAX is invertible
    size = {d: 4 - k % 2 for k, d in enumerate(dims)}
    values = {}
    for s in sorted(f.free_symbols, key=lambda s: s.name):  # the same draws in every run
        r, c = (size.get(d, 1) for d in s.shape)
        a = rng.standard_normal((r, c))
        if s.structure == "symmetric":
            a = (a + a.T) / 2
        elif s.structure == "spd":
            a = a @ a.T + r * np.eye(r)
        elif s.structure == "diagonal":
            a = np.diag(np.diag(a))
        values[s.name] = a
    return values


@pytest.mark.parametrize("pc", PENDING_STRUCTURED, ids=[pc.id for pc in PENDING_STRUCTURED])
def test_structured_case_equals_the_book(pc):
    f, x, convention, book = _structured(pc)
    g = mc.grad(f, x, convention=convention)
    values = _structured_point(f)
    np.testing.assert_allclose(evaluate(g, values), evaluate(book, values), rtol=1e-9,
                               atol=1e-12, err_msg=f"{pc.id}: matcalc {g}, book {book}")
    if convention == "space":  # central differences along directions with the structure
        report = fd_grad_check(f, x, g, values=values, rtol=1e-6)
        assert report, str(report)


_STRUCT_PARAMS = [pytest.param(pc, marks=_XFAIL) if pc.id in STRUCTURED_LONGER else pc
                  for pc in PENDING_STRUCTURED]


@pytest.mark.parametrize("pc", _STRUCT_PARAMS, ids=[pc.id for pc in PENDING_STRUCTURED])
def test_structured_case_no_longer_than_the_book(pc):
    f, x, convention, book = _structured(pc)
    got = str(mc.grad(f, x, convention=convention))
    assert len(got) <= len(printed(book)), f"{pc.id}: matcalc {got}, book {printed(book)}"
