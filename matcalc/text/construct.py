"""Construction for parsed text: the expression, built once :mod:`matcalc.text.shapes` knows
every dim.

:class:`Builder` builds each syntax-tree node with the public constructors
(:mod:`matcalc.expr.build`, :mod:`~matcalc.expr.reductions`, :mod:`~matcalc.expr.spectral`),
which need every dim known, so it runs after :class:`~matcalc.text.shapes.Typer`. It walks
the tree with a loop, never recursion, and builds each defined name (a ``let`` node, shared
by all its uses) once. :func:`declared_structures` reads the structures a caller declares
(``symmetric=[...]``), which the symbols are built with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy

from ..expr import build as mc  # the public constructors, spelled as users spell them
from ..expr import reductions, spectral
from ..expr.dims import Dim, check_name
from ..expr.errors import ParseError, ShapeError, type_error
from ..expr.nodes import Expr, Ones, Symbol
from .shapes import ELEMENTWISE, Typer
from .syntax import Node

__all__ = ["Builder", "declared_structures"]

# ----------------------------------------------------------------------------------------
# 4. Building the expression with the public constructors
# ----------------------------------------------------------------------------------------

Value = Any  # an Expr, or a SymPy number for a constant subtree
# The spectral functions, which need an argument known symmetric (logm, sqrtm: SPD)
_SPECTRAL = ("expm", "logm", "sqrtm", "eigvalsh")


class Builder:
    """Builds each node once its dims are known; constants stay SymPy numbers until used."""

    def __init__(self, typer: Typer) -> None:
        self.t = typer
        self.symbols: dict[str, Expr] = {}
        self.structures: dict[str, str] = {}  # name → "symmetric" / "spd" / "diagonal"
        self.lets: dict[str, Expr] = {}  # defined name → its mc.let

    def dim(self, term: sympy.Expr) -> Dim:
        return Dim(self.t.resolve(term))

    def symbol(self, name: str) -> Expr:
        # one Symbol object per name, so the expression shares it everywhere
        if name not in self.symbols:
            r, c = (self.dim(t) for t in self.t.symbols[name])
            structure = self.structures.get(name)
            if structure is not None:
                if r != c:
                    raise ShapeError(f"{name} is declared {structure}, so square, but it is "
                                     f"used as {r}×{c}")
                self.symbols[name] = Symbol(name, r, c, structure)
            elif r == 1 and c == 1:
                self.symbols[name] = mc.scalar(name)
            elif c == 1:
                self.symbols[name] = mc.vector(name, r)
            else:
                self.symbols[name] = mc.matrix(name, r, c)
        return self.symbols[name]

    def build(self, root: Node) -> Value:
        """The value of ``root``: a loop over the tree, children first. A sum ``a ± b ± …``
        is built in one step (:func:`~matcalc.expr.build.add_terms`), so n terms cost O(n),
        not the O(n²) of n additions."""
        done: dict[int, Value] = {}
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in done:
                continue
            if ready:
                operands, negate = self.parts(node)
                done[id(node)] = self.combine(node, [done[id(a)] for a in operands], negate)
                continue
            known = self.known(node)
            if known is not None:
                done[id(node)] = known
                continue
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(self.parts(node)[0]) if id(a) not in done)
        return done[id(root)]

    def known(self, node: Node) -> Value | None:
        """The value of a node without building its children: a constant, or a definition
        already built."""
        if node.op == "let" and node.value in self.lets:
            return self.lets[node.value]
        return self.t.fold(node)

    def parts(self, node: Node) -> tuple[list[Node], list[bool]]:
        """The operands to build first: for a sum, all its terms (down the left spine of
        ``+``/``-`` nodes) and which are subtracted; else the node's arguments."""
        if node.op not in ("+", "-"):
            return list(node.args), []
        terms, negate = [], []
        while node.op in ("+", "-") and self.t.fold(node) is None:
            terms.append(node.args[1])
            negate.append(node.op == "-")
            node = node.args[0]
        terms.append(node)
        negate.append(False)
        return terms[::-1], negate[::-1]

    def combine(self, node: Node, args: list[Value], negate: list[bool]) -> Value:
        try:
            if node.op in ("+", "-"):
                return mc.add_terms(args, negate)
            if node.op == "let":  # each definition once, as an mc.let of its name
                self.lets[node.value] = mc.let(node.value, mc.as_expr(args[0]))
                return self.lets[node.value]
            return self._build(node, args)
        except ZeroDivisionError:
            raise ParseError(f"division by zero (column {node.start + 1})",
                             self.t.text, node.start) from None

    def _build(self, node: Node, args: list[Value]) -> Value:  # noqa: C901 - one case per op
        op, kind = node.op, self.t.kind.get(id(node))
        e = [mc.as_expr(a) for a in args]
        if op == "name":
            return self.symbol(node.value)
        if op == "eye":
            return mc.eye(self.dim(self.t.shapes[id(node)][0]))
        if op == "ones":
            r, c = (self.dim(t) for t in self.t.shapes[id(node)])
            value = node.value[1]
            if value == 0:
                return mc.zeros(r, c)
            return mc.ones(r, c) if value == 1 else mc.ones(r, c) * value
        if op == "neg":
            return -e[0]
        if op == "'":
            # a transposed ones row is the ones column build() uses when broadcasting
            if isinstance(e[0], Ones):
                return mc.ones(e[0].shape[1], e[0].shape[0])
            return e[0].T
        if op in (".*", "*") and kind != "matmul":
            return e[0] * e[1]
        if op == "*":
            return e[0] @ e[1]
        if op in ("/", "./"):
            return e[0] / e[1]
        if kind == "pow":
            return e[0] ** args[1]
        if kind == "explog":
            return mc.exp(e[1] * mc.log(e[0]))
        if kind == "matpow":  # X^k: the matrix power, as on MatrixCalculus.org
            return mc.matrix_power(e[0], int(args[1]))
        if op == "call" and node.value in _SPECTRAL:
            try:
                return self.call(node.value, e, kind)
            except ShapeError:
                raise
            except ValueError as err:  # not known symmetric / SPD: say how text declares it
                raise ParseError(f"{err} (in text: mc.parse(..., symmetric=[...]) or spd=, "
                                 f"--symmetric/--spd on the command line; column "
                                 f"{node.start + 1})", self.t.text, node.start) from None
        if op == "call":
            return self.call(node.value, e, kind)
        raise AssertionError(f"unknown node {op}")

    def call(self, fn: str, e: list[Expr], kind: str | None) -> Expr:
        if fn in ELEMENTWISE:
            return ELEMENTWISE[fn](e[0])
        axis_fns: dict[str, Callable[[Expr, int | None], Expr]] = {
            "sum": reductions.sum, "mean": reductions.mean, "softmax": reductions.softmax,
            "log_softmax": reductions.log_softmax, "logsumexp": reductions.logsumexp,
        }
        if fn in axis_fns:
            axis = int(getattr(e[1], "value", e[1])) if len(e) > 1 else None  # checked: 0, 1
            return axis_fns[fn](e[0], axis)
        simple: dict[str, Callable[[Expr], Expr]] = {
            "norm2": mc.norm, "tr": mc.trace, "det": mc.det,
            "logdet": mc.logdet, "inv": mc.inv, "Diag": mc.Diag, "vec": mc.vec,
            "expm": spectral.expm, "logm": spectral.logm, "sqrtm": spectral.sqrtm,
            "eigvalsh": spectral.eigvalsh,
        }
        if fn in simple:
            return simple[fn](e[0])
        if fn == "norm1":
            return reductions.sum(mc.abs(e[0]))
        if fn == "diag":
            return mc.Diag(e[0]) if kind == "Diag" else mc.diag(e[0])
        if fn == "kron":
            return mc.kron(e[0], e[1])
        raise AssertionError(f"unknown function {fn}")


def declared_structures(shapes: dict[str, Any], **declared: Any) -> dict[str, str]:
    """Name → declared structure, from ``symmetric=[...]`` etc. and structured symbols."""
    out = {name: v.structure for name, v in shapes.items()
           if isinstance(v, Symbol) and v.structure is not None}
    for structure, names in declared.items():
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, (list, tuple, set, frozenset)) or not all(
                isinstance(name, str) for name in names):
            raise type_error("mc.parse", structure, names, "a symbol name or a list of names")
        for name in names:
            check_name(name)
            if out.setdefault(name, structure) != structure:
                raise ValueError(f"{name} is declared both {out[name]} and {structure}")
    return out
