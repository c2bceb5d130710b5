"""What a steward sees: the failures of the published warehouse next to their decisions.

Reads ``quality.expectation_results`` (the latest run) of the PUBLISHED warehouse, read-only,
and joins the decisions of ``decisions.jsonl`` in Python (exact Decimals), so a decision just
taken shows at once, before the next run loads it into the warehouse.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipelines.safe_text import csv_safe, printable

from .review import Decision, ReviewError, latest_by_instance, review_state

_FAILURE_SQL = """
    WITH latest_run AS (
        SELECT run_id FROM quality.expectation_results
        ORDER BY validated_at DESC, run_id DESC LIMIT 1
    )
    SELECT r.instance_id, r.document_id, r.identity_id, r.subject, r.lhs, r.rhs, r.diff,
           r.tolerance, r.unit, r.relation, r.pages, r.cells, r.severity, r.description_zh,
           r.description_en, r.status, r.run_id, r.validated_at,
           d.department, d.fiscal_year, d.file_name
    FROM quality.expectation_results AS r
    JOIN latest_run USING (run_id)
    LEFT JOIN raw.documents AS d USING (document_id)
    {where}
    ORDER BY d.department NULLS LAST, d.fiscal_year, r.document_id, r.identity_id, r.instance_id
"""


@dataclass
class Failure:
    row: dict
    decision: Decision | None
    state: str

    def __getitem__(self, key: str):
        return self.row[key]

    @property
    def short_id(self) -> str:
        """document id prefix | identity | subject: enough to name the instance on a command line."""
        return f"{self.row['document_id'][:12]}|{self.row['identity_id']}|{self.row['subject']}"


def _connect(warehouse: Path):
    import duckdb

    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise ReviewError(f"warehouse '{warehouse}' not found: pass the published file of `python -m pipelines run`")
    try:
        return duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReviewError(f"cannot open '{warehouse}' read-only: {first}") from None


def _rows(warehouse: Path, where: str = "", params: tuple = ()) -> list[dict]:
    import duckdb

    con = _connect(warehouse)
    try:
        cursor = con.execute(_FAILURE_SQL.format(where=where), list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, values)) for values in cursor.fetchall()]
    except duckdb.CatalogException:
        raise ReviewError(
            f"'{warehouse}' has no quality.expectation_results: it was not built by `python -m pipelines run`"
        ) from None
    finally:
        con.close()


def failures(warehouse: Path, decisions: list[Decision], include_decided: bool = False) -> list[Failure]:
    """Failures of the latest run with their review state (open only unless include_decided)."""
    latest = latest_by_instance(decisions)
    found = []
    for row in _rows(warehouse, "WHERE r.status = 'failed'"):
        decision = latest.get(row["instance_id"])
        state = review_state(decision, row["lhs"], row["rhs"], row["diff"])
        if include_decided or state != "decided":
            found.append(Failure(row, decision, state))
    return found


def parser_problems(warehouse: Path) -> list[tuple[str, str, str]]:
    """(file name, identity, reason) of the latest run's instances not evaluated because the parser
    could not read what they need: shown apart from the failures, never as document defects."""
    import duckdb

    from expectations.results_table import PARSER_PROBLEM_SQL

    con = _connect(warehouse)
    try:
        return con.execute(
            f"""select d.file_name, r.identity_id, r.not_evaluated_reason
                from quality.expectation_results r join raw.documents d using (document_id)
                where r.status = 'not_evaluated' and {PARSER_PROBLEM_SQL.replace('not_evaluated_reason', 'r.not_evaluated_reason')}
                order by d.file_name, r.identity_id""").fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()


def resolve_instance(warehouse: Path, given: str) -> dict:
    """The result row of an instance id, exact or short (document id prefix|identity|subject).

    Only a failure of the latest run can be decided.
    """
    given = given.strip()
    rows = _rows(warehouse, "WHERE r.instance_id = ?", (given,))
    if not rows and given.count("|") >= 2:
        prefix, identity, subject = given.split("|", 2)
        rows = [
            r for r in _rows(warehouse, "WHERE r.identity_id = ? AND r.subject = ?", (identity, subject))
            if r["document_id"].startswith(prefix)
        ] if prefix else []
    if not rows:
        raise ReviewError(f"unknown instance id '{given}': `review list` shows the open failures and their ids")
    if len(rows) > 1:
        raise ReviewError(f"instance id '{given}' matches {len(rows)} instances: give more of the document id")
    row = rows[0]
    if row["status"] != "failed":
        raise ReviewError(f"instance '{row['instance_id']}' {row['status']} in the last run: only failures are decided")
    return row


def _amount(value) -> str:
    return "" if value is None else str(value)


def format_failures(found: list[Failure]) -> str:
    """The listing of `review list`, grouped by document. Names, comments and descriptions come
    from PDFs and reviewers: every one is printed through `printable` (no control characters)."""
    if not found:
        return "no failures to review"
    p = printable
    lines: list[str] = []
    current = None
    for failure in found:
        row = failure.row
        if row["document_id"] != current:
            current = row["document_id"]
            lines.append(
                f"{p(row['department'] or '?')} {row['fiscal_year'] or ''} "
                f"({row['document_id'][:12]}, {p(row['file_name'] or '?')})"
            )
        unit = p(row["unit"] or "万元")
        lines.append(f"  [{failure.state}] {p(failure.short_id)}  {p(row['severity'])}  {p(row['description_zh'])}")
        lines.append(
            f"      lhs {_amount(row['lhs'])}  {p(row['relation'] or '=')}  rhs {_amount(row['rhs'])}  "
            f"diff {_amount(row['diff'])}  tolerance {_amount(row['tolerance'])} {unit}  pages {p(row['pages'] or '-')}"
        )
        if row["cells"]:
            lines.append(f"      cells: {p(row['cells'])}")
        decision = failure.decision
        if decision is not None:
            lines.append(
                f"      decision: {p(decision.decision)} by {p(decision.decided_by)} at {p(decision.decided_at)}: "
                f"{p(decision.comment)}"
            )
            if failure.state == "reopened":
                lines.append(
                    f"      values changed since the decision (were lhs {_amount(decision.lhs)}, "
                    f"rhs {_amount(decision.rhs)}, diff {_amount(decision.diff)})"
                )
    return "\n".join(lines)


EXPORT_COLUMNS = (
    "review_state", "department", "fiscal_year", "file_name", "document_id", "instance_id",
    "identity_id", "severity", "description_zh", "description_en", "subject", "lhs", "relation",
    "rhs", "diff", "tolerance", "unit", "pages", "cells", "decision", "comment", "decided_by",
    "decided_at", "decided_lhs", "decided_rhs", "decided_diff", "run_id",
)


def export_csv(found: list[Failure], out: Path) -> int:
    """Write open and decided failures to CSV (UTF-8 with BOM, so spreadsheets show Chinese).

    Every cell goes through `csv_safe`: a comment, reviewer, department or file name starting
    with = + - @ (a formula to a spreadsheet) is written with a leading single quote (OWASP)."""
    out = Path(out)
    if out.parent and not out.parent.is_dir():
        raise ReviewError(f"folder '{out.parent}' does not exist: create it or choose another --out")
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for failure in found:
            row, decision = failure.row, failure.decision
            writer.writerow([csv_safe(cell) for cell in (
                failure.state, row["department"], row["fiscal_year"], row["file_name"],
                row["document_id"], row["instance_id"], row["identity_id"], row["severity"],
                row["description_zh"], row["description_en"], row["subject"], _amount(row["lhs"]),
                row["relation"] or "=", _amount(row["rhs"]), _amount(row["diff"]),
                _amount(row["tolerance"]), row["unit"] or "万元", row["pages"], row["cells"],
                decision.decision if decision else "", decision.comment if decision else "",
                decision.decided_by if decision else "", decision.decided_at if decision else "",
                _amount(decision.lhs) if decision else "", _amount(decision.rhs) if decision else "",
                _amount(decision.diff) if decision else "", row["run_id"],
            )])
    return len(found)
