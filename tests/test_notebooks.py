"""The seed notebooks: each executes headless without a cell error, in a few seconds.

The notebooks assert their own numbers (compiled gradients against central differences,
``mc.verify`` verdicts on the seeds' mistakes), so a cell error is a failed check. They are
executed with nbclient and an ipykernel kernel (the ``dev`` and ``notebooks`` extras); the
tests skip, saying so, only when those are not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ["01_single_layer_relu.ipynb", "02_two_layer_network.ipynb",
            "03_linear_regression.ipynb", "04_network_jacobian.ipynb",
            "05_classification_attention.ipynb", "06_gaussian_loglik.ipynb"]
# Generous: a notebook takes 3–5 s here including the kernel's start; this catches a
# notebook that has become slow (a Kronecker product formed at large size, say).
TIME_LIMIT_S = 60.0
# The notebooks that check a seed's own claims with mc.verify and show the reports.
SHOWS_VERIFY = {"01_single_layer_relu.ipynb", "02_two_layer_network.ipynb",
                "03_linear_regression.ipynb", "06_gaussian_loglik.ipynb"}

_missing = [m for m in ("nbformat", "nbclient", "ipykernel")
            if importlib.util.find_spec(m) is None]
needs_jupyter = pytest.mark.skipif(
    bool(_missing), reason=f"{', '.join(_missing)} not installed (pip install -e '.[notebooks]')")

TIMES: dict[str, float] = {}


def test_one_notebook_per_seed():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_committed_notebook_has_no_outputs(name):
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, f"{name} has no code"
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, (
            f"{name}: cell {cell.get('id')} was committed with outputs; clear them "
            "(python notebooks/build_notebooks.py writes them clean)")


@needs_jupyter
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_matches_its_generator(name):
    """``notebooks/build_notebooks.py`` is the source; the .ipynb must be what it writes."""
    spec = importlib.util.spec_from_file_location("build_notebooks",
                                                  NOTEBOOKS / "build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    assert (NOTEBOOKS / name).read_text(encoding="utf-8") == module.render(name), (
        f"{name} differs from build_notebooks.py: run python notebooks/build_notebooks.py")


@needs_jupyter
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_executes(name, monkeypatch, tmp_path):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    # The kernel is a child process: let it import this checkout's matcalc even when the
    # package is not installed, and keep its outputs out of the repository.
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + (os.pathsep + path if path else ""))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{name}: a cell failed\n{exc}")
    elapsed = time.perf_counter() - start
    TIMES[name] = elapsed
    print(f"\n{name}: executed in {elapsed:.2f} s (kernel start included)")

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    # Every derivation and report the notebook shows rendered came with LaTeX.
    latex = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type == "execute_result" and "text/latex" in o.get("data", {})]
    assert latex, f"{name} displays no rendered math"
    if name in SHOWS_VERIFY:
        # Issue 4, item 6: a verify report renders the claim and the truth side by side.
        reports = [o.data["text/latex"] for o in latex if "claimed" in o.data["text/latex"]]
        assert reports and all("true" in r for r in reports), f"{name}: no verify report shown"
    assert elapsed < TIME_LIMIT_S, f"{name} took {elapsed:.1f} s"


def test_print_notebook_times(capsys):
    """Sums up the execution times measured above (run with -s to see them)."""
    if not TIMES:
        pytest.skip("no notebook was executed in this session")
    with capsys.disabled():
        print("\nnotebook execution times: " + ", ".join(
            f"{name} {t:.2f} s" for name, t in TIMES.items()))
