"""The README's command-line transcripts (``$ matcalc …`` in its text blocks) are what the
command line prints today: each command runs in-process and its output must match."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from matcalc import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def transcripts() -> list[tuple[str, str]]:
    """(command, expected output) for each ``$ matcalc`` line of the README's text blocks;
    a ``...`` line in the expected output matches any lines (an elided report)."""
    out = []
    for block in re.findall(r"```text\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        lines = block.splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("$ matcalc ")]
        for k, i in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            out.append((lines[i][2:], "\n".join(lines[i + 1:end])))
    return out


CASES = transcripts()


def test_the_readme_has_transcripts() -> None:
    assert len(CASES) >= 5


@pytest.mark.parametrize("command, expected", CASES, ids=[c for c, _ in CASES])
def test_transcript_is_what_the_command_prints(command: str, expected: str) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        cli.main(shlex.split(command)[1:])
    got = buf.getvalue().rstrip("\n")
    pattern = "\n".join(".*" if line.strip() == "..." else re.escape(line)
                        for line in expected.splitlines())
    assert re.fullmatch(pattern, got, re.S), f"README says:\n{expected}\n\nmatcalc prints:\n{got}"
