"""Parsing over documents with Dagster's multiprocess executor: a real run on a persistent
instance, the run's partition range cut into batch steps, each step a process of its own; the
parse results equal those of the in-process run the CLI does."""
from __future__ import annotations

import json

from dagster import DagsterEventType, DagsterInstance, execute_job, reconstructable

from demo.generate import generate_corpus
from pipelines.assets.parse import batch_count, split_batches, workers_per_step
from pipelines.definitions import build_definitions
from pipelines.executors import local_parse_job, settings_run_config
from pipelines.orchestration import run_night
from pipelines.partitions import document_partitions
from pipelines.schedules import partition_range_tags
from pipelines.settings import PipelineSettings


def _results_without_timings(settings: PipelineSettings) -> dict[str, dict]:
    out = {}
    for path in sorted(settings.parsed_dir.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc.pop("parse_seconds")
        out[path.name] = doc
    return out


def test_batches_and_workers_follow_the_executor():
    assert batch_count("in_process", 10, configured=4, cpus=2) == 1  # steps would run one by one
    assert batch_count("multiprocess", 10, configured=0, cpus=2) == 2  # one step per core
    assert batch_count("celery", 10, configured=6, cpus=2) == 6
    assert batch_count("multiprocess", 1, configured=0, cpus=8) == 1  # never more than documents
    assert batch_count("multiprocess", 0, configured=0, cpus=2) == 0
    assert workers_per_step("multiprocess", configured=0, cpus=2) == 1
    assert workers_per_step("in_process", configured=0, cpus=2) == 2
    assert workers_per_step("celery", configured=3, cpus=2) == 3
    assert split_batches(list("abcde"), 2) == [["a", "b", "c"], ["d", "e"]]
    assert split_batches(list("ab"), 3) == [["a"], ["b"]]


def test_multiprocess_executor_parses_batches_in_separate_processes(tmp_path):
    landing = tmp_path / "landing"
    generate_corpus(landing, count=4, seed=5)

    reference = PipelineSettings(landing_dir=str(landing), warehouse_path=str(tmp_path / "ref" / "w.duckdb"),
                                 data_dir="", manifest_path="", parse_cache_url="")
    with DagsterInstance.ephemeral() as instance:
        assert run_night(reference, instance, log_level="WARNING").success

    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(tmp_path / "mp" / "w.duckdb"),
                                data_dir="", manifest_path="", parse_cache_url="", parse_batches=2)
    (tmp_path / "dagster_home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster_home")) as instance:
        defs = build_definitions(settings)
        assert defs.resolve_job_def("ingest_documents").execute_in_process(instance=instance).success
        keys = instance.get_dynamic_partitions(document_partitions.name)
        assert len(keys) == 4
        run_config = settings_run_config(settings)
        with execute_job(reconstructable(local_parse_job), instance=instance,
                         run_config=run_config, tags=partition_range_tags(keys[0], keys[-1])) as result:
            assert result.success
            run_id = result.run_id
        stats = {s.step_key: s for s in instance.get_run_step_stats(run_id)}
        step_pids = {e.step_key: e.dagster_event.pid for e in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START)}
        materialized = instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records

    batch_steps = sorted(k for k in stats if k.startswith("parsed_document.parse_document_batch["))
    assert batch_steps == ["parsed_document.parse_document_batch[batch_0]", "parsed_document.parse_document_batch[batch_1]"]
    # Each batch step ran in a process of its own (the multiprocess executor), not in the run's.
    assert len({step_pids[k] for k in batch_steps}) == 2
    assert step_pids["parsed_document.plan_parse_batches"] not in {step_pids[k] for k in batch_steps}
    # All four partitions are materialized, with the run's totals.
    assert sorted(r.event_log_entry.dagster_event.partition for r in materialized) == sorted(keys)
    metadata = materialized[0].event_log_entry.dagster_event.materialization.metadata
    assert (metadata["documents"].value, metadata["steps"].value, metadata["processes"].value) == (4, 2, 2)
    assert not (settings.data / "steps" / run_id).exists()

    assert _results_without_timings(settings) == _results_without_timings(reference)
    assert len(_results_without_timings(settings)) == 4
