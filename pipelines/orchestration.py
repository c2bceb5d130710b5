"""Run the night's jobs in order through Dagster (used by the CLI, the Celery night and the tests).

The same three jobs run unattended under the daemon (schedule and sensors); here they run one
after the other on one instance, so the partitions added by the ingest run are seen by the parse
runs. They run in-process, except the parse runs when a `parse_job` is given (Celery).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, execute_job
from dagster._core.definitions.reconstruct import ReconstructableJob

from ingest.archive import Archive
from pipelines.definitions import build_definitions
from pipelines.instance import fail_orphaned_runs, night_tags
from pipelines.partitions import document_for_key, document_partitions, partition_keys
from pipelines.schedules import contiguous_ranges, parse_job as _parse_job, partition_range_tags, pending_documents
from pipelines.settings import PipelineSettings
from pipelines.warehouse_state import warehouse_up_to_date

PARSE_JOB = _parse_job.name


@dataclass
class NightOutcome:
    success: bool
    seconds: float
    parsed: int = 0
    errors: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    skipped_warehouse: str = ""  # why the warehouse job did not run (nothing had changed)
    warnings: list[str] = field(default_factory=list)  # e.g. nothing to build: the archive is empty


def _errors(result) -> list[str]:
    out = []
    for event in result.all_events:
        if event.is_step_failure:
            err = event.step_failure_data.error
            while err is not None and err.cause is not None:  # the user code's own error
                err = err.cause
            message = err.message.strip().splitlines()[0] if err else "unknown error"
            out.append(f"step {event.step_key} failed: {message}")
    return out or ["run failed"]


def _published(instance: DagsterInstance, run_id: str, outcome: NightOutcome) -> bool:
    """A warehouse run can succeed without publishing: Dagster skips a step whose upstream asset
    was not materialized. A night that did not publish is not a success."""
    if any(entry.asset_materialization is not None
           and entry.asset_materialization.asset_key.to_user_string() == "published_warehouse"
           for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)):
        return True
    outcome.errors.append("the warehouse run ended without publishing (published_warehouse was skipped): "
                          "the published file is unchanged; see the run's events")
    return False


class NightAlreadyRunning(RuntimeError):
    """Another night holds the data folder's lock."""


class NightCannotStart(RuntimeError):
    """The data folder cannot be written (read-only, wrong owner, not a folder): nothing was done."""


@contextlib.contextmanager
def night_lock(settings: PipelineSettings) -> Iterator[None]:
    """One night at a time per data folder (`<data_dir>/night.lock`, an advisory `flock`).

    Two nights on the same folder would stage into the same working file and hand parse batches
    over through the same steps folder; cron starting a night while the last one still runs must
    wait for the next night instead. The lock goes with the process, however it ends. A data
    folder the night cannot write is `NightCannotStart` (one line, no traceback), before anything.
    """
    try:
        settings.data.mkdir(parents=True, exist_ok=True)
        handle = open(settings.data / "night.lock", "a+", encoding="utf-8")
    except OSError as exc:
        raise NightCannotStart(f"cannot write to the data folder {settings.data} ({exc.strerror or exc}): "
                               "make it writable by this user, or pass --data-dir") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise NightAlreadyRunning(f"another night is running on {settings.data} ({holder}); "
                                      "this one did nothing: let that one finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}\n")
        handle.flush()
        yield
    finally:
        handle.close()  # releases the lock


def run_night(settings: PipelineSettings, instance: DagsterInstance, *, reparse: str | None = None,
              log_level: str = "INFO", parse_job: ReconstructableJob | None = None,
              log_file: Path | None = None) -> NightOutcome:
    """ingest -> parse (what is pending, or what `reparse` names: 'all' or a document id) -> warehouse.

    `parse_job` runs the parse runs on another engine (pipelines.executors: Celery workers); it
    is rebuilt from the run's config, so `instance` must be persistent and shared with them.
    One night at a time per data folder (`night_lock`): a second one returns a failed outcome
    saying so, having done nothing; so does a night whose data folder cannot be written.
    `log_level` is the level of Dagster's console logger;
    `log_file` also appends every run's full Dagster log (DEBUG) to that file.
    A night whose archive is empty after the ingest builds nothing: publishing would replace the
    analysts' file with an empty warehouse (a landing folder given wrong, emptied, unmounted).
    """
    started = time.perf_counter()
    try:
        with night_lock(settings):
            if not instance.is_ephemeral:
                fail_orphaned_runs(instance)  # a killed night's runs would hold the pool's slot
            return _run_night(settings, instance, reparse, log_level, parse_job, started, log_file)
    except (NightAlreadyRunning, NightCannotStart) as refused:
        outcome = NightOutcome(success=False, seconds=time.perf_counter() - started, errors=[str(refused)])
        _record(settings, outcome)
        return outcome


def _run_night(settings: PipelineSettings, instance: DagsterInstance, reparse: str | None, log_level: str,
               parse_job: ReconstructableJob | None, started: float, log_file: Path | None) -> NightOutcome:
    defs = build_definitions(settings)
    loggers = {"console": {"config": {"log_level": log_level}}}
    if log_file is not None:
        loggers["run_log_file"] = {"config": {"path": str(log_file), "log_level": "DEBUG"}}
    run_config = {"loggers": loggers}
    outcome = NightOutcome(success=False, seconds=0.0)

    def note(result) -> bool:
        outcome.run_ids.append(result.run_id)
        if not result.success:
            outcome.errors.extend(_errors(result))
        return result.success

    def execute(job_name: str, tags: dict | None = None) -> bool:
        tags = {**night_tags(), **(tags or {})}
        if job_name == PARSE_JOB and parse_job is not None:
            from pipelines.executors import settings_run_config  # settings travel in the run config

            with execute_job(parse_job, instance=instance, run_config={**settings_run_config(settings), **run_config},
                             tags=tags, raise_on_error=False) as result:
                return note(result)
        return note(defs.resolve_job_def(job_name).execute_in_process(
            instance=instance, run_config=run_config, tags=tags, raise_on_error=False))

    ingested = execute("ingest_documents")
    if ingested and not any(Archive(settings.archive_dir).documents()):
        outcome.success = True
        outcome.warnings.append(
            f"nothing to build: no PDF in the landing folder {settings.landing} and none archived before"
            + ("" if not settings.manifest_path else " (nor downloaded from the manifest)")
            + "; the published warehouse is left as it was")
        outcome.skipped_warehouse = "the archive is empty"
    elif ingested:
        if reparse == "all":
            wanted = {d.document_id for d in Archive(settings.archive_dir).documents()}
        elif reparse:  # a document id, or a partition key / short id copied from the UI
            doc = document_for_key(Archive(settings.archive_dir), reparse)
            wanted = {doc.document_id} if doc else set()
            if doc is None:
                outcome.warnings.append(f"--reparse {reparse}: no archived document (or more than one) has this id")
        else:
            wanted = set(pending_documents(settings))
        keys = partition_keys(Archive(settings.archive_dir).documents())
        order = instance.get_dynamic_partitions(document_partitions.name)
        ok = True
        for start, end in contiguous_ranges(order, {keys[d] for d in wanted if d in keys}):
            ok = execute(PARSE_JOB, partition_range_tags(start, end)) and ok
        outcome.parsed = len(wanted)
        current, why = warehouse_up_to_date(settings) if ok else (False, "")
        if current:
            outcome.success = True
            outcome.skipped_warehouse = why
        elif ok and execute("build_warehouse") and _published(instance, outcome.run_ids[-1], outcome):
            outcome.success = True
    outcome.seconds = time.perf_counter() - started
    _record(settings, outcome)
    return outcome


def _record(settings: PipelineSettings, outcome: NightOutcome) -> None:
    """Append the outcome to <data_dir>/runs.jsonl, read by `python -m pipelines status`.

    A runs.jsonl that cannot be written (a read-only data folder) is said in the outcome's
    errors instead of raising: the night's own error is the one to report."""
    line = {
        "finished_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "success": outcome.success, "seconds": round(outcome.seconds, 1), "parsed": outcome.parsed,
        "errors": outcome.errors, "run_ids": outcome.run_ids, "skipped_warehouse": outcome.skipped_warehouse,
        "warnings": outcome.warnings,
    }
    try:
        settings.data.mkdir(parents=True, exist_ok=True)
        with open(settings.data / "runs.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    except OSError as exc:
        outcome.errors.append(f"this run could not be recorded in {settings.data / 'runs.jsonl'} "
                              f"({exc.strerror or exc})")
