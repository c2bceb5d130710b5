"""Publish the working warehouse for analysts with one atomic rename.

Analysts open the published file; the run never holds it open. A reader that has the old file
open keeps reading the old version (POSIX rename keeps its inode alive) and sees the new data on
reconnect. A failed run never reaches this asset, so the last good publication stays in place.
"""

import os
import shutil
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.assets.ingest import DUCKDB_POOL
from pipelines.assets.quality import expectation_results
from pipelines.assets.warehouse import warehouse_models
from pipelines.settings import PipelineSettings


def publish_file(working: Path, published: Path) -> None:
    with duckdb.connect(str(working)) as con:
        con.execute("checkpoint")
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.publishing")
    shutil.copyfile(working, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, published)


@asset(
    group_name="publish",
    deps=[expectation_results, *warehouse_models.keys],
    pool=DUCKDB_POOL,
    description="The analysts' warehouse file (--warehouse), replaced atomically at the end of a good run.",
)
def published_warehouse(context: AssetExecutionContext, settings: PipelineSettings) -> MaterializeResult:
    publish_file(settings.working_db, settings.warehouse)
    context.log.info(f"published {settings.warehouse}")
    return MaterializeResult(metadata={"path": str(settings.warehouse), "bytes": settings.warehouse.stat().st_size})

