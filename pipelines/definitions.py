"""The one Dagster `Definitions` of the project (`dagster dev -w workspace.yaml`)."""
from __future__ import annotations

from dagster import Definitions, colored_console_logger

from pipelines.assets.ingest import archived_documents, raw_staging
from pipelines.assets.parse import parsed_document
from pipelines.assets.publish import published_warehouse
from pipelines.assets.quality import expectation_results
from pipelines.assets.warehouse import warehouse_models
from pipelines.dbt import DBT_EXECUTABLE, WarehouseDbtCliResource, dbt_project
from pipelines.schedules import (
    ingest_job,
    landing_folder_sensor,
    nightly_schedule,
    parse_job,
    pending_work_sensor,
    warehouse_job,
)
from pipelines.report import run_log_file
from pipelines.settings import PipelineSettings
from pipelines.step_storage import STEP_STORAGE_KEY, step_storage


def build_definitions(settings: PipelineSettings | None = None) -> Definitions:
    return Definitions(
        assets=[archived_documents, parsed_document, raw_staging, warehouse_models, expectation_results, published_warehouse],
        jobs=[ingest_job, parse_job, warehouse_job],
        schedules=[nightly_schedule],
        sensors=[landing_folder_sensor, pending_work_sensor],
        resources={
            "settings": settings or PipelineSettings(),
            "dbt": WarehouseDbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
            STEP_STORAGE_KEY: step_storage,
        },
        # Dagster's console logger, as for any job, and the run's log file the CLI's nights ask
        # for in their run config (a run that names no logger gets the console one only).
        loggers={"console": colored_console_logger, "run_log_file": run_log_file},
    )


defs = build_definitions()
