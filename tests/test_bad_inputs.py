"""Run the bad-input corpus (``tests/bad_inputs.py``): the right error, nothing else escapes.

For each :class:`~bad_inputs.Bad` entry the call must raise the stated type with the stated
fragment in its message; any other exception fails the test with its type and message, so
an ``AttributeError`` or ``IndexError`` from deep inside can never pass for an answer. Each
:class:`~bad_inputs.Same` entry must return what plain NumPy returns (NaN equal to NaN).
"""

from __future__ import annotations

import importlib.util
import inspect
import warnings

import numpy as np
import pytest
from bad_inputs import CORPUS, SIGNATURES, WRONG, Bad, Same

import matcalc as mc

_AVAILABLE = {
    "compile": importlib.util.find_spec("matcalc.codegen.compiler") is not None,
    "parse": importlib.util.find_spec("matcalc.text.parser") is not None,
}


def _params() -> list:
    out = []
    for e in CORPUS:
        marks = []
        if e.needs and not _AVAILABLE[e.needs]:
            marks.append(pytest.mark.skip(reason=f"mc.{e.needs} is not there yet"))
        if e.bug:
            marks.append(pytest.mark.xfail(strict=True, reason=e.bug))
        out.append(pytest.param(e, id=e.id, marks=marks))
    return out


def outcome(entry: Bad | Same) -> str | None:
    """None if the entry behaves as stated, else what happened instead."""
    with warnings.catch_warnings():
        # NumPy warns on log(-1) and the like; a warning is its answer, not an error.
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            got = entry.call()
        except Exception as exc:  # noqa: BLE001 - the point is to see every type
            if isinstance(entry, Bad) and isinstance(exc, entry.error):
                if entry.fragment in str(exc):
                    return None
                return f"{type(exc).__name__} without {entry.fragment!r}: {exc}"
            return f"unexpected {type(exc).__name__}: {exc}"
        if isinstance(entry, Bad):
            return f"no {entry.error.__name__}; returned {got!r}"[:300]
        want = np.asarray(entry.expected(), dtype=float)
        got_arr = np.asarray(got, dtype=float)
        if got_arr.size != want.size or not np.allclose(
                got_arr.reshape(want.shape), want, equal_nan=True, rtol=1e-12, atol=0):
            return f"returned {got!r}, NumPy gives {want!r}"
    return None


@pytest.mark.parametrize("entry", _params())
def test_bad_input(entry: Bad | Same) -> None:
    problem = outcome(entry)
    assert problem is None, problem


def test_corpus_is_large_and_ids_are_unique() -> None:
    ids = [e.id for e in CORPUS]
    assert len(ids) == len(set(ids))
    assert len(CORPUS) >= 200
    kinds = {e.id.split(":")[0] for e in CORPUS}
    assert {"shape", "type", "name", "compiled", "compile", "check", "parse"} <= kinds


def test_outcome_catches_wrong_type_and_message() -> None:
    """The runner is not vacuous: a wrong type, a wrong message, no error all count."""
    def boom() -> None:
        raise IndexError("deep inside")

    assert "unexpected IndexError" in outcome(Bad("x", boom, ValueError, "deep"))
    assert "without" in outcome(Bad("x", boom, IndexError, "other text"))
    assert "no ValueError" in outcome(Bad("x", lambda: 1, ValueError, ""))
    assert "NumPy gives" in outcome(Same("x", lambda: 1.0, lambda: np.nan))
    assert outcome(Same("x", lambda: np.nan, lambda: np.nan)) is None


def test_every_public_callable_is_called_with_wrong_types() -> None:
    """The corpus covers every public function with a wrong type for each argument, so a
    new public function cannot skip its argument checks (add it to SIGNATURES)."""
    public = {name for name in mc.__all__
              if callable(getattr(mc, name)) and not inspect.isclass(getattr(mc, name))}
    missing = public - set(SIGNATURES)
    assert not missing, f"public callables without wrong-type entries in SIGNATURES: {missing}"
    for name in public:
        params = [p for p in inspect.signature(getattr(mc, name)).parameters.values()
                  if p.kind is not p.VAR_KEYWORD]
        valid, kinds = SIGNATURES[name]
        if name != "hadamard":  # *xs: the table names xs[0], xs[1]
            assert [p.name for p in params] == list(kinds), name
        assert all(WRONG[k] for k in kinds.values())
