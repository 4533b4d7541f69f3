"""Every node type has a rule in every table, so an operator cannot be half-added."""

from __future__ import annotations

import importlib

import pytest

from matcalc.expr.nodes import (
    NODE_TYPES,
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    LogSumExp,
    MatMul,
    MatrixPower,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Softmax,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
)
from matcalc.expr.spectral import DivDiff, EigGap, EigVals, EigVecs, MatrixFunction

# Tables that must cover every node type: (module, singledispatch function name).
FULL_TABLES = [
    ("matcalc.calculus.diff", "DIFF_RULES"),
    ("matcalc.printing.text", "_print"),
    ("matcalc.printing.tex", "_latex"),
    ("matcalc.check.sympy_bridge", "_rule"),
    ("matcalc.check.numeric", "_ev"),
    ("matcalc.codegen.lower", "lower_node"),
]

# The node types that can carry a differential linearly: d rules only ever put dX there.
LINEAR = {Add, Scale, ScalarMul, MatMul, Transpose, Hadamard, Diag, DiagPart, Vec, Unvec,
          Kron, Trace, Sum, Frob}
# ...and those that never do: leaves (dX itself is the Delta leaf), and nonlinear maps,
# whose differentials the d rules rewrite into linear nodes.
NOT_LINEAR = {Symbol, Number, Ones, Identity, Zero, Commutation, Delta, Let, Power, Apply,
              Inverse, Det, LogDet, Norm, Softmax, LogSumExp, MatrixPower,
              MatrixFunction, EigVals, EigVecs, DivDiff, EigGap}


def test_every_node_type_is_classified_for_the_linear_tables():
    assert LINEAR | NOT_LINEAR == set(NODE_TYPES)
    assert not LINEAR & NOT_LINEAR


@pytest.mark.parametrize("module, table", FULL_TABLES)
def test_full_tables_cover_every_node_type(module, table):
    # the compiler imports the modules that register lowerings (chain, reduce, spectral)
    importlib.import_module("matcalc.codegen.compiler")
    fn = getattr(importlib.import_module(module), table)
    missing = [t.__name__ for t in NODE_TYPES if t not in fn.registry]
    assert not missing, f"{module}.{table} has no rule for {missing}"


@pytest.mark.parametrize("module, table", [("matcalc.calculus.adjoint", "ADJOINT_RULES"),
                                           ("matcalc.calculus.vecrules", "VEC_RULES")])
def test_linear_tables_cover_the_linear_node_types(module, table):
    fn = getattr(importlib.import_module(module), table)
    missing = [t.__name__ for t in LINEAR if t not in fn.registry]
    assert not missing, f"{module}.{table} has no rule for {missing}"


def test_adjoint_rules_have_names():
    from matcalc.calculus.adjoint import RULE_NAMES

    assert set(RULE_NAMES) == LINEAR


def test_diff_rules_document_their_identity():
    from matcalc.calculus.diff import DIFF_RULES

    for t in NODE_TYPES:
        assert DIFF_RULES.registry[t].__doc__, f"d rule for {t.__name__} has no docstring"


def test_elementwise_functions_are_complete():
    from matcalc.expr.functions import FUNCTIONS

    for name, spec in FUNCTIONS.items():
        assert spec.numpy and spec.latex and callable(spec.sympy) and callable(spec.deriv), name
