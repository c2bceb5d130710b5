"""What a steward sees: the failures of the published warehouse next to their decisions.

Reads ``quality.expectation_results`` (the latest run) of the PUBLISHED warehouse, read-only,
and joins the decisions of ``decisions.jsonl`` in Python (exact Decimals), so a decision just
taken shows at once, before the next run loads it into the warehouse.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.safe_text import csv_safe, printable

from .review import Decision, ReviewError, latest_by_instance, review_state
from .review_cells import CellPosition, positions_by_instance

#: What a steward reads for each review state (`new` is an open failure no one decided yet).
STATE_LABELS = {"new": "open", "decided": "decided", "reopened": "reopened"}
SHORT_ID_LENGTH = 10
_SHORT_ID = re.compile(r"[0-9a-f]{%d}" % SHORT_ID_LENGTH)


def short_id(instance_id: str) -> str:
    """A stable id safe to type in a shell (10 hex characters of the instance id's SHA-256):
    instance ids contain `|` and `#`, which a shell cuts or comments out unquoted."""
    return hashlib.sha256(instance_id.encode("utf-8")).hexdigest()[:SHORT_ID_LENGTH]

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
    positions: list[CellPosition] = field(default_factory=list)

    def __getitem__(self, key: str):
        return self.row[key]

    @property
    def short_id(self) -> str:
        """10 hex characters, safe to type unquoted (see `short_id`); `decide` takes it."""
        return short_id(self.row["instance_id"])

    @property
    def long_short_id(self) -> str:
        """document id prefix | identity | subject (the older short form; `decide` takes it too)."""
        return f"{self.row['document_id'][:12]}|{self.row['identity_id']}|{self.row['subject']}"

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)


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


def rows_from(con, where: str = "", params: tuple | list = (), warehouse: object = "the warehouse") -> list[dict]:
    """Result rows of the latest run (with the document's department, year and file name)."""
    import duckdb

    try:
        cursor = con.execute(_FAILURE_SQL.format(where=where), list(params))
    except duckdb.CatalogException:
        raise ReviewError(
            f"'{warehouse}' has no quality.expectation_results: it was not built by `python -m pipelines run`"
        ) from None
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _rows(warehouse: Path, where: str = "", params: tuple = ()) -> list[dict]:
    con = _connect(warehouse)
    try:
        return rows_from(con, where, params, warehouse)
    finally:
        con.close()


def failures_from(con, decisions: list[Decision], include_decided: bool = False, where: str = "",
                  params: tuple | list = (), with_positions: bool = True) -> list[Failure]:
    """Failures of the latest run (on an open connection) with their review state and, when the
    warehouse has them, the positions of their cells."""
    latest = latest_by_instance(decisions)
    found = []
    condition = "WHERE r.status = 'failed'" + (f" AND ({where})" if where else "")
    for row in rows_from(con, condition, params):
        decision = latest.get(row["instance_id"])
        state = review_state(decision, row["lhs"], row["rhs"], row["diff"])
        if include_decided or state != "decided":
            found.append(Failure(row, decision, state))
    if with_positions and found:
        positions = positions_by_instance(con, (f.row["instance_id"] for f in found))
        for failure in found:
            failure.positions = positions.get(failure.row["instance_id"], [])
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


def failures(warehouse: Path, decisions: list[Decision], include_decided: bool = False) -> list[Failure]:
    """Failures of the latest run with their review state (open only unless include_decided)."""
    con = _connect(warehouse)
    try:
        return failures_from(con, decisions, include_decided)
    finally:
        con.close()


def resolve_instance(warehouse: Path, given: str) -> dict:
    """The result row of an instance id, exact or short (document id prefix|identity|subject).

    Only a failure of the latest run can be decided.
    """
    given = given.strip()
    if _SHORT_ID.fullmatch(given):
        rows = [r for r in _rows(warehouse, "WHERE r.status = 'failed'") if short_id(r["instance_id"]) == given]
        if len(rows) == 1:
            return rows[0]
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


def _in_wan(value, unit) -> str:
    """' (= 100184.9805 万元)' for an amount printed in 元; '' otherwise."""
    from .review_cells import amount_in_wan, format_amount

    if unit != "元" or value is None:
        return ""
    return f" (= {format_amount(amount_in_wan(value, unit))} 万元)"


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
        lines.append(f"  [{failure.state_label}] {failure.short_id}  {p(row['severity'])}  {p(row['description_zh'])}")
        lines.append(f"      {p(failure.long_short_id)}")
        lines.append(
            f"      lhs {_amount(row['lhs'])} {unit}{_in_wan(row['lhs'], row['unit'])}  {p(row['relation'] or '=')}  "
            f"rhs {_amount(row['rhs'])} {unit}{_in_wan(row['rhs'], row['unit'])}  "
            f"diff {_amount(row['diff'])}  tolerance {_amount(row['tolerance'])} {unit}  pages {p(row['pages'] or '-')}"
        )
        if failure.positions:
            for position in failure.positions:
                lines.append(f"      · {p(position.label())}")
        elif row["cells"]:
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
    "review_state", "short_id", "department", "fiscal_year", "file_name", "document_id", "instance_id",
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
        write_csv(found, csv.writer(handle))
    return len(found)


def write_csv(found: list[Failure], writer) -> None:
    """The header and one formula-safe row per failure (`csv_safe` on every cell)."""
    writer.writerow(EXPORT_COLUMNS)
    for failure in found:
        row, decision = failure.row, failure.decision
        writer.writerow([csv_safe(cell) for cell in (
            failure.state, failure.short_id, row["department"], row["fiscal_year"], row["file_name"],
            row["document_id"], row["instance_id"], row["identity_id"], row["severity"],
            row["description_zh"], row["description_en"], row["subject"], _amount(row["lhs"]),
            row["relation"] or "=", _amount(row["rhs"]), _amount(row["diff"]),
            _amount(row["tolerance"]), row["unit"] or "万元", row["pages"], row["cells"],
            decision.decision if decision else "", decision.comment if decision else "",
            decision.decided_by if decision else "", decision.decided_at if decision else "",
            _amount(decision.lhs) if decision else "", _amount(decision.rhs) if decision else "",
            _amount(decision.diff) if decision else "", row["run_id"],
        )])
