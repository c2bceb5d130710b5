"""Write the staging tables (schema `raw`) of the working DuckDB from the archive and parse cache.

Two ways, same result: `load_staging` rebuilds every table from files; `update_staging` (the
nightly path) rewrites only the rows of documents whose parse result or archive record changed
since they were staged, found by a signature per document kept in `pipeline.staged_documents`.
Either way the staging tables are a pure function of the archive and the parse cache, so a
re-run over the same inputs gives the same warehouse. Documents whose rows changed are listed in
`pipeline.pending_documents` until a publication includes them (the expectations step validates
only those). Bulk rows are read by DuckDB straight from the cached JSON (no Python row loop, no
floats: amounts travel as strings and are cast to DECIMAL(18,2)).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import hashlib
from collections.abc import Callable

import duckdb

from ingest.archive import ArchivedDocument
from ingest.records import ParsedDocument
from ingest.staging_narrative import insert_narrative_rows, load_narrative_tables
from ingest.workers import cache_path, local_cache_files

# Bump when a raw.* or pipeline.* table changes shape: the working file is then rebuilt in full.
STAGING_SCHEMA_VERSION = "7"

_STATE_DDL = """
create schema if not exists pipeline;
create table if not exists pipeline.staged_documents (document_id varchar primary key, signature varchar);
create table if not exists pipeline.pending_documents (document_id varchar primary key);
create table if not exists pipeline.state (key varchar primary key, value varchar);
"""
_BULK_TABLES = ("raw.report_tables", "raw.table_cells", "raw.narrative_figures", "raw.performance_indicators")

_DDL = """
create schema if not exists raw;
create or replace table raw.documents (
    document_id varchar primary key, file_name varchar, file_names varchar, size_bytes bigint,
    first_seen_at timestamp, archive_path varchar, status varchar, quarantine_reason varchar,
    report_kind varchar, department varchar, region varchar, fiscal_year integer, unit varchar,
    page_count integer, parser_version varchar, department_in_headings varchar,
    metadata_conflicts varchar, toc_tables varchar, placeholders varchar,
    text_lint varchar
);
create or replace table raw.report_tables (
    document_id varchar, table_key varchar, title varchar, first_page integer, last_page integer,
    status varchar, note varchar, unit varchar, row_count integer,
    amount_tokens integer, amounts_read integer, unaccounted varchar, repeated_totals integer
);
create or replace table raw.table_cells (
    document_id varchar, table_key varchar, page integer, row_index integer, row_label varchar,
    code varchar, line_key varchar, side varchar, column_key varchar, raw_text varchar,
    amount decimal(18,2), x0 decimal(7,2), top decimal(7,2), x1 decimal(7,2), bottom decimal(7,2)
);
"""

_TABLES_JSON = (
    "STRUCT(table_key VARCHAR, title VARCHAR, first_page INTEGER, last_page INTEGER, "
    "status VARCHAR, note VARCHAR, unit VARCHAR, row_count INTEGER, amount_tokens INTEGER, "
    "amounts_read INTEGER, unaccounted VARCHAR, repeated_totals INTEGER)[]"
)
_CELLS_JSON = (
    "STRUCT(table_key VARCHAR, page INTEGER, row_index INTEGER, row_label VARCHAR, code VARCHAR, "
    "line_key VARCHAR, side VARCHAR, column_key VARCHAR, raw_text VARCHAR, amount VARCHAR, bbox DOUBLE[])[]"
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
    """Rebuild every staging table from the given parse results (all documents pending)."""
    con.execute(_DDL)
    by_id = {p.document_id: p for p in parsed}
    rows = [_document_row(doc, by_id[doc.document_id], data_dir)
            for doc in sorted(archived, key=lambda d: d.document_id) if doc.document_id in by_id]
    _insert_documents(con, rows)
    # A parse cache behind a URL is copied to <data>/work/parse_cache_copy first (DuckDB reads local files).
    files = local_cache_files(parsed_root, [r[0] for r in rows if r[6] == "loaded"], data_dir / "work" / "parse_cache_copy")
    _insert_table_rows(con, files)
    load_narrative_tables(con, files)  # raw.narrative_figures, raw.performance_indicators
    return _counts(con)


def _document_row(doc: ArchivedDocument, result: ParsedDocument, data_dir: Path) -> tuple:
    meta = result.metadata
    return (
        doc.document_id, doc.file_name, " | ".join(doc.file_names), doc.size_bytes,
        doc.first_seen_at,
        None if doc.pdf_path is None else str(doc.pdf_path.relative_to(data_dir)),
        result.status, result.quarantine_reason, meta.report_kind, meta.department,
        meta.region, meta.fiscal_year, meta.unit, meta.page_count, result.parser_version,
        meta.department_in_headings, meta.metadata_conflicts, meta.toc_tables, meta.placeholders,
        meta.text_lint,
    )


def _insert_documents(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    if rows:
        con.executemany("insert into raw.documents values (" + ",".join(["?"] * 20) + ")", rows)


def _insert_table_rows(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    if files:
        source = (
            "read_json($files, format='auto', columns={'document_id': 'VARCHAR', "
            f"'tables': '{_TABLES_JSON}', 'cells': '{_CELLS_JSON}'}})"
        )
        con.execute(
            f"""insert into raw.report_tables
            select document_id, t.table_key, t.title, t.first_page, t.last_page, t.status, t.note,
                   t.unit, t.row_count, t.amount_tokens, t.amounts_read, t.unaccounted,
                   coalesce(t.repeated_totals, 0)
            from (select document_id, unnest(tables) as t from {source})
            order by document_id, t.first_page, t.table_key""",
            {"files": files},
        )
        con.execute(
            f"""insert into raw.table_cells
            select document_id, c.table_key, c.page, c.row_index, c.row_label, c.code, c.line_key,
                   c.side, c.column_key, c.raw_text, cast(c.amount as decimal(18,2)),
                   cast(c.bbox[1] as decimal(7,2)), cast(c.bbox[2] as decimal(7,2)),
                   cast(c.bbox[3] as decimal(7,2)), cast(c.bbox[4] as decimal(7,2))
            from (select document_id, unnest(cells) as c from {source})
            order by document_id, c.table_key, c.row_index, c.column_key""",
            {"files": files},
        )


def _counts(con: duckdb.DuckDBPyConnection) -> StagingCounts:
    counts = con.execute(
        """select (select count(*) from raw.documents),
                  (select count(*) from raw.documents where status = 'loaded'),
                  (select count(*) from raw.documents where status = 'quarantined'),
                  (select count(*) from raw.report_tables),
                  (select count(*) from raw.table_cells)"""
    ).fetchall()[0]  # DuckDB 2.0: a result must be fetched to the end before the next statement
    return StagingCounts(*counts)


@dataclass(frozen=True)
class StagingUpdate:
    counts: StagingCounts
    changed: int  # documents whose rows were (re)written or removed in this update
    pending: int  # documents changed since the last publication (this update included)
    full: bool  # every table was rebuilt (new working file or new staging schema)


def document_signature(doc: ArchivedDocument, parsed_root: Path, data_dir: Path) -> str | None:
    """Changes when the document's parse result or its archive record (names, dates) changes;
    None when it has no parse result yet."""
    path = cache_path(parsed_root, doc.document_id)
    try:
        stat = path.stat()
    except (FileNotFoundError, OSError):
        return None
    mtime = getattr(stat, "st_mtime_ns", None) or getattr(stat, "st_mtime", 0)
    record = "\0".join([doc.file_name, *doc.file_names, str(doc.first_seen_at), str(doc.size_bytes),
                        "" if doc.pdf_path is None else str(doc.pdf_path.relative_to(data_dir))])
    return f"{path.name}:{stat.st_size}:{mtime}:{hashlib.sha256(record.encode()).hexdigest()[:16]}"


def staging_changes(con: duckdb.DuckDBPyConnection, signatures: dict[str, str]) -> set[str]:
    """Documents whose staged rows differ from `signatures` (new, re-parsed, renamed, removed)."""
    staged = dict(con.execute("select document_id, signature from pipeline.staged_documents").fetchall())
    changed = {d for d, sig in signatures.items() if staged.get(d) != sig}
    return changed | (staged.keys() - signatures.keys())


def staging_is_current(con: duckdb.DuckDBPyConnection) -> bool:
    try:
        rows = con.execute("select value from pipeline.state where key = 'staging_schema'").fetchall()
    except duckdb.CatalogException:
        return False
    return bool(rows) and rows[0][0] == STAGING_SCHEMA_VERSION


def update_staging(
    con: duckdb.DuckDBPyConnection,
    archived: Sequence[ArchivedDocument],
    parsed_root: Path,
    data_dir: Path,
    read_result: Callable[[str], ParsedDocument | None],
) -> StagingUpdate:
    """Bring the staging tables up to date, rewriting only what changed, in one transaction."""
    signatures = {d.document_id: sig for d in archived
                  if (sig := document_signature(d, parsed_root, data_dir)) is not None}
    full = not staging_is_current(con)
    con.execute("begin transaction")
    try:
        if full:
            con.execute("drop schema if exists pipeline cascade")
            con.execute(_DDL)
            load_narrative_tables(con, [])  # (re)created empty
        con.execute(_STATE_DDL)
        changed = set(signatures) if full else staging_changes(con, signatures)
        results = {d: r for d in sorted(changed & signatures.keys()) if (r := read_result(d)) is not None}
        by_id = {d.document_id: d for d in archived}
        ids = sorted(changed)
        if ids and not full:
            for table in ("raw.documents", *_BULK_TABLES):
                con.execute(f"delete from {table} where document_id in (select unnest($ids))", {"ids": ids})
            con.execute("delete from pipeline.staged_documents where document_id in (select unnest($ids))",
                        {"ids": ids})
        rows = [_document_row(by_id[d], results[d], data_dir) for d in sorted(results)]
        _insert_documents(con, rows)
        files = local_cache_files(parsed_root, [r[0] for r in rows if r[6] == "loaded"],
                                  data_dir / "work" / "parse_cache_copy")
        _insert_table_rows(con, files)
        insert_narrative_rows(con, files)
        if results:
            con.executemany("insert into pipeline.staged_documents values (?, ?)",
                            [(d, signatures[d]) for d in sorted(results)])
        if ids:
            con.execute("insert or ignore into pipeline.pending_documents select unnest($ids)", {"ids": ids})
        con.execute("insert or replace into pipeline.state values ('staging_schema', ?)", [STAGING_SCHEMA_VERSION])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    pending = con.execute("select count(*) from pipeline.pending_documents").fetchall()[0][0]
    return StagingUpdate(_counts(con), len(changed), pending, full)
