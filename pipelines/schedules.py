"""The nightly job, its schedule (Asia/Shanghai) and the landing-folder sensor."""

import hashlib
import os

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipelines.settings import PipelineSettings

nightly_job = define_asset_job(
    "nightly_warehouse",
    selection=AssetSelection.all(),
    description="Ingest the landing folder, parse, stage, build the warehouse, validate, publish.",
)

nightly_schedule = ScheduleDefinition(
    name="nightly_at_2am_shanghai",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.STOPPED,
)


def landing_fingerprint(settings: PipelineSettings) -> str:
    """A digest of the names, sizes and modification times of the landing folder's PDFs."""
    digest = hashlib.sha256()
    landing = settings.landing
    for root, dirs, files in os.walk(landing):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(".pdf"):
                st = os.stat(os.path.join(root, name))
                digest.update(f"{os.path.relpath(os.path.join(root, name), landing)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@sensor(job=nightly_job, minimum_interval_seconds=300, description="Starts a run when PDFs are added to or changed in the landing folder.")
def landing_folder_sensor(context: SensorEvaluationContext, settings: PipelineSettings):
    if not settings.landing.is_dir():
        return SkipReason(f"landing folder {settings.landing} does not exist")
    fingerprint = landing_fingerprint(settings)
    if fingerprint == context.cursor:
        return SkipReason("landing folder unchanged")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)
