"""The text front end: MatrixCalculus.org-style input to matcalc expressions.

Text goes through three stages, each in one place below:

1. ``_tokens`` splits the text (numbers, names, operators); nothing is ever evaluated.
2. ``_Parser`` reads the tokens by recursive descent into a small syntax tree (``Node``).
   Sums and products of any length are loops (``a + b + ... `` grows the tree leftwards,
   never the parser's stack); only real nesting (parentheses, function arguments, signs,
   exponents) recurses, and more than :data:`MAX_DEPTH` levels of it are refused with a
   ParseError at the token that passed the limit.
3. :mod:`matcalc.text.shapes` infers every shape by unifying unknown dims, then
   :mod:`matcalc.text.construct` builds the expression with the public constructors of
   :mod:`matcalc.expr.build`; both passes are loops over the tree, so a 100,000-term sum is
   no deeper for them than a short one.

Shapes are inferred before anything is built because the constructors need concrete dims,
while the text only fixes them by use (in ``x'*A*x``, ``A`` must be square).

Grammar (lowest precedence first; ``{}`` repeats, ``[]`` is optional)::

    program  := { NAME "=" expr ";" } expr [ ";" ]      (definitions, then the result)
    expr     := term { ("+" | "-") term }
    term     := unary { ("*" | "/" | ".*" | "./") unary }
    unary    := ("-" | "+") unary | power
    power    := postfix [ ("^" | ".^") unary ]          (right associative: a^b^c = a^(b^c))
    postfix  := atom { "'" }                            (transpose)
    atom     := NUMBER | "(" expr ")" | "eye"
              | ("vector" | "matrix") "(" NUMBER ")"    (constant with inferred shape)
              | FUNCTION "(" expr ")" | "kron" "(" expr "," expr ")"
              | ("sum" | "mean" | "softmax" | "log_softmax" | "logsumexp")
                "(" expr [ "," NUMBER ] ")"            (axis 0: each column, 1: each row)
              | NAME
    NUMBER   := digits ["." digits] [("e" | "E") ["+" | "-"] digits]  |  "." digits [...]
    NAME     := ASCII letter or "_", then letters, digits, "_" (not a Python keyword)

Meaning, as on MatrixCalculus.org, with NumPy broadcasting as in the Python API:

* ``*`` is the matrix product, or scaling when either side is 1×1; ``.*`` and ``./`` are
  elementwise. ``/`` needs a 1×1 divisor (``X/Y`` of two matrices is rejected with a hint to
  write ``X./Y``, rather than guessing MATLAB's ``X*inv(Y)``).
* ``^`` is the power of a 1×1 base; of a square matrix it is the matrix power for an
  integer constant exponent (``A^-1`` is ``inv(A)``). ``.^`` is elementwise. A non-constant
  exponent (``a^b``) is read as ``exp(b*log(a))``.
* ``norm1(X)`` is ``sum(abs(X))`` (the entrywise 1-norm); ``norm2(X)`` is ``mc.norm`` (the
  2-norm of a vector, the Frobenius norm of a matrix), and ``norm(X)`` is the same (not
  MATLAB's spectral norm of a matrix); ``trace`` is ``tr``. ``diag`` is MATLAB's: the diagonal
  matrix of a column vector, the diagonal of a square matrix; ``Diag`` always builds a
  matrix. ``vector(c)``/``matrix(c)`` are constant ones vectors/matrices times ``c``.
* ``z = X*w + b; norm2(relu(z) - y)^2`` defines ``z`` as an ``mc.let`` name: derivations
  and printed results use it. A name is defined once, before its first use, and the text
  ends with the expression itself.
* Names starting with ``a``–``g`` are scalars, ``h``–``z`` vectors, ``A``–``Z`` matrices,
  unless a shape is given. Unknown dims get names from their symbol (``n_x``, ``m_A``).
  ``lambda`` (a Python keyword) is read as the symbol ``lam``, printed λ.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from ..expr import build as mc
from ..expr.errors import ParseError, type_error
from ..expr.nodes import Expr
from .construct import Builder, declared_structures
from .shapes import (
    ELEMENTWISE,
    MAX_CONSTANT_BITS,
    Typer,
    bits,
    declared_shape,
)
from .syntax import ALIASES, RENAMED, Node, did_you_mean
from .unparse import unparse

__all__ = ["parse", "unparse", "FUNCTIONS"]

# Levels of nesting (parentheses, function arguments, signs, exponents) past this are
# refused with a ParseError: the parser recurses about six frames a level, so 100 levels
# stay well inside Python's default limit of 1000 frames (a RecursionError is not an
# answer a user can act on). Terms of a sum or factors of a product are not nesting.
MAX_DEPTH = 100
# Every function the text knows, with its number of arguments.
FUNCTIONS: dict[str, int] = {
    **{name: 1 for name in ELEMENTWISE},
    "sum": 1, "norm1": 1, "norm2": 1, "tr": 1, "det": 1, "logdet": 1, "inv": 1, "diag": 1,
    "Diag": 1, "vec": 1, "kron": 2, "mean": 1, "softmax": 1, "log_softmax": 1,
    "logsumexp": 1, "expm": 1, "logm": 1, "sqrtm": 1, "eigvalsh": 1,
}
# Functions that take an optional second argument, the axis (0: each column, 1: each row).
AXIS_FUNCTIONS = ("sum", "mean", "softmax", "log_softmax", "logsumexp")

# ----------------------------------------------------------------------------------------
# 1. Tokens
# ----------------------------------------------------------------------------------------

_OPERATORS = (".*", "./", ".^", "+", "-", "*", "/", "^", "'", "(", ")", ",", "=", ";")


@dataclass(frozen=True)
class Token:
    kind: str  # "num", "name", "op" or "end"
    text: str
    pos: int


def _describe(tok: Token) -> str:
    return "the end of the text" if tok.kind == "end" else repr(tok.text)


def _number_end(text: str, i: int) -> int:
    """End of the number starting at ``i`` (a dot followed by ``* / ^`` is an operator)."""
    n = len(text)
    j = i
    while j < n and text[j].isdigit():
        j += 1
    if j < n and text[j] == "." and not (j + 1 < n and text[j + 1] in "*/^"):
        j += 1
        while j < n and text[j].isdigit():
            j += 1
    if j < n and text[j] in "eE":
        k = j + 1
        if k < n and text[k] in "+-":
            k += 1
        if k < n and text[k].isdigit():
            while k < n and text[k].isdigit():
                k += 1
            j = k
    return j


def _tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c.isascii() and (c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit())):
            j = _number_end(text, i)
            out.append(Token("num", text[i:j], i))
            i = j
        elif c.isascii() and (c.isalpha() or c == "_"):
            j = i + 1
            while j < n and text[j].isascii() and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(Token("name", text[i:j], i))
            i = j
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op is None:
                hint = " (use ' for the transpose)" if c in "ᵀ’`" else ""
                raise ParseError(f"unexpected character {c!r} at column {i + 1}{hint}", text, i)
            out.append(Token("op", op, i))
            i += len(op)
    out.append(Token("end", "", n))
    return out


def _number(tok: Token, text: str) -> sympy.Rational:
    """The exact value of a number token; huge ones are refused before they are computed."""
    mantissa, _, exponent = tok.text.lower().partition("e")
    value = None
    if len(mantissa) <= 400 and not (exponent and abs(int(exponent)) > 300):
        value = sympy.Rational(Fraction(tok.text))
    if value is None or bits(value) > MAX_CONSTANT_BITS:
        raise ParseError(f"number {tok.text[:20]}{'...' if len(tok.text) > 20 else ''} is out "
                         f"of range (column {tok.pos + 1})", text, tok.pos)
    return value


# ----------------------------------------------------------------------------------------
# 2. Syntax tree
# ----------------------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the grammar in the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    # --- helpers ---------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def error(self, message: str, pos: int | None = None) -> ParseError:
        pos = self.tok.pos if pos is None else pos
        return ParseError(f"{message} (column {pos + 1})", self.text, pos)

    def at(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def expect(self, op: str, context: str) -> Token:
        if not self.at(op):
            raise self.error(f"expected {op!r} {context}, found {_describe(self.tok)}")
        tok = self.tok
        self.i += 1
        return tok

    def node(self, op: str, args: tuple[Node, ...], start: int, end: int,
             value: Any = None) -> Node:
        return Node(op, args, start, end, value)

    def nested(self, opener: Token, parse: Callable[[], Node]) -> Node:
        """``parse()`` one level of nesting deeper; ``opener`` is the token that opens it."""
        if self.depth >= MAX_DEPTH:
            raise self.error(f"expression nested too deeply (more than {MAX_DEPTH} levels of "
                             "parentheses, function calls, signs or powers)", opener.pos)
        self.depth += 1
        try:
            return parse()
        finally:
            self.depth -= 1

    # --- grammar -----------------------------------------------------------------------
    def parse(self) -> Node:
        """The program: definitions ``name = expr;``, then the final expression."""
        if self.tok.kind == "end":
            raise self.error("empty expression: expected a number, a name or '('")
        defs: dict[str, tuple[Token, Node, int]] = {}
        statements: list[Node] = []
        while True:
            name = self.definition_name()
            tree = self.expr()
            if name is not None:
                if name.text in defs:
                    first = defs[name.text][0]
                    raise self.error(f"{name.text} is defined twice (first at column "
                                     f"{first.pos + 1})", name.pos)
                defs[name.text] = (name, tree, len(statements))
            statements.append(tree)
            if self.at(";"):
                self.i += 1
                if self.tok.kind != "end":
                    if name is None:
                        raise self.error("only the last statement is an expression; the "
                                         "ones before it define names (NAME = EXPR;)",
                                         tree.start)
                    continue
                if name is None:
                    break  # a trailing ';' after the final expression
            elif self.tok.kind != "end":
                if self.at(")"):
                    raise self.error("unmatched ')': no '(' is open")
                if self.at("="):
                    raise self.error("'=' defines a name: write NAME = EXPR; ... "
                                     "with a plain name on its left")
                raise self.error(f"expected an operator or the end of the text, "
                                 f"found {_describe(self.tok)}")
            if name is not None:
                raise self.error(f"the definition of {name.text} needs a final expression "
                                 f"after it: {name.text} = ...; EXPR")
            break
        if not defs:
            return statements[0]
        return _bind_definitions(self.text, statements, defs)

    def definition_name(self) -> Token | None:
        """The NAME of ``NAME = expr`` at the cursor (consumed with its '='), else None."""
        tok = self.tok
        nxt = self.toks[min(self.i + 1, len(self.toks) - 1)]
        if tok.kind != "name" or not (nxt.kind == "op" and nxt.text == "="):
            return None
        if keyword.iskeyword(tok.text) or tok.text in FUNCTIONS or tok.text in _RESERVED:
            what = "Python keyword" if keyword.iskeyword(tok.text) else "built-in name"
            raise self.error(f"{tok.text!r} cannot be defined: it is a {what}", tok.pos)
        self.i += 2
        if self.tok.kind == "end" or self.at(";"):
            raise self.error(f"expected an expression after '{tok.text} ='")
        return tok

    _PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, ".*": 2, "./": 2}

    def expr(self, min_prec: int = 1) -> Node:
        """Operators of precedence ``min_prec`` and up, left associative: a loop per level,
        so a sum of any number of terms costs no stack."""
        left = self.unary()
        while self.tok.kind == "op" and self._PRECEDENCE.get(self.tok.text, 0) >= min_prec:
            op = self.tok
            self.i += 1
            right = self.expr(self._PRECEDENCE[op.text] + 1)
            left = self.node(op.text, (left, right), left.start, right.end)
        return left

    def unary(self) -> Node:
        if self.at("-", "+"):
            sign = self.tok
            self.i += 1
            x = self.nested(sign, self.unary)
            if sign.text == "+":
                return x
            return self.node("neg", (x,), sign.pos, x.end)
        return self.power()

    def power(self) -> Node:
        """``postfix [^ unary]``, with the transposes of ``postfix`` read here too (one
        frame less per level of nesting)."""
        base = self.atom()
        while self.at("'"):
            base = self.node("'", (base,), base.start, self.tok.pos + 1)
            self.i += 1
        if self.at("^", ".^"):
            op = self.tok
            self.i += 1
            exponent = self.nested(op, self.unary)
            return self.node(op.text, (base, exponent), base.start, exponent.end)
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.i += 1
            return self.node("num", (), tok.pos, tok.pos + len(tok.text),
                             _number(tok, self.text))
        if self.at("("):
            self.i += 1
            inner = self.nested(tok, self.expr)
            if not self.at(")"):
                raise self.error(f"expected ')' to close the '(' at column {tok.pos + 1}, "
                                 f"found {_describe(self.tok)}")
            self.i += 1
            inner.start, inner.end = tok.pos, self.toks[self.i - 1].pos + 1
            return inner
        if tok.kind == "name":
            return self.name()
        raise self.error(f"expected a number, a name or '(', found {_describe(tok)}")

    def name(self) -> Node:
        tok = self.tok
        name = RENAMED.get(tok.text, tok.text)
        self.i += 1
        if name in ALIASES and self.at("("):  # trace(X), norm(x): only as calls
            name = ALIASES[name]
        if keyword.iskeyword(name):
            raise self.error(f"{name!r} is a Python keyword, not a valid name", tok.pos)
        if name == "eye":
            if self.at("("):
                raise self.error("'eye' takes no arguments: its size is inferred from use")
            return self.node("eye", (), tok.pos, tok.pos + 3)
        if name in ("vector", "matrix"):
            self.expect("(", f"after {name!r} (write {name}(1) for ones)")
            num = self.tok
            if num.kind != "num":
                raise self.error(f"expected a number in {name}(...), found {_describe(num)}")
            self.i += 1
            close = self.expect(")", f"to close {name}(")
            return self.node("ones", (), tok.pos, close.pos + 1,
                             (name, _number(num, self.text)))
        if name in FUNCTIONS:
            opener = self.expect("(", f"after the function {name!r}")
            args = [self.nested(opener, self.expr)]
            while len(args) < FUNCTIONS[name] and self.at(","):
                self.i += 1
                args.append(self.nested(opener, self.expr))
            if len(args) < FUNCTIONS[name]:
                raise self.error(f"expected ',' and a second argument of {name}, "
                                 f"found {_describe(self.tok)}")
            if name in AXIS_FUNCTIONS and self.at(","):
                self.i += 1
                args.append(self.nested(opener, self.expr))
            close = self.tok
            if self.at(","):
                if name in AXIS_FUNCTIONS:
                    raise self.error(f"{name} takes an expression and an optional axis, "
                                     "found a third argument")
                raise self.error(f"{name} takes {FUNCTIONS[name]} argument"
                                 f"{'s' if FUNCTIONS[name] > 1 else ''}, found ','")
            self.expect(")", f"to close {name}(")
            return self.node("call", tuple(args), tok.pos, close.pos + 1, name)
        if self.at("("):
            raise self.error(f"unknown function {name!r}; {did_you_mean(name, FUNCTIONS)}"
                             "the functions are "
                             f"{', '.join(sorted(FUNCTIONS, key=str.lower))}", tok.pos)
        return self.node("name", (), tok.pos, tok.pos + len(name), name)


_RESERVED = ("eye", "vector", "matrix")


def _bind_definitions(text: str, statements: list[Node],
                      defs: dict[str, tuple[Token, Node, int]]) -> Node:
    """The final expression with each defined name turned into a ``let`` node.

    Every use of a defined name becomes a node ``("let", (definition,), name)``; all uses
    of one name share the definition's syntax tree, which the shape pass infers once.
    A name used in its own or an earlier statement is an error: text is read in order.
    """
    for index, tree in enumerate(statements):
        stack = [tree]
        while stack:
            node = stack.pop()
            if node.op == "name" and node.value in defs:
                tok, definition, at = defs[node.value]
                if at >= index:
                    raise ParseError(
                        f"{node.value} is used before its definition at column "
                        f"{tok.pos + 1} (column {node.start + 1}); define it first",
                        text, node.start)
                node.op, node.args = "let", (definition,)
            else:
                stack.extend(node.args)
    return statements[-1]


# ----------------------------------------------------------------------------------------
# The public entry point
# ----------------------------------------------------------------------------------------


def _names(tree: Node) -> set[str]:
    out, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if node.op == "name":
            out.add(node.value)
        stack.extend(node.args)
    return out


def parse(text: str, /, *, symmetric: Any = (), spd: Any = (), diagonal: Any = (),
          **shapes: Any) -> Expr:
    """Read MatrixCalculus.org-style text into a matcalc expression.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"x'*A*x"`` or ``"sum(log(1+exp(-y.*(X*w))))"``. The grammar
        and the meaning of each operator are in this module's docstring.
    **shapes
        Shapes of symbols, overriding the defaults (``a``–``g`` scalars, ``h``–``z``
        vectors, ``A``–``Z`` matrices): ``X=(m, n)``, ``w=(n,)`` or ``w=n``, ``b=()``; dims
        are :class:`~matcalc.dims.Dim` objects, positive ints or dim names. An existing
        symbol also gives its shape (``X=X``) and its structure. Shapes of names not in the
        text are ignored.
    symmetric, spd, diagonal : sequence of str
        Names of square matrices declared symmetric, symmetric positive definite or
        diagonal (``mc.symmetric``, ``mc.spd``, ``mc.diagonal``).

    Returns
    -------
    Expr
        The expression; each name is one :class:`~matcalc.nodes.Symbol` throughout. Dims not
        fixed by ``shapes`` are inferred from use and named after their symbol (``n_x``).

    Raises
    ------
    ParseError
        Malformed text; the message marks the position and says what was expected.
    ShapeError
        Shapes that cannot fit, naming the operands, e.g. ``cannot multiply x (n_x×1) * y
        (n_y×1): inner dimensions 1 ≠ n_y``.

    Examples
    --------
    >>> import matcalc as mc
    >>> f = mc.parse("x'*A*x")
    >>> str(f), f.free_symbols == {mc.vector("x", mc.dim("n_x")),
    ...                            mc.matrix("A", mc.dim("n_x"), mc.dim("n_x"))}
    ('xᵀ A x', True)
    """
    if not isinstance(text, str):
        raise type_error("mc.parse", "text", text, "a str (the expression text)")
    parser = _Parser(text)
    try:
        tree = parser.parse()
    except RecursionError:
        # only when called with the stack already nearly full: the nesting limit keeps the
        # parser itself far from Python's limit
        raise parser.error("expression nested too deeply for the space left on Python's "
                           "stack") from None
    structures = declared_structures(shapes, symmetric=symmetric, spd=spd, diagonal=diagonal)
    declared = {RENAMED.get(name, name): declared_shape(RENAMED.get(name, name), value)
                for name, value in shapes.items()}
    user_dims = {str(s) for terms in declared.values() for t in terms for s in t.free_symbols}
    typer = Typer(text, declared, _names(tree) | user_dims)
    typer.square_names = set(structures)  # a structured matrix is square
    typer.infer(tree)
    builder = Builder(typer)
    builder.structures = structures
    return mc.as_expr(builder.build(tree))


