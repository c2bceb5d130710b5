"""dbt models (staging views, intermediate, marts) as Dagster assets; dbt tests become checks."""

import os

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.assets.ingest import DUCKDB_POOL
from pipelines.dbt import dbt_project, ensure_manifest
from pipelines.settings import PipelineSettings

ensure_manifest()


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, pool=DUCKDB_POOL)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, settings: PipelineSettings):
    os.environ["FW_WORKING_DB"] = str(settings.working_db)
    os.environ.setdefault("DO_NOT_TRACK", "1")
    yield from dbt.cli(["build"], context=context).stream()
