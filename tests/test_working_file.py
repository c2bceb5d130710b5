"""The working file is created in the publish storage format, so publishing is a byte copy.

DuckDB 2.0 writes its own storage format (which DuckDB 1.x refuses) unless a file was created
with an older STORAGE_VERSION; a file keeps the format it was created with through later writes.
"""
from __future__ import annotations

import duckdb

from pipelines.assets.publish import INTERNAL_SCHEMA, publish_file
from pipelines.working_file import (
    connect_working,
    create_working_file,
    matches_storage_version,
    storage_version_of,
)


def _fill(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema marts")
    con.execute("create table marts.amounts as select 1 as id, cast('2946.25' as decimal(18, 2)) as total")
    con.execute("create view marts.v_amounts as select * from marts.amounts")
    con.execute(f"create schema {INTERNAL_SCHEMA}")
    con.execute(f"create table {INTERNAL_SCHEMA}.state (key varchar, value varchar)")


def test_working_file_keeps_the_publish_format_through_writes(tmp_path):
    work = tmp_path / "work" / "warehouse.duckdb"
    with connect_working(work) as con:
        _fill(con)
    with duckdb.connect(str(work)) as con:  # a later writer (dbt, staging) opens it plainly
        con.execute("insert into marts.amounts values (2, 1511.89)")
        con.execute("checkpoint")
        assert storage_version_of(con) == "v1.0.0+"


def test_publish_copies_the_bytes_and_drops_the_pipeline_schema(tmp_path):
    work, published = tmp_path / "work" / "warehouse.duckdb", tmp_path / "pub" / "warehouse.duckdb"
    with connect_working(work) as con:
        _fill(con)
    publish_file(work, published, storage_version="v1.0.0")
    with duckdb.connect(str(published), read_only=True) as con:
        assert storage_version_of(con) == "v1.0.0+"
        assert str(con.execute("select total from marts.v_amounts").fetchall()[0][0]) == "2946.25"
        assert str(con.execute("select total from marts.amounts").fetchall()[0][0]) == "2946.25"
        schemas = {r[0] for r in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert INTERNAL_SCHEMA not in schemas and "marts" in schemas
    with duckdb.connect(str(work), read_only=True) as con:  # the working file keeps its bookkeeping
        assert con.execute(f"select count(*) from {INTERNAL_SCHEMA}.state").fetchall() == [(0,)]


def test_a_working_file_in_another_format_is_converted_when_published(tmp_path):
    work, published = tmp_path / "work" / "warehouse.duckdb", tmp_path / "pub" / "warehouse.duckdb"
    create_working_file(work, storage_version="latest")
    with duckdb.connect(str(work)) as con:
        assert not matches_storage_version(storage_version_of(con), "v1.0.0")
        _fill(con)
    publish_file(work, published, storage_version="v1.0.0")
    with duckdb.connect(str(published), read_only=True) as con:
        assert storage_version_of(con) == "v1.0.0+"
        assert str(con.execute("select total from marts.amounts").fetchall()[0][0]) == "2946.25"


def test_storage_version_matching():
    assert matches_storage_version("v1.0.0+", "v1.0.0")
    assert matches_storage_version("v1.0.0+", "v1.0.0+")
    assert not matches_storage_version("v1.2.0+", "v1.0.0")
    assert not matches_storage_version("", "v1.0.0")
    assert matches_storage_version("", "latest")
