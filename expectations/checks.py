"""One report per identity of the catalogue, for the Dagster asset checks of expectation_results.

    reports = identity_reports(duckdb_path, run_id)

Each report says how many instances of the identity passed, failed (open = new or reopened, and
decided) and were not evaluated in the run, and lists the failing instances by document, with
their values, pages and review state, as markdown the Dagster UI renders. Plain Python (no
Dagster import), so it is tested without a Dagster run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .results_table import is_parser_problem

MAX_LISTED = 50  # failing instances listed per identity (the rest are counted)

# Counts are aggregated in DuckDB; only failing instances come to Python (a run holds some
# 350,000 instances at 1,000 documents: fetching them all as rows took 2 s).
_COUNTS_SQL = """
    SELECT r.identity_id,
           CASE WHEN r.status IN ('passed', 'failed') THEN r.status ELSE 'not_evaluated' END AS outcome,
           CASE WHEN r.status IN ('passed', 'failed') THEN NULL
                ELSE coalesce(r.not_evaluated_reason, '?') END AS reason,
           count(*) AS n
    FROM quality.expectation_results AS r
    WHERE r.run_id = ?
    GROUP BY ALL
    ORDER BY r.identity_id, n DESC, reason  -- reasons_text lists ties in a stable order
"""
_FAILING_SQL = """
    SELECT r.identity_id, r.status, r.instance_id, r.document_id, r.subject, r.lhs, r.rhs, r.diff,
           r.tolerance, r.unit, r.pages, r.not_evaluated_reason,
           d.department, d.fiscal_year, {review_state} AS review_state, {decision} AS decision
    FROM quality.expectation_results AS r
    LEFT JOIN raw.documents AS d USING (document_id)
    {review_join}
    WHERE r.run_id = ? AND r.status = 'failed'
    ORDER BY r.identity_id, d.department NULLS LAST, r.instance_id
"""


@dataclass
class IdentityReport:
    identity_id: str
    description: str
    severity: str
    passed: int = 0
    failed: int = 0
    open: int = 0  # failures not decided by a steward, or decided on other values
    not_evaluated: int = 0
    parser_problems: int = 0  # of the not evaluated: the parser could not read what is needed
    failing: list[dict] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)

    @property
    def failing_documents(self) -> list[str]:
        return sorted({f"{f['department'] or '?'} {f['fiscal_year'] or ''} ({f['document_id'][:12]})"
                       for f in self.failing})

    def markdown(self) -> str:
        if not self.failing:
            return "no failing instance"
        lines = ["| document | subject | lhs | rhs | diff | tolerance | pages | review |",
                 "|---|---|---|---|---|---|---|---|"]
        for f in self.failing[:MAX_LISTED]:
            review = f["review_state"] or "new"
            if f["decision"]:
                review += f" ({f['decision']})"
            lines.append(
                f"| {f['department'] or '?'} {f['fiscal_year'] or ''} `{f['document_id'][:12]}` | "
                f"{f['subject']} | {f['lhs']} | {f['rhs']} | {f['diff']} | {f['tolerance']} {f['unit'] or '万元'} | "
                f"{f['pages'] or ''} | {review} |"
            )
        if len(self.failing) > MAX_LISTED:
            lines.append(f"\n... and {len(self.failing) - MAX_LISTED} more (quality.failure_reviews)")
        return "\n".join(lines)

    def reasons_text(self) -> str:
        return "; ".join(f"{n}x {reason}" for reason, n in self.reasons.most_common(5))


def identity_reports(duckdb_path: Path, run_id: str, catalogue: Catalogue | None = None) -> list[IdentityReport]:
    """A report per catalogue identity (in catalogue order) for the results of ``run_id``."""
    import duckdb

    catalogue = catalogue or load_catalogue()
    reports = {
        i.id: IdentityReport(i.id, f"{i.description_zh} / {i.description_en}", i.severity) for i in catalogue
    }
    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        has_reviews = bool(con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'quality' AND table_name = 'failure_reviews'"
        ).fetchone()[0])
        counts = con.execute(_COUNTS_SQL, [run_id]).fetchall()
        sql = _FAILING_SQL.format(
            review_state="v.review_state" if has_reviews else "NULL",
            decision="v.decision" if has_reviews else "NULL",
            review_join=(
                "LEFT JOIN quality.failure_reviews AS v ON v.instance_id = r.instance_id AND v.run_id = r.run_id"
                if has_reviews else ""
            ),
        )
        cursor = con.execute(sql, [run_id])
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, values)) for values in cursor.fetchall()]
    finally:
        con.close()
    for identity_id, outcome, reason, n in counts:
        report = reports.get(identity_id)
        if report is None:
            continue  # not in the catalogue: recorded as not_evaluated by the runner
        if outcome == "passed":
            report.passed += n
        elif outcome == "failed":
            report.failed += n
        else:
            report.not_evaluated += n
            report.reasons[reason] += n
            if is_parser_problem(reason):
                report.parser_problems += n
    for row in rows:
        report = reports.get(row["identity_id"])
        if report is None:
            continue
        report.failing.append(row)
        if row["review_state"] in (None, "new", "reopened"):
            report.open += 1
    return list(reports.values())
