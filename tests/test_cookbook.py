"""Every SQL block of docs/analyst-cookbook.md runs against a warehouse built by the real CLI from
the real PDFs (../shared/corpus/final) and the demo PDFs, and its answers match the PDFs.

The warehouse is built in two runs: the second adds a republished copy of 上海市普陀区财政局's
2024 report (same content, different bytes, seen later), so the versions question has an answer
and the current version is the republished one.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate_corpus
from tests.conftest import CZJ, PROJECT_ROOT, REAL_RUN_DOCUMENTS, require_corpus

COOKBOOK = PROJECT_ROOT / "docs" / "analyst-cookbook.md"
REPUBLISHED = "上海市普陀区财政局2024年度部门决算（更正）.pdf"


def cookbook_queries() -> dict[str, str]:
    text = COOKBOOK.read_text(encoding="utf-8")
    queries: dict[str, str] = {}
    for block in re.findall(r"```sql\n(.*?)```", text, re.S):
        match = re.match(r"-- q: (\w+)\n", block)
        assert match, f"every sql block starts with '-- q: <id>': {block[:80]}"
        assert match.group(1) not in queries, f"duplicate query id {match.group(1)}"
        queries[match.group(1)] = block
    return queries


def _run(landing: Path, warehouse: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines", "run", "--create", "--landing", str(landing), "--warehouse", str(warehouse),
         "--log-level", "ERROR"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(warehouse path, demo truth by department and year)."""
    require_corpus()
    root = tmp_path_factory.mktemp("cookbook")
    landing = root / "landing"
    (landing / "real").mkdir(parents=True)
    for pdf in REAL_RUN_DOCUMENTS:
        shutil.copy(pdf, landing / "real" / pdf.name)
    demo = root / "demo"
    generate_corpus(demo, count=24, seed=2024)
    real_names = {pdf.name for pdf in REAL_RUN_DOCUMENTS}
    truth: dict[tuple[str, int], dict] = {}
    (landing / "demo").mkdir()
    for pdf in sorted(demo.glob("*.pdf")):
        # the demo has a fictitious report named like a real one: the real one is the test's subject
        if pdf.name in real_names:
            continue
        shutil.copy(pdf, landing / "demo" / pdf.name)
        data = json.loads((demo / "_truth" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
        truth[(data["department"], data["fiscal_year"])] = data
    warehouse = root / "out" / "warehouse.duckdb"
    _run(landing, warehouse)
    # a corrected republication: different bytes (one trailing comment line), seen later
    (landing / "real" / REPUBLISHED).write_bytes(CZJ.read_bytes() + b"\n% republished\n")
    _run(landing, warehouse)
    return warehouse, truth


@pytest.fixture(scope="module")
def answers(built) -> dict[str, tuple[list[str], list[tuple]]]:
    warehouse, _ = built
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for qid, sql in cookbook_queries().items():
            cursor = con.execute(sql)
            rows = cursor.fetchall()
            out[qid] = ([d[0] for d in cursor.description], rows)
    return out


def _records(answers, qid) -> list[dict]:
    columns, rows = answers[qid]
    return [dict(zip(columns, row)) for row in rows]


def test_cookbook_has_the_questions():
    assert {"three_public_rose", "department_classes", "top_kuan_basic", "project_share", "quarantined",
            "trace", "republished", "document_summary"} <= set(cookbook_queries())


def test_every_query_runs_and_answers(answers):
    empty = [qid for qid, (_, rows) in answers.items() if not rows]
    assert empty == []


def _three_public_final(truth: dict) -> D | None:
    rows = [r for r in truth["tables"]["t7_three_public"] if r["basis"] == "final"]
    return D(rows[0]["total"]) if rows and rows[0]["total"] is not None else None


def test_three_public_rose_matches_the_demo_truth(answers, built):
    _, truth = built
    expected = set()
    for (department, year), data in truth.items():
        prior = truth.get((department, year - 1))
        if prior is None:
            continue
        now, before = _three_public_final(data), _three_public_final(prior)
        if (now or 0) > (before or 0):
            expected.add((department, year, now - (before or 0)))
    got = {(r["department_name"], r["fiscal_year"], r["final_change_wan"]) for r in _records(answers, "three_public_rose")}
    assert got == expected


def test_department_classes_match_t3_of_the_pdf(answers):
    rows = {r["class_code"]: r for r in _records(answers, "department_classes")}
    # 上海市普陀区财政局 2024, T3 支出决算表 (pages 10-11)
    assert {code: r["total_wan"] for code, r in rows.items()} == {
        "201": D("2106.66"), "208": D("326.72"), "210": D("60.99"), "221": D("445.69")}
    assert rows["201"]["basic_wan"] == D("1503.52") and rows["201"]["project_wan"] == D("603.14")
    assert {r["fiscal_year"] for r in rows.values()} == {2024}
    assert abs(sum(r["share_of_department_pct"] for r in rows.values()) - 100) <= D("0.001")
    assert rows["201"]["share_of_department_pct"] == D("71.6536")  # 2106.66 / 2940.06 (sum of 类)


def test_find_department_matches_a_name_without_province(answers):
    rows = {r["department_name"]: r for r in _records(answers, "find_department")}
    zhuzhou = rows["株洲市工业和信息化局"]  # the rebuilt 株洲 2021 report prints no province
    assert zhuzhou["department_key"] == "湖南省株洲市|工业和信息化局"
    assert rows["湖南省株洲市应急管理局"]["first_year"] == 2023 and rows["湖南省株洲市应急管理局"]["last_year"] == 2024


def _t3_classes(truth: dict) -> dict[str, D]:
    return {r["code"]: D(r["total"]) for r in truth["tables"]["t3_expenditure"]
            if r["code"] and len(r["code"]) == 3 and r["total"] is not None}


def test_department_yoy_matches_the_demo_truth(answers, built):
    _, truth = built
    now = _t3_classes(truth[("湖南省株洲市应急管理局", 2024)])
    before = _t3_classes(truth[("湖南省株洲市应急管理局", 2023)])
    rows = [r for r in _records(answers, "department_yoy") if r["fiscal_year"] == 2024]
    assert {r["function_code"] for r in rows} == set(now) | set(before)
    for r in rows:
        assert r["total_wan"] == now.get(r["function_code"], 0)
        assert r["prior_total_wan"] == before.get(r["function_code"], 0)
        assert r["change_wan"] == r["total_wan"] - r["prior_total_wan"]
    assert {r["change_kind"] for r in _records(answers, "department_yoy") if r["fiscal_year"] == 2023} == {
        "no_prior_report"}


def test_top_kuan_basic_agrees_with_the_raw_cells(answers, built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(
            """select c.code, sum(c.amount) from raw.table_cells c
               join marts.dim_document d using (document_id)
               where d.is_current and c.table_key = 't3_expenditure' and c.column_key = 'basic'
                 and length(c.code) = 5 and d.source_unit = '万元'
               group by c.code order by 2 desc nulls last, 1 limit 3"""
        ).fetchall()
    got = [(r["function_code"], r["basic_wan"]) for r in _records(answers, "top_kuan_basic")[:3]]
    assert got == expected


def test_top_economic_kuan_agrees_with_the_raw_cells(answers, built):
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = con.execute(
            """select c.code, sum(c.amount) from raw.table_cells c
               join marts.dim_document d using (document_id)
               where d.is_current and c.table_key = 't6_basic_expenditure_economic' and c.column_key = 'amount'
                 and length(c.code) = 5 and d.source_unit = '万元'
               group by c.code order by 2 desc nulls last, 1 limit 3"""
        ).fetchall()
    got = [(r["economic_code"], r["amount_wan"]) for r in _records(answers, "top_economic_kuan")[:3]]
    assert got == expected
    assert all(r["expense_group"] in ("personnel", "public") for r in _records(answers, "top_economic_kuan"))


def test_project_share_of_the_finance_bureau(answers):
    rows = [r for r in _records(answers, "project_share") if r["department_name"] == "上海市普陀区财政局"]
    assert len(rows) == 1  # one current version
    r = rows[0]
    # T3 合计 row (page 10): 2,940.05 = 2,336.91 基本 + 603.14 项目
    assert (r["total_wan"], r["basic_wan"], r["project_wan"], r["total_source"]) == (
        D("2940.05"), D("2336.91"), D("603.14"), "printed_total")
    assert r["project_share_pct"] == D("20.5146")  # 603.14 / 2940.05


def test_quarantined_template(answers):
    rows = _records(answers, "quarantined")
    assert [(r["file_name"], r["report_kind"]) for r in rows] == [("附件2：部门决算模板.pdf", "template")]
    assert "template" in rows[0]["quarantine_reason"]


def test_republished_report_has_one_current_version(answers):
    rows = [r for r in _records(answers, "republished") if r["department_name_as_printed"] == "上海市普陀区财政局"]
    assert [(r["version_number"], r["version_count"], r["is_current"]) for r in rows] == [(1, 2, False), (2, 2, True)]
    assert rows[1]["file_name"] == REPUBLISHED and rows[1]["first_seen_at"] > rows[0]["first_seen_at"]
    assert rows[0]["superseded_by"] is not None and rows[1]["superseded_by"] is None


def test_trace_reaches_the_printed_cell(answers):
    rows = _records(answers, "trace")
    assert len(rows) == 1
    r = rows[0]
    assert (r["table_key"], r["page"], r["raw_text"], r["amount"], r["total_wan"]) == (
        "t3_expenditure", 10, "2,106.66", D("2106.66"), D("2106.66"))
    assert r["file_name"] == REPUBLISHED and r["archive_path"].endswith(".pdf")


def test_document_summary_of_the_finance_bureau(answers):
    rows = [r for r in _records(answers, "document_summary") if r["department_name"] == "上海市普陀区财政局"]
    assert len(rows) == 1
    r = rows[0]
    assert r["income_total_wan"] == D("2946.25")        # T1 本年收入合计 (page 6)
    assert r["expenditure_total_wan"] == D("2940.05")   # T1 本年支出合计
    assert (r["t3_basic_wan"], r["t3_project_wan"]) == (D("2336.91"), D("603.14"))
    if r["t6_personnel_wan"] is not None:  # T6 (page 16): 301 2,082.85 + 303 69.41; 302 171.07 + 310 13.58
        assert (r["t6_personnel_wan"], r["t6_public_wan"]) == (D("2152.26"), D("184.65"))


def test_document_summary_matches_the_demo_truth(answers, built):
    _, truth = built
    rows = {(r["department_name"], r["fiscal_year"]): r for r in _records(answers, "document_summary")}
    checked = 0
    for key, data in truth.items():
        if key not in rows:  # a name printed without its province maps to the canonical wording
            continue
        lines = {r["line_key"]: r["amount"] for r in data["tables"]["t1_summary"] if r["line_key"] != "function_class"}
        assert rows[key]["income_total_wan"] == D(lines["income_total"]), key
        assert rows[key]["expenditure_total_wan"] == D(lines["expenditure_total"]), key
        checked += 1
    assert checked >= 20


def test_region_classes_roll_up_the_departments(answers):
    rows = _records(answers, "region_classes")
    levels = {r["region_key"]: r["region_level"] for r in rows}
    assert levels.get("湖南省株洲市") == "city" and levels.get("上海市普陀区") == "district"


def test_narrative_restates_the_finance_bureau_total(answers):
    rows = [r for r in _records(answers, "narrative_vs_tables") if r["department_name"] == "上海市普陀区财政局"]
    assert rows, "the narrative of 上海市普陀区财政局 2024 states its 本年支出合计"
    r = rows[0]
    assert (r["value"], r["unit"], r["narrative_wan"], r["table_wan"], r["agrees"]) == (
        D("2940.05"), "万元", D("2940.05"), D("2940.05"), True)
    assert "2940.05" in r["sentence"].replace(",", "")
