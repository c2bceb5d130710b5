"""The Dagster code location loads as `dagster dev -w workspace.yaml` would load it."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey, DagsterInstance, build_sensor_context

from pipelines.definitions import build_definitions, defs
from pipelines.schedules import landing_folder_sensor
from pipelines.settings import PipelineSettings
from tests.conftest import CZJ, PROJECT_ROOT, require_corpus


def test_workspace_loads_with_the_dagster_cli():
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_graph_schedule_and_pool():
    job = defs.resolve_job_def("build_warehouse")
    keys = set(defs.resolve_asset_graph().get_all_asset_keys())
    for key in (["archived_documents"], ["parsed_document"], ["raw", "table_cells"], ["expectation_results"],
                ["published_warehouse"]):
        assert AssetKey(key) in keys
    assert any(k.path[-1] == "fct_expenditure_by_function" for k in keys)
    schedule = defs.resolve_schedule_def("nightly_at_2am_shanghai")
    assert schedule.execution_timezone == "Asia/Shanghai" and schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "ingest_documents"
    assert defs.resolve_job_def("parse_documents").partitions_def.name == "document"
    # every step that writes DuckDB is in the one pool
    pools = {node.name: node.definition.pool for node in job.graph.node_dict.values()}
    assert pools["raw_staging"] == pools["warehouse_models"] == pools["expectation_results"] == "duckdb_writer"
    assert pools["published_warehouse"] == "duckdb_writer"


def test_sensor_requests_a_run_only_when_the_landing_folder_changes(tmp_path):
    require_corpus()
    landing = tmp_path / "landing"
    landing.mkdir()
    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(tmp_path / "w.duckdb"))
    sensor_defs = build_definitions(settings)
    sensor = sensor_defs.resolve_sensor_def("landing_folder_sensor")
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance, resources={"settings": settings})
        first = sensor.evaluate_tick(ctx)
        assert first.run_requests, "an unseen folder state starts a run"
        cursor = first.cursor
        ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
        again = sensor.evaluate_tick(ctx)
        assert not again.run_requests
        shutil.copy(CZJ, landing / "new.pdf")
        ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
        changed = sensor.evaluate_tick(ctx)
        assert len(changed.run_requests) == 1
    assert landing_folder_sensor.name == sensor.name


def test_only_the_nights_skipped_checks_are_kept_quiet(caplog):
    import logging

    import pipelines.assets.warehouse  # noqa: F401  (installs the filter)

    logger = logging.getLogger("dagster._core.execution.plan.active")
    with caplog.at_level(logging.WARNING):
        logger.warning("Blocking asset check 'seeds/function_classes:unique_function_classes_code' emitted no result "
                       "in step 'warehouse_models'; downstream step 'published_warehouse' will proceed")
        logger.warning("Blocking asset check 'staging/stg_table_cells:columns_have_data_types_stg_table_cells_DECIMAL' "
                       "emitted no result in step 'warehouse_models'")
        logger.warning("Blocking asset check 'marts/dim_document:unique_dim_document_document_id' emitted no result "
                       "in step 'warehouse_models'")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "unique_dim_document_document_id" in messages[0]


def test_a_run_that_did_not_publish_is_not_a_successful_night(tmp_path):
    """Dagster reports a run whose publication step was skipped as a success; the night does not."""
    from pipelines.orchestration import NightOutcome, _published

    landing = tmp_path / "landing"
    landing.mkdir()
    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(tmp_path / "out" / "w.duckdb"))
    with DagsterInstance.ephemeral() as instance:
        result = build_definitions(settings).resolve_job_def("ingest_documents").execute_in_process(instance=instance)
        assert result.success
        outcome = NightOutcome(success=False, seconds=0.0)
        assert _published(instance, result.run_id, outcome) is False
    assert outcome.errors == ["the warehouse run ended without publishing (published_warehouse was skipped): "
                              "the published file is unchanged; see the run's events"]


def test_a_second_night_on_the_same_data_folder_does_nothing_and_says_why(tmp_path):
    import json

    from pipelines.orchestration import night_lock, run_night

    landing = tmp_path / "landing"
    landing.mkdir()
    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(tmp_path / "out" / "w.duckdb"))
    with night_lock(settings), DagsterInstance.ephemeral() as instance:  # the first night, still running
        outcome = run_night(settings, instance, log_level="ERROR")
        assert not outcome.success and outcome.run_ids == []
        assert len(outcome.errors) == 1
        assert outcome.errors[0].startswith(f"another night is running on {settings.data} (pid ")
        assert outcome.errors[0].endswith("this one did nothing: let that one finish")
        assert instance.get_runs() == []
    recorded = [json.loads(line) for line in (settings.data / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["success"] for r in recorded] == [False]
    with night_lock(settings):  # released with the first night
        pass


def test_assets_are_in_named_groups_by_layer():
    """The UI's asset graph reads like the architecture: no asset in group `default`; the dbt
    models by folder (staging, intermediate, marts; the identity residuals in quality)."""
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert "default" not in set(groups.values())
    assert set(groups.values()) == {"ingest", "staging", "intermediate", "marts", "quality", "seeds", "publish"}
    assert groups[AssetKey(["staging", "stg_table_cells"])] == "staging"
    assert groups[AssetKey(["intermediate", "int_document_versions"])] == "intermediate"
    assert groups[AssetKey(["intermediate", "int_identity_residuals"])] == "quality"
    assert groups[AssetKey(["marts", "mart_spending_by_class"])] == groups[AssetKey(["marts", "dim_document"])] == "marts"
    assert groups[AssetKey("expectation_results")] == "quality"
    assert groups[AssetKey(["raw", "narrative_figures"])] == "staging"


def test_a_killed_nights_run_is_failed_and_its_pool_slot_freed(tmp_path):
    """A night killed mid-run (cron, power cut) leaves its run 'started', holding the
    duckdb_writer slot of the persistent instance; the next night must not wait for it forever."""
    from dagster import DagsterRunStatus

    from pipelines.instance import NIGHT_HOST_TAG, NIGHT_PID_TAG, fail_orphaned_runs, night_tags

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with DagsterInstance.local_temp(str(tmp_path), overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        job = defs.resolve_job_def("build_warehouse")
        killed = instance.create_run_for_job(job, status=DagsterRunStatus.STARTED,
                                             tags={**night_tags(), NIGHT_PID_TAG: str(dead.pid)})
        alive = instance.create_run_for_job(job, status=DagsterRunStatus.STARTED, tags=night_tags())  # this process
        other_host = instance.create_run_for_job(job, status=DagsterRunStatus.STARTED,
                                                 tags={NIGHT_PID_TAG: str(dead.pid), NIGHT_HOST_TAG: "another-machine"})
        storage = instance.event_log_storage
        storage.set_concurrency_slots("duckdb_writer", 1)  # as the pool's default_limit gives it
        assert storage.claim_concurrency_slot("duckdb_writer", killed.run_id, "raw_staging").is_claimed
        assert not storage.claim_concurrency_slot("duckdb_writer", alive.run_id, "raw_staging").is_claimed
        assert fail_orphaned_runs(instance) == [killed.run_id]
        assert instance.get_run_by_id(killed.run_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED
        assert instance.get_run_by_id(other_host.run_id).status == DagsterRunStatus.STARTED
        assert killed.run_id not in storage.get_concurrency_info("duckdb_writer").active_run_ids
