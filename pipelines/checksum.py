"""A content checksum of the marts, to show that two runs over the same inputs agree.

Timestamps that record *when* something happened (first_seen_at, validated_at) are left out:
they describe the run, not the data.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb


def marts_checksum(warehouse: Path, schema: str = "marts") -> dict[str, str]:
    out: dict[str, str] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]).fetchall()]
        for table in tables:
            cols = [r[0] for r in con.execute(
                """select column_name from information_schema.columns
                   where table_schema = ? and table_name = ? and data_type not like 'TIMESTAMP%'
                   order by ordinal_position""", [schema, table]).fetchall()]
            select = ", ".join(f'"{c}"' for c in cols)  # names come from the catalog, not from input
            rows = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
            digest = hashlib.sha256()
            for row in rows:
                digest.update(repr(row).encode("utf-8"))
            out[table] = f"{len(rows)}:{digest.hexdigest()[:16]}"
    return out
