"""Which engine runs the parse step: in this machine's processes (default) or Celery workers.

Without `FW_CELERY_BROKER` nothing changes: the jobs of `pipelines.definitions` run in-process
(CLI, tests) or with Dagster's multiprocess executor (`dagster dev`, the daemon).

With `FW_CELERY_BROKER=redis://host:6379/0` (and optionally `FW_CELERY_BACKEND`, default: the
broker) the parse job `parse_documents` runs its steps as Celery tasks on `dagster-celery`
workers, possibly on other machines (docs/scale-out.md): a run's documents are cut into
`parse_batches` batch steps (pipelines/assets/parse.py), and each idle worker takes one. Only
parsing moves: the ingest and warehouse jobs (DuckDB has one writer) stay on the machine that
runs them.

- `defs`: the project's Definitions with that parse job (`dagster dev -m pipelines.executors`).
- `celery_parse_job`: the job as submitters and workers rebuild it (`reconstructable`).
- `run_night_on_celery` / `python -m pipelines.executors`: ingest here, parse on the workers
  (one run, its batches spread over the workers), then the warehouse here.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from dagster import (
    DagsterInstance,
    Definitions,
    ExecutorDefinition,
    JobDefinition,
    reconstructable,
)

from pipelines.schedules import build_parse_job, parse_job
from pipelines.settings import PipelineSettings

CELERY_BROKER_ENV = "FW_CELERY_BROKER"
CELERY_BACKEND_ENV = "FW_CELERY_BACKEND"
PARSE_JOB_NAME = parse_job.name


# Celery settings of the submitting run and of the workers (`config_source`, in every worker's
# celery.yaml too: docs/scale-out.md). A worker holds one batch at a time and acknowledges it when
# the step has finished, not when it starts: idle workers take the next batch instead of a busy
# one queueing it behind its own (the default prefetch reserves 4 tasks per worker), and a batch
# whose worker is lost mid-step is not lost with it (Redis delivers it again when its visibility
# timeout expires).
CELERY_SETTINGS = {
    "task_acks_late": True,
    "task_reject_on_worker_lost": True,
    "worker_prefetch_multiplier": 1,
}


def celery_config(broker: str, backend: str | None = None, transport_options: Mapping | None = None) -> dict:
    """The `celery_executor` config; workers must be started with the same config (celery.yaml).

    `transport_options` become Celery's `broker_transport_options`, e.g. a Redis
    `visibility_timeout` (seconds before a batch held by a lost worker is delivered again; kombu's
    default is an hour) and how often idle workers look for such batches
    (`unacked_restore_interval` x `unacked_restore_throttle` seconds, default 10 x 10).
    """
    source = dict(CELERY_SETTINGS)
    if transport_options:
        source["broker_transport_options"] = dict(transport_options)
    return {"broker": broker, "backend": backend or broker, "config_source": source}


def parse_executor(env: Mapping[str, str] = os.environ) -> ExecutorDefinition | None:
    """The Celery executor when FW_CELERY_BROKER is set, else None (the Definitions' default)."""
    broker = env.get(CELERY_BROKER_ENV, "").strip()
    if not broker:
        return None
    from dagster_celery import celery_executor

    return celery_executor.configured(celery_config(broker, env.get(CELERY_BACKEND_ENV, "").strip() or None),
                                      name="celery")


def build_engine_definitions(settings: PipelineSettings | None = None,
                             executor_def: ExecutorDefinition | None = None) -> Definitions:
    """`pipelines.definitions.build_definitions`, with the parse job on `executor_def` (or the
    executor FW_CELERY_BROKER selects); unchanged when neither is given."""
    from pipelines.definitions import build_definitions

    base = build_definitions(settings)
    executor_def = executor_def or parse_executor()
    if executor_def is None:
        return base
    parse = build_parse_job(executor_def)
    swap = lambda jobs: [parse if j is parse_job else j for j in jobs]  # noqa: E731
    return Definitions(
        assets=base.assets, jobs=swap(base.jobs), schedules=base.schedules, resources=base.resources,
        loggers=base.loggers,
        sensors=[s.with_updated_jobs(swap(s.jobs)) if any(j is parse_job for j in s.jobs) else s for s in base.sensors],
    )


def local_parse_job() -> JobDefinition:
    """The parse job on the Definitions' default executor (multiprocess unless the run config says
    in_process), rebuilt by name in its step processes (`reconstructable(local_parse_job)`);
    what `dagster dev` and the daemon run, for a caller outside them (bench, tests)."""
    from pipelines.definitions import build_definitions

    return build_definitions().resolve_job_def(PARSE_JOB_NAME)


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


def run_night_on_celery(settings: PipelineSettings, instance: DagsterInstance, log_level: str = "INFO"):
    """`orchestration.run_night` with the parse runs on Celery: ingest and warehouse here, each
    parse run's batch steps on the workers. `instance` must be persistent (DAGSTER_HOME) and
    shared with the workers."""
    from pipelines.orchestration import run_night

    return run_night(settings, instance, log_level=log_level, parse_job=reconstructable(celery_parse_job))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines.executors",
        description="One night with the parse step on Celery workers (needs DAGSTER_HOME and FW_CELERY_BROKER).")
    parser.add_argument("--landing", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--parse-cache-url", default=os.environ.get("FW_PARSE_CACHE_URL", ""))
    parser.add_argument("--batches", type=int, default=int(os.environ.get("FW_PARSE_BATCHES", "0") or 0),
                        help="parse steps (Celery tasks) per run: about the number of workers, or a few times it")
    args = parser.parse_args(argv)
    if not os.environ.get(CELERY_BROKER_ENV) or not os.environ.get("DAGSTER_HOME"):
        print(f"set {CELERY_BROKER_ENV} (e.g. redis://host:6379/0) and DAGSTER_HOME (shared with the workers)",
              file=sys.stderr)
        return 2
    settings = PipelineSettings(landing_dir=args.landing, warehouse_path=args.warehouse, data_dir=args.data_dir,
                                parse_cache_url=args.parse_cache_url, parse_batches=args.batches)
    with DagsterInstance.get() as instance:
        outcome = run_night_on_celery(settings, instance)
    print(f"{'ok' if outcome.success else 'FAILED'} in {outcome.seconds:.1f} s: {outcome.parsed} documents parsed on Celery"
          + "".join(f"\n  {e}" for e in outcome.errors))
    return 0 if outcome.success else 1


defs = build_engine_definitions()

if __name__ == "__main__":
    from pipelines.executors import main as _main  # the module by its name: workers rebuild jobs from it

    sys.exit(_main())
