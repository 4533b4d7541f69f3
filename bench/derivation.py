"""Derivation-speed benchmark: matcalc's gradients against SymPy's matrix-expression ``diff``.

Times *symbolic derivation* only (compiled-code speed is another benchmark). For each seed
problem it reports the median time of ``mc.grad`` and of ``mc.derive`` (which also records
the steps), and, in the same run, SymPy's ``MatrixSymbol`` derivative of the same function.
Both libraries' answers are evaluated at a random point of small concrete sizes and
compared with central differences of f (computed from values of f only, so neither
library's calculus is trusted). Then it prints the time-vs-depth curve of a depth-L tanh
MLP.

Run from the repository root::

    python -m bench.derivation            # full run (about 1-2 minutes)
    python -m bench.derivation --quick    # fewer repeats
    python bench/derivation.py

Timings are medians over repeats; each repeat builds fresh expressions (outside the timed
region), and SymPy's global cache is cleared before each SymPy repeat, so neither library
reuses work from an earlier repeat. The machine is shared and noisy: compare ratios.
The problems, in both libraries' spelling, are in :mod:`bench.derivation_problems`.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import pinning  # noqa: I001 - first: pins the CPU before NumPy loads its BLAS

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402
from sympy.matrices import ShapeError  # noqa: E402
from sympy.matrices.expressions.matexpr import MatrixElement  # noqa: E402
from sympy.tensor.array.expressions.array_expressions import (  # noqa: E402
    _CodegenArrayAbstract,
)

import matcalc as mc  # noqa: E402
from matcalc.check.deadline import time_limit as _time_limit  # noqa: E402
from matcalc.check.fdcheck import numeric_grad  # noqa: E402
from matcalc.check.numeric import evaluate  # noqa: E402
from bench.derivation_problems import SEEDS, Built, Case, mc_mlp, sp_mlp  # noqa: E402
from bench.derivation_problems import sp_seed002, sp_seed003_jac  # noqa: E402

#: SymPy's verdicts, as the table prints them.
CORRECT, WRONG, NOT_EXPRESSIBLE = "correct", "wrong", "not expressible"
#: Tolerances against the central-difference reference (step 1e-6: its error is ~1e-9).
RTOL, ATOL = 1e-5, 1e-7
#: The largest fitted exponent of time against depth that the report calls "about linear".
LINEAR_EXPONENT = 1.2


# ----------------------------------------------------------------------------------------
# Timing
# ----------------------------------------------------------------------------------------


class Timeout(Exception):
    """A SymPy call ran past its budget (SymPy has no cancellation of its own)."""


def time_limit(seconds: float) -> AbstractContextManager[None]:
    """Raise :class:`Timeout` after ``seconds``."""
    return _time_limit(seconds, Timeout)


def time_once(build: Callable[[], Built], run: Callable[[Built], Any],
              fresh_sympy: bool = False) -> tuple[float, Any]:
    """Seconds for one ``run`` on freshly built expressions (building is not timed)."""
    if fresh_sympy:
        # SymPy memoizes constructors and many methods globally; without this a repeat
        # would be timed against the previous repeat's cached results.
        clear_cache()
    problem = build()
    start = time.perf_counter()
    out = run(problem)
    return time.perf_counter() - start, out


def median_time(build: Callable[[], Built], run: Callable[[Built], Any], repeats: int,
                fresh_sympy: bool = False) -> tuple[float, Any]:
    """Median seconds over ``repeats`` runs, and the last result.

    matcalc gets one untimed warm-up run per problem (cheap), which absorbs lazy imports
    and dispatch set-up that a user pays once per process. SymPy's runs are too slow to
    repeat for that: :func:`warm_up_sympy` does it once per process instead.
    """
    out = None
    if not fresh_sympy:
        _, out = time_once(build, run, fresh_sympy)
    times = []
    for _ in range(repeats):
        t, out = time_once(build, run, fresh_sympy)
        times.append(t)
    return statistics.median(times), out


def warm_up_sympy() -> None:
    """Load SymPy's matrix- and array-derivative machinery before anything is timed."""
    for build in (sp_seed002, sp_seed003_jac, lambda: sp_mlp(1)):
        sp_derivative(build())


def mc_derivative(problem: Built, jacobian: bool) -> list[Any]:
    """matcalc's answer: the gradients, or for a matrix-valued ``f`` its Jacobian."""
    if jacobian:
        return [mc.jacobian(problem.f, problem.wrt[0])]
    return mc.grad(problem.f, problem.wrt)


def sp_derivative(problem: Built) -> list[Any]:
    """SymPy's answer: ``f.diff(x)`` for each variable, as SymPy returns it.

    A variable SymPy cannot differentiate by gives its exception in place of an answer,
    so the other variables are still timed and checked.
    """
    out: list[Any] = []
    for x in problem.wrt:
        try:
            out.append(problem.f.diff(x))
        except Timeout:
            raise
        except Exception as exc:  # noqa: BLE001 - a failure is SymPy's answer here
            out.append(exc)
    return out


# ----------------------------------------------------------------------------------------
# Checking SymPy's answer numerically against matcalc's
# ----------------------------------------------------------------------------------------


def random_values(symbols: Sequence[Any], dims: dict[str, int],
                  rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A random 2-D array for every matcalc symbol, at the concrete ``dims``."""
    out = {}
    for s in symbols:
        shape = tuple(int(sp.sympify(str(d)).subs(dims)) for d in s.shape)
        out[s.name] = rng.uniform(-1.0, 1.0, size=shape)
    return out


def sp_numeric(expr: Any, dims: dict[str, int], values: dict[str, np.ndarray],
               functions: dict[str, Callable[[sp.Expr], sp.Expr]]) -> np.ndarray:
    """Evaluate a SymPy matrix/array expression at concrete sizes and values.

    Fixes the sizes, then puts the numbers in and evaluates. SymPy's derivatives mix
    matrix and array expressions (``DiagMatrix(ArrayAdd(...))``); those array parts are
    written out explicitly, the most generous reading of such an answer. Where putting
    numeric matrices in first fails, the expression is written out entry by entry with
    symbolic entries first (much slower, but it reads more of SymPy's forms).
    """
    # Dims are SymPy symbols with the same name and assumptions (hence equal) as the
    # problem's; a MatrixSymbol's free_symbols do not list the dims of its shape.
    e = expr.subs({sp.Symbol(k, integer=True, positive=True): v for k, v in dims.items()})
    # A generic σ becomes matcalc's stand-in before anything is written out.
    for name, value in functions.items():
        e = e.replace(sp.Function(name), value)
    # SymPy's f′ is Lambda(d, Derivative(f(d), d)): take the derivative while d is a symbol.
    e = e.replace(lambda a: isinstance(a, sp.Lambda) and a.has(sp.Derivative),
                  lambda a: sp.Lambda(a.variables, a.expr.doit()))
    try:
        out = _explicit(_put_numbers(e, values, matrices=True), values)
    except ShapeError:
        raise  # an ill-shaped answer stays ill-shaped however it is evaluated
    except Exception:  # noqa: BLE001 - retry the slow, symbolic-entries way
        out = _explicit(e, values)
    return _to_array(out)


def _put_numbers(e: Any, values: dict[str, np.ndarray], matrices: bool) -> Any:
    """Replace variables by their values: whole matrices, or entries ``X[i, j]``."""
    rep: dict[Any, Any] = {}
    if matrices:
        # Constant matrices too, or a product with OneMatrix stays unevaluated.
        for const in e.atoms(sp.OneMatrix, sp.ZeroMatrix, sp.Identity):
            rep[const] = sp.ImmutableMatrix(const.as_explicit())
        for ms in e.atoms(sp.MatrixSymbol):
            if ms.name in values:
                rep[ms] = sp.ImmutableMatrix(values[ms.name]).applyfunc(sp.Float)
    for el in e.atoms(MatrixElement):
        if el.parent.name in values:
            rep[el] = sp.Float(values[el.parent.name][int(el.i), int(el.j)])
    for sym in e.atoms(sp.Symbol):
        if sym.name in values:  # a scalar variable such as seed 000's b
            rep[sym] = sp.Float(values[sym.name].item())
    return e.xreplace(rep)


def _explicit(e: Any, values: dict[str, np.ndarray]) -> Any:
    """Write matrix and array expressions out as explicit matrices/arrays and evaluate."""

    def explicit_array(a: Any) -> Any:
        x = a.as_explicit()
        return sp.ImmutableMatrix(x.tolist()) if len(x.shape) == 2 else x

    # doit() first multiplies explicit matrices out; as_explicit() alone would build a
    # symbolic Sum for every entry of every product (seconds for a 4×3 problem).
    e = e.doit()
    e = e.replace(lambda a: isinstance(a, _CodegenArrayAbstract), explicit_array)
    if hasattr(e, "as_explicit"):
        e = e.as_explicit()
    return _put_numbers(e, values, matrices=False).doit()


def _to_array(e: Any) -> np.ndarray:
    if isinstance(e, sp.MatrixBase | sp.NDimArray):
        shape = e.shape
        flat = [complex(sp.N(x)) for x in sp.flatten(e.tolist())]
    else:
        shape, flat = (), [complex(sp.N(e))]
    arr = np.array(flat).reshape(shape)
    if np.abs(arr.imag).max(initial=0.0) > 1e-12:
        raise ValueError("complex value")
    return arr.real


def compare(sym: np.ndarray, ref: np.ndarray, jacobian: bool) -> str:
    """``correct`` or ``wrong: why`` for an answer's value against the reference.

    A gradient may come back from SymPy with extra unit axes (1×1 results, (n,1,1,1)
    arrays): those are dropped. A Jacobian is SymPy's 4-index array; it is accepted in
    either index order, ∂Y[i,j]/∂X[k,l] at [k,l,i,j] or at [i,j,k,l].
    """
    if jacobian and sym.ndim == 4:
        return _compare_jacobian(sym, ref)
    if sym.size != ref.size:
        return f"{WRONG}: shape {_shape(sym)} ≠ {_shape(ref)}"
    a, b = sym.reshape(ref.shape) if sym.ndim != 2 else sym, ref
    if a.shape != b.shape:
        a = np.squeeze(a).reshape(b.shape)
    if np.allclose(a, b, rtol=RTOL, atol=ATOL):
        return CORRECT
    if a.shape[0] == a.shape[1] and np.allclose(a.T, b, rtol=RTOL, atol=ATOL):
        return f"{WRONG}: transposed"
    return f"{WRONG}: max error {np.abs(a - b).max():.2g}"


def _compare_jacobian(sym: np.ndarray, J: np.ndarray) -> str:
    """A 4-index derivative array against the vec-convention Jacobian J."""
    for order in ((2, 3, 0, 1), (0, 1, 2, 3)):
        d = sym.transpose(order)  # → [Y row, Y col, X row, X col]
        if d.shape[0] * d.shape[1] != J.shape[0] or d.shape[2] * d.shape[3] != J.shape[1]:
            continue
        # vec stacks columns: entry [r, c] of an R×C matrix sits at r + c·R, so the
        # column index must vary slowest when flattening.
        flat = d.transpose(1, 0, 3, 2).reshape(J.shape[0], J.shape[1])
        if np.allclose(flat, J, rtol=RTOL, atol=ATOL):
            return CORRECT
    return f"{WRONG}: 4-index array {_shape(sym)} matches neither index order"


def _shape(a: np.ndarray) -> str:
    return "×".join(map(str, a.shape)) or "scalar"


def reference(problem: Built, jacobian: bool, dims: dict[str, int],
              values: dict[str, np.ndarray], eps: float = 1e-6) -> list[np.ndarray]:
    """Ground truth for both libraries: central differences of f, entry by entry.

    Only *values* of f are computed (by matcalc's NumPy reference interpreter), never a
    derivative, so a mistake in either library's calculus cannot leak into the reference.
    """
    if not jacobian:
        return [numeric_grad(problem.f, x, values, dims, eps=eps) for x in problem.wrt]
    x = problem.wrt[0]
    x0 = values[x.name]
    columns = []
    for j in range(x0.shape[1]):  # vec order: X's column index varies slowest
        for i in range(x0.shape[0]):
            step = np.zeros_like(x0)
            step[i, j] = eps
            fp = evaluate(problem.f, {**values, x.name: x0 + step}, dims)
            fm = evaluate(problem.f, {**values, x.name: x0 - step}, dims)
            columns.append(((fp - fm) / (2 * eps)).ravel(order="F"))
    return [np.stack(columns, axis=1)]


def judge(answers: Sequence[Any], refs: Sequence[np.ndarray], names: Sequence[str],
          evaluate_one: Callable[[Any], np.ndarray], jacobian: bool, budget: float) -> str:
    """``correct``, or what is wrong or failed, for one library's answers."""
    verdicts = []
    for answer, ref in zip(answers, refs):
        if isinstance(answer, Exception):
            verdicts.append(f"error: {_why(answer)}")
            continue
        try:
            with time_limit(budget):
                got = evaluate_one(answer)
        except ShapeError as exc:
            verdicts.append(f"{WRONG}: ill-shaped ({_why(exc)})")
            continue
        except Exception as exc:  # noqa: BLE001 - the table reports whatever went wrong
            verdicts.append(f"error: evaluating answer: {_why(exc)}")
            continue
        verdicts.append(compare(got, ref, jacobian))
    return summarize(verdicts, names)


def check_both(case: Case, problem: Built, mc_answer: list[Any], sp_answer: list[Any] | None,
               budget: float, rng: np.random.Generator) -> tuple[str, str]:
    """Verdicts on matcalc's and SymPy's answers at one random point of ``case.dims``."""
    values = random_values(_mc_symbols(problem), case.dims, rng)
    refs = reference(problem, case.jacobian, case.dims, values)
    names = [x.name for x in problem.wrt]
    mc_status = judge(mc_answer, refs, names, lambda e: evaluate(e, values, case.dims),
                      case.jacobian, budget)
    if sp_answer is None:
        return mc_status, ""
    sp_status = judge(sp_answer, refs, names,
                      lambda e: sp_numeric(e, case.dims, values, case.functions),
                      case.jacobian, budget)
    return mc_status, sp_status


def summarize(verdicts: list[str], names: Sequence[str]) -> str:
    """One status for several variables: ``correct`` only if every one is.

    Variables that failed the same way are listed together, so the table stays readable.
    """
    if all(v == CORRECT for v in verdicts):
        return CORRECT
    groups: dict[str, list[str]] = {}
    for n, v in zip(names, verdicts):
        if v != CORRECT:
            groups.setdefault(v, []).append(n)
    head = (WRONG if any(v.startswith(WRONG) for v in groups)
            else "error" if any(v.startswith("error") for v in groups) else "unchecked")
    bad = sum(len(ns) for ns in groups.values())
    parts = [f"{_names(ns)}: {v}" for v, ns in groups.items()]
    return f"{head} ({bad}/{len(verdicts)} vars) " + "; ".join(parts)


def _names(names: list[str]) -> str:
    """A list of variable names, shortened when long (a deep MLP has one per layer)."""
    if len(names) <= 4:
        return ", ".join(names)
    return f"{names[0]}, {names[1]}, …, {names[-1]} ({len(names)})"


def _mc_symbols(problem: Built) -> list[Any]:
    f = problem.f
    return sorted(f.free_symbols | set(problem.wrt), key=lambda s: s.name)


def _why(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}" + (f": {text[:60]}" if text else "")


# ----------------------------------------------------------------------------------------
# The two tables
# ----------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the seed table."""

    name: str
    mc_ms: float
    derive_ms: float | None
    sp_ms: float | None
    sp_status: str
    mc_status: str


def run_seed(case: Case, repeats: int, sp_repeats: int, sp_budget: float,
             rng: np.random.Generator) -> Row:
    """Time matcalc and SymPy on one seed problem and check both answers."""
    mc_s, _ = median_time(case.mc_build, lambda p: mc_derivative(p, case.jacobian), repeats)
    derive_s = None
    if not case.jacobian:  # mc.derive is for scalar functions
        derive_s, _ = median_time(case.mc_build, lambda p: mc.derive(p.f, p.wrt), repeats)
    problem = case.mc_build()
    mc_answer = mc_derivative(problem, case.jacobian)
    sp_s, sp_answer, sp_status = None, None, ""
    if case.sp_build is None:
        sp_status = f"{NOT_EXPRESSIBLE}: {case.sp_missing}"
    else:
        try:
            with time_limit(sp_budget * (sp_repeats + 1)):
                sp_s, sp_answer = median_time(case.sp_build, sp_derivative, sp_repeats,
                                              fresh_sympy=True)
        except Exception as exc:  # noqa: BLE001 - SymPy failing to differentiate is a result
            sp_status = f"error: {_why(exc)}"
    mc_status, checked = check_both(case, problem, mc_answer, sp_answer, sp_budget, rng)
    return Row(case.name, mc_s * 1e3, _ms(derive_s), _ms(sp_s), sp_status or checked,
               mc_status)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1e3


def _fmt(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]],
                 right: Sequence[bool]) -> str:
    """Plain-text table with aligned columns (numbers right-aligned)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def seed_table(rows: Sequence[Row]) -> str:
    """The seed problems' table: times, SymPy's verdict, and SymPy/matcalc ratio."""
    header = ["problem", "matcalc ms", "derive ms", "SymPy ms", "SymPy/matcalc",
              "matcalc check", "SymPy status"]
    cells = []
    for r in rows:
        ratio = None if r.sp_ms is None else r.sp_ms / r.mc_ms
        cells.append([r.name, _fmt(r.mc_ms), _fmt(r.derive_ms), _fmt(r.sp_ms),
                      "—" if ratio is None else f"{ratio:.0f}×",
                      r.mc_status, r.sp_status])
    return format_table(header, cells, [False, True, True, True, True, False, False])


@dataclass
class DepthPoint:
    """matcalc (and SymPy, while it keeps up) at one MLP depth."""

    depth: int
    plain_ms: float
    named_ms: float
    derive_ms: float
    sp_ms: float | None = None
    sp_status: str = "—"
    mc_status: str = "—"


def run_mlp(depths: Sequence[int], repeats: Callable[[int], int], sp_repeats: int,
            sp_budget: float, check_max: int, rng: np.random.Generator) -> list[DepthPoint]:
    """The depth curve; SymPy runs until one depth takes longer than ``sp_budget``."""
    points = []
    sp_alive = True
    for L in depths:
        reps = repeats(L)
        plain, answer = median_time(lambda L=L: mc_mlp(L), lambda p: mc.grad(p.f, p.wrt),
                                    reps)
        named, _ = median_time(lambda L=L: mc_mlp(L, named=True),
                               lambda p: mc.grad(p.f, p.wrt), reps)
        derived, _ = median_time(lambda L=L: mc_mlp(L), lambda p: mc.derive(p.f, p.wrt), reps)
        point = DepthPoint(L, plain * 1e3, named * 1e3, derived * 1e3)
        case = Case(f"mlp{L}", lambda L=L: mc_mlp(L), None, {"n": 2, "B": 2})
        sp_answer = None
        if sp_alive:
            try:
                with time_limit(sp_budget):
                    sp_s, sp_answer = median_time(lambda L=L: sp_mlp(L), sp_derivative,
                                                  sp_repeats, fresh_sympy=True)
                point.sp_ms = sp_s * 1e3
            except Timeout:
                point.sp_status = f"over {sp_budget:g} s budget: stopped"
                sp_alive = False
            except Exception as exc:  # noqa: BLE001 - SymPy failing is a result
                point.sp_status = f"error: {_why(exc)}"
        else:
            point.sp_status = "skipped (a smaller L timed out)"
        if L <= check_max:
            # Central differences cost one evaluation per weight entry: small L only.
            point.mc_status, checked = check_both(case, mc_mlp(L), answer, sp_answer,
                                                  sp_budget, rng)
            if sp_answer is not None:
                point.sp_status = checked
        elif sp_answer is not None:
            point.sp_status = summarize(
                [f"error: {_why(a)}" if isinstance(a, Exception) else "unchecked"
                 for a in sp_answer], [f"W{i}" for i in range(1, L + 1)])
        points.append(point)
    return points


def growth_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x: y ∝ x^k, k returned."""
    lx, ly = np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float))
    return float(np.polyfit(lx, ly, 1)[0])


def mlp_table(points: Sequence[DepthPoint]) -> str:
    """The depth curve: medians, time per layer, and SymPy alongside."""
    header = ["L", "grad ms", "grad ms/L", "grad (let) ms", "derive ms", "SymPy ms",
              "matcalc check", "SymPy status"]
    cells = [[str(p.depth), _fmt(p.plain_ms), _fmt(p.plain_ms / p.depth, 3),
              _fmt(p.named_ms), _fmt(p.derive_ms), _fmt(p.sp_ms), p.mc_status, p.sp_status]
             for p in points]
    return format_table(header, cells, [True, True, True, True, True, True, False, False])


def mlp_summary(points: Sequence[DepthPoint]) -> str:
    """Fitted exponents (all depths, and L ≥ 8 where fixed costs no longer dominate)."""
    lines = []
    for label, attr in (("grad", "plain_ms"), ("grad (let)", "named_ms"),
                        ("derive", "derive_ms")):
        xs = [p.depth for p in points]
        ys = [getattr(p, attr) for p in points]
        tail = [(x, y) for x, y in zip(xs, ys) if x >= 8]
        k_all = growth_exponent(xs, ys)
        k_tail = growth_exponent(*zip(*tail)) if len(tail) >= 2 else math.nan
        lines.append(f"{label:>10}: time ∝ L^{k_all:.2f} (all L), L^{k_tail:.2f} (L ≥ 8)")
    sp_pts = [(p.depth, p.sp_ms) for p in points if p.sp_ms is not None]
    if len(sp_pts) >= 2:
        lines.append(f"{'SymPy':>10}: time ∝ L^{growth_exponent(*zip(*sp_pts)):.2f} "
                     f"(L ≤ {sp_pts[-1][0]})")
    return "\n".join(lines)


def machine_info() -> str:
    """Versions and the commit measured, so a table can be reproduced or compared."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "matcalc"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
        commit += " (matcalc/ has uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return (f"python {platform.python_version()}, sympy {sp.__version__}, "
            f"numpy {np.__version__}, matcalc {mc.__version__} @ {commit}; "
            f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs; "
            f"{pinning.STATUS}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run both benchmarks and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    ap.add_argument("--sympy-budget", type=float, default=20.0,
                    help="seconds SymPy may spend on one problem's repeats (default 20)")
    args = ap.parse_args(argv)
    repeats, sp_repeats = (5, 1) if args.quick else (31, 3)
    rng = np.random.default_rng(2026)
    t0 = time.perf_counter()
    print(machine_info())
    print(f"medians of {repeats} matcalc / {sp_repeats} SymPy repeats, fresh expressions "
          "each repeat, SymPy cache cleared each repeat\n")

    warm_up_sympy()
    rows = [run_seed(c, repeats, sp_repeats, args.sympy_budget, rng) for c in SEEDS]
    print("Seed problems: time to derive all listed gradients")
    print(seed_table(rows))
    print("(SymPy ms: all variables, including the time to raise for those SymPy fails on;"
          " checks: central differences of f at random points, small concrete dims)")
    worst = max(r.mc_ms for r in rows)
    worst_d = max(r.derive_ms for r in rows if r.derive_ms is not None)
    print(f"target median < 10 ms each: {'met' if max(worst, worst_d) < 10 else 'MISSED'} "
          f"(slowest grad {worst:.2f} ms, slowest derive {worst_d:.2f} ms)\n")

    depths = [1, 2, 4, 8, 16, 24, 32, 64]
    mlp_repeats = (lambda L: 3 if L <= 24 else 1) if args.quick else \
        (lambda L: 15 if L <= 24 else 5)
    # SymPy gets one timed run per depth: it fails on every weight (see sp_mlp), so its
    # times are times to fail, and more repeats would only stop the curve sooner.
    points = run_mlp(depths, mlp_repeats, 1, args.sympy_budget, 4, rng)
    print("Depth-L tanh MLP, ‖H_L − Y‖²/B, gradients w.r.t. all L weights")
    print(mlp_table(points))
    print(mlp_summary(points))
    print("(SymPy ms is the time to return an answer or to raise; errors are per weight)")
    tail = [p for p in points if p.depth >= 8]
    for label, attr in (("grad", "plain_ms"), ("grad (let)", "named_ms"),
                        ("derive", "derive_ms")):
        k = growth_exponent([p.depth for p in tail], [getattr(p, attr) for p in tail])
        verdict = "met" if k <= LINEAR_EXPONENT else "MISSED"
        print(f"target about linear, {label}: {verdict} (L^{k:.2f} for L ≥ 8; "
              f"'about linear' taken as ≤ L^{LINEAR_EXPONENT})")
    at24 = next(p for p in points if p.depth == 24)
    print(f"target L = 24 under 1 s: {'met' if at24.derive_ms < 1e3 else 'MISSED'} "
          f"(grad {at24.plain_ms:.1f} ms, derive {at24.derive_ms:.1f} ms)")
    print(f"\ntotal run {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
