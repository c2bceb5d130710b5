"""dbt project (dbt_project/) built over a fixture of the raw.* staging contract.

The fixture (dbt_project/tests_fixture/raw_fixture.sql) holds the real T1 and T3 of
上海市普陀区财政局2024年度部门决算.pdf plus the quarantined official template. A second build adds
synthetic documents for the paths the real one does not take: a table in 元, an unreadable and a
missing table, a line not found, a duplicated code.

Each build runs `dbt build` in a subprocess with its own working DuckDB, target and log paths
under tmp_path, so parallel runs do not collide.
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

DOC = "d45e923176f9fe4b6533829d3a2fe67f8cbcd55d07099dabf73aca62701f8eb5"  # 上海市普陀区财政局 2024
TEMPLATE = "deb3a453319935a1cf47f3dc6305e14041fb37f30637a57da5ab48fc8f2c8b4f"  # 附件2：部门决算模板
DOC_YUAN = "b" * 64  # synthetic: unit 元, T1 unreadable, T3 missing, T5 in 元
DOC_ODD = "c" * 64  # synthetic: T1 without income_total, T3 with a duplicated code and no 合计
DOC_QUARANTINED = "e" * 64

IDENTITIES = {
    "t1_income_total", "t1_expenditure_total", "t1_income_grand_total",
    "t1_expenditure_grand_total", "t1_balance",
    "t3_row_total", "t3_class_rollup", "t3_kuan_rollup", "t3_grand_total",
}


def _dbt_command() -> list[str]:
    exe = Path(sys.executable).parent / "dbt"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dbt")
    if found:
        return [found]
    return [sys.executable, "-c", "from dbt.cli.main import cli; cli()"]


def _build_fixture(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute(FIXTURE_SQL.read_text(encoding="utf-8"))


def _dbt_build(db: Path, work: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    env = {**os.environ, "FW_WORKING_DB": str(db), "DO_NOT_TRACK": "1"}
    proc = subprocess.run(
        [
            *_dbt_command(), "build",
            "--project-dir", str(PROJECT),
            "--profiles-dir", str(PROJECT),
            "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    results_file = work / "target" / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    return proc, results


def _failures(results: list[dict], allowed: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(r["unique_id"], r["status"]) for r in results if r["status"] not in allowed]


# ---------------------------------------------------------------------------------------------
# Build 1: the real document (and the quarantined template) only.
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_real")
    db = work / "warehouse.duckdb"
    _build_fixture(db)
    proc, results = _dbt_build(db, work)
    return proc, results, db, work


@pytest.fixture(scope="module")
def wh(real_build):
    proc, _, db, _ = real_build
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with duckdb.connect(str(db), read_only=True) as con:
        yield con


def test_build_succeeds_and_every_test_passes(real_build):
    proc, results, _, _ = real_build
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert _failures(results, ("pass", "success")) == []
    tests = [r for r in results if r["unique_id"].startswith("test.")]
    assert len(tests) >= 90
    models = {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
    assert models == {
        "stg_documents", "stg_report_tables", "stg_table_cells",
        "int_document_tables", "int_expenditure_by_function", "int_expenditure_table_totals",
        "int_identity_residuals",
        # identity residuals (models/intermediate/identities/)
        "int_residual_cells", "int_residual_narrative_figures", "int_residuals_t1_t4",
        "int_residuals_t2_t3_t5", "int_residuals_t6_t7", "int_residuals_cross_tables",
        "int_residuals_narrative", "int_residuals_narrative_items", "int_residuals_narrative_changes", "int_residual_anchor_cells",
        "int_residuals_completeness", "int_residuals_repeated_totals", "int_residuals_metadata",
        "int_residual_cell_positions",  # where a failure's cells are printed (the review site)
        "dim_document", "fct_expenditure_by_function", "fct_summary_lines",
        # conformed dimensions, facts and analyst marts
        "stg_narrative_figures", "int_document_departments", "int_document_versions",
        "int_three_public_amounts",
        "dim_region", "dim_department", "dim_function_class", "dim_economic_class",
        "fct_income_by_function", "fct_basic_expenditure_by_economic", "fct_three_public",
        "fct_appropriation_summary_lines", "fct_narrative_figures",
        "mart_spending_by_class", "mart_spending_yoy", "mart_basic_vs_project",
        "mart_three_public_trend", "mart_document_summary",
    }


def test_manifest_written(real_build):
    _, _, _, work = real_build
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    names = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert {"int_identity_residuals", "fct_expenditure_by_function"} <= names


def test_every_model_and_column_is_described(real_build, wh):
    _, _, _, work = real_build
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        built = [r[0] for r in wh.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [node["schema"], node["name"]],
        ).fetchall()]
        documented = {k for k, v in node["columns"].items() if v.get("description")}
        if not node.get("description"):
            problems.append((node["name"], "model not described"))
        problems += [(node["name"], col) for col in built if col not in documented]
        problems += [(node["name"], f"documented but not built: {col}") for col in set(node["columns"]) - set(built)]
    assert problems == []


def test_every_table_model_has_an_enforced_contract(real_build, wh):
    """Analysts' tables keep their columns and types: every table or incremental model has an
    enforced contract (a type on every column, checked by dbt on every build), and its
    constraints are in the DuckDB table (checked on every insert)."""
    _, _, _, work = real_build
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    tables = [n for n in manifest["nodes"].values()
              if n["resource_type"] == "model" and n["config"]["materialized"] in ("table", "incremental")]
    assert len(tables) == 38
    assert [n["name"] for n in tables if not n["config"]["contract"]["enforced"]] == []
    assert [(n["name"], c) for n in tables for c, col in n["columns"].items() if not col.get("data_type")] == []
    constraints = set(wh.execute(
        """select constraint_type, constraint_column_names[1] from duckdb_constraints()
           where schema_name = 'marts' and table_name = 'fct_expenditure_by_function'""").fetchall())
    assert {("NOT NULL", "department_key"), ("NOT NULL", "fund_scope"), ("CHECK", "fund_scope"),
            ("CHECK", "function_level")} <= constraints


def test_schemas_and_materializations(wh):
    kinds = dict(
        ((schema + "." + name), kind)
        for schema, name, kind in wh.execute(
            "select table_schema, table_name, table_type from information_schema.tables "
            "where table_schema in ('staging', 'intermediate', 'marts', 'seeds')"
        ).fetchall()
    )
    assert kinds["staging.stg_table_cells"] == "VIEW"
    assert kinds["intermediate.int_identity_residuals"] == "BASE TABLE"
    assert kinds["marts.fct_expenditure_by_function"] == "BASE TABLE"
    assert kinds["seeds.function_classes"] == "BASE TABLE"


def test_no_float_columns_anywhere(wh):
    floats = wh.execute(
        """select table_schema, table_name, column_name, data_type from information_schema.columns
           where table_schema in ('staging', 'intermediate', 'marts')
             and (data_type in ('DOUBLE', 'FLOAT', 'REAL') or data_type like 'FLOAT%')"""
    ).fetchall()
    assert floats == []
    types = dict(
        ((t, c), d)
        for t, c, d in wh.execute(
            """select table_name, column_name, data_type from information_schema.columns
               where table_schema in ('staging', 'intermediate', 'marts')"""
        ).fetchall()
    )
    # exact 万元 in staging and intermediate; the marts show two decimals and carry exact 元
    assert types[("stg_table_cells", "amount_wan")] == "DECIMAL(20,6)"
    assert types[("int_expenditure_by_function", "total")] == "DECIMAL(20,6)"
    for col in ("total", "basic", "project", "other"):
        assert types[("fct_expenditure_by_function", f"{col}_wan")] == "DECIMAL(18,2)"
        assert types[("fct_expenditure_by_function", f"{col}_yuan")] == "DECIMAL(20,2)"
    assert types[("fct_summary_lines", "amount_wan")] == "DECIMAL(18,2)"
    assert types[("fct_summary_lines", "amount_yuan")] == "DECIMAL(20,2)"
    assert types[("mart_spending_by_class", "total_wan")] == "DECIMAL(18,2)"
    for col in ("lhs", "rhs", "diff"):
        assert types[("int_identity_residuals", col)] == "DECIMAL(18,2)"
    assert types[("int_identity_residuals", "term_count")] == "INTEGER"
    assert types[("int_identity_residuals", "evaluable")] == "BOOLEAN"


def test_dim_document_includes_quarantined(wh):
    rows = wh.execute(
        "select document_id, status, report_kind, department_name_as_printed, fiscal_year, source_unit, page_count, size_bytes "
        "from marts.dim_document order by status"
    ).fetchall()
    assert rows == [
        (DOC, "loaded", "final_accounts", "上海市普陀区财政局", 2024, "万元", 25, 3680942),
        (TEMPLATE, "quarantined", "template", None, 2024, None, 23, 322831),
    ]


def test_expenditure_fact_2010601(wh):
    row = wh.execute(
        """select total_wan, basic_wan, project_wan, other_wan, function_level, parent_code, class_code,
                  class_name, function_name_as_printed, source_unit, page, expenditure_key
           from marts.fct_expenditure_by_function
           where document_id = ? and fund_scope = 'all_funds' and function_code = '2010601'""",
        [DOC],
    ).fetchall()
    assert row == [(
        D("1511.89"), D("1503.52"), D("8.37"), None, "项", "20106", "201",
        "一般公共服务支出", "行政运行", "万元", 10, f"{DOC}|all_funds|2010601",
    )]


def test_expenditure_fact_all_rows(wh):
    rows = {
        code: (level, parent, total, basic, project, page)
        for code, level, parent, total, basic, project, page in wh.execute(
            """select function_code, function_level, parent_code, total_wan, basic_wan, project_wan, page
               from marts.fct_expenditure_by_function where document_id = ? and fund_scope = 'all_funds'""",
            [DOC],
        ).fetchall()
    }
    assert len(rows) == 19  # 4 类 + 4 款 + 11 项; the 合计 row is not a function code
    assert rows["201"] == ("类", None, D("2106.66"), D("1503.52"), D("603.14"), 10)
    assert rows["20106"] == ("款", "201", D("2106.66"), D("1503.52"), D("603.14"), 10)
    assert rows["2010602"] == ("项", "20106", D("10.00"), None, D("10.00"), 10)
    assert rows["208"] == ("类", None, D("326.72"), D("326.72"), None, 10)
    assert rows["2080599"] == ("项", "20805", D("0.94"), D("0.94"), None, 11)
    assert rows["2210203"] == ("项", "22102", D("258.50"), D("258.50"), None, 11)
    class_sum = sum(v[2] for v in rows.values() if v[0] == "类")
    assert class_sum == D("2940.06")  # one cent above the printed 合计, as in the PDF
    totals = wh.execute(
        "select total, basic, project, other, page from intermediate.int_expenditure_table_totals "
        "where document_id = ? and fund_scope = 'all_funds'",
        [DOC],
    ).fetchall()
    assert totals == [(D("2940.05"), D("2336.91"), D("603.14"), None, 10)]


def test_summary_lines(wh):
    rows = {
        (side, key, code): (amount, page, label)
        for side, key, code, amount, page, label in wh.execute(
            "select side, line_key, class_code, amount_wan, page, line_name_as_printed from marts.fct_summary_lines "
            "where document_id = ?",
            [DOC],
        ).fetchall()
    }
    assert len(rows) == 42
    assert rows[("income", "general_budget_appropriation", None)][:2] == (D("2940.05"), 6)
    assert rows[("income", "other_income", None)][:2] == (D("6.20"), 6)
    assert rows[("income", "business_income", None)][:2] == (None, 6)  # blank, kept
    assert rows[("income", "income_total", None)][:2] == (D("2946.25"), 6)
    assert rows[("income", "opening_balance", None)][:2] == (D("49.14"), 7)
    assert rows[("income", "grand_total", None)][:2] == (D("2995.39"), 7)
    assert rows[("expenditure", "function_class", "201")] == (D("2106.66"), 6, "一、一般公共服务支出")
    assert rows[("expenditure", "function_class", "208")][0] == D("326.71")  # T3 says 326.72
    assert rows[("expenditure", "function_class", "210")][0] == D("60.99")
    assert rows[("expenditure", "function_class", "221")][0] == D("445.69")
    assert rows[("expenditure", "expenditure_total", None)][:2] == (D("2940.05"), 6)
    assert rows[("expenditure", "closing_balance", None)][:2] == (D("55.34"), 7)
    assert rows[("expenditure", "grand_total", None)][:2] == (D("2995.39"), 7)
    key = wh.execute(
        "select summary_line_key from marts.fct_summary_lines where document_id = ? and class_code = '208'", [DOC]
    ).fetchall()
    assert key == [(f"{DOC}|expenditure|function_class|208",)]


def _residuals(con, document_id):
    return {
        (identity, subject): (lhs, rhs, diff, terms, pages, evaluable, reason)
        for identity, subject, lhs, rhs, diff, terms, pages, evaluable, reason in con.execute(
            """select identity_id, subject, lhs, rhs, diff, term_count, pages, evaluable, not_evaluated_reason
               from intermediate.int_identity_residuals where document_id = ?""",
            [document_id],
        ).fetchall()
    }


def test_residuals_of_the_real_document(wh):
    # the T1 and T3 identities (the fixture holds only these two tables; the others of the
    # catalogue are not evaluable here and covered by tests/test_identities.py)
    res = {k: v for k, v in _residuals(wh, DOC).items() if k[0] in IDENTITIES}
    counts = {}
    for identity, _ in res:
        counts[identity] = counts.get(identity, 0) + 1
    assert counts == {
        "t1_income_total": 1, "t1_expenditure_total": 1, "t1_income_grand_total": 1,
        "t1_expenditure_grand_total": 1, "t1_balance": 1,
        "t3_row_total": 20,  # 合计 + 19 coded rows
        "t3_class_rollup": 24,  # 4 类 x 6 columns
        "t3_kuan_rollup": 24,  # 4 款 (all have 项) x 6 columns
        "t3_grand_total": 6,  # 6 columns
    }
    assert all(v[5] is True and v[6] is None for v in res.values())

    # T1: every identity holds exactly (hand-checked: 2106.66+326.71+60.99+445.69 = 2940.05).
    assert res[("t1_income_total", "income")] == (D("2946.25"), D("2946.25"), D("0.00"), 3, "6", True, None)
    assert res[("t1_expenditure_total", "expenditure")] == (D("2940.05"), D("2940.05"), D("0.00"), 5, "6", True, None)
    assert res[("t1_income_grand_total", "income")] == (D("2995.39"), D("2995.39"), D("0.00"), 3, "6,7", True, None)
    assert res[("t1_expenditure_grand_total", "expenditure")] == (D("2995.39"), D("2995.39"), D("0.00"), 3, "6,7", True, None)
    assert res[("t1_balance", "grand_total")] == (D("2995.39"), D("2995.39"), D("0.00"), 2, "7", True, None)

    # T3: rows and roll-ups hold exactly ...
    assert res[("t3_row_total", "2010601")] == (D("1511.89"), D("1511.89"), D("0.00"), 3, "10", True, None)
    assert res[("t3_row_total", "total")] == (D("2940.05"), D("2940.05"), D("0.00"), 3, "10", True, None)
    assert res[("t3_class_rollup", "201:project")] == (D("603.14"), D("603.14"), D("0.00"), 2, "10", True, None)
    assert res[("t3_kuan_rollup", "20805:total")] == (D("326.72"), D("326.72"), D("0.00"), 5, "10,11", True, None)
    assert res[("t3_kuan_rollup", "20106:basic")] == (D("1503.52"), D("1503.52"), D("0.00"), 2, "10", True, None)
    assert res[("t3_kuan_rollup", "20106:operating")] == (D("0.00"), D("0.00"), D("0.00"), 0, "10", True, None)
    # ... but the printed 合计 is one cent below the sum of the 类 rows (2940.06 / 2336.92), as in the PDF.
    assert res[("t3_grand_total", "total")] == (D("2940.05"), D("2940.06"), D("-0.01"), 5, "10,11", True, None)
    assert res[("t3_grand_total", "basic")] == (D("2336.91"), D("2336.92"), D("-0.01"), 5, "10,11", True, None)
    assert res[("t3_grand_total", "project")] == (D("603.14"), D("603.14"), D("0.00"), 2, "10,11", True, None)
    nonzero = {k: v[2] for k, v in res.items() if v[2] != 0}
    assert nonzero == {("t3_grand_total", "total"): D("-0.01"), ("t3_grand_total", "basic"): D("-0.01")}

    ids = [r[0] for r in wh.execute(
        "select instance_id from intermediate.int_identity_residuals where document_id = ?", [DOC]
    ).fetchall()]
    assert f"{DOC}|t3_class_rollup|20106:basic" not in ids  # 20106 is a 款: kuan roll-up
    assert f"{DOC}|t3_kuan_rollup|20106:basic" in ids
    assert f"{DOC}|t1_balance|grand_total" in ids


def test_residuals_only_for_loaded_documents(wh):
    docs = {r[0] for r in wh.execute("select distinct document_id from intermediate.int_identity_residuals").fetchall()}
    assert docs == {DOC}
    facts = {r[0] for r in wh.execute(
        "select document_id from marts.fct_expenditure_by_function union select document_id from marts.fct_summary_lines"
    ).fetchall()}
    assert facts == {DOC}


# ---------------------------------------------------------------------------------------------
# Build 2: the fixture plus synthetic documents for the other paths.
# ---------------------------------------------------------------------------------------------
EDGE_SQL = f"""
INSERT INTO raw.documents VALUES
    ('{DOC_YUAN}', 'yuan.pdf', 'yuan.pdf', 1000, TIMESTAMP '2025-11-25 01:00:00', 'archive/bb/{DOC_YUAN}.pdf',
     'loaded', NULL, 'final_accounts', '测试局甲', '测试市', 2023, '元', 12, 'test'),
    ('{DOC_ODD}', 'odd.pdf', 'odd.pdf', 2000, TIMESTAMP '2025-11-25 02:00:00', 'archive/cc/{DOC_ODD}.pdf',
     'loaded', NULL, 'final_accounts', '测试局乙', '测试市', 2023, '万元', 12, 'test'),
    ('{DOC_QUARANTINED}', 'scan.pdf', 'scan.pdf', 3000, TIMESTAMP '2025-11-25 03:00:00', 'archive/ee/{DOC_QUARANTINED}.pdf',
     'quarantined', 'scanned: no text layer', 'scanned', NULL, NULL, NULL, NULL, 4, 'test');

INSERT INTO raw.report_tables VALUES
    ('{DOC_YUAN}', 't1_summary', '收入支出决算总表', 3, 4, 'unreadable', NULL, NULL, 0),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', '一般公共预算财政拨款支出决算表', 7, 7, 'parsed', NULL, NULL, 4),
    ('{DOC_ODD}', 't1_summary', '收入支出决算总表', 2, 2, 'parsed', NULL, '万元', 5),
    ('{DOC_ODD}', 't3_expenditure', '支出决算表', 3, 3, 'parsed', NULL, '万元', 4),
    ('{DOC_ODD}', 't6_basic_expenditure_economic', '一般公共预算财政拨款基本支出决算表', 4, 4, 'not_parsed',
     'located; the parser for this table family is not written yet', '万元', 0),
    ('{DOC_ODD}', 't8_government_fund', '政府性基金预算财政拨款收入支出决算表', 5, 5, 'empty', '本表无数据', '万元', 0);

INSERT INTO raw.table_cells (document_id, table_key, page, row_index, row_label, code, line_key, side,
                            column_key, raw_text, amount) VALUES
    -- DOC_YUAN, T5 in 元 (document unit; the table prints none)
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 0, '合计', NULL, 'total', NULL, 'total', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 0, '合计', NULL, 'total', NULL, 'basic', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 0, '合计', NULL, 'total', NULL, 'project', '', NULL),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 1, '一般公共服务支出', '201', NULL, NULL, 'total', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 1, '一般公共服务支出', '201', NULL, NULL, 'basic', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 1, '一般公共服务支出', '201', NULL, NULL, 'project', '', NULL),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 2, '人大事务', '20101', NULL, NULL, 'total', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 2, '人大事务', '20101', NULL, NULL, 'basic', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 2, '人大事务', '20101', NULL, NULL, 'project', '', NULL),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 3, '行政运行', '2010101', NULL, NULL, 'total', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 3, '行政运行', '2010101', NULL, NULL, 'basic', '123,456.78', 123456.78),
    ('{DOC_YUAN}', 't5_general_budget_expenditure', 7, 3, '行政运行', '2010101', NULL, NULL, 'project', '0.01', 0.01),
    -- DOC_ODD, T1 without an income_total line
    ('{DOC_ODD}', 't1_summary', 2, 0, '一、一般公共预算财政拨款收入', NULL, 'general_budget_appropriation', 'income', 'amount', '15.00', 15.00),
    ('{DOC_ODD}', 't1_summary', 2, 0, '一、教育支出', '205', 'function_class', 'expenditure', 'amount', '10.00', 10.00),
    ('{DOC_ODD}', 't1_summary', 2, 1, '二、科学技术支出', '206', 'function_class', 'expenditure', 'amount', '5.00', 5.00),
    ('{DOC_ODD}', 't1_summary', 2, 2, '本年支出合计', NULL, 'expenditure_total', 'expenditure', 'amount', '15.00', 15.00),
    ('{DOC_ODD}', 't1_summary', 2, 3, '总计', NULL, 'grand_total', 'income', 'amount', '15.00', 15.00),
    ('{DOC_ODD}', 't1_summary', 2, 3, '总计', NULL, 'grand_total', 'expenditure', 'amount', '15.00', 15.00),
    -- DOC_ODD, T3 with two columns only, a 类 without 款, a code printed twice, no 合计 row
    ('{DOC_ODD}', 't3_expenditure', 3, 0, '教育支出', '205', NULL, NULL, 'total', '10.00', 10.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 0, '教育支出', '205', NULL, NULL, 'basic', '10.00', 10.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 1, '科学技术支出', '206', NULL, NULL, 'total', '5.00', 5.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 1, '科学技术支出', '206', NULL, NULL, 'basic', '5.00', 5.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 2, '科学技术管理事务', '20601', NULL, NULL, 'total', '5.00', 5.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 2, '科学技术管理事务', '20601', NULL, NULL, 'basic', '5.00', 5.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 3, '科学技术管理事务', '20601', NULL, NULL, 'total', '5.00', 5.00),
    ('{DOC_ODD}', 't3_expenditure', 3, 3, '科学技术管理事务', '20601', NULL, NULL, 'basic', '5.00', 5.00);
"""


@pytest.fixture(scope="module")
def edge_build(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_edge")
    db = work / "warehouse.duckdb"
    _build_fixture(db)
    with duckdb.connect(str(db)) as con:
        con.execute(EDGE_SQL)
    proc, results = _dbt_build(db, work)
    return proc, results, db


@pytest.fixture(scope="module")
def edge(edge_build):
    proc, _, db = edge_build
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    with duckdb.connect(str(db), read_only=True) as con:
        yield con


def test_edge_build_has_no_errors_only_the_expected_warnings(edge_build):
    proc, results, _ = edge_build
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    bad = _failures(results, ("pass", "success", "warn"))
    assert bad == []
    warned = {r["unique_id"].split(".")[2] for r in results if r["status"] == "warn"}
    # 20601 is printed on two rows in DOC_ODD's T3; DOC_YUAN's 元 amounts need six decimals of 万元
    assert warned == {"accepted_values_int_expenditure_by_function_source_row_count__False__1",
                      "assert_mart_amounts_have_two_decimals_in_wan"}


def test_unit_yuan_converted_exactly(edge):
    # exact in 万元 in the intermediate layer ...
    assert edge.execute(
        """select total, basic, project from intermediate.int_expenditure_by_function
           where document_id = ? and fund_scope = 'general_public_budget' and function_code = '2010101'""",
        [DOC_YUAN],
    ).fetchall() == [(D("12.345678"), D("12.345678"), D("0.000001"))]
    # ... shown with two decimals in the mart, and exact there in 元: nothing is lost
    row = edge.execute(
        """select total_wan, basic_wan, project_wan, other_wan, total_yuan, basic_yuan, project_yuan, other_yuan,
                  source_unit, function_level, page
           from marts.fct_expenditure_by_function
           where document_id = ? and fund_scope = 'general_public_budget' and function_code = '2010101'""",
        [DOC_YUAN],
    ).fetchall()
    assert row == [(D("12.35"), D("12.35"), D("0.00"), None, D("123456.78"), D("123456.78"), D("0.01"), None,
                     "元", "项", 7)]
    # the warning names exactly the cells whose 万元 amount has more than two decimals
    flagged = edge.execute(
        """select count(*) from staging.stg_table_cells
           where document_id = ? and amount_wan <> round(amount_wan, 2)""", [DOC_YUAN]).fetchall()
    assert flagged == [(9,)]
    codes = {r[0] for r in edge.execute(
        "select function_code from marts.fct_expenditure_by_function where document_id = ?", [DOC_YUAN]
    ).fetchall()}
    assert codes == {"201", "20101", "2010101"}
    assert edge.execute(
        "select count(*) from marts.fct_summary_lines where document_id = ?", [DOC_YUAN]
    ).fetchall() == [(0,)]  # T1 unreadable: no lines


def test_unreadable_and_missing_tables_are_one_row_per_identity(edge):
    res = {k: v for k, v in _residuals(edge, DOC_YUAN).items() if k[0] in IDENTITIES}
    assert {identity for identity, _ in res} == IDENTITIES
    assert len(res) == len(IDENTITIES)
    for (identity, subject), (lhs, rhs, diff, terms, pages, evaluable, reason) in res.items():
        assert (lhs, rhs, diff, terms, evaluable) == (None, None, None, None, False)
        if identity.startswith("t1_"):
            assert subject == "t1_summary" and pages == "3,4"
            assert "unreadable" in reason
        else:
            assert subject == "t3_expenditure" and pages is None
            assert "not found" in reason


def test_instances_that_cannot_be_evaluated(edge):
    res = _residuals(edge, DOC_ODD)
    # T1: income_total missing -> the two identities needing it are not evaluated; the rest are.
    assert res[("t1_income_total", "income")][5:] == (False, "line income.income_total not found in t1_summary")
    assert res[("t1_income_total", "income")][:4] == (None, None, None, None)
    assert res[("t1_income_grand_total", "income")][5] is False
    assert res[("t1_expenditure_total", "expenditure")] == (D("15.00"), D("15.00"), D("0.00"), 3, "2", True, None)
    assert res[("t1_balance", "grand_total")] == (D("15.00"), D("15.00"), D("0.00"), 2, "2", True, None)
    # T3: only the columns the table has; 20601 printed twice; 205 without 款; no 合计 row.
    assert {s for i, s in res if i == "t3_grand_total"} == {"total", "basic"}
    assert res[("t3_grand_total", "total")][5:] == (False, "合计 row not found")
    assert res[("t3_row_total", "205")] == (D("10.00"), D("10.00"), D("0.00"), 2, "3", True, None)
    assert res[("t3_row_total", "20601")][5] is False
    assert "20601" in res[("t3_row_total", "20601")][6]
    assert res[("t3_class_rollup", "205:total")][5:] == (False, "no 款 rows under this 类")
    assert res[("t3_class_rollup", "206:basic")][5] is False  # its only 款 is duplicated
    # no 款 has 项 rows: one not-evaluated row for the identity
    assert res[("t3_kuan_rollup", "t3_expenditure")][5] is False
    assert [k for k in res if k[0] == "t3_kuan_rollup"] == [("t3_kuan_rollup", "t3_expenditure")]


def test_document_tables_availability(edge):
    rows = dict(
        ((doc, key), availability)
        for doc, key, availability in edge.execute(
            "select document_id, table_key, availability from intermediate.int_document_tables"
        ).fetchall()
    )
    assert len(rows) == 3 * 9  # loaded documents x standard tables
    assert rows[(DOC, "t1_summary")] == "parsed"
    assert rows[(DOC, "t2_income")] == "missing"
    assert rows[(DOC_YUAN, "t1_summary")] == "unreadable"
    assert rows[(DOC_ODD, "t8_government_fund")] == "empty"
    assert rows[(DOC_ODD, "t6_basic_expenditure_economic")] == "not_parsed"
    dims = dict(edge.execute("select document_id, status from marts.dim_document").fetchall())
    assert dims[DOC_QUARANTINED] == "quarantined" and len(dims) == 5
