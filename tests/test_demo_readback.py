"""Every number of every table of every demo document (and of the rebuilt 株洲 2021 report) is
read back exactly by the parser; the truth comes from the generator, not from the parser."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from demo.generate import generate_corpus
from ingest.accuracy import TABLE_KEYS, compare, parsed_cells, table_status_problems
from ingest.parse import parse_pdf
from tests.demo_truth_cells import truth_cells, truth_tables


@pytest.fixture(scope="module")
def demo_corpus(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_corpus(out, count=24, seed=2024)
    return out


def _truth(pdf: Path) -> dict:
    return json.loads((pdf.parent / "_truth" / f"{pdf.stem}.json").read_text(encoding="utf-8"))


def _amount(value) -> str | None:
    return None if value is None else str(value)


_PARSED: dict[Path, object] = {}


def _parse(pdf: Path):
    if pdf not in _PARSED:
        _PARSED[pdf] = parse_pdf(pdf, "demo")
    return _PARSED[pdf]


def _compare(pdf: Path) -> list[str]:
    truth, doc = _truth(pdf), _parse(pdf)
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


def _compare_all_tables(pdf: Path) -> list[str]:
    truth, doc = _truth(pdf), _parse(pdf)
    problems = table_status_problems({"tables": truth_tables(truth)}, doc)
    for key, score in sorted(compare(truth_cells(truth), parsed_cells(doc)).items()):
        if not score.perfect:
            problems.append(f"{key}: expected {score.expected} found {score.found} wrong {score.wrong} "
                            f"extra {score.extra}: {score.problems[:5]}")
    return problems


def test_every_demo_document_reads_back_all_nine_tables(demo_corpus):
    pdfs = sorted(demo_corpus.glob("*.pdf"))
    assert len(pdfs) == 24
    failures = {pdf.name: p for pdf in pdfs if (p := _compare_all_tables(pdf))}
    assert failures == {}


def test_demo_truth_exercises_every_table(demo_corpus):
    """The comparison above is not vacuous: cells of T1..T8 and empty tables with notes occur."""
    cells: dict[str, int] = {}
    empty_notes = set()
    for path in (demo_corpus / "_truth").glob("*.json"):
        truth = json.loads(path.read_text(encoding="utf-8"))
        for c in truth_cells(truth):
            cells[c["table_key"]] = cells.get(c["table_key"], 0) + 1
        empty_notes |= {k for k, t in truth["table_info"].items() if t["status"] == "empty" and t["note"]}
    assert all(cells.get(k, 0) > 0 for k in TABLE_KEYS if k != "t9_state_capital")
    assert {"t7_three_public", "t8_government_fund", "t9_state_capital"} <= empty_notes


def test_empty_tables_carry_their_note(demo_corpus):
    for pdf in sorted(demo_corpus.glob("*.pdf")):
        info = _truth(pdf)["table_info"]
        found = {t.table_key: t for t in _parse(pdf).tables}
        for key, t in info.items():
            if t["status"] == "empty":
                assert found[key].status == "empty" and found[key].note == t["note"], (pdf.name, key)


def test_every_demo_document_reads_back_its_performance_self_assessment(demo_corpus):
    """The 附件 部门整体支出绩效自评表 of every generated document: each indicator row (and 总分)
    read back with its category, target, actual, weight, score, remark and page."""
    generated = [p for p in sorted(demo_corpus.glob("*.pdf")) if "performance" in _truth(p)]
    assert len(generated) == 23  # all but the 株洲 rebuild, whose seed has no annex
    for pdf in generated:
        expected = [(r["page"], r["category"], r["indicator"], r["target"], r["actual"], r["weight"],
                     r["score"], r["note"]) for r in _truth(pdf)["performance"]]
        read = [(p.page, p.category, p.indicator, p.target, p.actual, _amount(p.weight), _amount(p.score), p.note)
                for p in _parse(pdf).performance_indicators]
        assert read == expected, pdf.name
    # as printed on page 27 (the last) of 上海市普陀区城市管理局2024年度部门决算.pdf (seed 2024)
    sample = next(p for p in generated if p.name == "上海市普陀区城市管理局2024年度部门决算.pdf")
    rows = {p.indicator: p for p in _parse(sample).performance_indicators}
    assert len(rows) == 17 and {p.page for p in rows.values()} == {27}
    check = rows["检查问题整改率"]
    assert (check.category, check.target, check.actual, check.weight, check.score, check.note) == (
        "质量指标", "≥95%", "96%", Decimal("6"), Decimal("5"), "个别问题整改未到期")
    assert (rows["服务对象满意度"].category, rows["服务对象满意度"].score) == ("服务对象满意度指标", Decimal("10"))
    assert (rows["总分"].weight, rows["总分"].score) == (Decimal("100"), Decimal("96"))
