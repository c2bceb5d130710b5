"""Tables that describe themselves (issue 20), on a warehouse published by a real night:

- every table and column of schema `marts` carries its dbt description as a DuckDB COMMENT
  (dbt `persist_docs`), as `duckdb_columns()` / `duckdb_tables()` and any client show it;
- the marts follow one naming convention (docs/naming.md): English snake_case names, amounts
  in 万元 end in `_wan` and show two decimals (DECIMAL(18,2)), each fact amount is also exact in
  元 (`_yuan`, DECIMAL(20,2)), and for a report printed in 万元 both are the printed amount;
- dbt docs open on this project's overview page, not on dbt's generic one.
"""
from __future__ import annotations

import json
import re

import duckdb
import pytest

from tests.night_fixture import PROJECT_ROOT, cli_night  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def wh(cli_night):
    assert cli_night.code == 0, cli_night.stdout[-3000:] + cli_night.stderr[-3000:]
    with duckdb.connect(str(cli_night.warehouse), read_only=True) as con:
        yield con


def _mart_tables(con) -> list[str]:
    return [t for (t,) in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'marts' order by 1").fetchall()]


def test_every_mart_column_has_a_comment(wh):
    tables = _mart_tables(wh)
    assert len(tables) == 17  # 5 dimensions, 7 facts, 5 analyst marts
    missing = []
    for table in tables:
        for column, comment in wh.execute(
                "select column_name, comment from duckdb_columns() where schema_name = 'marts' and table_name = ?",
                [table]).fetchall():
            if not (comment or "").strip():
                missing.append(f"{table}.{column}")
    assert missing == []
    # the comment is the dbt description
    comment = wh.execute("select comment from duckdb_columns() where schema_name = 'marts' "
                         "and table_name = 'mart_spending_by_class' and column_name = 'total_wan'").fetchall()[0][0]
    assert comment == "本年支出合计 of the 类 in 万元; two decimals, computed on the exact amounts."


def test_every_table_and_view_of_the_dbt_layers_has_a_comment(wh):
    rows = wh.execute(
        """select schema_name, table_name, comment from duckdb_tables() where schema_name in ('marts', 'intermediate', 'seeds')
           union all
           select schema_name, view_name, comment from duckdb_views() where schema_name = 'staging'""").fetchall()
    assert len(rows) > 30
    assert [f"{s}.{t}" for s, t, c in rows if not (c or "").strip()] == []
    staging_columns = wh.execute("select count(*), count(*) filter (where coalesce(comment, '') = '') "
                                 "from duckdb_columns() where schema_name = 'staging'").fetchall()[0]
    assert staging_columns[0] > 0 and staging_columns[1] == 0


def test_mart_column_names_follow_the_convention(wh):
    columns = wh.execute("select table_name, column_name, data_type from duckdb_columns() "
                         "where schema_name = 'marts'").fetchall()
    bad_names = [f"{t}.{c}" for t, c, _ in columns if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", c)]
    assert bad_names == []
    # an amount's name says its unit: 万元 with two decimals, or exact 元; a percentage is *_pct;
    # nothing else is a DECIMAL
    amounts = [(t, c, d) for t, c, d in columns if d.startswith("DECIMAL") and not c.endswith("_pct")]
    not_wan = [f"{t}.{c}" for t, c, _ in amounts if not c.endswith(("_wan", "_yuan")) and c != "value"]
    assert not_wan == []  # fct_narrative_figures.value: the number as printed, in `unit`
    assert {d for t, c, d in amounts if c.endswith("_wan") and t != "fct_narrative_figures"} == {"DECIMAL(18,2)"}
    assert {d for t, c, d in amounts if c.endswith("_yuan")} == {"DECIMAL(20,2)"}
    # every fact amount has its exact 元 column beside it
    by_table = {}
    for t, c, _ in columns:
        by_table.setdefault(t, set()).add(c)
    missing_yuan = [f"{t}.{c}" for t, c, _ in amounts if t.startswith("fct_") and t != "fct_narrative_figures"
                    and c.endswith("_wan") and c.removesuffix("_wan") + "_yuan" not in by_table[t]]
    assert missing_yuan == []
    names = {c for _, c, _ in columns}
    # the names the old mixed convention used are gone (docs/naming.md, migration note)
    assert not names & {"total", "basic", "project", "amount", "item", "department", "name",
                        "budget_amount", "final_amount", "change", "line_label", "code"}
    # English keys keep their Chinese names beside them; Chinese values stay data
    assert {r[0] for r in wh.execute("select distinct fund_scope_name from marts.fct_expenditure_by_function").fetchall()} == {
        "全部资金", "一般公共预算财政拨款"}
    assert {r[0] for r in wh.execute("select distinct function_level from marts.fct_expenditure_by_function").fetchall()} == {
        "类", "款", "项"}
    assert wh.execute("select item_name from marts.fct_three_public where item_key = 'total' limit 1").fetchall() == [
        ("合计",)]


def test_two_decimals_in_wan_are_the_exact_amounts_of_a_report_printed_in_wan(wh):
    """For a report printed in 万元 (all of this corpus) the marts' two-decimal 万元 amounts are
    exact: each equals its exact 元 column / 10000, and they print with two decimals."""
    columns = wh.execute("select table_name, column_name from duckdb_columns() where schema_name = 'marts' "
                         "and column_name like '%\\_yuan' escape '\\'").fetchall()
    assert len(columns) == 26
    assert {u for (u,) in wh.execute("select distinct source_unit from marts.dim_document where status = 'loaded'").fetchall()} == {"万元"}
    changed = {}
    for table, column in columns:
        wan = column.removesuffix("_yuan") + "_wan"
        n = wh.execute(f'select count(*) from marts."{table}" where "{column}" is distinct from "{wan}" * 10000'
                       ).fetchall()[0][0]
        if n:
            changed[f"{table}.{column}"] = n
    assert changed == {}
    printed = wh.execute("select total_wan::varchar from marts.mart_spending_by_class where total_wan is not null limit 1").fetchall()
    assert re.fullmatch(r"-?\d+\.\d\d", printed[0][0])  # 12.60, not 12.600000
    # and the marts hold the exact values of the cells: T3 合计 of every current document
    diff = wh.execute(
        """select count(*) from marts.mart_basic_vs_project m
           join raw.table_cells c on c.document_id = m.document_id and c.table_key = 't3_expenditure'
            and c.line_key = 'total' and c.column_key = 'total'
           where m.fund_scope = 'all_funds' and m.total_source = 'printed_total' and m.total_wan <> c.amount""").fetchall()
    assert diff == [(0,)]


def test_dbt_docs_open_on_the_project_overview():
    from pipelines.dbt import ensure_manifest

    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    overview = manifest["docs"].get("doc.fiscal_warehouse.__overview__")
    assert overview is not None, "dbt_project/models/overview.md defines {% docs __overview__ %}"
    text = overview["block_contents"]
    assert "Where to start" in text and "mart_spending_by_class" in text and "docs/naming.md" in text
    assert (PROJECT_ROOT / "docs" / "naming.md").is_file()
