"""The CLI runs the whole Dagster job over the real PDFs; the warehouse holds what the pages say."""
from __future__ import annotations

from decimal import Decimal as D

import duckdb
import pytest


@pytest.fixture(scope="module")
def wh(real_run):
    code, _, warehouse = real_run
    assert code == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield con


def _czj_id(con) -> str:
    return con.execute(
        "select document_id from marts.dim_document where department_name_as_printed = '上海市普陀区财政局'"
    ).fetchall()[0][0]


def test_run_exits_zero_and_prints_summary(real_run):
    code, out, warehouse = real_run
    assert code == 0
    assert "documents : 4 (2 loaded, 2 quarantined)" in out
    assert "blank template" in out and "部门预算" in out
    assert str(warehouse) in out
    # document defects and parser problems apart: the Shanghai reports are read whole
    assert "4 failed (4 open, 0 decided by a steward)" in out
    assert "parser    : 0 identities not evaluated because the parser could not read what they need; " \
           "0 tables read only in part" in out


def test_summary_lines_of_the_finance_bureau(wh):
    doc = _czj_id(wh)
    rows = dict(
        ((side, key), amount)
        for side, key, amount in wh.execute(
            "select side, line_key, amount_wan from marts.fct_summary_lines where document_id = ? and class_code is null",
            [doc],
        ).fetchall()
    )
    assert rows[("income", "income_total")] == D("2946.25")
    assert rows[("expenditure", "expenditure_total")] == D("2940.05")
    assert rows[("income", "opening_balance")] == D("49.14")
    assert rows[("expenditure", "closing_balance")] == D("55.34")
    assert rows[("income", "grand_total")] == D("2995.39")
    assert rows[("expenditure", "grand_total")] == D("2995.39")


def test_expenditure_fact_2010601(wh):
    doc = _czj_id(wh)
    row = wh.execute(
        """select total_wan, basic_wan, project_wan, function_level, parent_code, page, source_unit
           from marts.fct_expenditure_by_function
           where document_id = ? and fund_scope = 'all_funds' and function_code = '2010601'""",
        [doc],
    ).fetchall()
    assert row == [(D("1511.89"), D("1503.52"), D("8.37"), "项", "20106", 10, "万元")]


def test_amounts_are_decimal_columns(wh):
    types = dict(wh.execute(
        """select column_name, data_type from information_schema.columns
           where table_schema = 'marts' and table_name = 'fct_expenditure_by_function'"""
    ).fetchall())
    assert types["total_wan"].startswith("DECIMAL") and types["basic_wan"].startswith("DECIMAL")


def test_template_is_quarantined_not_loaded(wh):
    rows = wh.execute(
        "select status, report_kind, quarantine_reason from marts.dim_document where file_name like '%模板%'"
    ).fetchall()
    assert len(rows) == 1 and rows[0][0] == "quarantined" and rows[0][1] == "template"
    n = wh.execute(
        """select count(*) from marts.fct_expenditure_by_function f join marts.dim_document d using (document_id)
           where d.file_name like '%模板%'"""
    ).fetchall()[0][0]
    assert n == 0


def test_expectation_results_exist_per_document(wh):
    per_doc = dict(wh.execute(
        """select d.department_name_as_printed, count(*) from quality.expectation_results r
           join marts.dim_document d using (document_id) group by 1"""
    ).fetchall())
    assert set(per_doc) == {"上海市普陀区财政局", "中共上海市普陀区委社会工作部"}
    assert all(n > 10 for n in per_doc.values())
    identities = {r[0] for r in wh.execute("select distinct identity_id from quality.expectation_results").fetchall()}
    assert {"t1_balance", "t1_income_total", "t3_class_rollup", "t3_kuan_rollup"} <= identities
    balance = wh.execute(
        """select r.status, lhs, rhs, pages from quality.expectation_results r join marts.dim_document d using (document_id)
           where d.department_name_as_printed = '上海市普陀区财政局' and identity_id = 't1_balance'"""
    ).fetchall()
    assert balance == [("passed", D("2995.39"), D("2995.39"), "7")]


def test_data_docs_written(real_run):
    _, _, warehouse = real_run
    index = warehouse.parent / "data" / "data_docs" / "index.html"
    assert index.exists()
