"""The working warehouse file: created in the storage format the analysts' file is published in.

DuckDB keeps a file's storage format for its whole life (the version it was created with is
recorded in the file and every later write keeps it). A working file created in the publish
format (default v1.0.0, readable by DuckDB 1.1 and newer) is therefore published by copying its
bytes, not by rewriting the whole database into a new file (4-6 s at 1,000 documents, for a night
that changed ten of them).
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

# Oldest DuckDB storage format the published file is written in ('latest': the writer's own).
PUBLISH_STORAGE_VERSION = os.environ.get("FW_PUBLISH_STORAGE_VERSION", "v1.0.0")


def sql_literal(text: str) -> str:
    """A SQL string literal (for ATTACH paths and options, which take no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def create_working_file(path: Path, storage_version: str | None = None) -> None:
    """Create an empty DuckDB file at `path` in `storage_version` (no-op when it exists)."""
    storage_version = PUBLISH_STORAGE_VERSION if storage_version is None else storage_version
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        options = "" if storage_version in ("", "latest") else f" (storage_version {sql_literal(storage_version)})"
        con.execute(f"attach {sql_literal(str(path))} as new_working_file{options}")
        con.execute("detach new_working_file")


def connect_working(path: Path, config: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the working file read-write, creating it in the publish storage format if absent.
    `config`: DuckDB's limits (PipelineSettings.duckdb_config: memory_limit, threads, spill folder)."""
    create_working_file(path)
    return duckdb.connect(str(path), config=dict(config or {}))


def storage_version_of(con: duckdb.DuckDBPyConnection) -> str:
    """The storage format of the connection's main database, e.g. 'v1.0.0+' ('' if not recorded)."""
    row = con.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return (row[0] or "") if row else ""


def matches_storage_version(recorded: str, wanted: str) -> bool:
    """True when a file recorded as `recorded` (e.g. 'v1.0.0+') is in the format `wanted` names."""
    if wanted in ("", "latest"):
        return True
    return recorded.rstrip("+") == wanted.rstrip("+")
