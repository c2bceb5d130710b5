"""A night does only new work: nothing new skips the warehouse job; new documents are staged and
validated alone; the result equals a from-scratch build over the same inputs."""
from __future__ import annotations

import contextlib
import io
import logging
import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from demo.generate import generate_corpus, generate_document, plan_corpus
from pipelines.checksum import marts_checksum
from pipelines.orchestration import run_night
from pipelines.settings import PipelineSettings
from pipelines import warehouse_state
from pipelines.warehouse_state import warehouse_up_to_date


def night(landing: Path, warehouse: Path):
    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(warehouse))
    with DagsterInstance.ephemeral() as instance:
        outcome = run_night(settings, instance, log_level="ERROR")
        stats = {}
        for run_id in outcome.run_ids:
            for event in instance.all_logs(run_id):
                mat = event.asset_materialization
                if mat is not None:
                    stats[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    assert outcome.success, outcome.errors
    return outcome, stats, settings


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    docs = [p for p in generate_corpus(root / "generated", count=6, seed=31) if "株洲市工业" not in p.name]
    landing = root / "landing"
    landing.mkdir()
    for p in docs[:3]:
        shutil.copy(p, landing / p.name)
    return root, landing, docs


def test_nightly_runs_do_only_new_work(corpus, caplog):
    root, landing, docs = corpus
    warehouse = root / "out" / "warehouse.duckdb"

    first, stats, settings = night(landing, warehouse)
    assert not first.skipped_warehouse
    assert stats["raw/documents"]["full_rebuild"] is True
    assert stats["expectation_results"]["validated_now"] == stats["expectation_results"]["instances"]
    published = warehouse.stat().st_mtime_ns

    # Nothing new: the warehouse job does not run, the published file is untouched.
    again, stats, _ = night(landing, warehouse)
    assert again.skipped_warehouse.startswith("warehouse up to date (3 documents")
    assert "expectation_results" not in stats and warehouse.stat().st_mtime_ns == published
    assert warehouse_up_to_date(settings)[0]

    # New documents: only they are staged and validated; the others keep their outcome. They are
    # parsed in ONE run (partitions in arrival order make them a contiguous range, even on the
    # fresh instance every night gets), so the night is ingest, one parse run, the warehouse.
    # One of them is a corrected version of a loaded report (same department and year, other
    # figures): the incremental facts must also re-flag the older version's rows.
    corrected = root / "corrected"
    (corrected / "_truth").mkdir(parents=True, exist_ok=True)
    spec = next(s for s in plan_corpus(6, 31) if s.file_name == docs[1].name)
    republished = generate_document(spec, corrected, seed=32).rename(corrected / f"更正-{spec.file_name}")
    new = [*docs[3:5], republished]
    assert len(new) == 3
    for p in new:
        shutil.copy(p, landing / p.name)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dagster"):
        third, stats, _ = night(landing, warehouse)
    assert not third.skipped_warehouse and third.parsed == len(new)
    # The checks of the skipped tests do not fill the night's output with "emitted no result".
    assert not [r for r in caplog.records if "emitted no result" in r.getMessage()]
    assert len(third.run_ids) == 3
    # dbt: the first build ran every test; the night skipped only those the build fingerprint
    # fixes (seeds' tests, column type tests) and kept the relationships to reference data.
    first_log, night_log = (p.read_text(encoding="utf-8") for p in
                            sorted((settings.data / "logs").glob("dbt-*.log"), key=lambda p: p.stat().st_mtime_ns))
    assert "unique_function_classes_code" in first_log and "columns_have_data_types" in first_log
    assert "unique_function_classes_code" not in night_log and "columns_have_data_types" not in night_log
    assert "relationships_fct_three_public_item_key__item_key__ref_three_public_items_" in night_log
    assert "PASS relationships_stg_report_tables_table_key__table_key__ref_standard_tables_" in night_log
    assert stats["raw/documents"]["changed"] == len(new) and stats["raw/documents"]["full_rebuild"] is False
    quality = stats["expectation_results"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        per_document = dict(con.execute(
            """select d.file_name, count(*) from quality.expectation_results r
               join raw.documents d using (document_id) group by 1""").fetchall())
        assert con.execute("select count(*) from information_schema.schemata "
                           "where schema_name = 'pipeline'").fetchall() == [(0,)]
    assert len(per_document) == 3 + len(new)
    # The older version's rows in every fact are no longer current; the correction's are.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        versions = dict(con.execute("select file_name, document_id from marts.dim_document").fetchall())
        old_id, new_id = versions[docs[1].name], versions[republished.name]
        facts = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'marts' and table_name like 'fct_%'").fetchall()]
        assert len(facts) == 7
        for table in facts:
            flags = dict(con.execute(f"select document_id, bool_or(is_current) from marts.{table} "
                                     "where document_id in (?, ?) group by 1", [old_id, new_id]).fetchall())
            assert flags == ({old_id: False, new_id: True} if flags else {}), table
        assert con.execute("select count(distinct document_id) from marts.fct_expenditure_by_function "
                           "where document_id in (?, ?)", [old_id, new_id]).fetchall() == [(2,)]
    assert quality["validated_now"] == sum(per_document[p.name] for p in new) < quality["instances"]
    assert quality["instances"] == sum(per_document.values())

    # The incremental warehouse equals one built from scratch over the same five documents
    # (incremental residual models, carried-over outcomes, skipped fingerprint-fixed tests).
    scratch = root / "scratch" / "warehouse.duckdb"
    night(landing, scratch)
    assert marts_checksum(warehouse) == marts_checksum(scratch)
    outcome = """select instance_id, document_id, identity_id, status, lhs, rhs, diff, pages
                 from quality.expectation_results order by all"""
    with duckdb.connect(str(warehouse), read_only=True) as a, duckdb.connect(str(scratch), read_only=True) as b:
        assert a.execute(outcome).fetchall() == b.execute(outcome).fetchall()


def test_a_steward_decision_or_another_build_reruns_the_warehouse(corpus, tmp_path, monkeypatch):
    _, _, docs = corpus
    landing = tmp_path / "landing"
    landing.mkdir()
    for p in docs[:3]:
        shutil.copy(p, landing / p.name)
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    _, _, settings = night(landing, warehouse)
    assert warehouse_up_to_date(settings)[0]
    decisions = settings.data / "reviews" / "decisions.jsonl"
    decisions.parent.mkdir(parents=True, exist_ok=True)
    decisions.write_text("", encoding="utf-8")  # an (empty) decisions file is a change of input
    assert warehouse_up_to_date(settings) == (False, "new steward decisions")
    outcome, stats, _ = night(landing, warehouse)
    assert not outcome.skipped_warehouse and stats["expectation_results"]["validated_now"] == 0
    assert warehouse_up_to_date(settings)[0]

    # The operator sees that nothing was rebuilt, then the usual summary.
    from pipelines.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["run", "--create", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "ERROR"]) == 0
    assert out.getvalue().startswith("nothing to rebuild: warehouse up to date (3 documents, nothing new); "
                                     "the published warehouse is unchanged\n")
    assert "documents : 3 (3 loaded, 0 quarantined)" in out.getvalue()

    # Another dbt project, catalogue or parser: the job runs and validates every document.
    monkeypatch.setattr(warehouse_state, "build_fingerprint", lambda: "another build")
    assert warehouse_up_to_date(settings) == (
        False, "the dbt project, the expectations catalogue or the parser changed")
    assert warehouse_state.validation_scope(settings.working_db) is None


def test_a_new_region_re_keys_the_facts_of_an_older_document(corpus, tmp_path):
    """株洲市工业和信息化局 prints its region without the province. Alone, it stays 株洲市; once a
    湖南省株洲市 report is loaded, 株洲市 is that region and the older document's department is
    re-keyed. A night that loads only the new report must re-key the older one's fact rows too
    (they carry department_key), and equal a from-scratch build."""
    root, _, docs = corpus
    zhuzhou = root / "generated" / "株洲市工业和信息化局2021年度部门决算.pdf"
    hunan = next(p for p in docs if p.name.startswith("湖南省株洲市"))
    landing = tmp_path / "landing"
    landing.mkdir()
    shutil.copy(zhuzhou, landing / zhuzhou.name)
    warehouse = tmp_path / "out" / "warehouse.duckdb"

    def department_keys() -> tuple[str, set[str]]:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            (doc_id, key), = con.execute("select document_id, department_key from marts.dim_document "
                                         "where file_name = ?", [zhuzhou.name]).fetchall()
            facts = [t for (t,) in con.execute("select table_name from information_schema.tables "
                                                "where table_schema = 'marts' and table_name like 'fct_%'").fetchall()]
            in_facts = {k for t in facts for (k,) in con.execute(
                f"select distinct department_key from marts.{t} where document_id = ?", [doc_id]).fetchall()}
        return key, in_facts

    night(landing, warehouse)
    assert department_keys() == ("株洲市|工业和信息化局", {"株洲市|工业和信息化局"})
    shutil.copy(hunan, landing / hunan.name)
    _, stats, _ = night(landing, warehouse)
    assert stats["raw/documents"]["changed"] == 1
    assert department_keys() == ("湖南省株洲市|工业和信息化局", {"湖南省株洲市|工业和信息化局"})
    scratch = tmp_path / "scratch" / "warehouse.duckdb"
    night(landing, scratch)
    assert marts_checksum(warehouse) == marts_checksum(scratch)
