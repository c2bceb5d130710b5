"""Build a DuckDB file holding the raw.* fixture (raw_fixture.sql), for dbt development and tests.

Usage:  .venv/bin/python dbt_project/tests_fixture/build_fixture.py /tmp/fixture.duckdb
        FW_WORKING_DB=/tmp/fixture.duckdb DO_NOT_TRACK=1 .venv/bin/dbt build \
            --project-dir dbt_project --profiles-dir dbt_project
"""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb

FIXTURE_SQL = Path(__file__).with_name("raw_fixture.sql")


def build_fixture(db_path: str | Path, sql_path: str | Path = FIXTURE_SQL) -> Path:
    """Create (or replace) the raw.* tables of the fixture in the DuckDB file at db_path."""
    db_path = Path(db_path)
    con = duckdb.connect(str(db_path))
    try:
        con.execute(Path(sql_path).read_text(encoding="utf-8"))
    finally:
        con.close()
    return db_path


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build_fixture(sys.argv[1]))
