"""Publish the working warehouse for analysts with one atomic rename.

Analysts open the published file; the run never holds it open. A reader that has the old file
open keeps reading the old version (POSIX rename keeps its inode alive) and sees the new data on
reconnect. A failed run never reaches this asset, so the last good publication stays in place.

The published file is in an older DuckDB storage format (`PUBLISH_STORAGE_VERSION`, default
v1.0.0) so that analysts' DuckDB 1.x clients can open it too: DuckDB 2.0's own format (storage
version 69) is refused by 1.x. The working file is created in that format
(pipelines/working_file.py) and DuckDB keeps a file's format, so publishing copies its bytes
(checkpointed first) and drops the pipeline's bookkeeping schema from the copy. A working file
in another format (made before this, or with another FW_PUBLISH_STORAGE_VERSION) is instead
copied database-wide into a new file in the wanted format (`COPY FROM DATABASE`: schemas,
tables, views; 4-6 s at 1,000 documents), which gives the same tables and views. Measured:
DuckDB 1.1.3 to 1.5.6 and 2.0 open the result and read every table and view; DuckDB 1.0.0 reads
the tables but not the view definitions. FW_PUBLISH_STORAGE_VERSION=latest publishes in the
newest format.

The published file is the analysts' to read, never to write. It is published read-only (mode
0444: a read-write open by anyone but root fails), and DuckDB's side files beside it (`.wal`,
`.wal.checkpoint`, `.wal.recovery`), left by someone who opened it read-write anyway and did not
checkpoint (or was killed), are moved aside to `<name>.wal.stale-<UTC time>` BEFORE the new file
is renamed into place, and once more after: DuckDB would otherwise replay that WAL onto every
later publication (their scratch tables appearing in it, their deletes applied to it, and with
DuckDB 2.0's format "WAL does not match database file"). A night with nothing new notices a
published file changed or a WAL beside it (pipelines/warehouse_state.py) and publishes again.
"""

import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, MaterializeResult, asset

from pipelines.assets.ingest import DUCKDB_POOL
from pipelines.assets.quality import expectation_results
from pipelines.assets.warehouse import warehouse_models
from pipelines.report import report
from pipelines.settings import PipelineSettings
from pipelines.working_file import (
    PUBLISH_STORAGE_VERSION,
    matches_storage_version,
    sql_literal,
    storage_version_of,
)

# The pipeline's own bookkeeping (staged signatures, pending documents): not for analysts.
INTERNAL_SCHEMA = "pipeline"
# What DuckDB keeps beside a database file it has open read-write (1.x: .wal; 2.0 also the others).
DUCKDB_SIDE_FILES = (".wal", ".wal.checkpoint", ".wal.recovery")
PUBLISHED_MODE = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # 0444: analysts read it


def side_files(published: Path) -> list[Path]:
    """DuckDB's side files present beside `published` (a WAL nobody checkpointed)."""
    return [side for suffix in DUCKDB_SIDE_FILES
            if os.path.lexists(side := published.with_name(published.name + suffix))]


def set_aside_side_files(published: Path) -> list[Path]:
    """Move DuckDB's side files of `published` to dated names beside it (kept, never replayed)."""
    moved = []
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    for side in side_files(published):
        target = side.with_name(f"{side.name}.stale-{stamp}")
        os.replace(side, target)
        moved.append(target)
    return moved


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_in_storage_version(working: Path, target: Path, storage_version: str, config: dict[str, str]) -> None:
    """Copy every schema, table and view of `working` into a new file `target` written in
    `storage_version`. The working file is attached under its own catalog name (its stem, the
    published file's stem too), so the views' catalog-qualified references resolve during the
    copy and in the published file."""
    with duckdb.connect(config=config) as con:
        con.execute(f"attach {sql_literal(str(working))} as {_quote(working.stem)} (read_only)")
        con.execute(f"attach {sql_literal(str(target))} as publishing (storage_version {sql_literal(storage_version)})")
        con.execute(f"copy from database {_quote(working.stem)} to publishing")
        con.execute(f"drop schema if exists publishing.{INTERNAL_SCHEMA} cascade")
        con.execute("detach publishing")


def publish_file(working: Path, published: Path, storage_version: str | None = None,
                 duckdb_config: dict[str, str] | None = None) -> list[Path]:
    """Write the analysts' file next to `published` under a temporary name, then rename it over
    `published` in one step. Nothing is written to `published` itself before the rename, so an
    error at any point leaves the previous publication untouched (byte-identical).

    Returns the stale side files (WAL) set aside, if any (see the module docstring)."""
    storage_version = PUBLISH_STORAGE_VERSION if storage_version is None else storage_version
    config = dict(duckdb_config or {})  # DuckDB's limits (PipelineSettings.duckdb_config)
    with duckdb.connect(str(working), config=config) as con:
        con.execute("checkpoint")
        same_format = matches_storage_version(storage_version_of(con), storage_version)
    published.parent.mkdir(parents=True, exist_ok=True)
    tmp = published.with_name(f".{published.name}.publishing")
    leftovers = (tmp, *(tmp.with_name(tmp.name + suffix) for suffix in DUCKDB_SIDE_FILES))
    for path in leftovers:  # from a run killed while publishing
        path.unlink(missing_ok=True)
    try:
        if same_format:
            shutil.copyfile(working, tmp)
            with duckdb.connect(str(tmp), config=config) as con:
                con.execute(f"drop schema if exists {INTERNAL_SCHEMA} cascade")
                con.execute("checkpoint")
        else:
            _copy_in_storage_version(working, tmp, storage_version, config)
        os.chmod(tmp, PUBLISHED_MODE)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        # Before the swap: no instant where the new file has a stale WAL beside it. After it: a
        # WAL written in between by a session still open on the old file belongs to the old file.
        moved = set_aside_side_files(published)
        os.replace(tmp, published)
        moved += set_aside_side_files(published)
        _fsync_dir(published.parent)
    finally:
        for path in leftovers:
            path.unlink(missing_ok=True)
    return moved


# The seeds are left out: a night does not reload them (their content is in the build fingerprint,
# see FIXED_BY_BUILD_EXCLUDE), and a dependency on an asset the run did not materialize would make
# Dagster skip the publication. They reach it through the dimensions built from them.
_PUBLISHED_MODELS = [key for key in warehouse_models.keys if key.path[0] != "seeds"]


@asset(
    group_name="publish",
    deps=[expectation_results, *_PUBLISHED_MODELS],
    pool=DUCKDB_POOL,
    description="The analysts' warehouse file (--warehouse), replaced atomically at the end of a good run.",
)
def published_warehouse(context: AssetExecutionContext, settings: PipelineSettings) -> MaterializeResult:
    from pipelines.warehouse_state import mark_published

    stale = publish_file(settings.working_db, settings.warehouse, duckdb_config=settings.duckdb_config())
    for path in stale:
        context.log.warning(f"{path.name}: a WAL left beside the published file by a read-write session was set "
                            "aside (not replayed); analysts open the published file read-only")
    mark_published(settings)
    report(context, f"published {settings.warehouse} (storage compatible with DuckDB {PUBLISH_STORAGE_VERSION})")
    return MaterializeResult(metadata={
        "path": str(settings.warehouse),
        "bytes": settings.warehouse.stat().st_size,
        "storage_version": PUBLISH_STORAGE_VERSION,
        "stale_wal_set_aside": ", ".join(p.name for p in stale) or "none",
    })
