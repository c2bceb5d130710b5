"""Write the staging tables (schema `raw`) of the working DuckDB from the archive and parse cache.

The staging tables are rebuilt from files on every run, so the warehouse is a pure function of
the archive and the parser version: a re-run over the same inputs gives the same warehouse.
Bulk rows are read by DuckDB straight from the cached JSON (no Python row loop, no floats:
amounts travel as strings and are cast to DECIMAL(18,2)).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.archive import ArchivedDocument
from ingest.records import ParsedDocument
from ingest.staging_narrative import load_narrative_tables
from ingest.workers import local_cache_files

_DDL = """
create schema if not exists raw;
create or replace table raw.documents (
    document_id varchar primary key, file_name varchar, file_names varchar, size_bytes bigint,
    first_seen_at timestamp, archive_path varchar, status varchar, quarantine_reason varchar,
    report_kind varchar, department varchar, region varchar, fiscal_year integer, unit varchar,
    page_count integer, parser_version varchar, department_in_headings varchar,
    metadata_conflicts varchar
);
create or replace table raw.report_tables (
    document_id varchar, table_key varchar, title varchar, first_page integer, last_page integer,
    status varchar, note varchar, unit varchar, row_count integer
);
create or replace table raw.table_cells (
    document_id varchar, table_key varchar, page integer, row_index integer, row_label varchar,
    code varchar, line_key varchar, side varchar, column_key varchar, raw_text varchar,
    amount decimal(18,2)
);
"""

_TABLES_JSON = (
    "STRUCT(table_key VARCHAR, title VARCHAR, first_page INTEGER, last_page INTEGER, "
    "status VARCHAR, note VARCHAR, unit VARCHAR, row_count INTEGER)[]"
)
_CELLS_JSON = (
    "STRUCT(table_key VARCHAR, page INTEGER, row_index INTEGER, row_label VARCHAR, code VARCHAR, "
    "line_key VARCHAR, side VARCHAR, column_key VARCHAR, raw_text VARCHAR, amount VARCHAR)[]"
)


@dataclass(frozen=True)
class StagingCounts:
    documents: int
    loaded: int
    quarantined: int
    tables: int
    cells: int


def load_staging(
    con: duckdb.DuckDBPyConnection,
    archived: Sequence[ArchivedDocument],
    parsed: Sequence[ParsedDocument],
    data_dir: Path,
    parsed_root: Path,
) -> StagingCounts:
    con.execute(_DDL)
    by_id = {p.document_id: p for p in parsed}
    rows = []
    for doc in sorted(archived, key=lambda d: d.document_id):
        result = by_id.get(doc.document_id)
        if result is None:
            continue
        meta = result.metadata
        rows.append((
            doc.document_id, doc.file_name, " | ".join(doc.file_names), doc.size_bytes,
            doc.first_seen_at,
            None if doc.pdf_path is None else str(doc.pdf_path.relative_to(data_dir)),
            result.status, result.quarantine_reason, meta.report_kind, meta.department,
            meta.region, meta.fiscal_year, meta.unit, meta.page_count, result.parser_version,
            meta.department_in_headings, meta.metadata_conflicts,
        ))
    if rows:
        con.executemany("insert into raw.documents values (" + ",".join(["?"] * 17) + ")", rows)

    # A parse cache behind a URL is copied to <data>/work/parse_cache_copy first (DuckDB reads local files).
    files = local_cache_files(parsed_root, [r[0] for r in rows if r[6] == "loaded"], data_dir / "work" / "parse_cache_copy")
    if files:
        source = (
            "read_json($files, format='auto', columns={'document_id': 'VARCHAR', "
            f"'tables': '{_TABLES_JSON}', 'cells': '{_CELLS_JSON}'}})"
        )
        con.execute(
            f"""insert into raw.report_tables
            select document_id, t.table_key, t.title, t.first_page, t.last_page, t.status, t.note,
                   t.unit, t.row_count
            from (select document_id, unnest(tables) as t from {source})
            order by document_id, t.first_page, t.table_key""",
            {"files": files},
        )
        con.execute(
            f"""insert into raw.table_cells
            select document_id, c.table_key, c.page, c.row_index, c.row_label, c.code, c.line_key,
                   c.side, c.column_key, c.raw_text, cast(c.amount as decimal(18,2))
            from (select document_id, unnest(cells) as c from {source})
            order by document_id, c.table_key, c.row_index, c.column_key""",
            {"files": files},
        )
    load_narrative_tables(con, files)  # raw.narrative_figures, raw.performance_indicators
    counts = con.execute(
        """select (select count(*) from raw.documents),
                  (select count(*) from raw.documents where status = 'loaded'),
                  (select count(*) from raw.documents where status = 'quarantined'),
                  (select count(*) from raw.report_tables),
                  (select count(*) from raw.table_cells)"""
    ).fetchall()[0]  # DuckDB 2.0: a result must be fetched to the end before the next statement
    return StagingCounts(*counts)
