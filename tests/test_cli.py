"""The ``matcalc`` command line, run as a user runs it: ``python -m matcalc ...``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import matcalc as mc

parse = mc.parse  # bind the function before importing its module by name (mc's lazy exports)

from matcalc import cli  # noqa: E402
from matcalc.check.numeric import evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8", **(env or {})}
    environ.pop("MATCALC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "matcalc", *args], capture_output=True,
                          text=True, encoding="utf-8", errors="replace", env=environ,
                          cwd=ROOT, timeout=120)


def ok(*args: str) -> list[str]:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout.splitlines()


def bad(*args: str, status: int = 2) -> str:
    """The one line a bad input prints on stderr (and nothing on stdout)."""
    result = run(*args)
    assert result.returncode == status, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def symbol(e: mc.Expr, name: str) -> mc.Expr:
    (s,) = [s for s in e.free_symbols if s.name == name]
    return s


def point(e: mc.Expr, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    sizes = {str(d): 3 + i for i, d in enumerate(sorted({str(d) for s in e.free_symbols
                                                         for d in s.shape if d != 1}))}
    out = {}
    for s in e.free_symbols:
        r, c = (1 if d == 1 else sizes[str(d)] for d in s.shape)
        out[s.name] = rng.standard_normal((r, c))
    return out


# ----------------------------------------------------------------------------------------
# Gradients
# ----------------------------------------------------------------------------------------


def test_the_readme_command() -> None:
    f = parse("norm2(X*w-y)^2")
    assert ok("grad", "norm2(X*w-y)^2", "--wrt", "w") == [
        f"∂f/∂w = {mc.grad(f, symbol(f, 'w'))}"]


def test_grad_prints_one_line_per_variable_in_order() -> None:
    text = "x'*A*x + a*norm2(x)^2"
    f = parse(text)
    lines = ok("grad", text, "--wrt", "x", "--wrt", "A,a")
    assert lines == [f"∂f/∂{n} = {mc.grad(f, symbol(f, n))}" for n in ("x", "A", "a")]


@pytest.mark.parametrize("text, wrt, expected", [
    ("x'*A*x", "x", lambda V: (V["A"] + V["A"].T) @ V["x"]),
    ("norm2(X*w-y)^2", "w", lambda V: 2 * V["X"].T @ (V["X"] @ V["w"] - V["y"])),
    ("sum(log(1+exp(-y.*(X*w))))", "w",
     lambda V: -V["X"].T @ (V["y"] / (1 + np.exp(V["y"] * (V["X"] @ V["w"]))))),
    ("logdet(X) - tr(S*X)", "X", lambda V: np.linalg.inv(V["X"]).T - V["S"].T),
])
def test_plain_output_reads_back_as_the_gradient(text: str, wrt: str, expected) -> None:  # noqa: ANN001
    (line,) = ok("grad", text, "--wrt", wrt, "--plain")
    label, _, rhs = line.partition(" = ")
    assert label == f"∂f/∂{wrt}"
    f = parse(text)
    g = parse(rhs, **{s.name: s.shape for s in f.free_symbols})
    values = point(f)
    np.testing.assert_allclose(evaluate(g, values), expected(values), rtol=1e-9)


def test_latex_output() -> None:
    f = parse("x'*A*x")
    (line,) = ok("grad", "x'*A*x", "--wrt", "x", "--latex")
    assert line == r"\frac{\partial f}{\partial x} = " + mc.latex(mc.grad(f, symbol(f, "x")))


def test_steps_print_the_derivation() -> None:
    text = "logdet(X) - tr(S*X)"
    f = parse(text)
    d = mc.derive(f, [symbol(f, "X")])
    assert ok("grad", text, "--wrt", "X", "--steps") == str(d).rstrip().splitlines()
    assert ok("grad", text, "--wrt", "X", "--steps", "--latex") == d.latex().rstrip().splitlines()


def test_numpy_output_is_a_working_function() -> None:
    text = "sum(log(1+exp(-y.*(X*w))))"
    source = "\n".join(ok("grad", text, "--wrt", "w", "--wrt", "X", "--numpy"))
    assert source.startswith("import numpy as np")
    namespace: dict[str, object] = {}
    exec(compile(source, "<matcalc --numpy>", "exec"), namespace)  # the test runs what it printed
    rng = np.random.default_rng(1)
    X, w, y = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    value, gw, gX = namespace["value_and_gradient"](X=X, w=w, y=y)  # type: ignore[operator]
    z = -y * (X @ w)
    np.testing.assert_allclose(value, np.sum(np.log1p(np.exp(z))))
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(gw, -X.T @ (y * s))
    np.testing.assert_allclose(gX, -np.outer(y * s, w))


def test_shapes_from_the_command_line() -> None:
    assert ok("parse", "x'*A*x", "--shape", "A=3,3") == ["f = xᵀ A x    (1×1)", "  A: 3×3",
                                                        "  x: 3×1"]
    assert ok("parse", "X*w", "--shape", "X=(m, n)")[1:] == ["  X: m×n", "  w: n×1"]
    assert ok("parse", "x*b", "--shape", "b=1")[1:] == ["  b: 1×1", "  x: n_x×1"]


def test_jacobian_and_hessian() -> None:
    F = parse("tanh(W*x)")
    assert ok("jacobian", "tanh(W*x)", "--wrt", "x") == [
        f"∂f/∂xᵀ = {mc.jacobian(F, symbol(F, 'x'))}"]
    assert ok("jacobian", "A*X", "--wrt", "X")[0].startswith("∂f/∂vec(X)ᵀ = ")
    f = parse("x'*A*x")
    assert ok("hessian", "x'*A*x", "--wrt", "x") == [
        f"∂²f/∂x∂xᵀ = {mc.hessian(f, symbol(f, 'x'))}"]


# ----------------------------------------------------------------------------------------
# verify
# ----------------------------------------------------------------------------------------


def test_verify_a_correct_claim() -> None:
    (line,) = ok("verify", "x'*A*x", "--wrt", "x", "--claimed", "(A+A')*x")
    assert line.startswith("∂f/∂x = (A + Aᵀ) x: correct")


def test_verify_what_grad_printed() -> None:
    (line,) = ok("grad", "norm2(X*w-y)^2", "--wrt", "X", "--plain")
    claimed = line.partition(" = ")[2]
    (verdict,) = ok("verify", "norm2(X*w-y)^2", "--wrt", "X", "--claimed", claimed)
    assert ": correct" in verdict


@pytest.mark.parametrize("claimed, why", [("2*A*x", "wrong value"), ("A", "wrong shape")])
def test_verify_a_wrong_claim_exits_1(claimed: str, why: str) -> None:
    result = run("verify", "x'*A*x", "--wrt", "x", "--claimed", claimed)
    assert result.returncode == 1 and result.stderr == ""
    assert "WRONG" in result.stdout and why in result.stdout


# ----------------------------------------------------------------------------------------
# Bad input: status 2, one line on stderr, no traceback
# ----------------------------------------------------------------------------------------

BAD_INPUTS = [
    (["grad", "x'*A*", "--wrt", "x"], "expected a number, a name or '('"),
    (["grad", "(x+y", "--wrt", "x"], "expected ')' to close the '(' at column 1"),
    (["grad", "x*y", "--wrt", "x"], "cannot multiply x (n_x×1) * y (n_y×1)"),
    (["grad", "import os", "--wrt", "x"], "'import' is a Python keyword"),
    (["grad", "x'*x", "--wrt", "q"], "--wrt q: q does not appear in the expression"),
    (["grad", "x'*x"], "say which variable to differentiate by"),
    (["grad", "A*x", "--wrt", "x"], "grad needs a scalar (1×1) expression, but A*x is m_A×1"),
    (["hessian", "A*x", "--wrt", "x"], "matcalc jacobian differentiates"),
    (["grad", "x'*x", "--wrt", "x", "--shape", "Z=3"], "--shape Z: Z does not appear"),
    (["grad", "x'*x", "--wrt", "x", "--shape", "x=1,2,3"], "expected NAME=ROWS,COLS"),
    (["grad", "x'*x", "--wrt", "x", "--shape", "x"], "expected NAME=ROWS,COLS"),
    (["grad", "x'*x", "--wrt", "x", "--shape", "x=n-1"], "invalid dimension name"),
    (["grad", "x'*A*x", "--wrt", "x", "--shape", "A=2,3"], "3 ≠ 2"),
    (["grad", "x'*x", "--wrt", "x", "--latex", "--numpy"], "not allowed with argument"),
    (["grad", "x'*x", "--wrt", "x", "--steps", "--numpy"], "does not combine with --numpy"),
    (["jacobian", "x", "--wrt", "x", "--steps"], "unrecognized arguments: --steps"),
    (["grad", "x'*x", "--wrt", "x", "--bogus"], "unrecognized arguments: --bogus"),
    (["verify", "x'*x", "--wrt", "x"], "the following arguments are required: --claimed"),
    (["verify", "x'*x", "--wrt", "x", "--wrt", "y", "--claimed", "x"], "one --wrt"),
    (["verify", "x'*x", "--wrt", "x", "--claimed", "2*x +"], "expected a number"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "choose a command"),
]


def in_process(args: list[str], capsys) -> tuple[int, str, str]:  # noqa: ANN001
    try:
        status = cli.main(args)
    except SystemExit as exit:  # argparse's own errors
        status = exit.code  # type: ignore[assignment]
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("args, part", BAD_INPUTS, ids=[" ".join(a) for a, _ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(args: list[str], part: str, capsys) -> None:  # noqa: ANN001
    status, out, err = in_process(args, capsys)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("matcalc") and "error: " in err and part in err


SHELL_BAD_INPUTS = BAD_INPUTS[::4]


@pytest.mark.parametrize("args, part", SHELL_BAD_INPUTS,
                         ids=[" ".join(a) for a, _ in SHELL_BAD_INPUTS])
def test_bad_input_from_a_shell(args: list[str], part: str) -> None:
    line = bad(*args)
    assert line.startswith("matcalc") and "error: " in line and part in line


def test_help_shows_examples() -> None:
    for args in (["--help"], ["grad", "--help"], ["verify", "-h"]):
        result = run(*args)
        assert result.returncode == 0 and result.stderr == ""
        assert "examples:" in result.stdout and "matcalc grad \"x'*A*x\" --wrt x" in result.stdout


def test_a_terminal_without_unicode_gets_escapes_not_a_crash() -> None:
    result = run("grad", "x'*A*x", "--wrt", "x", env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0 and "\\u2202f/\\u2202x = " in result.stdout


# ----------------------------------------------------------------------------------------
# In-process: what a user cannot easily provoke
# ----------------------------------------------------------------------------------------


def test_an_internal_error_is_one_line_and_status_1(monkeypatch, capsys) -> None:  # noqa: ANN001
    def broken(f: object, x: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(mc, "grad", broken)
    assert cli.main(["grad", "x'*x", "--wrt", "x"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "internal error: RuntimeError: boom" in err[0]
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "grad", "x'*x", "--wrt", "x"])


def test_a_missing_part_of_matcalc_is_reported(monkeypatch, capsys) -> None:  # noqa: ANN001
    monkeypatch.delattr(mc, "hessian", raising=False)
    monkeypatch.setitem(mc._WHERE, "hessian", "matcalc.no_such_module")
    assert cli.main(["hessian", "x'*x", "--wrt", "x"]) == 1
    assert "mc.hessian is not available" in capsys.readouterr().err


def test_main_returns_0_and_writes_stdout(capsys) -> None:  # noqa: ANN001
    assert cli.main(["grad", "x'*x", "--wrt", "x"]) == 0
    assert capsys.readouterr().out == "∂f/∂x = 2 x\n"


def test_numpy_output_runs_without_matcalc(tmp_path):
    """--numpy prints code to paste where matcalc is not installed: helpers are inlined."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "matcalc", "grad", "norm2(X*w-y)^2", "--wrt",
                          "w", "--numpy"], capture_output=True, text=True, check=True).stdout
    assert "matcalc" not in out.split("def value_and_gradient")[0].replace("#", "")
    script = tmp_path / "pasted.py"
    script.write_text("import sys\nsys.modules['matcalc'] = None  # not importable\n" + out
                      + "\nimport numpy as np\n"
                      "X, w, y = np.eye(3), np.ones(3), np.zeros(3)\n"
                      "f, g = value_and_gradient(X, w, y)\n"
                      "assert abs(f - 3) < 1e-12 and np.allclose(g, 2 * np.ones(3))\n")
    subprocess.run([sys.executable, str(script)], check=True, cwd=tmp_path)


# ----------------------------------------------------------------------------------------
# Shared factors named once (issue 9)
# ----------------------------------------------------------------------------------------

ATTENTION = "norm2(exp(Q*K')./(exp(Q*K')*matrix(1))*V - Y)^2"


def _grad_out(*argv: str) -> str:
    import contextlib
    import io

    from matcalc.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["grad", *argv]) == 0
    return buf.getvalue()


def test_readme_first_command_names_the_shared_factors() -> None:
    out = _grad_out("norm2(relu(X*w + b) - y)^2", "--wrt", "w", "--wrt", "b", "--wrt", "X",
                    "--steps")
    assert out.count("X w + 𝟏 b") == 1 and "  t₁ = X w + 𝟏 b" in out
    full = _grad_out("norm2(relu(X*w + b) - y)^2", "--wrt", "w", "--steps", "--names", "none")
    assert full.count("X w + 𝟏 b") > 2 and "where" not in full


def test_attention_prints_its_weights_once() -> None:
    # exp(Q Kᵀ) ./ (exp(Q Kᵀ)*matrix(1)) is the row softmax P: named once, and the gradient
    # is the textbook's 2 (P ⊙ (G − (P ⊙ G) 𝟏 𝟏ᵀ)) K with G = (P V − Y) Vᵀ (it printed
    # exp(Q Kᵀ) nine times before names, then t₁ = exp(Q Kᵀ) in a quotient-rule form)
    out = _grad_out(ATTENTION, "--wrt", "Q")
    assert out == ("∂f/∂Q = 2 (P ⊙ (t₁ - (P ⊙ t₁) 𝟏 𝟏ᵀ)) K\n"
                   "where\n  P = softmax(Q Kᵀ, axis=1)\n  t₁ = (P V - Y) Vᵀ\n")


def test_text_names_reach_the_output() -> None:
    out = _grad_out("z = X*w + b; norm2(relu(z) - y)^2", "--wrt", "w", "--names", "lets")
    assert out == "∂f/∂w = 2 Xᵀ (step(z) ⊙ (relu(z) - y))\nwhere\n  z = X w + 𝟏 b\n"
    out = _grad_out("z = X*w + b; norm2(relu(z) - y)^2", "--wrt", "w", "--names", "none")
    assert out == "∂f/∂w = 2 Xᵀ (step(X w + 𝟏 b) ⊙ (relu(X w + 𝟏 b) - y))\n"


def test_latex_document_compiles_with_where_lines() -> None:
    from latex_util import PDFLATEX_MISSING, compile_latex, pdflatex_available

    doc = _grad_out(ATTENTION, "--wrt", "Q", "--latex-document")
    assert doc.startswith("\\documentclass")
    assert r"P &= \operatorname{softmax}_{\mathrm{row}}(Q K^{\top})" in doc
    if not pdflatex_available():
        pytest.skip(PDFLATEX_MISSING)
    ok, log = compile_latex(doc)
    assert ok, log[-2000:]


# ---- the text forgives what people type (issue 13) ---------------------------------------


def main_out(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_leading_minus_is_an_expression_not_an_option(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = main_out(capsys, "grad", "-y'*log(p)", "--wrt", "p")
    assert (status, err) == (0, "")
    assert out == main_out(capsys, "grad", "0 - y'*log(p)", "--wrt", "p")[1]
    assert out.startswith("∂f/∂p = -")
    status, out, err = main_out(capsys, "verify", "norm2(X*w-y)^2", "--wrt", "w",
                                "--claimed", "-2*X'*(y-X*w)")
    assert (status, err) == (0, ""), err
    assert ": correct" in out and "  -" not in out


def test_options_still_read_as_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli._leading_minus(["grad", "-x", "--wrt", "x", "-h", "--latex"],
                              cli.build_parser()) == ["grad", " -x", "--wrt", "x", "-h", "--latex"]
    status, out, _ = main_out(capsys, "grad", "-x'*x", "--wrt=x")
    assert status == 0 and out.strip() == "∂f/∂x = -2 x"


def test_lambda_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = main_out(capsys, "grad", "lambda*x'*x", "--wrt", "x", "--shape",
                                "lambda=1", "--latex")
    assert (status, err) == (0, ""), err
    assert r"\lambda" in out
    status, out, err = main_out(capsys, "grad", "lambda*x'*x", "--wrt", "x", "--shape",
                                "lambda=1")
    assert (status, out) == (0, "∂f/∂x = 2 λ x\n"), err  # as typed, never the internal lam


@pytest.mark.parametrize("args, fragments", [
    (["grad", "x'*x + lam*x'*x", "--wrt", "x"],
     ["lam is a vector by default", "--shape lam=1"]),
    (["grad", "sum(lam*A)", "--wrt", "A"], ["lam is a vector by default", "--shape lam=1"]),
    (["grad", "x'*x + lambda*x'*x", "--wrt", "x"],
     ["lambda is a vector by default", "--shape lambda=1"]),
])
def test_a_letter_default_error_names_the_default_and_the_fix(
        capsys: pytest.CaptureFixture[str], args: list[str], fragments: list[str]) -> None:
    status, _, err = main_out(capsys, *args)
    assert status == 2
    assert all(f in err for f in fragments), err
    assert "jacobian" not in err
    assert main_out(capsys, *args, "--shape", "lam=1")[0] == 0


def test_a_vector_function_still_points_to_jacobian(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = main_out(capsys, "grad", "-x", "--wrt", "x")
    assert status == 2 and "matcalc jacobian" in err and "but -x is" in err
