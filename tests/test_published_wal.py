"""Issue 16, item 1: the published warehouse never inherits an analyst's WAL.

DuckDB replays `<file>.wal` onto whatever file it finds under that name. An analyst who opened
the published file read-write and was killed (or never checkpointed) left one; publication used
to rename the new file under it, and DuckDB then applied their scratch table and their deletes
to every later publication. Here a second process does exactly that and is SIGKILLed; the next
publication must not contain its changes, must equal an uninterrupted run, and must open in
DuckDB 1.x and 2.x. Real DuckDB files, real CLI nights.
"""
from __future__ import annotations

import contextlib
import io
import stat
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate_corpus
from pipelines.assets.publish import INTERNAL_SCHEMA, publish_file
from pipelines.checksum import marts_checksum
from pipelines.working_file import connect_working
from tests.permissions import respecting_file_modes

# An analyst's session: read-write on the published file, a scratch table, deleted rows, killed
# before any checkpoint (DuckDB checkpoints on close and past 16 MB of WAL, neither happens here).
ANALYST = textwrap.dedent(
    """
    import os, signal, sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("create table main.analyst_scratch as select 42 as answer")
    con.execute(sys.argv[2])
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _analyst(path: Path, delete_sql: str) -> None:
    result = subprocess.run([sys.executable, "-c", ANALYST, str(path), delete_sql], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == -9, result.stderr[-2000:]  # killed, as planned
    assert path.with_name(path.name + ".wal").exists(), "the analyst's session left no WAL (test precondition)"


def _tables(path: Path) -> set[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = current_database()"
        ).fetchall()}


def _read_in_duckdb1(python: Path, path: Path, sql: str) -> str:
    script = "import sys, duckdb\ncon = duckdb.connect(sys.argv[1], read_only=True)\n" \
             "print(duckdb.__version__, con.execute(sys.argv[2]).fetchall())\n"
    result = subprocess.run([str(python), "-c", script, str(path), sql], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("1."), result.stdout
    return result.stdout.split(" ", 1)[1].strip()


def _fill(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    con.execute("create schema if not exists marts")
    con.execute("create or replace table marts.amounts as select i as id, cast(i * 1.25 as decimal(18, 2)) as total "
                f"from range({rows}) t(i)")
    con.execute(f"create schema if not exists {INTERNAL_SCHEMA}")


def test_publication_sets_an_analysts_wal_aside(tmp_path, duckdb1_python):
    work, published = tmp_path / "work" / "warehouse.duckdb", tmp_path / "pub" / "warehouse.duckdb"
    with connect_working(work) as con:
        _fill(con, 10)
    publish_file(work, published, storage_version="v1.0.0")
    _analyst(published, "delete from marts.amounts where id < 5")

    with connect_working(work) as con:  # the next night has one more row
        _fill(con, 11)
    stale = publish_file(work, published, storage_version="v1.0.0")

    assert "main.analyst_scratch" not in _tables(published)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*), sum(total) from marts.amounts").fetchall() == [(11, Decimal("68.75"))]
    assert not published.with_name(published.name + ".wal").exists()
    # the analyst's WAL is kept (renamed), never replayed
    assert [p.name for p in stale] and all(p.name.startswith("warehouse.duckdb.wal.stale-") and p.exists() for p in stale)
    assert stat.S_IMODE(published.stat().st_mode) == 0o444  # published read-only
    assert _read_in_duckdb1(duckdb1_python, published, "select count(*) from marts.amounts") == "[(11,)]"


def test_the_owner_of_the_published_file_cannot_open_it_read_write_by_accident(tmp_path):
    """Mode 0444: a read-write open by the file's owner (the pipeline's own user, or an analyst
    on that account) fails; a read-only open works (tests/permissions.py: as root too)."""
    work, published = tmp_path / "work" / "warehouse.duckdb", tmp_path / "pub" / "warehouse.duckdb"
    with connect_working(work) as con:
        _fill(con, 3)
    publish_file(work, published, storage_version="v1.0.0")
    script = ("import sys, duckdb\n"
              "print(duckdb.connect(sys.argv[1], read_only=True).execute('select count(*) from marts.amounts')"
              ".fetchall())\n"
              "try:\n    duckdb.connect(sys.argv[1])\nexcept duckdb.Error as exc:\n    print('refused', exc)\n"
              "else:\n    print('opened read-write')\n")
    result = subprocess.run([sys.executable, "-c", script, str(published)], capture_output=True, text=True,
                            timeout=120, **respecting_file_modes())
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0] == "[(3,)]" and lines[1].startswith("refused"), result.stdout
    assert not published.with_name(published.name + ".wal").exists()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    landing = tmp_path_factory.mktemp("wal_landing")
    generate_corpus(landing, count=2, seed=16)
    return landing


def _night(landing: Path, warehouse: Path) -> str:
    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "ERROR"])
    assert code == 0, out.getvalue() + err.getvalue()[-3000:]
    return out.getvalue()


def test_the_next_night_publishes_again_without_the_analysts_changes(corpus, tmp_path, duckdb1_python):
    """Nothing new arrives, so the night would skip the warehouse: it must notice the WAL beside
    the published file, publish again and set the WAL aside."""
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    _night(corpus, warehouse)
    uninterrupted = marts_checksum(warehouse)
    tables = _tables(warehouse)
    assert "marts.dim_document" in tables and not any(t.startswith("main.") for t in tables)

    _analyst(warehouse, "delete from marts.dim_document")
    with duckdb.connect(str(warehouse), read_only=True) as con:  # what DuckDB shows before the fix
        assert "main.analyst_scratch" in _tables(warehouse)
        assert con.execute("select count(*) from marts.dim_document").fetchall() == [(0,)]

    out = _night(corpus, warehouse)
    assert "nothing to rebuild" not in out
    assert _tables(warehouse) == tables
    assert marts_checksum(warehouse) == uninterrupted
    assert not warehouse.with_name(warehouse.name + ".wal").exists()
    assert list(warehouse.parent.glob("warehouse.duckdb.wal.stale-*"))
    assert _read_in_duckdb1(duckdb1_python, warehouse, "select count(*) from marts.dim_document") == "[(2,)]"
    assert "main.analyst_scratch" not in _read_in_duckdb1(
        duckdb1_python, warehouse, "select table_schema || '.' || table_name from information_schema.tables")

    # a third night with nothing new is skipped again: the published file is as published
    assert _night(corpus, warehouse).startswith("nothing to rebuild: warehouse up to date")
