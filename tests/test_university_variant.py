"""The 高等学校 four-table variant (表 1：收支决算总表 ... 表 4：财政拨款支出决算表, 单位名称 lines) lands
in the same staging tables as the nine-table template; an unknown 决算表 title is recorded; a
department name in the headings that differs from the cover is recorded, not silently resolved.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from ingest.accuracy import compare, parsed_cells
from ingest.archive import ArchivedDocument
from ingest.parse import parse_pdf
from ingest.staging import load_staging
from ingest.workers import write_cached
from tests.fixtures_builders.university import NAME, build_university_pdf, university_golden


def _stage(tmp: Path, pdf: Path, doc) -> duckdb.DuckDBPyConnection:
    parsed_root = tmp / "parsed"
    write_cached(parsed_root, doc)
    archived = ArchivedDocument(doc.document_id, pdf, pdf.stat().st_size,
                                datetime(2026, 1, 1, tzinfo=timezone.utc).isoformat(), (pdf.name,))
    con = duckdb.connect(str(tmp / "w.duckdb"))
    load_staging(con, [archived], [doc], tmp, parsed_root)
    return con


@pytest.fixture(scope="module")
def university(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("univ")
    pdf = build_university_pdf(tmp / "univ.pdf")
    return tmp, pdf, parse_pdf(pdf, "u" * 64)


def test_every_cell_of_the_four_tables(university):
    _, _, doc = university
    scores = compare(university_golden()["cells"], parsed_cells(doc))
    assert {k for k in scores} == {"t1_summary", "t2_income", "t3_expenditure", "t5_general_budget_expenditure"}
    assert all(s.perfect for s in scores.values()), {k: s.problems for k, s in scores.items()}


def test_lands_in_the_same_staging_tables(university):
    tmp, pdf, doc = university
    con = _stage(tmp, pdf, doc)
    tables = con.execute("select table_key, title, first_page, last_page, status from raw.report_tables "
                         "order by first_page").fetchall()
    assert tables == [
        ("t1_summary", "表1：收支决算总表", 2, 2, "parsed"),
        ("t2_income", "表2：收入决算表", 3, 3, "parsed"),
        ("t3_expenditure", "表3：支出决算表", 4, 4, "parsed"),
        ("t5_general_budget_expenditure", "表4：财政拨款支出决算表", 5, 5, "parsed"),
        ("unknown", "表5：国有资产占用情况决算表", 6, 6, "unknown_title"),  # recorded, not dropped
    ]
    rows = dict(con.execute("select line_key, amount from raw.table_cells where table_key = 't1_summary' "
                            "and side = 'income'").fetchall())
    assert str(rows["fiscal_appropriation"]) == "52340.18" and str(rows["grand_total"]) == "92661.03"
    assert rows["operating_income"] is None  # 事业单位经营收入 printed blank
    t3 = dict(con.execute("select column_key, raw_text from raw.table_cells where table_key = 't3_expenditure' "
                          "and line_key = 'total'").fetchall())
    assert t3["operating"] == "0.00"  # printed zero stays a zero
    doc_row = con.execute("select department, fiscal_year, department_in_headings, metadata_conflicts "
                          "from raw.documents").fetchone()
    assert doc_row == (NAME, 2024, NAME, None)


def test_heading_name_differing_from_cover_is_recorded(tmp_path):
    pdf = build_university_pdf(tmp_path / "renamed.pdf", heading_name="西南示范学院")
    doc = parse_pdf(pdf, "r" * 64)
    assert doc.status == "loaded"
    assert doc.metadata.department == NAME  # the cover's name stays the department ...
    assert doc.metadata.department_in_headings == "西南示范学院"  # ... the headings' is kept too
    assert doc.metadata.metadata_conflicts == f"department: cover '{NAME}' vs headings '西南示范学院' (5x)"
    con = _stage(tmp_path, pdf, doc)
    assert con.execute("select metadata_conflicts from raw.documents").fetchone()[0].startswith("department: cover")


def test_a_university_report_is_judged_against_its_four_tables(tmp_path):
    """No 目录 in the report: the 高等学校 variant has four tables, the other five are not missing."""
    import contextlib
    import io

    from pipelines.cli import main

    landing = tmp_path / "landing"
    landing.mkdir()
    build_university_pdf(landing / "univ.pdf")
    warehouse = tmp_path / "w.duckdb"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", "--create", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "ERROR"]) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = dict(con.execute("select subject, status from quality.expectation_results "
                                "where identity_id = 'complete_tables_present'").fetchall())
    assert rows == {key: "passed" for key in (
        "t1_summary", "t2_income", "t3_expenditure", "t4_appropriation_summary", "t5_general_budget_expenditure",
        "t6_basic_expenditure_economic", "t7_three_public", "t8_government_fund", "t9_state_capital")}
