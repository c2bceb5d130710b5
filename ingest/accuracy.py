"""Cell-level accuracy of the table parser against golden files (tests/golden/*.json).

A golden file lists every cell of every table of one document, established independently of
the parser (see tests/golden/README.md). A cell is identified by (table_key, side, code,
line_key, column_key); it is *wrong* when its amount, page or row label differs, *missing* when
the parser did not emit it, *extra* when the parser emitted a cell the golden does not list.

    python -m ingest.accuracy            # or: make accuracy
"""
from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ingest.records import ParsedDocument
from ingest.text import squash

ROOT = Path(__file__).resolve().parent.parent
GOLDEN_DIR = ROOT / "tests" / "golden"
CORPUS = ROOT.parent / "shared" / "corpus"
TABLE_KEYS = (
    "t1_summary", "t2_income", "t3_expenditure", "t4_appropriation_summary",
    "t5_general_budget_expenditure", "t6_basic_expenditure_economic", "t7_three_public",
    "t8_government_fund", "t9_state_capital",
)

Key = tuple[str, str | None, str | None, str | None, str]


def cell_key(c: dict) -> Key:
    return (c["table_key"], c.get("side"), c.get("code"), c.get("line_key"), c["column_key"])


def parsed_cells(doc: ParsedDocument) -> list[dict]:
    return [
        {"table_key": c.table_key, "page": c.page, "side": c.side, "code": c.code,
         "line_key": c.line_key, "row_label": c.row_label, "column_key": c.column_key,
         "amount": None if c.amount is None else str(c.amount)}
        for c in doc.cells
    ]


@dataclass
class TableScore:
    expected: int = 0
    found: int = 0
    wrong: int = 0
    extra: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def perfect(self) -> bool:
        return self.found == self.expected and self.wrong == 0 and self.extra == 0


def compare(expected: list[dict], got: list[dict]) -> dict[str, TableScore]:
    """Score parser cells against golden cells, per table.

    Golden `page` or `row_label` set to null means "not checked" (the demo truth has no page
    per cell). Amounts compare as strings of the exact printed value ("2946.25", null for blank).
    """
    scores: dict[str, TableScore] = defaultdict(TableScore)
    by_key: dict[Key, list[dict]] = defaultdict(list)
    for c in got:
        by_key[cell_key(c)].append(c)
    for key in {k[0] for k in by_key} | {c["table_key"] for c in expected}:
        scores[key]  # every table seen on either side gets a row
    for exp in expected:
        key = cell_key(exp)
        score = scores[key[0]]
        score.expected += 1
        candidates = by_key.get(key)
        if not candidates:
            score.problems.append(f"missing {key}")
            continue
        cell = candidates.pop(0)
        score.found += 1
        diffs = []
        if cell["amount"] != exp["amount"]:
            diffs.append(f"amount {cell['amount']!r} != {exp['amount']!r}")
        if exp.get("page") is not None and cell["page"] != exp["page"]:
            diffs.append(f"page {cell['page']} != {exp['page']}")
        if exp.get("row_label") is not None and squash(cell["row_label"]) != squash(exp["row_label"]):
            diffs.append(f"label {cell['row_label']!r} != {exp['row_label']!r}")
        if diffs:
            score.wrong += 1
            score.problems.append(f"wrong {key}: {'; '.join(diffs)}")
    for key, rest in by_key.items():
        for cell in rest:
            scores[key[0]].extra += 1
            scores[key[0]].problems.append(f"extra {key}: {cell['amount']!r} p{cell['page']} {cell['row_label']!r}")
    return dict(scores)


def golden_pdf(golden: dict, workdir: Path) -> Path:
    """The PDF a golden file describes: a corpus file, or a fixture rebuilt by a builder."""
    source = golden["source"]
    if "corpus" in source:
        return CORPUS / source["corpus"]
    module, func = source["builder"].rsplit(".", 1)
    builder = getattr(__import__(module, fromlist=[func]), func)
    return Path(builder(workdir / golden["document"]))


def load_goldens(directory: Path = GOLDEN_DIR) -> list[tuple[str, dict]]:
    return [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(directory.glob("*.json"))]


def score_golden(golden: dict, workdir: Path) -> tuple[ParsedDocument, dict[str, TableScore]]:
    from ingest.parse import parse_pdf

    pdf = golden_pdf(golden, workdir)
    doc = parse_pdf(pdf, golden["document"])
    return doc, compare(golden["cells"], parsed_cells(doc))


def table_status_problems(golden: dict, doc: ParsedDocument) -> list[str]:
    """Statuses, pages and notes of the located tables against the golden's `tables`."""
    problems = []
    found = {t.table_key: t for t in doc.tables}
    for key, exp in golden.get("tables", {}).items():
        t = found.get(key)
        if t is None:
            problems.append(f"{key}: not located")
            continue
        for attr in ("status", "first_page", "last_page", "note"):
            if attr in exp and getattr(t, attr) != exp[attr]:
                problems.append(f"{key}: {attr} {getattr(t, attr)!r} != {exp[attr]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    verbose = "-v" in (argv if argv is not None else sys.argv[1:])
    failed = False
    print(f"{'document':<44} {'table':<31} {'expected':>8} {'found':>6} {'wrong':>6} {'extra':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, golden in load_goldens():
            if "corpus" in golden["source"] and not (CORPUS / golden["source"]["corpus"]).exists():
                print(f"{name:<44} (skipped: {golden['source']['corpus']} not in {CORPUS})")
                continue
            doc, scores = score_golden(golden, Path(tmp))
            for key in TABLE_KEYS:
                s = scores.get(key, TableScore())
                mark = "" if s.perfect else "  <-- FAIL"
                print(f"{name[:44]:<44} {key:<31} {s.expected:>8} {s.found:>6} {s.wrong:>6} {s.extra:>6}{mark}")
                failed |= not s.perfect
                if verbose or not s.perfect:
                    for p in s.problems[:20]:
                        print(f"    {p}")
            for p in table_status_problems(golden, doc):
                failed = True
                print(f"    table: {p}")
            total = sum(s.expected for s in scores.values())
            ok = sum(s.found - s.wrong for s in scores.values())
            print(f"{name[:44]:<44} {'ALL':<31} {total:>8} {ok:>6} correct ({100.0 * ok / max(total, 1):.2f}%)")
    print("accuracy: FAIL" if failed else "accuracy: 100% on every document and table")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
