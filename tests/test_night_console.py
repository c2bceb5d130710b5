"""An operator's view of a night run from the command line (issue 20):

- the night is in the persistent Dagster instance the UI opens (`make dev`): its runs, the
  document partitions with their metadata, the dbt models and the identity checks, read back
  through Dagster's own API from the same DAGSTER_HOME;
- the console reads like a report: one short line per step and per document, dbt and
  validation progress, no Dagster prefixes or library chatter, the summary last with the real
  wall time; `--verbose` brings Dagster's log back;
- expected problems end in one line and the right exit code, never a traceback.
"""
from __future__ import annotations

import hashlib
import re

import pytest
from dagster import AssetCheckKey, AssetKey, AssetRecordsFilter, DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

from tests.night_fixture import BROKEN_NAME, PROJECT_ROOT, cli_night, run_cli  # noqa: F401 (fixture)

MAX_LINE = 160


@pytest.fixture(scope="module")
def night(cli_night):
    assert cli_night.code == 0, cli_night.stdout[-3000:] + cli_night.stderr[-3000:]
    return cli_night


@pytest.fixture(scope="module")
def instance(night):
    ref = InstanceRef.from_dir(str(night.dagster_home))
    with DagsterInstance.from_ref(ref) as inst:
        yield inst


def _summary_seconds(stdout: str) -> float:
    return float(re.search(r"^Run finished in (\d+\.\d) s$", stdout, re.M).group(1))


# --- the night is in the Dagster instance the UI opens -------------------------------------------

def test_the_night_is_in_the_dagster_home_under_the_data_folder(night, instance):
    assert (night.dagster_home / "dagster.yaml").is_file()
    runs = instance.get_runs()
    assert sorted(r.job_name for r in runs) == ["build_warehouse", "ingest_documents", "parse_documents"]
    assert {r.status for r in runs} == {DagsterRunStatus.SUCCESS}
    assert all(r.tags.get("fw/night_pid") for r in runs)  # the CLI's nights are told apart


def test_every_document_is_a_materialized_partition_with_its_metadata(night, instance):
    keys = instance.get_dynamic_partitions("document")
    assert len(keys) == 4
    assert instance.get_materialized_partitions(AssetKey("parsed_document")) == set(keys)
    by_file = {}
    for key in keys:
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("parsed_document"), asset_partitions=[key]), limit=1).records
        metadata = {k: v.value for k, v in records[0].asset_materialization.metadata.items()}
        by_file[metadata["file_name"]] = metadata
        # readable keys: the file name's label and the document's short id (pipelines/partitions.py)
        assert key == f"{metadata['file_name'].removesuffix('.pdf')}~{metadata['short_id']}"
        assert metadata["document_id"].startswith(metadata["short_id"]) and len(metadata["document_id"]) == 64
        for field in ("pages", "tables", "cells", "coverage_pct", "parse_seconds", "department", "fiscal_year"):
            assert field in metadata, field
    assert any(re.fullmatch(r"株洲市工业和信息化局2021年度部门决算~[0-9a-f]{12}", key) for key in keys)
    zhuzhou = by_file["株洲市工业和信息化局2021年度部门决算.pdf"]
    assert (zhuzhou["department"], zhuzhou["fiscal_year"], zhuzhou["status"]) == ("株洲市工业和信息化局", 2021, "loaded")
    assert zhuzhou["pages"] == 21 and zhuzhou["tables"] >= 9 and zhuzhou["cells"] > 500
    assert zhuzhou["coverage_pct"] == 100.0 and zhuzhou["standard_tables_read"] == 9
    assert zhuzhou["document"] == f"株洲市工业和信息化局 2021 ({zhuzhou['short_id']})"
    broken = by_file[BROKEN_NAME]
    assert broken["status"] == "quarantined" and broken["reason"] and broken["coverage_pct"] == 0.0


def test_models_and_identity_checks_are_recorded(instance):
    assert instance.get_latest_materialization_event(AssetKey(["marts", "mart_spending_by_class"])) is not None
    assert instance.get_latest_materialization_event(AssetKey("published_warehouse")) is not None
    from pipelines.assets.quality import CATALOGUE, OVERALL_CHECK

    checks = [AssetCheckKey(AssetKey("expectation_results"), name)
              for name in [OVERALL_CHECK, *(identity.id for identity in CATALOGUE)]]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(checks)
    assert set(latest) == set(checks)  # every check was evaluated, none "Not Evaluated"
    statuses = {key.name: record.status.value for key, record in latest.items()}
    assert set(statuses.values()) <= {"SUCCEEDED", "FAILED"}
    assert statuses[OVERALL_CHECK] == "FAILED"  # the rebuilt 株洲 report has four real defects


def test_partitions_agree_with_the_sensor_on_an_instance_that_did_not_parse_them(night, tmp_path):
    """Another Dagster home (wiped, or a new one) sees the archived documents as partitions;
    those the parse cache already holds are materialized at its first ingest, so its partitions
    page says what `pending_work_sensor` says: nothing to parse."""
    from pipelines.definitions import build_definitions
    from pipelines.schedules import pending_documents
    from pipelines.settings import PipelineSettings

    settings = PipelineSettings(landing_dir=str(night.landing), warehouse_path=str(night.warehouse))
    with DagsterInstance.local_temp(str(tmp_path)) as other:
        result = build_definitions(settings).resolve_job_def("ingest_documents").execute_in_process(instance=other)
        assert result.success
        keys = other.get_dynamic_partitions("document")
        assert len(keys) == 4
        assert pending_documents(settings) == []
        assert other.get_materialized_partitions(AssetKey("parsed_document")) == set(keys)
        records = other.fetch_materializations(
            AssetRecordsFilter(asset_key=AssetKey("parsed_document"), asset_partitions=[keys[0]]), limit=1).records
        assert records[0].asset_materialization.metadata["from_parse_cache"].value is True


def test_an_instance_with_the_old_64_character_keys_is_migrated_by_the_next_ingest(night, tmp_path):
    """A Dagster home made before keys were readable holds the documents' SHA-256s as partition
    keys, materialized: the next ingest replaces them with the readable keys, reports the parse
    cache's results under them, and the sensor and the partitions page agree (nothing to parse)."""
    from dagster import AssetMaterialization, build_sensor_context

    from ingest.archive import Archive
    from pipelines.definitions import build_definitions
    from pipelines.schedules import pending_documents, pending_work_sensor
    from pipelines.settings import PipelineSettings

    settings = PipelineSettings(landing_dir=str(night.landing), warehouse_path=str(night.warehouse))
    old = [d.document_id for d in sorted(Archive(settings.archive_dir).documents(), key=lambda d: d.first_seen_at)]
    with DagsterInstance.local_temp(str(tmp_path)) as other:
        other.add_dynamic_partitions("document", old)
        for document_id in old:
            other.report_runless_asset_event(AssetMaterialization(asset_key="parsed_document", partition=document_id))
        result = build_definitions(settings).resolve_job_def("ingest_documents").execute_in_process(instance=other)
        assert result.success
        keys = other.get_dynamic_partitions("document")
        assert len(keys) == 4 and not set(keys) & set(old)
        assert all(re.fullmatch(r"[^~]+~[0-9a-f]{12}", key) for key in keys)
        assert set(keys) <= other.get_materialized_partitions(AssetKey("parsed_document"))
        assert pending_documents(settings) == []
        with build_sensor_context(instance=other, resources={"settings": settings}) as context:
            evaluation = pending_work_sensor(context)
        assert not getattr(evaluation, "run_requests", None) or all(
            r.job_name != "parse_documents" for r in evaluation.run_requests)


def test_the_ui_opens_without_the_onboarding_pop_up(instance):
    assert instance.nux_enabled is False


# --- the console reads like a report --------------------------------------------------------------

def test_the_console_is_short_lines_with_progress_and_the_summary_last(night):
    lines = night.stdout.splitlines()
    assert night.stderr == ""
    too_long = [line for line in lines if len(line) > MAX_LINE]
    assert too_long == []
    assert not [line for line in lines if " - dagster - " in line or "subsetted execution" in line
                or "partial_parse" in line or "did not yield or return expected outputs" in line]
    parsed = [line for line in lines if re.match(r"^\[\d/4\] parsed ", line)]
    assert len(parsed) == 4
    assert "[1/4] parsed" in parsed[0] and "[4/4] parsed" in parsed[-1]
    assert any(re.fullmatch(r"\[\d/4\] parsed 株洲市工业和信息化局 2021 \(21 pages, \d+\.\d s\): loaded", line)
               for line in parsed)
    assert any(re.fullmatch(rf"\[\d/4\] parsed {BROKEN_NAME} \(0 pages, \d+\.\d s\): quarantined: .+", line)
               for line in parsed)
    assert any(line.startswith("ingest: 4 PDF files in the landing folder") for line in lines)
    assert any(re.fullmatch(r"dbt: \d+ models, seeds and tests to build \(dbt started .+ in \d+ s\)", line)
               for line in lines)
    assert any(re.fullmatch(r"dbt \d+/\d+ \(\d+ s\)", line) for line in lines), "dbt progress"
    assert any(re.fullmatch(r"dbt (\d+)/\1 done in \d+\.\d s.*", line) for line in lines)
    assert any(line.startswith("validation: ") and "great-expectations" in line for line in lines)
    # the summary comes last: 'Run finished in' and then only its indented lines
    start = max(i for i, line in enumerate(lines) if line.startswith("Run finished in "))
    assert start > len(lines) - 16 and all(line.startswith("  ") for line in lines[start + 1:])
    summary = "\n".join(lines[start:])
    assert "documents : 4 (3 loaded, 1 quarantined)" in summary
    assert f"Dagster UI: DAGSTER_HOME={night.dagster_home}" in summary


# The summary's clock starts with the process; after the summary the interpreter still tears down
# (dbt, Dagster and GX imported: 1-2 s on a quiet machine, several times that on a loaded one, so
# the allowance grows with the run). A clock started after the imports (5-6 s here) misses.
SLACK = 4.0


def _close_to_wall(reported: float, wall: float) -> bool:
    return 0.9 * wall - SLACK <= reported <= wall


def test_the_summary_gives_the_real_wall_time(night):
    assert _close_to_wall(_summary_seconds(night.stdout), night.wall_seconds)


def test_dagster_full_log_is_in_the_night_log_file(night):
    logs = sorted((night.data / "logs").glob("night-*.log"))
    assert len(logs) == 1
    text = logs[0].read_text(encoding="utf-8")
    assert "STEP_SUCCESS" in text or "Finished execution of step" in text
    assert "Running dbt command" in text  # dagster-dbt's lines are kept here, not on the console
    assert str(logs[0]) in night.stdout


def test_a_second_night_with_nothing_new_and_verbose(night, instance):
    proc, wall = run_cli("run", "--landing", str(night.landing), "--warehouse", str(night.warehouse), "--verbose")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "nothing to rebuild: warehouse up to date" in proc.stdout
    # --verbose: Dagster's own log on the console again (its handler writes to stderr)
    assert " - dagster - " in proc.stderr and "ingest_documents" in proc.stderr
    # a night that skips the warehouse still reports the time it took, imports and all
    assert _close_to_wall(_summary_seconds(proc.stdout), wall)
    assert len(instance.get_runs()) == 4  # one more ingest run, in the same instance


# --- expected problems: one line, the exit code, no traceback -----------------------------------

def _one_line_error(proc, code: int, *fragments: str) -> str:
    assert proc.returncode == code, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_status_of_a_file_that_is_not_a_warehouse():
    proc, _ = run_cli("status", "--warehouse", "README.md")
    _one_line_error(proc, 2, "'README.md' is not a DuckDB warehouse")


def test_a_warehouse_folder_that_does_not_exist_is_not_created(tmp_path):
    target = tmp_path / "typo" / "dir" / "w.duckdb"
    proc, _ = run_cli("run", "--landing", str(tmp_path), "--warehouse", str(target))
    _one_line_error(proc, 2, "does not exist", "--create")
    assert not (tmp_path / "typo").exists()


def test_a_missing_data_dir_needs_create(tmp_path):
    proc, _ = run_cli("run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"),
                      "--data-dir", str(tmp_path / "nowhere"))
    _one_line_error(proc, 2, "--data-dir", "--create")


def test_a_run_never_replaces_a_file_that_is_not_a_duckdb_database(tmp_path):
    target = tmp_path / "notes.duckdb"
    target.write_text("my notes, not a database\n", encoding="utf-8")
    proc, _ = run_cli("run", "--landing", str(tmp_path), "--warehouse", str(target))
    _one_line_error(proc, 2, "is not a DuckDB database")
    assert target.read_text(encoding="utf-8") == "my notes, not a database\n"


def test_status_of_a_missing_warehouse_says_the_path_may_be_wrong(tmp_path):
    proc, _ = run_cli("status", "--warehouse", str(tmp_path / "nothing" / "w.duckdb"))
    _one_line_error(proc, 2, "no warehouse at", "check --warehouse")


def test_an_empty_landing_folder_warns_and_keeps_the_published_warehouse(night, tmp_path):
    before = hashlib.sha256(night.warehouse.read_bytes()).hexdigest()
    empty = tmp_path / "landing"
    empty.mkdir()
    # a new data folder (so an empty archive): publishing would give the analysts an empty warehouse
    proc, _ = run_cli("run", "--create", "--landing", str(empty), "--warehouse", str(night.warehouse),
                      "--data-dir", str(tmp_path / "data"))
    assert proc.returncode == 0, proc.stderr
    warnings = proc.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("warning: nothing to build: no PDF in the landing folder")
    assert "Run finished" not in proc.stdout and "Traceback" not in proc.stderr
    assert hashlib.sha256(night.warehouse.read_bytes()).hexdigest() == before


def test_status_after_the_night(night):
    proc, _ = run_cli("status", "--warehouse", str(night.warehouse))
    assert proc.returncode == 0 and proc.stderr == ""
    assert "documents : 3 loaded" in proc.stdout and f"quarantined {BROKEN_NAME}" in proc.stdout


def test_the_duckdb_cli_of_the_readme_opens_the_warehouse(night):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    duckdb_cli = Path(sys.executable).parent / "duckdb"
    assert duckdb_cli.exists() or shutil.which("duckdb"), "make setup installs the DuckDB CLI (duckdb-cli)"
    proc = subprocess.run(
        [str(duckdb_cli), "-readonly", str(night.warehouse), "-csv", "-c",
         "select count(*) as n from marts.dim_document; "
         "select comment from duckdb_columns() where schema_name = 'marts' and table_name = 'mart_spending_by_class' "
         "and column_name = 'total_wan'"],
        capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "n\n4\n" in proc.stdout and "本年支出合计" in proc.stdout


def test_a_console_line_is_one_line_of_at_most_160_characters():
    """Whatever a step reports (a department name read from a PDF, a file name from outside):
    one line, control characters escaped (pipelines/safe_text.py), cut at 160 characters."""
    import io
    import logging

    from pipelines.report import console_report, report

    out = io.StringIO()
    with console_report(out):
        report(None, "[1/1] parsed 株洲\n市\x1b[2J局 2021 (21 pages, 0.4 s): loaded")
        report(None, "x" * 500, logging.WARNING)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/1] parsed 株洲\\x0a市\\x1b[2J局 2021 (21 pages, 0.4 s): loaded"
    assert len(lines) == 2 and len(lines[1]) == MAX_LINE and lines[1].startswith("warning: xxx") and lines[1][-1] == "…"
