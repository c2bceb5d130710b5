"""The short summary printed at the end of a run, read back from the published warehouse."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from expectations.results_table import PARSER_PROBLEM_SQL
from pipelines.safe_text import printable


@dataclass
class RunSummary:
    documents: int = 0
    loaded: int = 0
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (file name, reason)
    cells: int = 0
    fact_rows: int = 0
    expectations: int = 0
    expectations_failed: int = 0
    expectations_not_evaluated: int = 0
    parser_problems: int = 0  # not evaluated because the parser could not read what is needed
    partial_tables: int = 0  # tables read only in part (parse coverage) or not at all
    failed_documents: list[tuple[str, int]] = field(default_factory=list)
    # failures a steward decided (quality.failure_reviews): the others are open
    expectations_decided: int = 0
    decided_documents: dict[str, int] = field(default_factory=dict)


def _scalar(con, sql: str, default=0):
    try:
        return con.execute(sql).fetchall()[0][0]
    except duckdb.Error:
        return default


def read_summary(warehouse: Path) -> RunSummary:
    s = RunSummary()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        s.documents = _scalar(con, "select count(*) from raw.documents")
        s.loaded = _scalar(con, "select count(*) from raw.documents where status = 'loaded'")
        s.quarantined = con.execute(
            "select file_name, quarantine_reason from raw.documents where status = 'quarantined' order by file_name"
        ).fetchall()
        s.cells = _scalar(con, "select count(*) from raw.table_cells")
        s.fact_rows = _scalar(con, "select count(*) from marts.fct_expenditure_by_function")
        s.expectations = _scalar(con, "select count(*) from quality.expectation_results")
        s.expectations_failed = _scalar(con, "select count(*) from quality.expectation_results where status = 'failed'")
        s.expectations_not_evaluated = _scalar(
            con, "select count(*) from quality.expectation_results where status = 'not_evaluated'")
        s.parser_problems = _scalar(
            con, "select count(*) from quality.expectation_results where status = 'not_evaluated' and "
                 + PARSER_PROBLEM_SQL)
        s.partial_tables = _scalar(
            con, "select count(*) from raw.report_tables where status in ('partial', 'unreadable')")
        try:
            s.failed_documents = con.execute(
                """select d.file_name, count(*) from quality.expectation_results r
                   join raw.documents d using (document_id)
                   where r.status = 'failed' group by 1 order by 1"""
            ).fetchall()
        except duckdb.Error:
            pass
        try:
            decided = con.execute(
                """select d.file_name, count(*) from quality.failure_reviews r
                   join raw.documents d using (document_id)
                   where r.review_state = 'decided' group by 1"""
            ).fetchall()
            s.decided_documents = {name: int(n) for name, n in decided}
            s.expectations_decided = sum(s.decided_documents.values())
        except duckdb.Error:  # a warehouse without the review views
            pass
    return s


def format_summary(s: RunSummary, warehouse: Path, data_docs: Path, archive: Path, seconds: float,
                   failed_downloads: list[tuple[str, str]] = (), intake: list[str] = (), *,
                   log_file: Path | None = None, dagster_home: Path | None = None) -> str:
    lines = [
        f"Run finished in {seconds:.1f} s",
        f"  documents : {s.documents} ({s.loaded} loaded, {len(s.quarantined)} quarantined)",
    ]
    for name, reason in s.quarantined:
        lines.append(f"    quarantined {printable(name)}: {printable(reason)}")
    if failed_downloads:
        lines.append(f"  downloads : {len(failed_downloads)} failed (tried again next run)")
        lines += [f"    {printable(url)}: {printable(reason)}" for url, reason in failed_downloads]
    lines += intake  # what the ingest left for the next night (pipelines/intake.py)
    lines += [
        f"  rows      : {s.cells} table cells staged, {s.fact_rows} rows in marts.fct_expenditure_by_function",
        f"  identities: {s.expectations} checked, {s.expectations_failed} failed "
        f"({s.expectations_failed - s.expectations_decided} open, {s.expectations_decided} decided by a steward), "
        f"{s.expectations_not_evaluated} not evaluated",
    ]
    for name, n in s.failed_documents:
        decided = s.decided_documents.get(name, 0)
        lines.append(f"    {n} failed in {printable(name)} ({n - decided} open, {decided} decided)")
    lines.append(f"  parser    : {s.parser_problems} identities not evaluated because the parser could not read "
                 f"what they need; {s.partial_tables} tables read only in part (make truth shows where)")
    if s.expectations_failed > s.expectations_decided:
        lines.append(f"  review    : python -m pipelines review serve --warehouse {printable(warehouse)}"
                     " (or review list)")
    lines += [
        f"  warehouse : {printable(warehouse)}",
        f"  data docs : {printable(data_docs / 'index.html')}",
        f"  archive   : {printable(archive)}",
    ]
    if log_file is not None:
        lines.append(f"  full log  : {printable(log_file)}")
    if dagster_home is not None:
        lines.append(f"  Dagster UI: DAGSTER_HOME={printable(dagster_home)} (make dev)")
    return "\n".join(lines)
