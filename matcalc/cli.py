"""The ``matcalc`` command line: gradients, Jacobians, Hessians and checks from text.

Every command reads MatrixCalculus.org-style text with :func:`matcalc.parse`. Bad input
(malformed text, shapes that do not fit, unknown options) exits with status 2 and one line on
stderr; a wrong ``verify`` claim exits with status 1. The calculus, LaTeX, code generation
and verification modules load only when a command needs them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

__all__ = ["main", "build_parser"]

EXAMPLES = """\
examples:
  matcalc grad "x'*A*x" --wrt x
  matcalc grad "norm2(X*w-y)^2" --wrt w --wrt X
  matcalc grad "sum(log(1+exp(-y.*(X*w))))" --wrt w --numpy
  matcalc grad "logdet(X) - tr(S*X)" --wrt X --steps
  matcalc grad "z = X*w + b; norm2(relu(z) - y)^2" --wrt w --wrt b --steps
  matcalc grad "norm2(relu(X*w + b) - y)^2" --wrt w --names none
  matcalc grad "norm2(X*w-y)^2" --wrt w --steps --latex-document > grad.tex
  matcalc grad "x'*A*x" --wrt x --shape A=n,n --latex
  matcalc grad "x'*A*x" --wrt x --plain
  matcalc jacobian "tanh(W*x)" --wrt x
  matcalc hessian "x'*A*x" --wrt x
  matcalc verify "x'*A*x" --wrt x --claimed "(A+A')*x"
  matcalc parse "norm2(X*w-y)^2"

names a-g are scalars, h-z vectors, A-Z matrices unless --shape says otherwise
(--shape X=m,n   --shape w=n   --shape b=1); unknown dims are inferred from use.
--symmetric S, --spd S and --diagonal D declare structured square matrices; gradients
w.r.t. them are symmetric (the gradient in the space of symmetric matrices).
operators: + - * / ^ ' .* ./ .^   functions: sum norm1 norm2 tr det logdet inv diag
Diag vec kron exp log sin cos tan tanh sigmoid softplus relu step abs sign sqrt arcsin ...
constants: eye, vector(1) and matrix(1) (ones), with sizes inferred from use.
definitions: NAME = EXPR; ... EXPR names an intermediate (z = X*w + b; norm2(relu(z)-y)^2).
"""


# The text reads the keyword lambda as the symbol lam (λ): --wrt and --shape say it so too
# (kept here rather than imported: the parser's module loads SymPy, and --help must not).
_RENAMED = {"lambda": "lam"}


class UsageError(Exception):
    """Bad input found by the CLI itself (an unknown --wrt name, a malformed --shape)."""


class _Unavailable(Exception):
    """A command needs a part of matcalc that this installation does not have."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (argparse prints the usage too)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _api(name: str) -> Any:
    """A public matcalc function by its fixed name (never a name taken from the input)."""
    import matcalc

    try:
        return getattr(matcalc, name)
    except (AttributeError, ImportError) as exc:
        raise _Unavailable(f"mc.{name} is not available in this installation of matcalc "
                           f"({exc})") from None


# ----------------------------------------------------------------------------------------
# Reading the input
# ----------------------------------------------------------------------------------------


_STRUCTURES = ("symmetric", "spd", "diagonal")


def _shapes(specs: Sequence[str]) -> dict[str, tuple[int | str, ...]]:
    """``["X=m,n", "w=3"]`` → ``{"X": ("m", "n"), "w": (3,)}``."""
    out: dict[str, tuple[int | str, ...]] = {}
    for spec in specs:
        name, eq, dims = spec.partition("=")
        dims = dims.strip().strip("()").replace("×", ",").replace(" ", "")
        parts = [p for p in dims.split(",")] if dims else []
        structure = next((p for p in parts if p.lower() in _STRUCTURES), None)
        if structure is not None:
            raise UsageError(f"--shape {spec!r}: a shape is dims (NAME=ROWS,COLS); declare "
                             f"the structure with --{structure.lower()} {name.strip()} "
                             f"(and the size with --shape {name.strip()}=n,n if needed)")
        if not eq or not name.strip() or not parts or "" in parts or len(parts) > 2:
            raise UsageError(f"--shape {spec!r}: expected NAME=ROWS,COLS or NAME=LENGTH, "
                             "e.g. --shape X=m,n or --shape w=3")
        out[_RENAMED.get(name.strip(), name.strip())] = tuple(
            int(p) if p.isdigit() else p for p in parts)
    return out


def _names(specs: Sequence[str]) -> list[str]:
    names: list[str] = []
    for spec in specs:
        for name in spec.split(","):
            name = name.strip()
            name = _RENAMED.get(name, name)
            if name and name not in names:
                names.append(name)
    return names


def _read(args: argparse.Namespace, *texts: str) -> list[Any]:
    """Parse each text with the --shape options; later texts share the first's symbols.

    With ``--names none`` the text's own names (``z = ...;``) are written out."""
    import matcalc as mc

    shapes: dict[str, Any] = dict(_shapes(args.shape))
    declared = {k: _names(getattr(args, k, None) or []) for k in _STRUCTURES}
    exprs = []
    for text in texts:
        try:
            expr = mc.parse(text, **declared, **shapes)
        except mc.ShapeError as exc:
            hint = _default_hint(_defaulted(text, shapes), str(exc), text)
            if hint is None:
                raise
            raise mc.ShapeError(f"{str(exc).splitlines()[0]}; {hint}") from None
        if getattr(args, "names", None) == "none":
            from .printing.names import expand_lets

            expr = expand_lets(expr)
        # later texts (a claimed gradient) must mean the same symbols as the first one
        shapes = {**shapes, **{s.name: s for s in expr.free_symbols}}
        exprs.append(expr)
    used = {s.name for e in exprs for s in e.free_symbols}
    for option, names in [("shape", _shapes(args.shape))] + list(declared.items()):
        for name in names:
            if name not in used:
                raise UsageError(f"--{option} {name}: {name} does not appear in the "
                                 "expression")
    return exprs


def _defaulted(text: str, shapes: dict[str, Any]) -> list[Any]:
    """The symbols of ``text`` that got a vector or matrix shape from the letter defaults
    (its names parsed one by one: the whole text has a shape error)."""
    import matcalc as mc

    found = []
    for name in sorted(set(re.findall(r"[A-Za-z_]\w*", text)) - set(shapes)):
        try:
            e = mc.parse(_RENAMED.get(name, name))
        except ValueError:  # a function name or a keyword: not a symbol
            continue
        if isinstance(e, mc.Symbol) and e.shape != (1, 1):
            found.append(e)
    return found


def _defaulted_symbols(expr: Any, shape_specs: Sequence[str]) -> list[Any]:
    given = set(_shapes(shape_specs))
    return [s for s in sorted(expr.free_symbols, key=lambda s: s.name)
            if s.name not in given and s.shape != (1, 1)]


def _mentions(text: str, name: str) -> bool:
    """``name`` occurs in ``text`` as a whole word."""
    return re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text) is not None


def _default_hint(symbols: Sequence[Any], message: str, text: str = "") -> str | None:
    """'lam is a vector by default (...); if it is a scalar, add --shape lam=1', for the
    default-shaped symbols the error is about (all of them when ``message`` is empty);
    a name the text spelled otherwise (``lambda``, read as ``lam``) is named as typed."""
    named = [s for s in symbols if not message or _mentions(message, s.name)]
    # a one-letter name is usually what its letter says; a longer one (lam, alpha, mu) is
    # the typical scalar that the defaults read as a vector
    named = [s for s in named if len(s.name) > 1]
    if not named:
        return None
    s = named[0]
    kind = "vector" if s.shape[1] == 1 else "matrix"
    typed = {v: k for k, v in _RENAMED.items()}.get(s.name, s.name)
    name = typed if _mentions(text, typed) else s.name
    return (f"{name} is a {kind} by default (names starting with h–z are vectors, A–Z "
            f"matrices, a–g scalars); if it is a scalar, add --shape {name}=1")


def _wrt(expr: Any, names: Sequence[str]) -> list[Any]:
    by_name = {s.name: s for s in expr.free_symbols}
    if not names:
        raise UsageError("say which variable to differentiate by, e.g. --wrt "
                         f"{min(by_name) if by_name else 'x'}")
    missing = [n for n in names if n not in by_name]
    if missing:
        known = ", ".join(sorted(by_name)) or "none"
        raise UsageError(f"--wrt {missing[0]}: {missing[0]} does not appear in the expression "
                         f"(its symbols: {known})")
    return [by_name[n] for n in names]


# ----------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------


def _label(kind: str, x: Any, latex: bool) -> str:
    """``∂f/∂x``, ``∂f/∂xᵀ`` (Jacobian), ``∂²f/∂x∂xᵀ`` (Hessian), in text or LaTeX."""
    is_vector = x.shape[1] == 1
    if latex:
        name = _api("latex")(x)
        v = name if is_vector else rf"\operatorname{{vec}}({name})"
        return {
            "grad": rf"\frac{{\partial f}}{{\partial {name}}}",
            "jacobian": rf"\frac{{\partial f}}{{\partial {v}^{{\top}}}}",
            "hessian": rf"\frac{{\partial^2 f}}{{\partial {v}\, \partial {v}^{{\top}}}}",
        }[kind]
    v = x.name if is_vector else f"vec({x.name})"
    return {"grad": f"∂f/∂{x.name}", "jacobian": f"∂f/∂{v}ᵀ",
            "hessian": f"∂²f/∂{v}∂{v}ᵀ"}[kind]


def _unparse(e: Any) -> str:

    from .text.parser import unparse

    return unparse(e)


def _numpy_source(exprs: list[Any], symbols: list[Any], name: str) -> str:
    """Ready-to-paste NumPy source of a function ``name`` computing each of ``exprs``."""
    fn = _api("compile")(exprs, args=symbols)
    # the generated function is called whatever codegen calls it; name it for its results
    source = re.sub(r"^def \w+\(", f"def {name}(", fn.source.rstrip(), count=1,
                    flags=re.MULTILINE) + "\n"
    if "import numpy as np" not in source:
        source = "import numpy as np\n\n\n" + source
    # pasted elsewhere, the function must not need matcalc: inline its run-time helpers
    from .codegen.runtime import standalone_source

    return standalone_source(source)


def _derivatives(kind: str, args: argparse.Namespace, out: TextIO) -> int:
    (f,) = _read(args, args.expr)
    wrt = _wrt(f, _names(args.wrt))
    if kind in ("grad", "hessian") and not (f.shape[0] == 1 and f.shape[1] == 1):
        shape = "×".join(str(d) for d in f.shape)
        defaulted = [s for s in _defaulted_symbols(f, args.shape)
                     if any(d in f.shape for d in s.shape if d != 1)]
        hint = _default_hint(defaulted, "", args.expr)
        if hint is not None:
            raise UsageError(f"{kind} needs a scalar (1×1) expression, but {args.expr} is "
                             f"{shape}: {hint}")
        raise UsageError(f"{kind} needs a scalar (1×1) expression, but {args.expr} is "
                         f"{shape}; matcalc jacobian differentiates vectors and matrices")
    if args.steps and kind != "grad":
        raise UsageError("--steps is for grad only")
    if args.steps and args.numpy:
        raise UsageError("--steps prints the derivation; it does not combine with --numpy")
    if args.steps:
        derivation = _api("derive")(f, wrt, names=args.names)
        if args.latex_document:
            text = derivation.to_latex_document()
        else:
            text = derivation.latex() if args.latex else str(derivation)
        out.write(text.rstrip() + "\n")
        return 0
    rule: Callable[[Any, Any], Any] = _api(kind)
    results = [rule(f, x) for x in wrt]
    if args.numpy:
        symbols = sorted(f.free_symbols, key=lambda s: s.name)
        names = {"grad": "gradient", "jacobian": "jacobian", "hessian": "hessian"}
        out.write(_numpy_source([f, *results], symbols, f"value_and_{names[kind]}"))
        return 0
    if args.plain:  # the input syntax has no names: everything written out, to paste back
        for x, r in zip(wrt, results):
            out.write(f"{_label(kind, x, False)} = {_unparse(r)}\n")
        return 0
    from .printing.names import share

    named = share(results, args.names)
    if args.latex or args.latex_document:
        latex = _api("latex")
        rows = [f"{_label(kind, x, True)} &= {latex(r)}" for x, r in zip(wrt, named.exprs)]
        where = r"\text{where}\quad "
        rows.extend(f"{where if i == 0 else ''}{latex(z)} &= {latex(z.expr)}"
                    for i, z in enumerate(named.where()))
        if args.latex:
            for row in rows:
                out.write(row.replace("&= ", "= ", 1) + "\n")
            return 0
        from .printing.tex import latex_document

        block = "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
        out.write(latex_document(block, f"{kind}: {args.expr}"))
        return 0
    for x, r in zip(wrt, named.exprs):
        out.write(f"{_label(kind, x, False)} = {r}\n")
    if named.lets:
        out.write("where\n")
        for z in named.where():
            out.write(f"  {z.name} = {z.expr}\n")
    return 0


def _verify(args: argparse.Namespace, out: TextIO) -> int:
    f, claimed = _read(args, args.expr, args.claimed)
    names = _names(args.wrt)
    if len(names) != 1:
        raise UsageError("verify checks one gradient at a time: give one --wrt")
    (x,) = _wrt(f, names)
    report = _api("verify")(f, x, claimed)
    message = getattr(report, "message", "") or ("correct" if report else "wrong")
    verdict = "correct" if report else "WRONG"
    out.write(f"∂f/∂{x.name} = {claimed}: {verdict}"
              f"{'' if message == verdict.lower() else ': ' + message}\n")
    return 0 if report else 1


def _show(args: argparse.Namespace, out: TextIO) -> int:
    (f,) = _read(args, args.expr)
    if args.latex:
        out.write(_api("latex")(f) + "\n")
        return 0
    fmt = "×".join
    out.write(f"f = {f}    ({fmt(str(d) for d in f.shape)})\n")
    for s in sorted(f.free_symbols, key=lambda s: s.name):
        out.write(f"  {s.name}: {fmt(str(d) for d in s.shape)}\n")
    return 0


# ----------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``matcalc`` command."""
    parser = _Parser(
        prog="matcalc", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Matrix calculus from MatrixCalculus.org-style text: gradients, "
                    "derivations, LaTeX and NumPy code.",
        epilog=EXAMPLES,
    )
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an internal error")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help, epilog=EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        sub.add_argument("expr", metavar="EXPR", help="the expression, e.g. \"x'*A*x\"")
        sub.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                         help="shape of a symbol: X=m,n  w=n  b=1 (ints or dim names)")
        for structure, what in [("symmetric", "symmetric"), ("spd", "symmetric positive "
                                "definite"), ("diagonal", "diagonal")]:
            sub.add_argument(f"--{structure}", action="append", default=[], metavar="NAME",
                             help=f"a square matrix that is {what} (repeat, or S,T)")
        return sub

    for name, what in [("grad", "the gradient of a scalar EXPR"),
                       ("jacobian", "the Jacobian ∂vec(F)/∂vec(x)ᵀ of EXPR"),
                       ("hessian", "the Hessian of a scalar EXPR")]:
        sub = command(name, f"print {what} with respect to each --wrt variable")
        sub.add_argument("--wrt", action="append", default=[], metavar="NAME",
                         help="variable to differentiate by (repeat, or x,A)")
        out = sub.add_mutually_exclusive_group()
        out.add_argument("--latex", action="store_true", help="print LaTeX")
        out.add_argument("--numpy", action="store_true",
                         help="print a NumPy function returning the value and the derivatives")
        out.add_argument("--plain", action="store_true",
                         help="print in the input syntax ((A' + A)*x), to paste back in")
        out.add_argument("--latex-document", action="store_true",
                         help="print a complete LaTeX document (with --steps: the derivation)")
        sub.add_argument("--names", choices=("auto", "lets", "none"), default="auto",
                         help="auto (default): name repeated factors once (where t₁ = ...) and "
                              "keep the text's own names; lets: only the text's names "
                              "(z = ...; ...); none: write everything out")
        if name == "grad":
            sub.add_argument("--steps", action="store_true",
                             help="print the derivation step by step (LaTeX with --latex)")
        sub.set_defaults(run=lambda a, o, kind=name: _derivatives(kind, a, o), steps=False)

    sub = command("verify", "check a hand-derived gradient (exit status 1 when it is wrong)")
    sub.add_argument("--wrt", action="append", default=[], metavar="NAME", required=True,
                     help="the variable of the gradient")
    sub.add_argument("--claimed", required=True, metavar="EXPR",
                     help="the claimed gradient, e.g. \"2*A*x\"")
    sub.set_defaults(run=_verify)

    sub = command("parse", "print how EXPR is read: the expression and each symbol's shape")
    sub.add_argument("--latex", action="store_true", help="print LaTeX")
    sub.set_defaults(run=_show)
    return parser


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every option of the parser and of its subcommands (--wrt, -h, ...)."""
    out: set[str] = set()
    for action in parser._actions:
        out.update(action.option_strings)
        for sub in (action.choices or {}).values() if isinstance(action.choices, dict) else ():
            out |= _option_strings(sub)
    return out


def _leading_minus(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """An expression that starts with a minus ("-y'*log(p)", --claimed "-2*X'*r") is not an
    option: argparse would take it for one, so it gets a leading space (which the text
    syntax ignores). Anything spelled like one of our options stays an option."""
    options = _option_strings(parser)
    out = []
    for arg in argv:
        is_option = arg.split("=", 1)[0] in options or arg.startswith("--") or arg == "-"
        out.append(" " + arg if arg.startswith("-") and not is_option else arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``matcalc`` command line; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when ``verify`` finds the claim wrong or matcalc fails internally,
        2 on bad input (one line on stderr).
    """
    for stream in (sys.stdout, sys.stderr):
        # a terminal that cannot show ∂ or ᵀ gets escapes instead of a crash
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(_leading_minus(list(sys.argv[1:] if argv is None else argv),
                                            parser))
    if args.command is None:
        parser.error("choose a command: grad, jacobian, hessian, verify or parse")
    for text in ("expr", "claimed"):  # the space _leading_minus added is not the user's
        if isinstance(getattr(args, text, None), str):
            setattr(args, text, getattr(args, text).strip())
    prog = f"matcalc {args.command}"
    try:
        return args.run(args, sys.stdout)
    except (UsageError, ValueError) as exc:  # ParseError and ShapeError are ValueErrors
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"{prog}: error: {first}", file=sys.stderr)
        return 2
    except _Unavailable as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug in matcalc, not in the input: say so, briefly
        if args.debug or os.environ.get("MATCALC_DEBUG"):
            raise
        print(f"{prog}: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
              "for the traceback, and please report it)", file=sys.stderr)
        return 1
