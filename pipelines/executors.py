"""Which engine runs the parse step: in this machine's processes (default) or Celery workers.

Without `FW_CELERY_BROKER` nothing changes: the jobs of `pipelines.definitions` run in-process
(CLI, tests) or with Dagster's multiprocess executor (`dagster dev`, the daemon).

With `FW_CELERY_BROKER=redis://host:6379/0` (and optionally `FW_CELERY_BACKEND`, default: the
broker) the parse job `parse_documents` runs its step as a Celery task on `dagster-celery`
workers, possibly on other machines (docs/scale-out.md). Only the parse step moves: the ingest
and warehouse jobs (DuckDB has one writer) stay on the machine that runs them.

- `defs`: the project's Definitions with that parse job (`dagster dev -m pipelines.executors`).
- `celery_parse_job`: the job as submitters and workers rebuild it (`reconstructable`).
- `run_night_on_celery` / `python -m pipelines.executors`: ingest here, parse on the workers
  (several runs at once, so several workers share the documents), then the warehouse here.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from dagster import (
    DagsterInstance,
    Definitions,
    ExecutorDefinition,
    JobDefinition,
    define_asset_job,
    execute_job,
    reconstructable,
)
from dagster._core.instance.ref import InstanceRef

from pipelines.assets.parse import parsed_document
from pipelines.partitions import document_partitions
from pipelines.settings import PipelineSettings

CELERY_BROKER_ENV = "FW_CELERY_BROKER"
CELERY_BACKEND_ENV = "FW_CELERY_BACKEND"
PARSE_JOB_NAME = "parse_documents"


def celery_config(broker: str, backend: str | None = None) -> dict:
    """The `celery_executor` config; workers must be started with the same broker and backend."""
    return {"broker": broker, "backend": backend or broker}


def parse_executor(env: Mapping[str, str] = os.environ) -> ExecutorDefinition | None:
    """The Celery executor when FW_CELERY_BROKER is set, else None (the Definitions' default)."""
    broker = env.get(CELERY_BROKER_ENV, "").strip()
    if not broker:
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_config(broker, env.get(CELERY_BACKEND_ENV, "").strip() or None),
                                      name="celery")


def build_parse_job(executor_def: ExecutorDefinition | None = None):
    return define_asset_job(
        PARSE_JOB_NAME, selection=[parsed_document], partitions_def=document_partitions, executor_def=executor_def,
        description="Parse documents (one partition each; a range runs in one run).",
    )


def build_engine_definitions(settings: PipelineSettings | None = None,
                             executor_def: ExecutorDefinition | None = None) -> Definitions:
    """`pipelines.definitions.build_definitions`, with the parse job on `executor_def` (or the
    executor FW_CELERY_BROKER selects); unchanged when neither is given."""
    from pipelines.definitions import build_definitions
    from pipelines.schedules import parse_job

    base = build_definitions(settings)
    executor_def = executor_def or parse_executor()
    if executor_def is None:
        return base
    parse = build_parse_job(executor_def)
    swap = lambda jobs: [parse if j is parse_job else j for j in jobs]  # noqa: E731
    return Definitions(
        assets=base.assets, jobs=swap(base.jobs), schedules=base.schedules, resources=base.resources,
        sensors=[s.with_updated_jobs(swap(s.jobs)) if any(j is parse_job for j in s.jobs) else s for s in base.sensors],
    )


def celery_parse_job() -> JobDefinition:
    """The parse job on Celery, rebuilt by name in the submitting process and in every worker
    (`reconstructable(celery_parse_job)`); both need FW_CELERY_BROKER."""
    executor_def = parse_executor()
    if executor_def is None:
        raise RuntimeError(f"{CELERY_BROKER_ENV} is not set (e.g. redis://127.0.0.1:6379/0)")
    return build_engine_definitions(executor_def=executor_def).resolve_job_def(PARSE_JOB_NAME)


def settings_run_config(settings: PipelineSettings) -> dict:
    """The settings as run config with absolute paths: a worker reads them from the run, not from
    its own environment or working folder."""
    config = {name: getattr(settings, name) for name in PipelineSettings.model_fields}
    config.update(landing_dir=str(settings.landing), warehouse_path=str(settings.warehouse), data_dir=str(settings.data))
    return {"resources": {"settings": {"config": config}}}


def split_ranges(ordered_keys: list[str], wanted: set[str], parts: int) -> list[tuple[str, str]]:
    """The wanted keys cut into `parts` chunks of similar size, each split into ranges of neighbours
    (one run per range: `parts` runs when the wanted keys are neighbours, more when not)."""
    from pipelines.schedules import contiguous_ranges

    keys = [k for k in ordered_keys if k in wanted]
    size = max(1, -(-len(keys) // max(1, parts)))
    out: list[tuple[str, str]] = []
    for i in range(0, len(keys), size):
        out.extend(contiguous_ranges(ordered_keys, set(keys[i:i + size])))
    return out


@dataclass(frozen=True)
class ParseRun:
    run_id: str
    success: bool
    errors: list[str]


_start_together = None  # a Barrier shared by the processes that submit the runs of one night


def _set_start_barrier(barrier) -> None:
    global _start_together
    _start_together = barrier


def _parse_run(instance_ref: InstanceRef, run_config: dict, tags: dict[str, str]) -> ParseRun:
    """One parse run; its step is a Celery task. Called in a process of its own per run."""
    from pipelines.orchestration import _errors

    if _start_together is not None:  # submit together, once every process has loaded the code,
        try:  # so that each idle worker takes a run
            _start_together.wait(timeout=600)
        except threading.BrokenBarrierError:
            pass
    with DagsterInstance.from_ref(instance_ref) as instance, execute_job(
            reconstructable(celery_parse_job), instance=instance, run_config=run_config, tags=tags,
            raise_on_error=False) as result:
        return ParseRun(result.run_id, result.success, [] if result.success else _errors(result))


def parse_on_celery(settings: PipelineSettings, instance: DagsterInstance, wanted: set[str], parts: int = 2) -> list[ParseRun]:
    """Parse `wanted` documents in about `parts` runs at once, each run's step on a Celery worker.

    `instance` must be persistent (DAGSTER_HOME) and shared with the workers. The runs are
    submitted from separate processes: two Dagster runs in threads of one process deadlock in
    logging setup."""
    from pipelines.schedules import partition_range_tags

    ranges = split_ranges(instance.get_dynamic_partitions(document_partitions.name), wanted, parts)
    args = [(instance.get_ref(), settings_run_config(settings), partition_range_tags(*r)) for r in ranges]
    if len(args) <= 1:
        return [_parse_run(*a) for a in args]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=len(args), mp_context=spawn, initializer=_set_start_barrier,
                             initargs=(spawn.Barrier(len(args)),)) as pool:
        return list(pool.map(_parse_run, *zip(*args)))


def run_night_on_celery(settings: PipelineSettings, instance: DagsterInstance, parts: int = 2,
                        log_level: str = "INFO"):
    """Like `orchestration.run_night`, with the parse runs on Celery workers."""
    from pipelines.definitions import build_definitions
    from pipelines.orchestration import NightOutcome, _errors, _record
    from pipelines.schedules import pending_documents

    started = time.perf_counter()
    defs = build_definitions(settings)  # ingest and warehouse: in this process
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    outcome = NightOutcome(success=False, seconds=0.0)

    def note(result) -> bool:
        outcome.run_ids.append(result.run_id)
        if not result.success:
            outcome.errors.extend(result.errors if isinstance(result, ParseRun) else _errors(result))
        return result.success

    def here(job_name: str) -> bool:
        return note(defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False))

    if here("ingest_documents"):
        wanted = set(pending_documents(settings))
        results = parse_on_celery(settings, instance, wanted, parts) if wanted else []
        outcome.parsed = len(wanted)
        if all([note(r) for r in results]) and here("build_warehouse"):
            outcome.success = True
    outcome.seconds = time.perf_counter() - started
    _record(settings, outcome)
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.executors",
        description="One night with the parse step on Celery workers (needs DAGSTER_HOME and FW_CELERY_BROKER).")
    parser.add_argument("--landing", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--parse-cache-url", default=os.environ.get("FW_PARSE_CACHE_URL", ""))
    parser.add_argument("--parts", type=int, default=2, help="parse runs at once (about the number of workers)")
    args = parser.parse_args(argv)
    if not os.environ.get(CELERY_BROKER_ENV) or not os.environ.get("DAGSTER_HOME"):
        print(f"set {CELERY_BROKER_ENV} (e.g. redis://host:6379/0) and DAGSTER_HOME (shared with the workers)",
              file=sys.stderr)
        return 2
    settings = PipelineSettings(landing_dir=args.landing, warehouse_path=args.warehouse, data_dir=args.data_dir,
                                parse_cache_url=args.parse_cache_url)
    with DagsterInstance.get() as instance:
        outcome = run_night_on_celery(settings, instance, parts=args.parts)
    print(f"{'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s: {outcome.parsed} documents parsed on Celery"
          + "".join(f"\n  {e}" for e in outcome.errors))
    return 0 if outcome.success else 1


defs = build_engine_definitions()

if __name__ == "__main__":
    from pipelines.executors import main as _main  # the module by its name: workers rebuild jobs from it

    sys.exit(_main())
