"""Every number of tables 1 and 3 of every demo document (and of the rebuilt 株洲 2021 report)
is read back exactly by the parser; the truth comes from the generator, not from the parser."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from demo.generate import generate_corpus
from ingest.parse import parse_pdf


@pytest.fixture(scope="module")
def demo_corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_corpus(out, count=24, seed=2024)
    return out


def _truth(pdf: Path) -> dict:
    return json.loads((pdf.parent / "_truth" / f"{pdf.stem}.json").read_text(encoding="utf-8"))


def _amount(value) -> str | None:
    return None if value is None else str(value)


def _compare(pdf: Path) -> list[str]:
    truth, doc = _truth(pdf), parse_pdf(pdf, "demo")
    problems = []
    if doc.status != "loaded":
        return [f"not loaded: {doc.quarantine_reason}"]
    if (doc.metadata.department, doc.metadata.fiscal_year) != (truth["department"], truth["fiscal_year"]):
        problems.append(f"metadata {doc.metadata}")
    got1 = {(c.side, c.line_key, c.code): _amount(c.amount) for c in doc.cells if c.table_key == "t1_summary"}
    for row in truth["tables"]["t1_summary"]:
        key = (row["side"], row["line_key"], row["code"])
        if got1.get(key, "missing") != row["amount"]:
            problems.append(f"T1 {key}: expected {row['amount']}, got {got1.get(key, 'missing')}")
    got3: dict = {}
    for c in doc.cells:
        if c.table_key == "t3_expenditure":
            got3.setdefault((c.code, c.line_key), {})[c.column_key] = _amount(c.amount)
    for row in truth["tables"]["t3_expenditure"]:
        key = (row["code"], row["line_key"])
        for column in ("total", "basic", "project"):
            got = got3.get(key, {}).get(column, "missing")
            if got != row[column]:
                problems.append(f"T3 {key} {column}: expected {row[column]}, got {got}")
    expected_cells = len(truth["tables"]["t1_summary"]) + 3 * len(truth["tables"]["t3_expenditure"])
    assert expected_cells > 0
    return problems


def test_zhuzhou_rebuilt_from_seed_reads_back_every_number(demo_corpus):
    pdf = next(demo_corpus.glob("*株洲市工业和信息化局2021*.pdf"))
    truth = _truth(pdf)
    assert _compare(pdf) == []
    # a few values read by eye in the seed text
    t1 = {(r["side"], r["line_key"]): r["amount"] for r in truth["tables"]["t1_summary"] if r["code"] is None}
    assert t1[("income", "income_total")] == "5107.53" and t1[("income", "grand_total")] == "6109.48"
    doc = parse_pdf(pdf, "zz")
    row = {c.column_key: str(c.amount) for c in doc.cells if c.table_key == "t3_expenditure" and c.code == "2150501"}
    assert (row["total"], row["basic"], row["project"]) == ("1942.21", "1931.01", "11.20")
    assert len([t for t in truth["tables"]["t3_expenditure"]]) == 36


def test_every_demo_document_reads_back_exactly(demo_corpus):
    pdfs = sorted(demo_corpus.glob("*.pdf"))
    assert len(pdfs) == 24
    failures = {pdf.name: p for pdf in pdfs if (p := _compare(pdf))}
    assert failures == {}


def test_demo_corpus_covers_both_code_layouts_and_styles(demo_corpus):
    layouts = {(t["layout"]["code"], t["layout"]["style"]) for t in
               (json.loads(p.read_text(encoding="utf-8")) for p in (demo_corpus / "_truth").glob("*.json"))
               if "layout" in t and t["layout"]}
    assert {("single", "shanghai"), ("split", "shanghai"), ("single", "hunan"), ("split", "hunan")} <= layouts
