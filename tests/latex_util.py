"""Test helpers that compile LaTeX with a real ``pdflatex`` and render pages to PNG.

Tests that need them skip, with the reason, only when the programs are not installed
(Debian: ``texlive-latex-base``, ``texlive-latex-recommended``; ``poppler-utils`` for PNG).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["pdflatex_available", "pdftoppm_available", "compile_latex", "render_png",
           "latex_errors", "katex_available", "katex_errors", "PDFLATEX_MISSING",
           "KATEX_MISSING"]

PDFLATEX_MISSING = ("pdflatex is not installed (apt-get install texlive-latex-base "
                    "texlive-latex-recommended)")


def pdflatex_available() -> bool:
    """Whether a ``pdflatex`` executable is on the PATH."""
    return shutil.which("pdflatex") is not None


def pdftoppm_available() -> bool:
    """Whether poppler's ``pdftoppm`` is on the PATH (to render PDF pages to PNG)."""
    return shutil.which("pdftoppm") is not None


def _run_pdflatex(tex: str, workdir: Path, timeout: float) -> tuple[bool, str]:
    (workdir / "doc.tex").write_text(tex, encoding="utf-8")
    cmd = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
           "doc.tex"]
    try:
        proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True,
                              timeout=timeout, errors="replace")
    except subprocess.TimeoutExpired:
        return False, f"pdflatex timed out after {timeout} s"
    log_path = workdir / "doc.log"
    log = log_path.read_text(errors="replace") if log_path.exists() else proc.stdout
    ok = proc.returncode == 0 and (workdir / "doc.pdf").exists()
    return ok, log


def compile_latex(tex: str, timeout: float = 60.0) -> tuple[bool, str]:
    """Compile a complete LaTeX document with pdflatex in a temporary directory.

    Parameters
    ----------
    tex : str
        The whole ``.tex`` source.
    timeout : float
        Seconds before pdflatex is stopped (counts as a failure).

    Returns
    -------
    (bool, str)
        Whether a PDF was produced without errors (``-halt-on-error``), and the log, whose
        lines starting with ``!`` say what went wrong.
    """
    with tempfile.TemporaryDirectory(prefix="matcalc-tex-") as tmp:
        return _run_pdflatex(tex, Path(tmp), timeout)


def render_png(tex: str, out_png: Path, dpi: int = 110, timeout: float = 60.0) -> tuple[bool, str]:
    """Compile ``tex`` and render its first page to ``out_png`` (for a person to look at).

    Returns
    -------
    (bool, str)
        Success, and the pdflatex log or pdftoppm's error output.
    """
    with tempfile.TemporaryDirectory(prefix="matcalc-tex-") as tmp:
        ok, log = _run_pdflatex(tex, Path(tmp), timeout)
        if not ok:
            return False, log
        stem = Path(tmp) / "page"
        proc = subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1",
                               "-singlefile", str(Path(tmp) / "doc.pdf"), str(stem)],
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            return False, proc.stderr
        shutil.copyfile(stem.with_suffix(".png"), out_png)
        return True, log


def latex_errors(log: str) -> list[str]:
    """The error lines (``! ...``) of a pdflatex log, with the line after each for context."""
    lines = log.splitlines()
    return [" | ".join(lines[i:i + 3]) for i, line in enumerate(lines) if line.startswith("!")]


KATEX_MISSING = ("node with the katex package is not available (npm install katex, and put its "
                 "node_modules on NODE_PATH)")

# Renders each string of a JSON list with KaTeX in strict mode; prints one error (or null)
# per string, so one node process checks a whole batch.
_KATEX_SCRIPT = r"""
const katex = require("katex");
let input = "";
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map((tex) => {
    try {
      katex.renderToString(tex, {displayMode: true, throwOnError: true, strict: "error"});
      return null;
    } catch (e) { return String(e.message || e); }
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def katex_available() -> bool:
    """Whether ``node`` can ``require("katex")`` (NODE_PATH is honoured)."""
    node = shutil.which("node")
    if node is None:
        return False
    proc = subprocess.run([node, "-e", 'require.resolve("katex")'], capture_output=True,
                          timeout=30)
    return proc.returncode == 0


def katex_errors(texs: list[str], timeout: float = 60.0) -> list[str | None]:
    """Render each math string with KaTeX (strict mode); the error message or None for each."""
    proc = subprocess.run(["node", "-e", _KATEX_SCRIPT], input=json.dumps(texs),
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr}")
    return json.loads(proc.stdout)
