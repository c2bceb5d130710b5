"""Dimensions, versions and analyst marts, built by dbt over the raw.* fixture plus synthetic
documents for the paths the real ones do not take:

* a corrected republication of 上海市普陀区财政局 2024 (later first_seen_at, different amounts);
* two versions seen at the same instant (tie broken by document_id);
* one department printed three ways over two years (成都市商务委员会（本级）, 四川省成都市商务委员会,
  四川省成都市商务委), a party department with and without 中共, and a 财政局 of another region;
* T4, T6 and T7 cells as the grid parser emits them (T7 also in the '<basis>_<item>' encoding);
* raw.narrative_figures present (a second build) or absent (the first).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "dbt_project"
FIXTURE_SQL = PROJECT / "tests_fixture" / "raw_fixture.sql"

DOC = "d45e923176f9fe4b6533829d3a2fe67f8cbcd55d07099dabf73aca62701f8eb5"  # 上海市普陀区财政局 2024 (real)
DOC_V2 = "f" * 64          # its corrected republication, seen later
TIE_A, TIE_B = "1" * 64, "2" * 64  # 成都市商务委员会 2023, two versions seen at the same instant
COMMERCE_2024 = "3" * 64   # 四川省成都市商务委 2024
SOCIAL_2023 = "4" * 64     # 上海市普陀区委社会工作部 2023 (without 中共)
SOCIAL_2024 = "5" * 64     # 中共上海市普陀区委社会工作部 2024
NANJING = "6" * 64         # 江苏省南京市财政局 2024: another region's 财政局

_DOC_COLUMNS = ("document_id, file_name, file_names, size_bytes, first_seen_at, archive_path, status, "
                "quarantine_reason, report_kind, department, region, fiscal_year, unit, page_count, parser_version")


def _doc(doc_id: str, department: str, region: str, year: int, seen: str) -> str:
    return (f"('{doc_id}', '{doc_id[:6]}.pdf', '{doc_id[:6]}.pdf', 1000, TIMESTAMP '{seen}', "
            f"'archive/{doc_id[:2]}/{doc_id}.pdf', 'loaded', NULL, 'final_accounts', '{department}', "
            f"'{region}', {year}, '万元', 20, 'test')")


def _t3(doc_id: str, rows: list[tuple[str | None, str, str, str | None, str | None]]) -> list[str]:
    """rows: (code or None for 合计, label, total, basic, project)"""
    out = []
    for index, (code, label, total, basic, project) in enumerate(rows):
        line_key = "NULL" if code else "'total'"
        code_sql = f"'{code}'" if code else "NULL"
        for column, value in (("total", total), ("basic", basic), ("project", project)):
            amount = value if value is not None else "NULL"
            out.append(f"('{doc_id}', 't3_expenditure', 3, {index}, '{label}', {code_sql}, {line_key}, NULL, "
                       f"'{column}', '{value or ''}', {amount})")
    return out


def _t7_rows(doc_id: str, budget: dict, final: dict, encoding: str = "line_key") -> list[str]:
    out = []
    for row_index, (basis, values) in enumerate((("budget", budget), ("final", final))):
        for item, value in values.items():
            amount = value if value is not None else "NULL"
            if encoding == "line_key":  # the grid parser's row_splits: line_key = basis, column_key = item
                out.append(f"('{doc_id}', 't7_three_public', 9, {row_index}, '{basis}', NULL, '{basis}', NULL, "
                           f"'{item}', '{value or ''}', {amount})")
            else:  # one printed row, column_key '<basis>_<item>'
                out.append(f"('{doc_id}', 't7_three_public', 9, 0, '', NULL, NULL, NULL, "
                           f"'{basis}_{item}', '{value or ''}', {amount})")
    return out


def _edge_sql() -> str:
    documents = [
        _doc(DOC_V2, "上海市普陀区财政局", "上海市普陀区", 2024, "2025-12-01 08:00:00"),
        _doc(TIE_A, "成都市商务委员会（本级）", "成都市", 2023, "2025-11-26 00:00:00"),
        _doc(TIE_B, "四川省成都市商务委员会", "四川省成都市", 2023, "2025-11-26 00:00:00"),
        _doc(COMMERCE_2024, "四川省成都市商务委", "四川省成都市", 2024, "2025-11-26 00:00:00"),
        _doc(SOCIAL_2023, "上海市普陀区委社会工作部", "上海市普陀区", 2023, "2025-11-26 00:00:00"),
        _doc(SOCIAL_2024, "中共上海市普陀区委社会工作部", "上海市普陀区", 2024, "2025-11-26 00:00:00"),
        _doc(NANJING, "江苏省南京市财政局", "江苏省南京市", 2024, "2025-11-26 00:00:00"),
    ]
    tables = []
    for doc_id in (DOC_V2, TIE_A, TIE_B, COMMERCE_2024, SOCIAL_2023, SOCIAL_2024, NANJING):
        tables.append(f"('{doc_id}', 't3_expenditure', '支出决算表', 3, 3, 'parsed', NULL, '万元', 3)")
    for doc_id in (TIE_B, COMMERCE_2024):
        tables.append(f"('{doc_id}', 't4_appropriation_summary', '财政拨款收入支出决算总表', 4, 4, 'parsed', NULL, '万元', 3)")
        tables.append(f"('{doc_id}', 't6_basic_expenditure_economic', '一般公共预算财政拨款基本支出决算表', 6, 6, 'parsed', NULL, '万元', 4)")
        tables.append(f"('{doc_id}', 't7_three_public', '财政拨款“三公”经费支出决算表', 9, 9, 'parsed', NULL, '万元', 2)")
    cells = []
    cells += _t3(DOC_V2, [(None, "合计", "2200.00", "1500.00", "700.00"),
                          ("201", "一般公共服务支出", "2200.00", "1500.00", "700.00")])
    cells += _t3(TIE_A, [(None, "合计", "100.00", "100.00", None), ("201", "一般公共服务支出", "100.00", "100.00", None)])
    cells += _t3(TIE_B, [(None, "合计", "110.00", "90.00", "20.00"), ("201", "一、一般公共服务支出", "110.00", "90.00", "20.00")])
    cells += _t3(COMMERCE_2024, [(None, "合计", "150.00", "100.00", "50.00"),
                                 ("201", "一般公共服务支出", "120.00", "100.00", "20.00"),
                                 ("216", "商业服务业等支出", "30.00", None, "30.00")])
    cells += _t3(SOCIAL_2023, [("201", "一般公共服务支出", "50.00", "50.00", None)])
    cells += _t3(SOCIAL_2024, [("201", "一般公共服务支出", "60.00", "60.00", None)])
    cells += _t3(NANJING, [("201", "一般公共服务支出", "900.00", "900.00", None)])
    # T4 (income line: one amount column; expenditure class line: 合计 + fund columns)
    for doc_id, amount in ((TIE_B, "110.00"), (COMMERCE_2024, "150.00")):
        cells += [
            f"('{doc_id}', 't4_appropriation_summary', 4, 0, '一般公共预算财政拨款', NULL, 'general_budget_appropriation', 'income', 'amount', '{amount}', {amount})",
            f"('{doc_id}', 't4_appropriation_summary', 4, 1, '一般公共服务支出', '201', 'function_class', 'expenditure', 'total', '{amount}', {amount})",
            f"('{doc_id}', 't4_appropriation_summary', 4, 1, '一般公共服务支出', '201', 'function_class', 'expenditure', 'general_public_budget', '{amount}', {amount})",
            f"('{doc_id}', 't4_appropriation_summary', 4, 1, '一般公共服务支出', '201', 'function_class', 'expenditure', 'government_fund', '', NULL)",
        ]
    # T6 blocks: line_key = the block (人员经费 / 公用经费)
    cells += [
        f"('{TIE_B}', 't6_basic_expenditure_economic', 6, 0, '工资福利支出', '301', 'personnel', NULL, 'amount', '80.00', 80.00)",
        f"('{TIE_B}', 't6_basic_expenditure_economic', 6, 1, '基本工资', '30101', 'personnel', NULL, 'amount', '80.00', 80.00)",
        f"('{TIE_B}', 't6_basic_expenditure_economic', 6, 2, '商品和服务支出', '302', 'public', NULL, 'amount', '10.00', 10.00)",
        f"('{TIE_B}', 't6_basic_expenditure_economic', 6, 3, '人员经费合计', NULL, 'personnel_total', NULL, 'amount', '80.00', 80.00)",
        f"('{COMMERCE_2024}', 't6_basic_expenditure_economic', 6, 0, '工资福利支出', '301', 'personnel', NULL, 'amount', '90.00', 90.00)",
        f"('{COMMERCE_2024}', 't6_basic_expenditure_economic', 6, 1, '基本 工资', '30101', 'personnel', NULL, 'amount', '90.00', 90.00)",
        f"('{COMMERCE_2024}', 't6_basic_expenditure_economic', 6, 2, '商品和服务支出', '302', 'public', NULL, 'amount', '10.00', 10.00)",
    ]
    cells += _t7_rows(TIE_B, {"total": "5.00", "outbound": None, "vehicle_total": "3.00", "reception": "2.00"},
                      {"total": "4.00", "outbound": None, "vehicle_total": "2.50", "reception": "1.50"})
    cells += _t7_rows(COMMERCE_2024, {"total": "6.00", "outbound": "1.00", "vehicle_total": "3.00", "reception": "2.00"},
                      {"total": "5.50", "outbound": "1.00", "vehicle_total": "3.00", "reception": "1.50"},
                      encoding="columns")
    return (
        f"INSERT INTO raw.documents ({_DOC_COLUMNS}) VALUES\n    " + ",\n    ".join(documents) + ";\n"
        "INSERT INTO raw.report_tables (document_id, table_key, title, first_page, last_page, status, note, unit, row_count) VALUES\n    "
        + ",\n    ".join(tables) + ";\n"
        "INSERT INTO raw.table_cells (document_id, table_key, page, row_index, row_label, code, line_key, side, column_key, raw_text, amount) VALUES\n    "
        + ",\n    ".join(cells) + ";\n"
    )


NARRATIVE_SQL = f"""
CREATE TABLE raw.narrative_figures (
    document_id VARCHAR, figure_index INTEGER, page INTEGER, section VARCHAR, subsection VARCHAR,
    sentence VARCHAR, figure_key VARCHAR, subject VARCHAR, class_name VARCHAR, kuan_name VARCHAR,
    item_name VARCHAR, class_code VARCHAR, comparison_word VARCHAR, relative_to VARCHAR,
    value DECIMAL(18,4), unit VARCHAR, unit_suspect BOOLEAN, raw_text VARCHAR
);
INSERT INTO raw.narrative_figures VALUES
    ('{DOC}', 1, 21, '一、收入支出决算总体情况说明', NULL, '2024年度收入总计2,995.39万元。', 'total_income_expenditure',
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2995.39, '万元', false, '2,995.39万元'),
    ('{DOC}', 2, 22, '三、支出决算情况说明', NULL, '基本支出2,336.91元，占79.49%。', 'basic_expenditure',
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2336.91, '元', true, '2,336.91元'),
    ('{DOC}', 3, 22, '三、支出决算情况说明', NULL, '基本支出2,336.91元，占79.49%。', 'share',
     'basic_expenditure', NULL, NULL, NULL, NULL, NULL, '本年支出合计', 79.49, '%', false, '79.49%'),
    ('{DOC}', 4, 23, '三、支出决算情况说明', NULL, '一般公共服务支出2,106.66万元。', 'class_expenditure',
     NULL, '一般公共服务支出', NULL, NULL, '201', NULL, NULL, 2106.66, '万元', false, '2,106.66万元');
"""


def _dbt_command() -> list[str]:
    exe = Path(sys.executable).parent / "dbt"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dbt")
    return [found] if found else [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def _build(work: Path, extra_sql: str) -> tuple[subprocess.CompletedProcess, list[dict], Path]:
    db = work / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(FIXTURE_SQL.read_text(encoding="utf-8"))
        con.execute(extra_sql)
    env = {**os.environ, "FW_WORKING_DB": str(db), "DO_NOT_TRACK": "1"}
    proc = subprocess.run(
        [*_dbt_command(), "build", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
         "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    results_file = work / "target" / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    return proc, results, db


@pytest.fixture(scope="module")
def conformed(tmp_path_factory):
    proc, results, db = _build(tmp_path_factory.mktemp("conformed"), _edge_sql())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    errors = [(r["unique_id"], r["status"]) for r in results if r["status"] not in ("pass", "success", "warn")]
    assert errors == []
    with duckdb.connect(str(db), read_only=True) as con:
        yield con


def _rows(con, sql: str, params=()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    rows = cursor.fetchall()
    return [dict(zip([d[0] for d in cursor.description], row)) for row in rows]


def test_republished_report_supersedes_the_older_version(conformed):
    docs = {r["document_id"]: r for r in _rows(conformed, "select * from marts.dim_document")}
    old, new = docs[DOC], docs[DOC_V2]
    assert (old["version_number"], old["version_count"], old["is_current"], old["superseded_by"]) == (1, 2, False, DOC_V2)
    assert (new["version_number"], new["version_count"], new["is_current"], new["superseded_by"]) == (2, 2, True, None)
    assert old["current_document_id"] == new["current_document_id"] == DOC_V2
    assert old["department_key"] == new["department_key"] == "上海市普陀区|财政局"
    # the template (quarantined) is never current and has no version
    template = [r for r in docs.values() if r["status"] == "quarantined"][0]
    assert (template["is_current"], template["version_number"], template["department_key"]) == (False, None, None)


def test_facts_keep_every_version_and_marts_use_the_current_one(conformed):
    facts = {(r["document_id"], r["is_current"]): r["total_wan"] for r in _rows(
        conformed, "select document_id, is_current, total_wan from marts.fct_expenditure_by_function "
                   "where fund_scope = 'all_funds' and function_code = '201' and document_id in (?, ?)", (DOC, DOC_V2))}
    assert facts == {(DOC, False): D("2106.66"), (DOC_V2, True): D("2200.00")}
    mart = _rows(conformed, "select * from marts.mart_spending_by_class where department_key = '上海市普陀区|财政局'")
    assert [(r["document_id"], r["class_code"], r["total_wan"], r["share_of_department_pct"]) for r in mart] == [
        (DOC_V2, "201", D("2200.00"), D("100.0000"))]
    share = _rows(conformed, "select * from marts.mart_basic_vs_project where department_key = '上海市普陀区|财政局'")
    assert [(r["document_id"], r["project_wan"], r["project_share_pct"], r["total_source"]) for r in share] == [
        (DOC_V2, D("700.00"), D("31.8182"), "printed_total")]
    # English key, its Chinese name beside it (docs/naming.md)
    assert [(r["fund_scope"], r["fund_scope_name"]) for r in share] == [("all_funds", "全部资金")]


def test_tie_on_first_seen_is_broken_by_the_larger_document_id(conformed):
    current = _rows(conformed, "select document_id, is_current, superseded_by from marts.dim_document "
                               "where document_id in (?, ?) order by document_id", (TIE_A, TIE_B))
    assert [(r["document_id"], r["is_current"], r["superseded_by"]) for r in current] == [
        (TIE_A, False, TIE_B), (TIE_B, True, None)]


def test_department_matched_across_wordings_and_years(conformed):
    departments = {r["department_key"]: r for r in _rows(conformed, "select * from marts.dim_department")}
    commerce = departments["四川省成都市|商务委"]
    assert commerce["name_variants"] == sorted(["成都市商务委员会（本级）", "四川省成都市商务委员会", "四川省成都市商务委"])
    assert commerce["department_name"] == "四川省成都市商务委"  # the latest year's wording
    assert (commerce["first_year"], commerce["last_year"], commerce["document_count"], commerce["current_document_count"]) == (
        2023, 2024, 3, 2)
    social = departments["上海市普陀区|委社会工作部"]
    assert social["name_variants"] == ["上海市普陀区委社会工作部", "中共上海市普陀区委社会工作部"]
    assert "江苏省南京市|财政局" in departments and "上海市普陀区|财政局" in departments  # not merged across regions
    regions = {r["region_key"]: r for r in _rows(conformed, "select * from marts.dim_region")}
    assert regions["四川省成都市"]["name_variants"] == ["四川省成都市", "成都市"]
    assert (regions["四川省成都市"]["province"], regions["四川省成都市"]["city"], regions["四川省成都市"]["region_level"]) == (
        "四川省", "成都市", "city")
    assert (regions["上海市普陀区"]["province"], regions["上海市普陀区"]["district"], regions["上海市普陀区"]["region_level"]) == (
        "上海市", "普陀区", "district")


def test_year_on_year_per_department_and_code(conformed):
    rows = {(r["fiscal_year"], r["function_code"]): r for r in _rows(
        conformed, "select * from marts.mart_spending_yoy where department_key = '四川省成都市|商务委' "
                   "and fund_scope = 'all_funds'")}
    assert rows[(2024, "201")]["prior_document_id"] == TIE_B  # the current 2023 version
    assert (rows[(2024, "201")]["prior_total_wan"], rows[(2024, "201")]["total_wan"], rows[(2024, "201")]["change_wan"],
            rows[(2024, "201")]["change_pct"], rows[(2024, "201")]["change_kind"]) == (
        D("110.00"), D("120.00"), D("10.00"), D("9.0909"), "continuing")
    assert (rows[(2024, "216")]["prior_total_wan"], rows[(2024, "216")]["change_kind"], rows[(2024, "216")]["change_pct"]) == (
        D("0"), "new", None)
    assert rows[(2023, "201")]["change_kind"] == "no_prior_report" and rows[(2023, "201")]["prior_total_wan"] is None
    social = {r["fiscal_year"]: r for r in _rows(
        conformed, "select * from marts.mart_spending_yoy where department_key = '上海市普陀区|委社会工作部'")}
    assert social[2024]["change_wan"] == D("10.00")


def test_function_class_names_and_variants(conformed):
    row = _rows(conformed, "select * from marts.dim_function_class where function_code = '201'")[0]
    assert row["function_name"] == "一般公共服务支出" and row["standard_function_name"] == "一般公共服务支出"
    assert row["name_variants"] == ["一般公共服务支出"]  # 一、一般公共服务支出 (T1, numbered) cleaned
    assert (row["function_level"], row["parent_code"], row["in_standard_list"]) == ("类", None, True)
    item = _rows(conformed, "select * from marts.dim_function_class where function_code = '2010601'")[0]
    assert (item["function_level"], item["parent_code"], item["class_code"], item["function_name"]) == ("项", "20106", "201", "行政运行")
    seeds_only = _rows(conformed, "select * from marts.dim_function_class where function_code = '227'")[0]
    assert (seeds_only["function_name"], seeds_only["document_count"], seeds_only["name_variants"]) == ("预备费", 0, [])


def test_basic_expenditure_by_economic_code(conformed):
    rows = {(r["document_id"], r["economic_code"]): r for r in _rows(
        conformed, "select * from marts.fct_basic_expenditure_by_economic")}
    assert (rows[(TIE_B, "301")]["amount_wan"], rows[(TIE_B, "301")]["expense_group"], rows[(TIE_B, "301")]["economic_level"]) == (
        D("80.00"), "personnel", "类")
    assert rows[(TIE_B, "30101")]["parent_code"] == "301" and rows[(TIE_B, "302")]["expense_group"] == "public"
    assert (rows[(TIE_B, "301")]["expense_group_name"], rows[(TIE_B, "302")]["expense_group_name"]) == ("人员经费", "公用经费")
    assert (TIE_B, None) not in rows and len([k for k in rows if k[0] == TIE_B]) == 3  # 人员经费合计 is not a code
    economic = {r["economic_code"]: r for r in _rows(conformed, "select * from marts.dim_economic_class")}
    assert economic["30101"]["economic_name"] == "基本工资" and economic["30101"]["name_variants"] == ["基本工资"]
    assert economic["30101"]["standard_class_name"] == "工资福利支出"
    assert economic["399"]["document_count"] == 0  # from the seed only
    summary = {r["document_id"]: r for r in _rows(conformed, "select * from marts.mart_document_summary")}
    assert (summary[TIE_B]["t6_personnel_wan"], summary[TIE_B]["t6_public_wan"]) == (D("80.00"), D("10.00"))


def test_three_public_budget_and_actual_in_both_encodings(conformed):
    rows = {(r["document_id"], r["item_key"]): r for r in _rows(conformed, "select * from marts.fct_three_public")}
    assert (rows[(TIE_B, "total")]["budget_wan"], rows[(TIE_B, "total")]["final_wan"],
            rows[(TIE_B, "total")]["final_minus_budget_wan"], rows[(TIE_B, "total")]["item_name"]) == (
        D("5.00"), D("4.00"), D("-1.00"), "合计")
    assert (rows[(COMMERCE_2024, "outbound")]["budget_wan"], rows[(COMMERCE_2024, "outbound")]["final_wan"]) == (
        D("1.00"), D("1.00"))
    trend = {r["item_key"]: r for r in _rows(
        conformed, "select * from marts.mart_three_public_trend where department_key = '四川省成都市|商务委' "
                   "and fiscal_year = 2024")}
    assert (trend["total"]["prior_final_wan"], trend["total"]["final_wan"], trend["total"]["final_change_wan"],
            trend["total"]["execution_pct"]) == (D("4.00"), D("5.50"), D("1.50"), D("91.6667"))
    assert trend["outbound"]["final_change_wan"] == D("1.00") and trend["outbound"]["final_change_pct"] is None


def test_appropriation_summary_lines(conformed):
    rows = {(r["side"], r["line_key"], r["class_code"]): r for r in _rows(
        conformed, "select * from marts.fct_appropriation_summary_lines where document_id = ?", (COMMERCE_2024,))}
    assert rows[("income", "general_budget_appropriation", None)]["total_wan"] == D("150.00")
    line = rows[("expenditure", "function_class", "201")]
    assert (line["total_wan"], line["general_public_budget_wan"], line["government_fund_wan"], line["is_current"]) == (
        D("150.00"), D("150.00"), None, True)


def test_no_narrative_source_means_an_empty_fact(conformed):
    assert conformed.execute("select count(*) from marts.fct_narrative_figures").fetchall() == [(0,)]
    assert conformed.execute("select count(*) from staging.stg_narrative_figures").fetchall() == [(0,)]


def test_narrative_figures_when_the_source_exists(tmp_path):
    proc, results, db = _build(tmp_path, NARRATIVE_SQL)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with duckdb.connect(str(db), read_only=True) as con:
        rows = _rows(con, "select * from marts.fct_narrative_figures order by figure_index")
    assert [(r["figure_index"], r["page"], r["figure_key"], r["value"], r["unit"], r["value_wan"], r["unit_suspect"])
            for r in rows] == [
        (1, 21, "total_income_expenditure", D("2995.39"), "万元", D("2995.39"), False),
        (2, 22, "basic_expenditure", D("2336.91"), "元", D("0.233691"), True),
        (3, 22, "share", D("79.49"), "%", None, False),
        (4, 23, "class_expenditure", D("2106.66"), "万元", D("2106.66"), False),
    ]
    assert rows[3]["class_code"] == "201" and rows[2]["relative_to"] == "本年支出合计"
    assert rows[0]["narrative_figure_key"] == f"{DOC}|1" and rows[0]["is_current"] is True
