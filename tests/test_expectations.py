"""Tests of the validation layer (expectations/): catalogue, GX run, results table, Data Docs.

The GX runs share one module-scoped workspace (GX import and a checkpoint run cost seconds), in
the order: run-1, run-2 (another run id), run-1 again (idempotent rerun).
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from expectations.catalogue import (
    DEFAULT_CATALOGUE_PATH,
    CatalogueError,
    load_catalogue,
    parse_catalogue,
)
from expectations.offline_docs import find_external_references

# every identity of docs/domain.md, once (see expectations/catalogue.yml)
EXPECTED_IDS = {
    "t1_income_total", "t1_expenditure_total", "t1_income_grand_total",
    "t1_expenditure_grand_total", "t1_balance",
    "t2_row_total", "t2_class_rollup", "t2_kuan_rollup", "t2_grand_total",
    "t3_row_total", "t3_class_rollup", "t3_kuan_rollup", "t3_grand_total",
    "t4_fund_balance", "t4_row_total", "t4_expenditure_total",
    "t5_row_total", "t5_class_rollup", "t5_kuan_rollup", "t5_grand_total",
    "t6_personnel_total", "t6_public_total", "t6_class_rollup",
    "t7_total", "t7_vehicle_total", "repeated_total_agrees",
    "cross_t1_t2_income_total", "cross_t1_t3_class", "cross_t1_t3_expenditure_total",
    "cross_t4_t5_class", "cross_t5_t6_basic", "cross_t3_t5_total",
    "narrative_amount", "narrative_share", "narrative_item_final", "narrative_comparison_word",
    "narrative_three_public", "narrative_change_rate", "narrative_percent_sign",
    "complete_tables_present", "empty_table_note", "meta_fiscal_year", "meta_department_name", "meta_no_placeholders",
    "text_typography",
}

# instance_id, document_id, identity_id, table_key, subject, lhs, rhs, diff, term_count, pages,
# evaluable, not_evaluated_reason
RESIDUALS = [
    ("docA:t1_income_total", "docA", "t1_income_total", "t1_summary", "本年收入合计",
     "1511.89", "1511.89", "0.00", 4, "3", True, None),
    ("docA:t1_balance", "docA", "t1_balance", "t1_summary", "总计",
     "2000.00", "2000.00", "0.00", 2, "3", True, None),
    ("docA:t3_grand_total", "docA", "t3_grand_total", "t3_expenditure", "合计",
     "0.30", "0.30", "0.00", 3, "5,6", True, None),
    # within tolerance: |0.01| <= 0.01 * 3 -> passes, diff kept
    ("docA:t3_row_total:2010101", "docA", "t3_row_total", "t3_expenditure", "2010101",
     "100.01", "100.00", "0.01", 3, "5", True, None),
    # beyond tolerance: |0.05| > 0.01 * 2 -> fails
    ("docB:t3_class_rollup:201", "docB", "t3_class_rollup", "t3_expenditure", "201",
     "50.05", "50.00", "0.05", 2, "7,8", True, None),
    # exactly at the tolerance boundary (0.02 with 2 terms) passes; negative diff uses |diff|
    ("docB:t1_expenditure_total", "docB", "t1_expenditure_total", "t1_summary", "本年支出合计",
     "99.98", "100.00", "-0.02", 2, "2", True, None),
    # not evaluable: recorded, never failed
    ("docB:t3_kuan_rollup:20101", "docB", "t3_kuan_rollup", "t3_expenditure", "20101",
     None, None, None, None, "7", False, "款 row missing on a continuation page"),
]

EXPECTED_STATUS = {
    "docA:t1_income_total": "passed",
    "docA:t1_balance": "passed",
    "docA:t3_grand_total": "passed",
    "docA:t3_row_total:2010101": "passed",
    "docB:t3_class_rollup:201": "failed",
    "docB:t1_expenditure_total": "passed",
    "docB:t3_kuan_rollup:20101": "not_evaluated",
}

RESULT_COLUMNS = [
    "run_id", "validated_at", "instance_id", "document_id", "identity_id", "description_zh",
    "description_en", "severity", "table_key", "subject", "status", "success", "lhs", "rhs",
    "diff", "tolerance", "pages", "not_evaluated_reason", "unit", "relation", "cells",
]


def make_residuals_db(path: Path, rows=RESIDUALS) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute(
            """
            CREATE OR REPLACE TABLE intermediate.int_identity_residuals (
                instance_id VARCHAR, document_id VARCHAR, identity_id VARCHAR,
                table_key VARCHAR, subject VARCHAR,
                lhs DECIMAL(18,2), rhs DECIMAL(18,2), diff DECIMAL(18,2),
                term_count INTEGER, pages VARCHAR, evaluable BOOLEAN,
                not_evaluated_reason VARCHAR)
            """
        )
        con.executemany(
            """
            INSERT INTO intermediate.int_identity_residuals VALUES
            (?, ?, ?, ?, ?, CAST(? AS DECIMAL(18,2)), CAST(? AS DECIMAL(18,2)),
             CAST(? AS DECIMAL(18,2)), ?, ?, ?, ?)
            """,
            rows,
        )
    finally:
        con.close()


def fetch(db: Path, sql: str, params=()):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------------------------------
# catalogue


def test_catalogue_loads_with_every_identity_of_the_domain():
    catalogue = load_catalogue()
    assert set(catalogue.ids) == EXPECTED_IDS
    assert len(catalogue.ids) == len(EXPECTED_IDS)
    for identity in catalogue:
        assert identity.description_zh and identity.description_en
        assert identity.severity in ("error", "warning")
        assert isinstance(identity.tolerance_per_term, Decimal)
        assert identity.source_model == "intermediate.int_identity_residuals"
        assert identity.group in ("within_table", "cross_table", "narrative", "completeness", "metadata")
        # within a table: rounding of each printed term; the same figure restated: exact (a total
        # printed again, in whichever table: repeated_total_agrees)
        if identity.id == "repeated_total_agrees":
            assert identity.tolerance_per_term == 0 and not identity.tables
        elif identity.group == "within_table":
            assert identity.tolerance_per_term == Decimal("0.01"), identity.id
            assert identity.tables and not identity.empty_table_is_zero
        if identity.id.startswith(("cross_t1", "cross_t4", "cross_t3", "narrative_amount", "narrative_item")):
            assert identity.tolerance_per_term == 0, identity.id
    assert catalogue.source_models == ("intermediate.int_identity_residuals",)


def _doc(**overrides):
    entry = {
        "id": "x_identity",
        "description_zh": "某",
        "description_en": "some",
        "severity": "error",
        "source_model": "intermediate.int_identity_residuals",
    }
    entry.update(overrides)
    return {"version": 1, "identities": [entry]}


def test_catalogue_defaults_tolerance_and_accepts_new_entries():
    catalogue = parse_catalogue(_doc())
    assert catalogue["x_identity"].tolerance_per_term == Decimal("0.01")
    assert parse_catalogue(_doc(tolerance_per_term=0.005))["x_identity"].tolerance_per_term == Decimal("0.005")


@pytest.mark.parametrize(
    "document, message",
    [
        (_doc(severity="fatal"), "severity"),
        (_doc(tolerence_per_term=0.02), "unknown fields"),
        (_doc(tolerance_per_term=-1), ">= 0"),
        (_doc(tolerance_per_term="0.00001"), "decimal places"),
        (_doc(tolerance_per_term=True), "number"),
        (_doc(source_model="int_identity_residuals"), "schema.model"),
        (_doc(id="Bad Id"), "id must match"),
        ({"identities": []}, "non-empty"),
    ],
)
def test_catalogue_rejects_malformed_entries(document, message):
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(document)


def test_catalogue_rejects_duplicates_and_missing_fields():
    dup = _doc()
    dup["identities"].append(dict(dup["identities"][0]))
    with pytest.raises(CatalogueError, match="duplicate"):
        parse_catalogue(dup)
    missing = _doc()
    del missing["identities"][0]["description_en"]
    with pytest.raises(CatalogueError, match="missing required fields"):
        parse_catalogue(missing)


def test_catalogue_file_lists_each_id_once():
    raw = yaml.safe_load(DEFAULT_CATALOGUE_PATH.read_text(encoding="utf-8"))
    ids = [entry["id"] for entry in raw["identities"]]
    assert len(ids) == len(set(ids))


def test_importing_runner_does_not_import_great_expectations():
    code = (
        "import sys, expectations.runner, expectations.suites; "
        "sys.exit(1 if 'great_expectations' in sys.modules else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


# ------------------------------------------------------------------------------------------
# run_validations


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    from expectations.runner import run_validations

    base = tmp_path_factory.mktemp("expectations")
    db = base / "warehouse.duckdb"
    make_residuals_db(db)
    docs, gx_root = base / "data_docs", base / "gx"

    first = run_validations(db, docs, gx_root, "run-1", validated_at=datetime(2025, 1, 2, 3, 4, 5))
    rows_run1_first = fetch(db, "SELECT * FROM quality.expectation_results WHERE run_id = 'run-1'")
    second = run_validations(db, docs, gx_root, "run-2", validated_at=datetime(2025, 1, 3, 3, 4, 5))
    rows_run1_after_run2 = fetch(
        db, "SELECT * FROM quality.expectation_results WHERE run_id = 'run-1'"
    )
    rerun = run_validations(db, docs, gx_root, "run-1", validated_at=datetime(2025, 1, 2, 3, 4, 5))
    return {
        "db": db,
        "docs": docs,
        "gx_root": gx_root,
        "first": first,
        "second": second,
        "rerun": rerun,
        "rows_run1_first": rows_run1_first,
        "rows_run1_after_run2": rows_run1_after_run2,
    }


def test_statuses_per_instance(workspace):
    rows = fetch(
        workspace["db"],
        "SELECT instance_id, status, success, not_evaluated_reason "
        "FROM quality.expectation_results WHERE run_id = 'run-1'",
    )
    assert {r[0]: r[1] for r in rows} == EXPECTED_STATUS
    by_id = {r[0]: r for r in rows}
    assert by_id["docB:t3_class_rollup:201"][2] is False
    assert by_id["docA:t3_row_total:2010101"][2] is True
    not_evaluated = by_id["docB:t3_kuan_rollup:20101"]
    assert not_evaluated[2] is None
    assert not_evaluated[3] == "款 row missing on a continuation page"
    assert all(r[3] is None for r in rows if r[1] != "not_evaluated")


def test_results_table_rows_and_exact_amounts(workspace):
    db = workspace["db"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'quality' AND table_name = 'expectation_results' "
            "ORDER BY ordinal_position"
        ).fetchall()
        within = con.execute(
            "SELECT lhs, rhs, diff, tolerance, pages, severity, description_zh, validated_at "
            "FROM quality.expectation_results "
            "WHERE run_id = 'run-1' AND instance_id = 'docA:t3_row_total:2010101'"
        ).fetchone()
        failing = con.execute(
            "SELECT diff, tolerance, severity FROM quality.expectation_results "
            "WHERE run_id = 'run-1' AND instance_id = 'docB:t3_class_rollup:201'"
        ).fetchone()
        order = con.execute(
            "SELECT document_id, identity_id, instance_id FROM quality.expectation_results "
            "WHERE run_id = 'run-1'"
        ).fetchall()
        summary = con.execute(
            "SELECT document_id, instances, passed, failed, not_evaluated "
            "FROM quality.expectation_summary WHERE run_id = 'run-1' ORDER BY document_id"
        ).fetchall()
    finally:
        con.close()

    assert [c[0] for c in columns] == RESULT_COLUMNS
    types = dict(columns)
    assert types["validated_at"] == "TIMESTAMP"
    assert types["success"] == "BOOLEAN"
    for money in ("lhs", "rhs", "diff", "tolerance"):
        assert types[money] == "DECIMAL(18,2)"

    assert within[:5] == (Decimal("100.01"), Decimal("100.00"), Decimal("0.01"), Decimal("0.03"), "5")
    assert within[5] == "error"
    assert within[6].startswith("支出决算表")
    assert within[7] == datetime(2025, 1, 2, 3, 4, 5)
    assert failing == (Decimal("0.05"), Decimal("0.02"), "warning")
    assert order == sorted(order)  # deterministic order: document, identity, instance
    assert summary == [("docA", 4, 4, 0, 0), ("docB", 3, 1, 1, 1)]


def test_summary_object(workspace):
    summary = workspace["first"]
    assert (summary.instances, summary.passed, summary.failed, summary.not_evaluated) == (7, 5, 1, 1)
    assert summary.gx_success is False
    assert summary.unknown_identities == ()
    assert len(summary.failures) == 1
    failure = summary.failures[0]
    assert (failure.document_id, failure.identity_id, failure.subject, failure.diff, failure.pages) == (
        "docB", "t3_class_rollup", "201", Decimal("0.05"), "7,8"
    )
    assert summary.data_docs_index == workspace["docs"].resolve() / "index.html"
    assert summary.offline_issues == ()


def test_second_run_id_adds_rows_without_touching_the_first(workspace):
    db = workspace["db"]
    counts = dict(fetch(db, "SELECT run_id, count(*) FROM quality.expectation_results GROUP BY 1"))
    assert counts == {"run-1": len(RESIDUALS), "run-2": len(RESIDUALS)}
    assert workspace["rows_run1_after_run2"] == workspace["rows_run1_first"]
    run2 = fetch(db, "SELECT instance_id, status FROM quality.expectation_results WHERE run_id = 'run-2'")
    assert dict(run2) == EXPECTED_STATUS


def test_rerunning_a_run_id_is_idempotent(workspace):
    db = workspace["db"]
    rows = fetch(db, "SELECT * FROM quality.expectation_results WHERE run_id = 'run-1'")
    assert rows == workspace["rows_run1_first"]
    assert len(rows) == len(RESIDUALS)
    rerun = workspace["rerun"]
    first = workspace["first"]
    assert (rerun.instances, rerun.passed, rerun.failed, rerun.not_evaluated) == (
        first.instances, first.passed, first.failed, first.not_evaluated
    )
    # one Data Docs page per run id, even after the rerun
    pages = sorted(p.relative_to(workspace["docs"]).parts[2] for p in (workspace["docs"] / "validations").rglob("*.html"))
    assert pages == ["run-1", "run-2"]


def test_gx_decided_and_reported_failing_instance_ids(workspace):
    # GX's stored validation result names the failing instance through unexpected_index_list.
    import json

    stored = list((workspace["gx_root"] / "uncommitted" / "validations").rglob("*.json"))
    run1 = [p for p in stored if "run-1" in p.parts]
    assert len(run1) == 1
    result = json.loads(run1[0].read_text(encoding="utf-8"))
    from expectations.review_report import short_id

    unexpected = [
        item["review id"]
        for r in result["results"]
        for item in (r["result"].get("unexpected_index_list") or [])
    ]
    assert unexpected == [short_id("docB:t3_class_rollup:201")]


_EXTERNAL_TAG_RE = re.compile(
    r"""<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE
)


def test_data_docs_exist_and_are_offline(workspace):
    docs = workspace["docs"]
    index = docs / "index.html"
    assert index.is_file()
    html_files = list(docs.rglob("*.html"))
    assert len(html_files) >= 3  # index, suite page, validation pages
    for html in html_files:
        text = html.read_text(encoding="utf-8")
        assert "https://cdn" not in text, html
        assert "//cdn" not in text, html
        assert not _EXTERNAL_TAG_RE.search(text), html
        assert "datadocs-offline.js" in text and "datadocs-offline.css" in text
        # the local assets the page links resolve on disk
        for ref in re.findall(r'(?:src|href)="([^"#:]+\.(?:js|css|png|ico))"', text):
            assert (html.parent / ref).resolve().is_file(), (html, ref)
    assert find_external_references(docs) == []
    from expectations.review_report import short_id

    validation_page = next((docs / "validations").rglob("*.html")).read_text(encoding="utf-8")
    assert short_id("docB:t3_class_rollup:201") in validation_page  # failing instance listed in the page


def test_not_in_catalogue_and_broken_rows_are_handled(tmp_path):
    from expectations.runner import run_validations

    rows = [
        # identity without a catalogue entry: not evaluated, listed as unknown
        ("d:new", "d", "t9_future_identity", "t9_state_capital", "x",
         "1.00", "1.00", "0.00", 2, "9", True, None),
        # evaluable but diff inconsistent with lhs - rhs: GX's not-null check fails it
        ("d:broken", "d", "t1_balance", "t1_summary", "总计",
         "10.00", "9.00", "0.00", 2, "3", True, None),
        # evaluable with a missing side: fails, not skipped
        ("d:missing", "d", "t1_income_total", "t1_summary", "本年收入合计",
         None, "9.00", None, 2, "3", True, None),
    ]
    db = tmp_path / "w.duckdb"
    make_residuals_db(db, rows)
    summary = run_validations(db, tmp_path / "docs", tmp_path / "gx", "r")
    statuses = dict(fetch(db, "SELECT instance_id, status FROM quality.expectation_results"))
    assert statuses == {"d:new": "not_evaluated", "d:broken": "failed", "d:missing": "failed"}
    assert summary.unknown_identities == ("t9_future_identity",)
    reason = fetch(db, "SELECT not_evaluated_reason FROM quality.expectation_results WHERE instance_id = 'd:new'")
    assert "not in expectations/catalogue.yml" in reason[0][0]


def test_tolerance_follows_the_printed_unit(tmp_path):
    from expectations.runner import run_validations

    db = tmp_path / "units.duckdb"
    make_residuals_db(db, [
        # 万元: 0.05 > 0.01 * 2 -> fails
        ("wan", "d", "t3_row_total", "t3_expenditure", "2010101",
         "10.05", "10.00", "0.05", 2, "5", True, None),
        # 元: tolerance 0.01 万元 = 100.00 元 per term -> 200.00 元; 150.00 passes, 200.01 fails
        ("yuan_ok", "d", "t3_row_total", "t3_expenditure", "2010102",
         "1150.00", "1000.00", "150.00", 2, "5", True, None),
        ("yuan_bad", "d", "t3_row_total", "t3_expenditure", "2010103",
         "1200.01", "1000.00", "200.01", 2, "5", True, None),
        ("usd", "d", "t3_row_total", "t3_expenditure", "2010104",
         "1.00", "1.00", "0.00", 2, "5", True, None),
    ])
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE intermediate.int_identity_residuals ADD COLUMN source_unit VARCHAR")
    con.execute(
        "UPDATE intermediate.int_identity_residuals SET source_unit = CASE instance_id "
        "WHEN 'wan' THEN '万元' WHEN 'usd' THEN 'USD' ELSE '元' END"
    )
    con.close()
    run_validations(db, tmp_path / "docs", tmp_path / "gx", "r")
    rows = {
        r[0]: r[1:]
        for r in fetch(db, "SELECT instance_id, status, tolerance, unit, not_evaluated_reason "
                           "FROM quality.expectation_results")
    }
    assert rows["wan"] == ("failed", Decimal("0.02"), "万元", None)
    assert rows["yuan_ok"] == ("passed", Decimal("200.00"), "元", None)
    assert rows["yuan_bad"] == ("failed", Decimal("200.00"), "元", None)
    assert rows["usd"][0] == "not_evaluated" and "unit USD" in rows["usd"][3]


def test_missing_model_is_a_clear_error(tmp_path):
    from expectations.runner import ValidationInputError, run_validations

    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(ValidationInputError, match="not found"):
        run_validations(db, tmp_path / "docs", tmp_path / "gx", "r")


def test_data_docs_history_is_bounded_and_rebuilt_when_wiped(tmp_path):
    import shutil

    from expectations.runner import run_validations

    db = tmp_path / "w.duckdb"
    make_residuals_db(db, RESIDUALS[:2])
    docs, gx_root = tmp_path / "docs", tmp_path / "gx"

    def pages():
        return sorted(p.relative_to(docs).parts[2] for p in (docs / "validations").rglob("*.html"))

    for day, run in enumerate(["r1", "r2", "r3"], start=1):
        run_validations(db, docs, gx_root, run, validated_at=datetime(2025, 1, day), keep_runs=2)
    assert pages() == ["r2", "r3"]
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert "r1" not in re.findall(r"'run_name': '([^']*)'", index)
    # the results table keeps every run
    assert [r[0] for r in fetch(db, "SELECT DISTINCT run_id FROM quality.expectation_results ORDER BY 1")] == ["r1", "r2", "r3"]

    shutil.rmtree(docs)  # e.g. the pipeline rebuilds data_docs/ every run
    run_validations(db, docs, gx_root, "r4", validated_at=datetime(2025, 1, 4), keep_runs=2)
    assert pages() == ["r3", "r4"]
    assert find_external_references(docs) == []


def test_dbt_seed_is_generated_from_the_catalogue():
    from expectations.seed import SEED_PATH, seed_text

    assert SEED_PATH.read_text(encoding="utf-8") == seed_text(load_catalogue()), (
        "dbt seed stale: run python -m expectations.seed"
    )


def test_catalogue_rejects_unknown_tables_and_groups():
    with pytest.raises(CatalogueError, match="tables"):
        parse_catalogue(_doc(tables=["t10_nothing"]))
    with pytest.raises(CatalogueError, match="group"):
        parse_catalogue(_doc(group="other"))
    with pytest.raises(CatalogueError, match="empty_table_is_zero"):
        parse_catalogue(_doc(empty_table_is_zero="yes"))


def test_relations_units_and_cells(tmp_path):
    """'>=' passes at or above, '>'/'<' fail on a tie, '%' and 'count' units are known, cells kept."""
    from expectations.runner import run_validations

    db = tmp_path / "rel.duckdb"
    make_residuals_db(db, [
        ("ge_ok", "d", "cross_t3_t5_total", "t3", "total", "10.00", "9.00", "1.00", 0, "5", True, None),
        ("ge_tie", "d", "cross_t3_t5_total", "t3", "t2", "9.00", "9.00", "0.00", 0, "5", True, None),
        ("ge_bad", "d", "cross_t3_t5_total", "t3", "t3", "8.99", "9.00", "-0.01", 0, "5", True, None),
        ("gt_tie", "d", "narrative_comparison_word", "n", "a", "5.00", "5.00", "0.00", 0, "20", True, None),
        ("gt_ok", "d", "narrative_comparison_word", "n", "b", "5.01", "5.00", "0.01", 0, "20", True, None),
        ("lt_bad", "d", "narrative_comparison_word", "n", "c", "5.01", "5.00", "0.01", 0, "20", True, None),
        ("pct", "d", "narrative_share", "n", "s", "79.49", "79.50", "-0.01", 1, "21", True, None),
        ("cnt", "d", "complete_tables_present", "t9", "t9", "0.00", "1.00", "-1.00", 2, "", True, None),
        ("odd", "d", "cross_t3_t5_total", "t3", "x", "1.00", "1.00", "0.00", 0, "5", True, None),
    ])
    con = duckdb.connect(str(db))
    for column in ("source_unit", "relation", "cells"):
        con.execute(f"ALTER TABLE intermediate.int_identity_residuals ADD COLUMN {column} VARCHAR")
    con.execute(
        "UPDATE intermediate.int_identity_residuals SET "
        "relation = CASE WHEN instance_id LIKE 'ge%' THEN '>=' WHEN instance_id LIKE 'gt%' THEN '>' "
        "  WHEN instance_id LIKE 'lt%' THEN '<' WHEN instance_id = 'odd' THEN '~' ELSE '=' END, "
        "source_unit = CASE instance_id WHEN 'pct' THEN '%' WHEN 'cnt' THEN 'count' ELSE '万元' END, "
        "cells = 'T3 p5 r0 total total=' || lhs"
    )
    con.close()
    run_validations(db, tmp_path / "docs", tmp_path / "gx", "r")
    rows = {r[0]: r[1:] for r in fetch(
        db, "SELECT instance_id, status, relation, unit, cells, not_evaluated_reason FROM quality.expectation_results")}
    assert {k: v[0] for k, v in rows.items()} == {
        "ge_ok": "passed", "ge_tie": "passed", "ge_bad": "failed", "gt_tie": "failed", "gt_ok": "passed",
        "lt_bad": "failed", "pct": "passed", "cnt": "failed", "odd": "not_evaluated",
    }
    assert rows["ge_ok"][1:4] == (">=", "万元", "T3 p5 r0 total total=10.00")
    assert "relation ~ unknown" in rows["odd"][4]


def test_results_table_of_an_older_layout_gets_the_new_columns(tmp_path):
    from expectations.runner import RESULT_COLUMNS as COLUMNS, run_validations

    db = tmp_path / "old.duckdb"
    make_residuals_db(db, RESIDUALS[:2])
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA quality")
    old = ", ".join(f"{n} {t}" for n, t in COLUMNS[:-2])
    con.execute(f"CREATE TABLE quality.expectation_results ({old})")
    con.close()
    run_validations(db, tmp_path / "docs", tmp_path / "gx", "r")
    columns = [r[0] for r in fetch(
        db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'expectation_results' "
            "ORDER BY ordinal_position")]
    assert columns == RESULT_COLUMNS


def test_stored_suite_is_reused_until_the_catalogue_changes(tmp_path):
    """A night with the same catalogue validates with the stored suite and checkpoint (no
    rewrite of the GX store); a changed identity rewrites them, and validation follows it."""
    from expectations.runner import SUITE_FINGERPRINT_FILE, run_validations

    db = tmp_path / "w.duckdb"
    make_residuals_db(db, RESIDUALS[:2])
    docs, gx_root = tmp_path / "docs", tmp_path / "gx"
    catalogue = load_catalogue()
    run_validations(db, docs, gx_root, "r1", catalogue=catalogue)
    suite_file = gx_root / "expectations" / "fiscal_identities.json"
    checkpoint_file = gx_root / "checkpoints" / "fiscal_identities_nightly.json"
    stamp = gx_root / SUITE_FINGERPRINT_FILE
    written = (suite_file.stat().st_mtime_ns, checkpoint_file.stat().st_mtime_ns, stamp.read_text())

    second = run_validations(db, docs, gx_root, "r2", catalogue=catalogue)
    assert (suite_file.stat().st_mtime_ns, checkpoint_file.stat().st_mtime_ns, stamp.read_text()) == written
    assert second.instances == 2

    first_id = catalogue.ids[0]
    changed = yaml.safe_load(catalogue.path.read_text(encoding="utf-8"))
    for entry in changed["identities"]:
        if entry["id"] == first_id:
            entry["description_en"] = entry["description_en"] + " (reworded)"
    third = run_validations(db, docs, gx_root, "r3", catalogue=parse_catalogue(changed))
    assert stamp.read_text() != written[2]
    assert "(reworded)" in suite_file.read_text(encoding="utf-8")
    assert third.instances == 2


# ------------------------------------------------------------------------------------------
# Data Docs as a steward reads them: GX's own pages


def _docs_text(page: Path) -> str:
    """A Data Docs page as text (tags and scripts dropped, entities kept escaped)."""
    text = re.sub(r"<script\b.*?</script>", " ", page.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def _steward_db(path: Path) -> None:
    make_residuals_db(path)
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("""CREATE TABLE raw.documents AS SELECT * FROM (VALUES
                       ('docA', '上海市某局', 2024, 'a.pdf'),
                       ('docB', '<script>alert(1)</script>某区教育局', 2023, 'b.pdf'))
                       AS t(document_id, department, fiscal_year, file_name)""")


def test_gx_failure_tables_name_the_document_pages_sides_and_review_id(tmp_path):
    """Before: GX's table listed ('2', '5') beside the instance id only."""
    from expectations.docs_summary import run_pages
    from expectations.review_report import short_id
    from expectations.runner import run_validations

    db = tmp_path / "w.duckdb"
    _steward_db(db)
    run_validations(db, tmp_path / "docs", tmp_path / "gx", "night-1")
    [page] = run_pages(tmp_path / "docs", "night-1")
    text = _docs_text(page)
    assert "Unexpected Value Count review id document pages left side right side" in text
    row = (f"{short_id('docB:t3_class_rollup:201')} &lt;script&gt;alert(1)&lt;/script&gt;某区教育局 2023 "
           "7, 8 50.05 万元 50.00 万元")
    assert row in text
    html_text = page.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html_text  # PDF text is escaped (GX does not escape)
    assert "docB:t3_class_rollup:201" not in html_text  # no raw instance id beside it


def test_a_run_that_validated_nothing_is_not_a_green_success_while_failures_are_open(tmp_path):
    """Before: a night with no changed document was GX's "Succeeded" (index and run page)."""
    from expectations.docs_summary import START, run_pages, write_review_summary
    from expectations.review import make_decision, publish_reviews
    from expectations.runner import run_validations

    db, docs, gx_root = tmp_path / "w.duckdb", tmp_path / "docs", tmp_path / "gx"
    _steward_db(db)
    first = run_validations(db, docs, gx_root, "night-1", validated_at=datetime(2025, 1, 1))
    assert first.failed == 1 and not first.gx_success
    quiet = run_validations(db, docs, gx_root, "night-2", validated_at=datetime(2025, 1, 2),
                            document_ids=set(), keep_only_this_run=True, decisions=[])
    assert (quiet.validated_instances, quiet.open_carried, quiet.failed) == (0, 1, 1)
    assert quiet.gx_success is False
    [page] = run_pages(docs, "night-2")
    text = _docs_text(page)
    assert "Status: Failed" in text and "[run] nothing validated this run while failures" in text
    index = (docs / "index.html").read_text(encoding="utf-8")
    status = re.search(r"'run_name': 'night-2'.*?'_validation_success_text': '(\w+)'", index, re.S)
    assert status.group(1) == "Failed"  # GX's index row of the run
    # the summary GX cannot give: how many are open, on the index and on the run's page
    with duckdb.connect(str(db)) as con:
        publish_reviews(con, [])
        write_review_summary(con, docs, quiet.validated_instances, quiet.instances, "night-2")
    for html_page in (page, docs / "index.html"):
        block = html_page.read_text(encoding="utf-8")
        assert block.count(START) == 1 and "Nothing validated this run; 1 failures open" in block
    # decided on these values: nothing open, and a quiet night is GX's success again
    row = fetch(db, "SELECT instance_id, document_id, identity_id, subject, lhs, rhs, diff "
                    "FROM quality.expectation_results WHERE status = 'failed'")[0]
    failure = dict(zip(("instance_id", "document_id", "identity_id", "subject", "lhs", "rhs", "diff"), row))
    decision = make_decision(failure, "confirmed_defect", "王芳", "printed so")
    decided = run_validations(db, docs, gx_root, "night-3", validated_at=datetime(2025, 1, 3),
                              document_ids=set(), keep_only_this_run=True, decisions=[decision])
    assert (decided.open_carried, decided.gx_success) == (0, True)
