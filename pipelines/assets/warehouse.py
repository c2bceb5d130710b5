"""dbt models (staging views, intermediate, marts) as Dagster assets; dbt tests become checks."""
import contextlib
import importlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines.assets.ingest import DUCKDB_POOL
from pipelines.dbt import dbt_project, ensure_manifest
from pipelines.report import Throttle, report
from pipelines.settings import PipelineSettings
from pipelines.warehouse_state import mark_built, needs_full_refresh

ensure_manifest()


def _warm_great_expectations() -> None:
    try:
        importlib.import_module("great_expectations")
    except Exception:  # the validation step imports it again and reports a real problem there
        pass


def _keep_partial_parse(run_target: Path) -> None:
    """Hand this build's parse state to the next one.

    dagster-dbt starts each build from `dbt_project/target/partial_parse.msgpack`, which was
    written by `dbt parse` with another working file in the profile; dbt then re-parses the
    whole project ("profile has changed", 3-4 s). The state of a real build has this
    deployment's working file, so the next night parses only what changed.
    """
    source = Path(run_target) / "partial_parse.msgpack"
    if source.exists():
        target = Path(dbt_project.project_dir) / "target" / "partial_parse.msgpack"
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)


def _prune_old_targets(current: Path, keep: int = 3) -> None:
    """dagster-dbt gives every build its own target folder (artifacts, compiled SQL, about 13 MB)
    and never removes one: keep the newest few, or a year of nights fills the disk."""
    siblings = sorted((p for p in current.parent.glob("warehouse_models-*") if p.is_dir() and p != current),
                      key=lambda p: p.stat().st_mtime, reverse=True)
    for old in siblings[keep - 1:]:
        shutil.rmtree(old, ignore_errors=True)


# Nodes whose outcome the build fingerprint fixes (pipelines/warehouse_state.py): the seeds and
# their tests (reference data, part of the fingerprint: the seed tables a full build loaded are
# still the same) and the column type tests (a model's column types follow from its SQL and the
# staging schema version, both fingerprinted). They run in every full build, i.e. whenever the
# fingerprint changes, and are skipped on an incremental night. `--indirect-selection empty`
# keeps dbt from also dropping the tests of data models that merely refer to a seed
# (relationships to reference data), which must run every night.
# (One --exclude value: dagster-dbt takes a single value after --exclude and merges it with its own.)
_SEED_FOLDER = "seeds"
_TYPE_TEST = "columns_have_data_types"
FIXED_BY_BUILD_EXCLUDE = ["--indirect-selection", "empty",
                          "--exclude", f"resource_type:seed resource_type:test,path:{_SEED_FOLDER} test_name:{_TYPE_TEST}"]


class _QuietSkippedBuildChecks(logging.Filter):
    """Dagster warns, twice per check, that a blocking check 'emitted no result' when a night
    skips the tests of FIXED_BY_BUILD_EXCLUDE: 64 expected lines in every night's output. Only
    those checks (seeds, column types) are silenced; any other missing check result still warns."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("emitted no result" in message
                    and (f"'{_SEED_FOLDER}/" in message or f":{_TYPE_TEST}_" in message))


logging.getLogger("dagster._core.execution.plan.active").addFilter(_QuietSkippedBuildChecks())

class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Dagster groups named after the dbt project's layers (its folders), so the UI's asset graph
    reads like docs/architecture.md: `staging` (views over raw.*, with the raw.* assets),
    `intermediate`, `marts`, `quality` (the identity residuals under intermediate/identities,
    beside the validation asset `expectation_results`) and `seeds` (reference data). A
    `meta.dagster.group` set in dbt still wins (dagster-dbt's own rule)."""

    LAYERS = ("staging", "intermediate", "marts")

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        explicit = super().get_group_name(dbt_resource_props)
        if explicit:
            return explicit
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        fqn = list(dbt_resource_props.get("fqn") or [])
        if "identities" in fqn[1:-1]:
            return "quality"
        return fqn[1] if len(fqn) > 2 and fqn[1] in self.LAYERS else None


# dbt tests on the raw.* sources become asset checks of the staging assets.
TRANSLATOR = WarehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))


class _DbtProgress:
    """`dbt 37/204` lines from dbt's structured result events (LogModelResult, LogTestResult,
    LogSeedResult: `index` of `total` or `num_models`), a tenth at a time or every 10 s, and a
    closing line with the outcome counts."""

    def __init__(self, context):
        self.context = context
        self.total = 0
        self.done = 0
        self.statuses: dict[str, int] = {}
        self.started = time.monotonic()
        self.throttle: Throttle | None = None

    def see(self, raw_event: Mapping[str, Any]) -> None:
        name = str((raw_event.get("info") or {}).get("name") or "")
        data = raw_event.get("data") or {}
        total = data.get("total") or data.get("num_models")
        if isinstance(total, int) and total > self.total:
            if not self.total:  # the first node starts: dbt has parsed the project
                report(self.context, f"dbt: {total} models, seeds and tests to build "
                                     f"(dbt started and parsed the project in {time.monotonic() - self.started:.0f} s)")
            self.total = total
            self.throttle = Throttle(total)
        if not (name.startswith("Log") and name.endswith("Result")):
            return
        self.done += 1
        status = str(data.get("status") or "unknown").lower()
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.throttle is not None and self.done < self.total and self.throttle.due(self.done):
            report(self.context, f"dbt {self.done}/{self.total} ({time.monotonic() - self.started:.0f} s)")

    def close(self) -> None:
        problems = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())
                             if s in ("error", "fail", "warn", "skipped", "runtime error"))
        report(self.context, f"dbt {self.done}/{self.total or self.done} done in {time.monotonic() - self.started:.1f} s"
                             + (f" ({problems})" if problems else ""))


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, pool=DUCKDB_POOL, dagster_dbt_translator=TRANSLATOR)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    os.environ["FW_WORKING_DB"] = str(settings.working_db)
    # DuckDB's memory_limit, threads and spill folder inside dbt (profiles.yml `settings`)
    os.environ.update(settings.duckdb_env())
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # dbt's own file log would repeat what is written to log_path below (and costs ~1 s a build).
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "none")
    log_path = settings.data / "logs" / f"dbt-{context.run.run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    context.log.info(f"dbt build on {settings.working_db}; dbt's own log: {log_path}")
    # dbt runs in a subprocess and this process mostly waits for its events: import Great
    # Expectations (3-4 s of CPU) on the other core meanwhile, for the validation step after it.
    threading.Thread(target=_warm_great_expectations, name="warm-gx", daemon=True).start()
    # dagster-dbt echoes every dbt line to stdout; keep it in a log file, so the run's own
    # output stays a readable progress report. Results still arrive as Dagster events.
    # Incremental models keep the rows of unchanged documents; rows made by another dbt project
    # (or parser) would be wrong, so a build after such a change refreshes them all.
    full_refresh = needs_full_refresh(settings.working_db)
    if full_refresh:
        report(context, "dbt build --full-refresh: first build, or the dbt project, catalogue or parser changed")
    else:
        report(context, "dbt build: incremental models recompute the changed documents only")
    # A subset (some models materialized from the UI) relies on dbt's indirect selection to run
    # the tests of the selected models: it keeps dbt's defaults.
    if full_refresh:
        args = ["build", "--full-refresh"]
    elif context.is_subset:
        args = ["build"]
    else:
        args = ["build", *FIXED_BY_BUILD_EXCLUDE]
    # The raw events are read here (dagster-dbt's `stream()` reads the same ones) to report
    # progress; each becomes Dagster's events as `stream()` would make them.
    progress = _DbtProgress(context)
    with open(log_path, "a", encoding="utf-8") as log, contextlib.redirect_stdout(log):
        invocation = dbt.cli(args, context=context)
        events = 0
        try:
            for raw in invocation.stream_raw_events():
                progress.see(raw.raw_event)
                for event in raw.to_default_asset_events(
                        manifest=invocation.manifest, dagster_dbt_translator=invocation.dagster_dbt_translator,
                        context=invocation.context, target_path=invocation.target_path, project=invocation.project):
                    events += 1
                    yield event
        finally:
            progress.close()
    _keep_partial_parse(invocation.target_path)
    _prune_old_targets(Path(invocation.target_path))
    mark_built(settings.working_db)
    context.log.info(f"dbt build finished: {events} models and tests materialized or evaluated")
