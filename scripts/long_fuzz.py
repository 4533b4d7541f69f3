"""The long run of matcalc's randomized differential testing (issue 6).

Each seed generates two random expressions with :mod:`matcalc.testing` (a scalar function
of its variables and a function of random shape) and checks every property on them:

* ``grad_fd``   mc.grad against central differences at a random point;
* ``jacobian``  mc.jacobian against central differences;
* ``directional`` mc.jvp / mc.hvp against central differences, mc.vjp as jvp's adjoint;
* ``simplify``  mc.simplify keeps the value (both expressions);
* ``compile``   mc.compile([f, *grads]) against the reference interpreter;
* ``parse``     parse(unparse(e)) means e; parse(str(e)) fails cleanly or means e;
* ``sympy``     mc.check_grad exactly at dims 1–2, on every ``--sympy-every``-th seed
                (SymPy is the slow reference; each check has a ``--deadline``);
* ``latex``     LaTeX of f and of its gradients, every ``--latex-every``-th seed, compiled
                with pdflatex in batches (one run per batch, bisected only on failure).

Usage::

    python scripts/long_fuzz.py --n 10000              # ~30 min on 2 cores
    python scripts/long_fuzz.py --n 200 --start 5000   # replay a range of seeds
    python scripts/long_fuzz.py --seeds 169,231 -v     # replay seeds, print each failure
    python scripts/long_fuzz.py --seeds 169 --known-fixes  # does a known bug explain it?

A failing seed is replayed exactly with ``--seeds``; minimized examples go to
``tests/test_regressions.py``. Exit status 1 if any property failed or crashed.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import traceback
from collections import Counter, defaultdict
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import matcalc as mc  # noqa: E402
import matcalc.calculus.api  # noqa: E402, F401
import matcalc.check.sympy_bridge  # noqa: E402, F401
import matcalc.codegen.compiler  # noqa: E402, F401
import matcalc.printing  # noqa: E402, F401
from matcalc import testing as mt  # noqa: E402
from matcalc.check.deadline import time_limit  # noqa: E402

# Everything is imported before the worker processes fork, so the whole run tests one
# snapshot of the code even while others edit the working tree.

try:
    from matcalc.codegen.compiler import compile as mc_compile  # noqa: E402
except ImportError:  # pragma: no cover - the compiler is optional while it is being written
    mc_compile = None
try:
    from matcalc.text.parser import parse as mc_parse  # noqa: E402
    from matcalc.text.parser import unparse as mc_unparse  # noqa: E402
except ImportError:  # pragma: no cover
    mc_parse = mc_unparse = None

PROPERTIES = ("grad_fd", "jacobian", "directional", "simplify", "compile", "parse", "sympy",
              "latex")


class JobTimeout(Exception):
    """A property ran past ``--job-limit``: a hang is a finding, reported as such."""


def job_limit(seconds: float) -> AbstractContextManager[None]:
    """SIGALRM after ``seconds`` (the SymPy job keeps its own, shorter deadline instead)."""
    return time_limit(seconds, JobTimeout)


def run_seed(seed: int, opts: dict[str, Any]) -> dict[str, Any]:
    """Every property on the two expressions of one seed: outcome per property."""
    src = mt.RandomSource(seed)
    out: dict[str, Any] = {"seed": seed, "results": {}, "latex": [], "exprs": 0}
    try:
        cs = mt.random_case(src, scalar=True, depth=opts["depth"], budget=opts["budget"])
        cm = mt.random_case(src, scalar=False, depth=opts["depth"], budget=opts["budget"])
    except Exception as exc:  # a generator crash is a construction bug: report it
        out["results"]["generate"] = ("crash", f"{exc!r}\n{traceback.format_exc(limit=4)}")
        return out
    out["exprs"] = 2
    dv, dm = mt.dim_values(cs, src), mt.dim_values(cm, src)
    small = mt.dim_values(cs, src, 1, 2)
    grads: list[Any] = []

    def grads_of() -> list[Any]:
        if not grads:
            grads.extend(mc.grad(cs.f, cs.wrt))
        return grads

    jobs = {
        "grad_fd": lambda: mt.prop_grad_fd(cs, dv, seed),
        "jacobian": lambda: mt.prop_jacobian_fd(cm, dm, seed),
        "directional": lambda: mt.prop_directional(cm, dm, seed)
        or mt.prop_directional(cs, dv, seed),
        "simplify": lambda: mt.prop_simplify(cm.f, dm, seed) or mt.prop_simplify(cs.f, dv, seed),
    }
    if mc_compile is not None:
        exact = seed % opts["sympy_every"] == 0  # SymPy as a second reference: small dims
        jobs["compile"] = lambda: mt.prop_compile([cs.f, *grads_of()], small if exact else dv,
                                                  seed, mc_compile, exact=exact)
    if mc_parse is not None:
        jobs["parse"] = lambda: mt.prop_parse(cm.f, dm, seed, mc_parse, mc_unparse)
    if seed % opts["sympy_every"] == 0:
        def sympy_job() -> str | None:
            with mt.time_limit(opts["deadline"]):
                return mt.prop_grad_sympy(cs, small)
        jobs["sympy"] = sympy_job
    for name, job in jobs.items():
        try:
            with job_limit(0 if name == "sympy" else opts["job_limit"]):
                msg = job()
            out["results"][name] = ("ok", None) if msg is None else ("fail", msg)
        except JobTimeout as exc:
            out["results"][name] = ("timeout", str(exc))
        except mt.Undecided as exc:  # SymPy proved nothing, numbers agree: counted apart
            out["results"][name] = ("undecided", str(exc))
        except mt.Skip as exc:
            out["results"][name] = ("skip", str(exc))
        except Exception as exc:
            out["results"][name] = ("crash", f"{exc!r}\n{traceback.format_exc(limit=-3)}")
    if seed % opts["latex_every"] == 0:
        try:
            out["latex"] = [mc.latex(cs.f), mc.latex(cm.f), *map(mc.latex, grads_of())]
        except Exception as exc:
            out["results"]["latex"] = ("crash", repr(exc))
    return out


def _work(args: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    if args[1]["known_fixes"]:
        from test_regressions import known_fixes

        with known_fixes():
            return run_seed(*args)
    return run_seed(*args)


def check_latex(batch: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Seeds whose LaTeX does not compile (one pdflatex run per batch)."""
    from latex_util import compile_latex, pdflatex_available

    from matcalc.printing.tex import latex_document

    if not pdflatex_available() or not batch:
        return []
    bad = mt.latex_failures([t for _, t in batch], compile_latex, latex_document)
    seeds = {t: s for s, t in batch}
    return [(seeds[t], err) for t, err in bad]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10000, help="number of seeds (2 expressions each)")
    ap.add_argument("--start", type=int, default=0, help="first seed")
    ap.add_argument("--seeds", help="comma-separated seeds to replay instead of a range")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--budget", type=int, default=10, help="most inner nodes per expression")
    ap.add_argument("--sympy-every", type=int, default=10)
    ap.add_argument("--latex-every", type=int, default=10)
    ap.add_argument("--deadline", type=float, default=20.0, help="seconds per SymPy check")
    ap.add_argument("--job-limit", type=float, default=60.0,
                    help="seconds per other property check; longer is reported as a timeout")
    ap.add_argument("--known-fixes", action="store_true",
                    help="apply tests/test_regressions.known_fixes (correct versions of known-"
                         "wrong rules): what still fails has another root cause")
    ap.add_argument("--out", type=Path, help="write every failure as JSON lines here")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failure")
    a = ap.parse_args(argv)
    seeds = ([int(s) for s in a.seeds.split(",")] if a.seeds
             else list(range(a.start, a.start + a.n)))
    opts = {"depth": a.depth, "budget": a.budget, "sympy_every": a.sympy_every,
            "latex_every": a.latex_every, "deadline": a.deadline, "known_fixes": a.known_fixes,
            "job_limit": a.job_limit}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[dict[str, Any]] = []
    latex_batch: list[tuple[int, str]] = []
    exprs = 0
    t0 = time.time()
    if a.out:
        a.out.write_text("")
    jobs = [(s, opts) for s in seeds]
    with multiprocessing.Pool(a.workers, maxtasksperchild=200) as pool:
        for i, res in enumerate(pool.imap_unordered(_work, jobs, chunksize=4), 1):
            exprs += res["exprs"]
            for name, (status, msg) in res["results"].items():
                counts[name][status] += 1
                if status in ("fail", "crash", "undecided", "timeout"):
                    failures.append({"seed": res["seed"], "property": name, "status": status,
                                     "message": msg})
                    if a.out:  # as they come, so an interrupted run keeps what it found
                        with a.out.open("a") as fh:
                            fh.write(json.dumps(failures[-1]) + "\n")
                    if a.verbose:
                        print(f"--- seed {res['seed']} {name} {status}\n{msg}", flush=True)
            latex_batch += [(res["seed"], t) for t in res["latex"]]
            if i % 500 == 0:
                print(f"{i}/{len(seeds)} seeds, {len(failures)} failures, "
                      f"{time.time() - t0:.0f} s", flush=True)
    for start in range(0, len(latex_batch), 300):
        chunk = latex_batch[start:start + 300]
        bad = check_latex(chunk)
        counts["latex"]["ok"] += len(chunk) - len(bad)
        counts["latex"]["fail"] += len(bad)
        failures += [{"seed": s, "property": "latex", "status": "fail", "message": err}
                     for s, err in bad]
    if a.out:
        with a.out.open("a") as fh:
            for f in failures:
                if f["property"] == "latex":
                    fh.write(json.dumps(f) + "\n")
    print(f"\n{len(seeds)} seeds, {exprs} generated expressions, {time.time() - t0:.0f} s")
    for name in [*PROPERTIES, "generate"]:
        if counts.get(name):
            print(f"  {name:9s} " + ", ".join(f"{k} {v}" for k, v in sorted(counts[name].items())))
    bad = [f for f in failures if f["status"] != "undecided"]
    print(f"  failures: {len(bad)} ({len({f['seed'] for f in bad})} seeds)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
