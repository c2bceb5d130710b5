"""Jobs, the nightly schedule (Asia/Shanghai) and the sensors that carry a night's work along.

Flow without anyone watching: the schedule (or the landing-folder sensor) runs `ingest_documents`,
which archives new files and adds their partitions; `pending_work_sensor` then requests
`parse_documents` for the partitions not parsed yet (in one run per contiguous range), and
`build_warehouse` once everything is parsed and the published file is older than the parse cache.
"""
import hashlib
import os

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ingest.archive import Archive
from ingest.workers import cache_path
from pipelines.assets.ingest import archived_documents
from pipelines.assets.parse import parsed_document
from pipelines.partitions import document_partitions, partition_keys, sync_partitions
from pipelines.settings import PipelineSettings

ingest_job = define_asset_job(
    "ingest_documents", selection=[archived_documents],
    description="Archive new files of the landing folder and the URL manifest; add their partitions.",
)


def build_parse_job(executor_def=None):
    """The parse job; `pipelines.executors` (Celery) and `pipelines.k8s` build it again on their
    executor."""
    return define_asset_job(
        "parse_documents", selection=[parsed_document], executor_def=executor_def,
        description="Parse documents (one partition each; a range runs in one run).",
    )


parse_job = build_parse_job()
warehouse_job = define_asset_job(
    "build_warehouse",
    selection=AssetSelection.all() - AssetSelection.assets(archived_documents, parsed_document),
    description="Stage, build the dbt models, validate the identities, publish the analysts' file.",
)

nightly_schedule = ScheduleDefinition(
    name="nightly_at_2am_shanghai",
    job=ingest_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=DefaultScheduleStatus.STOPPED,
)


def partition_range_tags(start: str, end: str) -> dict[str, str]:
    return {ASSET_PARTITION_RANGE_START_TAG: start, ASSET_PARTITION_RANGE_END_TAG: end}


def contiguous_ranges(ordered_keys: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """Group the wanted partition keys into runs of neighbours in the partition order."""
    ranges, start, prev = [], None, None
    for key in ordered_keys:
        if key in wanted:
            start = start or key
            prev = key
        elif start is not None:
            ranges.append((start, prev))
            start = None
    if start is not None:
        ranges.append((start, prev))
    return ranges


def pending_documents(settings: PipelineSettings, archived=None) -> list[str]:
    """Archived documents without a parse result for the current parser version (`archived`:
    the archive's documents when the caller has read them already)."""
    parsed_dir = settings.parsed_dir  # resolved once, not per document
    docs = Archive(settings.archive_dir).documents() if archived is None else archived
    return [d.document_id for d in docs if not cache_path(parsed_dir, d.document_id).exists()]


def landing_fingerprint(settings: PipelineSettings) -> str:
    """A digest of the names, sizes and modification times of the landing folder's PDFs."""
    digest = hashlib.sha256()
    landing = settings.landing
    for root, dirs, files in os.walk(landing):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(".pdf"):
                st = os.stat(os.path.join(root, name))
                # surrogateescape: a name that is not UTF-8 (GBK bytes) must not stop the sensor
                digest.update(f"{os.path.relpath(os.path.join(root, name), landing)}\0{st.st_size}\0{st.st_mtime_ns}\n"
                              .encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@sensor(job=ingest_job, minimum_interval_seconds=300,
        description="Starts an ingest run when PDFs are added to or changed in the landing folder.")
def landing_folder_sensor(context: SensorEvaluationContext, settings: PipelineSettings):
    if not settings.landing.is_dir():
        return SkipReason(f"landing folder {settings.landing} does not exist")
    fingerprint = landing_fingerprint(settings)
    if fingerprint == context.cursor:
        return SkipReason("landing folder unchanged")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)


@sensor(jobs=[parse_job, warehouse_job], minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING,
        description="Parses archived documents that are not parsed yet, then rebuilds and publishes the warehouse.")
def pending_work_sensor(context: SensorEvaluationContext, settings: PipelineSettings):
    # The archive is read once a tick (10,000 sidecars: it was read three times, 20 s a tick with
    # the per-document path resolution, bench/partitions.py)
    archived = Archive(settings.archive_dir).documents()
    pending = pending_documents(settings, archived)
    if pending:
        docs = Archive(settings.archive_dir).documents()
        keys = partition_keys(docs)
        wanted = {keys[d] for d in pending if d in keys}
        order = context.instance.get_dynamic_partitions(document_partitions.name)
        if not wanted <= set(order):  # archived since the last ingest, or an instance with old keys
            sync_partitions(context.instance, docs)
            order = context.instance.get_dynamic_partitions(document_partitions.name)
        digest = hashlib.sha256("\n".join(sorted(pending)).encode()).hexdigest()[:16]
        return [
            RunRequest(job_name=parse_job.name, run_key=f"parse-{digest}-{start}", tags=partition_range_tags(start, end))
            for start, end in contiguous_ranges(order, wanted)
        ]
    from pipelines.warehouse_state import warehouse_inputs_key, warehouse_up_to_date

    current, why = warehouse_up_to_date(settings, archived)
    if not current and archived:
        return RunRequest(job_name=warehouse_job.name, run_key=f"warehouse-{warehouse_inputs_key(settings, archived)}")
    return SkipReason(f"nothing pending: every archived document is parsed; {why}")
