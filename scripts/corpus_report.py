"""The textbook-corpus measure (issue 9, item 3): is each gradient as short as the book's?

For every case of ``tests/textbook_corpus.py`` this prints the length of the book's closed
form and of ``str(mc.grad(f, x))`` (both through matcalc's printer; the book form at the
shorter of its printing as written and after ``mc.simplify``), their ratio, and whether the
two agree numerically at random points and sizes (``equal``) and the book form agrees with
central differences of f (``book=fd``). Then every case's two forms, one per line, and a
summary.

Usage::

    python3 scripts/corpus_report.py                 # the whole corpus
    python3 scripts/corpus_report.py --ids seed002_w prml4_90_bce
    python3 scripts/corpus_report.py --longer        # list only the cases longer than the book

Exit status 1 if any case is numerically wrong (matcalc against the book, or the book
against central differences); being longer than the book is reported, not an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import textbook_corpus as tc  # noqa: E402


def measure(case: tc.Case, trials: int) -> dict:
    """One row: the two printed forms, their lengths, and the two numeric checks."""
    got, book = str(tc.derived(case)), tc.printed(tc.book_expr(case))
    equal, why = tc.compare(case, trials=trials)
    fd_ok, fd_why = tc.fd_check(case)
    return dict(id=case.id, source=case.source, book=book, got=got, equal=equal,
                fd=fd_ok, why="; ".join(w for w in (why, fd_why) if w))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ids", nargs="*", help="only these case ids")
    ap.add_argument("--trials", type=int, default=3, help="random sizes per numeric check")
    ap.add_argument("--longer", action="store_true",
                    help="list only the cases printed longer than the book")
    opts = ap.parse_args(argv)

    cases = [tc.by_id(i) for i in opts.ids] if opts.ids else tc.CASES
    rows = [measure(case, opts.trials) for case in cases]

    width = max(len(r["id"]) for r in rows)
    header = f"{'id':<{width}}  {'book':>5}  {'matcalc':>7}  {'ratio':>5}  equal  book=fd"
    print(header)
    print("-" * len(header))
    for r in rows:
        ratio = len(r["got"]) / max(1, len(r["book"]))
        mark = "" if len(r["got"]) <= len(r["book"]) else "  longer"
        print(f"{r['id']:<{width}}  {len(r['book']):>5}  {len(r['got']):>7}  {ratio:>5.2f}  "
              f"{'yes' if r['equal'] else 'NO':<5}  {'yes' if r['fd'] else 'NO':<7}{mark}")

    print()
    print("Forms (book, then matcalc):")
    for r in rows:
        longer = len(r["got"]) > len(r["book"])
        if opts.longer and not longer:
            continue
        print(f"{r['id']}{'  [longer]' if longer else ''}  ({r['source']})")
        print(f"    book:    {r['book']}")
        print(f"    matcalc: {r['got']}")
        if r["why"]:
            print(f"    NUMERIC FAILURE: {r['why']}")

    short = sum(len(r["got"]) <= len(r["book"]) for r in rows)
    wrong = [r["id"] for r in rows if not (r["equal"] and r["fd"])]
    total_book = sum(len(r["book"]) for r in rows)
    total_got = sum(len(r["got"]) for r in rows)
    print()
    print(f"cases: {len(rows)}")
    print(f"as short as the book: {short}/{len(rows)} ({100 * short / len(rows):.0f}%); "
          f"longer: {len(rows) - short}")
    print(f"total characters: book {total_book}, matcalc {total_got} "
          f"(ratio {total_got / max(1, total_book):.2f})")
    print(f"numerically equal (matcalc = book = central differences): "
          f"{len(rows) - len(wrong)}/{len(rows)}" + (f"; WRONG: {', '.join(wrong)}" if wrong
                                                     else ""))
    print(f"pending (need structured symbols): {len(tc.PENDING_STRUCTURED)}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
