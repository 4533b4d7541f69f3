"""Straight-line NumPy code as data: hash-consed statements, rendered with minimal parentheses.

Lowering (:mod:`matcalc.lower`) builds :class:`Code` values; identical computations are the
same object (common-subexpression elimination by construction, across every output). After
lowering, :meth:`Emitter.render` keeps only what the outputs reach, inlines values used once
into their single consumer (so NumPy frees their temporaries at once, as hand-written code
does) and names the rest.
"""

from __future__ import annotations

import keyword
import math
from typing import Union

import sympy

# Python operator precedence, loosest first: what a value needs around it in a slot.
ADD, MUL, UNARY, POW, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6
COND, COMPARE = 0.25, 0.5  # ``a if c else b`` and ``p <= q``, looser than any arithmetic
SUM_TERM = 1.5  # a term of a sum: needs no parentheses unless it is itself a sum
# Generated lines stay valid Python at any depth and length: the tokenizer allows 200 nested
# parentheses and the compiler recurses once per operator, so a chain of one operator gets
# at most MAX_OPERANDS operands per value, and a line at most MAX_NESTING nested operands
# (deeper, the emitter names an intermediate value: a temporary, as hand-written code would).
MAX_OPERANDS = 32
MAX_NESTING = 48

Part = Union[str, tuple["Code", int]]


class Code:
    """One NumPy-level value: an argument/literal (``fixed``) or a computation of parts."""

    __slots__ = ("parts", "prec", "fixed", "hint", "name", "transpose_of", "neg_of", "scale_of",
                 "vec_of", "reshape_of", "blocks_of", "recip_of", "nonneg", "inplace", "uses")

    def __init__(self, parts: tuple[Part, ...], prec: int, fixed: bool = False) -> None:
        self.parts = parts
        self.prec = prec
        self.fixed = fixed
        self.hint: str | None = None  # preferred variable name (from a Let)
        self.name: str | None = parts[0] if fixed else None  # type: ignore[assignment]
        self.transpose_of: Code | None = None  # set for ``x.T`` so rules can see through it
        self.neg_of: Code | None = None  # set for ``-x`` so sums print as ``a - x``
        # set for ``c * x`` (c a list of scalars) so products can move c to a smaller factor
        self.scale_of: tuple[list, Code] | None = None
        # (X, rows, cols) for vec(X), so (A ⊗ B) vec(X) and K vec(X) can use X itself
        self.vec_of: tuple | None = None
        # (x, order) for ``x.reshape(..., order=order)``: a reshape of it reshapes x instead
        self.reshape_of: tuple[Code, str] | None = None
        # for a p×r×c stack of blocks, what every block is made of (codegen.blocks.BlockForm),
        # so products with the stack can use the factors instead of the stack
        self.blocks_of = None
        # set for ``1 / x`` so an elementwise product can divide by x: a ⊘ x, one pass
        self.recip_of: Code | None = None
        self.nonneg = False  # every entry known ≥ 0 (a Diag's v; see matcalc.codegen.sign)
        # writes into its first operand (``_add_diag(x, d)``): render copies that operand
        # first when anything else reads it too
        self.inplace = False
        self.uses = 0

    def deps(self) -> list[Code]:
        return [p[0] for p in self.parts if isinstance(p, tuple)]

    def __repr__(self) -> str:
        return f"<Code {self.name or self.parts}>"


class Emitter:
    """Creates :class:`Code` values, sharing structurally equal ones, and renders them."""

    def __init__(self, reserved: set[str]) -> None:
        self._memo: dict[tuple, Code] = {}
        self._order: list[Code] = []
        self._taken = set(reserved)
        self._next: dict[str, int] = {}

    def atom(self, text: str, prec: int = ATOM) -> Code:
        """An argument, dim or literal of precedence ``prec``: rendered as is, never assigned."""
        key = ("atom", text)
        code = self._memo.get(key)
        if code is None:
            code = self._memo[key] = Code((text,), prec, fixed=True)
        return code

    def op(self, prec: int, *parts: Part) -> Code:
        """A computation; ``parts`` are text and ``(code, slot_precedence)`` pairs."""
        if len(parts) > 2 * MAX_OPERANDS and _is_chain(parts):
            # a + b + ⋯ of many terms: each left part is a value of its own, (a + b + ⋯) + ⋯,
            # which Python evaluates in the same order
            cut = 2 * MAX_OPERANDS - 1
            head = self.op(prec, *parts[:cut])
            for i in range(cut, len(parts), cut - 1):
                head = self.op(prec, (head, prec), *parts[i:i + cut - 1])
            return head
        key = (prec, tuple(p if isinstance(p, str) else (id(p[0]), p[1]) for p in parts))
        code = self._memo.get(key)
        if code is None:
            code = self._memo[key] = Code(tuple(parts), prec)
            self._order.append(code)
        return code

    def fresh(self, base: str) -> str:
        """A variable name not used by arguments, dims, helpers or other temporaries."""
        if not base.isidentifier() or keyword.iskeyword(base):
            base = "t"
        name, i = base, self._next.get(base, 1)
        if base == "t":
            name = f"t{i}"
        while name in self._taken:
            i += 1
            name = f"{base}{i}" if base == "t" else f"{base}_{i}"
        self._taken.add(name)
        self._next[base] = i  # the next call starts here: naming k temporaries is O(k)
        return name

    def render(self, outputs: list[Code]) -> tuple[list[str], list[str]]:
        """Statements (``name = expr``) and the rendered outputs, dead code dropped."""
        live: set[int] = set()
        stack = list(outputs)
        while stack:
            c = stack.pop()
            if id(c) in live:
                continue
            live.add(id(c))
            stack.extend(c.deps())
        order = [c for c in self._order if id(c) in live]
        for c in order:
            c.uses = 0
        for c in order:
            for d in c.deps():
                d.uses += 1
        for c in outputs:
            c.uses += 2  # an output is always a named variable
        order = self._copy_shared_inplace(order)
        lines: list[str] = []

        def name(c: Code) -> None:
            c.name = self.fresh(c.hint or "t")
            lines.append(f"{c.name} = {self._text(c)}")

        nesting: dict[int, int] = {}  # operands nested in the text of each inlined value
        for c in order:
            inline = [d for d in c.deps() if d.name is None]
            while inline and len(c.deps()) + max(nesting[id(d)] for d in inline) > MAX_NESTING:
                deepest = max(inline, key=lambda d: nesting[id(d)])
                name(deepest)
                inline.remove(deepest)
            nesting[id(c)] = len(c.deps()) + max((nesting[id(d)] for d in inline), default=0)
            if c.uses > 1 or c.hint:
                name(c)
        return lines, [self.ref(c, 0) for c in outputs]

    def _copy_shared_inplace(self, order: list[Code]) -> list[Code]:
        """An in-place operation on a value something else reads gets its own copy."""
        out: list[Code] = []
        for c in order:
            if c.inplace:
                i, dep = next((i, p[0]) for i, p in enumerate(c.parts) if isinstance(p, tuple))
                if dep.uses > 1:
                    copy = Code(((dep, POSTFIX), ".copy()"), POSTFIX)
                    copy.uses = 1  # it takes over c's read of dep
                    c.parts = c.parts[:i] + ((copy, c.parts[i][1]),) + c.parts[i + 1:]
                    out.append(copy)
            out.append(c)
        return out

    def ref(self, c: Code, slot: int) -> str:
        """How ``c`` appears in a slot that needs precedence at least ``slot``."""
        if c.name is not None:
            prec = c.prec if c.fixed else ATOM
            return f"({c.name})" if prec < slot else c.name
        text = self._text(c)
        # a @ b inside a product is parenthesized for the reader (Python would not need it)
        matmul = c.prec == MUL and len(c.parts) == 3 and c.parts[1] == " @ "
        return f"({text})" if c.prec < slot or (matmul and slot >= MUL) else text

    def _text(self, c: Code) -> str:
        return "".join(p if isinstance(p, str) else self.ref(*p) for p in c.parts)


def _is_chain(parts: tuple[Part, ...]) -> bool:
    """``x₀ op x₁ op x₂ ⋯``: operands alternating with binary operators of one precedence."""
    if len(parts) % 2 == 0 or not isinstance(parts[1], str):
        return False
    ops = _CHAIN_OPS.get(parts[1].strip(), ())
    return (all(isinstance(p, tuple) for p in parts[::2])
            and all(isinstance(p, str) and p.strip() in ops for p in parts[1::2]))


_CHAIN_OPS = {op: group for group in (("+", "-"), ("*",), ("@",)) for op in group}


def constant_source(value: sympy.Expr, dim_names: dict) -> tuple[str, int]:
    """Python source and precedence of a constant, possibly in dims (``2 / n``, ``n - m``)."""
    if not value.free_symbols:
        if value.is_Integer:
            text = str(int(value))
        else:
            x = _real(value)
            # inf and nan have no literal; float("inf") needs no import in any backend
            text = repr(x) if math.isfinite(x) else f'float("{x}")'
        return text, UNARY if text.startswith("-") else ATOM
    num, den = sympy.fraction(sympy.together(value))
    text = _dims_source(num, dim_names)
    if num.is_Add:
        text = f"({text})"
    if den != 1:
        d = _dims_source(den, dim_names)
        text = f"{text} / ({d})" if den.is_Mul or den.is_Add or den.is_Pow else f"{text} / {d}"
    return text, MUL


def _real(value: sympy.Expr) -> float:
    """A folded constant as NumPy's real arithmetic would have it: 0⁻¹ (SymPy's unsigned
    ∞) is inf, and a value SymPy finds complex, such as (−2)^½, is nan."""
    if value is sympy.zoo:
        return math.inf
    try:
        return float(value)
    except TypeError:  # complex
        return math.nan


def _dims_source(e: sympy.Expr, names: dict) -> str:
    """Source for an expression in dims: products, sums, integer powers, square roots."""
    if e.is_Integer:
        return str(int(e))
    if e.is_Rational:
        return repr(float(e))
    if e.is_Symbol:
        return names[e]
    if e.is_Mul:
        return " * ".join(_wrapped(a, "*", names) for a in e.args)
    if e.is_Add:  # n - m, not n + (-1) * m
        terms = sorted(e.args, key=lambda a: a.could_extract_minus_sign())
        text = _dims_source(terms[0], names)
        for a in terms[1:]:
            if a.could_extract_minus_sign():
                text += f" - {_wrapped(-a, '*', names)}"
            else:
                text += f" + {_dims_source(a, names)}"
        return text
    if e.is_Pow:
        if e.exp == sympy.Rational(1, 2):
            return f"np.sqrt({_dims_source(e.base, names)})"
        return f"{_wrapped(e.base, '**', names)} ** {_wrapped(e.exp, '**', names)}"
    raise ValueError(f"cannot compile the constant {e}")


def _wrapped(e: sympy.Expr, op: str, names: dict) -> str:
    text = _dims_source(e, names)
    loose = e.is_Add or (op == "**" and (e.is_Mul or (e.is_Rational and not e.is_Integer)))
    return f"({text})" if loose or text.startswith("-") else text
