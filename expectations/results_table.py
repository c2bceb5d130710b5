"""``quality.expectation_results`` and ``quality.expectation_summary`` (DuckDB side of expectations.runner).

GX's decisions (failing instance ids) are joined back to the residual rows in SQL, so amounts
never pass through Python floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

from .residuals import RELATIONS, ValidationInputError

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

RESULTS_TABLE = "quality.expectation_results"
SUMMARY_VIEW = "quality.expectation_summary"

#: ``quality.expectation_results``: (column, DuckDB type), in table order.
RESULT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "VARCHAR"),
    ("validated_at", "TIMESTAMP"),
    ("instance_id", "VARCHAR"),
    ("document_id", "VARCHAR"),
    ("identity_id", "VARCHAR"),
    ("description_zh", "VARCHAR"),
    ("description_en", "VARCHAR"),
    ("severity", "VARCHAR"),
    ("table_key", "VARCHAR"),
    ("subject", "VARCHAR"),
    ("status", "VARCHAR"),
    ("success", "BOOLEAN"),
    ("lhs", "DECIMAL(18,2)"),
    ("rhs", "DECIMAL(18,2)"),
    ("diff", "DECIMAL(18,2)"),
    ("tolerance", "DECIMAL(18,2)"),
    ("pages", "VARCHAR"),
    ("not_evaluated_reason", "VARCHAR"),
    ("unit", "VARCHAR"),  # unit of lhs/rhs/diff/tolerance as printed (source_unit); NULL = 万元
    ("relation", "VARCHAR"),  # what had to hold: '=', '>=', '>' or '<'
    ("cells", "VARCHAR"),  # the table cells involved, 'T3 p10 r3 208 total=326.72; ...'
)

# A `not_evaluated` instance is a *parser problem* when its reason says the parser could not read
# what the identity needs (a table read in part or not at all, a line or code it could not place,
# a name it could not resolve); otherwise the document has nothing to check (a table empty with
# its note, a table the document does not have). The reasons are written by our residual models
# (dbt_project/models/intermediate/identities/), so this fixed vocabulary is complete; run
# summaries, asset checks, the review list and `make truth` show the two apart.
PARSER_PROBLEM_PHRASES: tuple[str, ...] = (
    "read only in part", "unreadable", "not parsed", "not located by the parser", "parser may have missed",
    "no cells were loaded", "layout not recognised", "not resolved to a function code",
    "not found by name", "found on", "printed on", "found more than once", "not comparable",
    # a line or row the parser could not place ('line income.grand_total not found in t1_summary');
    # 'table t8_government_fund not found in the document' is the document's, not the parser's
    *(f"not found in t{n}_" for n in range(1, 10)),
)
PARSER_PROBLEM_SQL = "(" + " OR ".join(
    f"coalesce(not_evaluated_reason, '') LIKE '%{phrase}%'" for phrase in PARSER_PROBLEM_PHRASES) + ")"


def is_parser_problem(reason: str | None) -> bool:
    """True when a not-evaluated reason says the parser could not read what the identity needs."""
    return bool(reason) and any(phrase in reason for phrase in PARSER_PROBLEM_PHRASES)


STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
STATUS_NOT_EVALUATED = "not_evaluated"


@dataclass(frozen=True)
class FailedInstance:
    instance_id: str
    document_id: str | None
    identity_id: str
    severity: str | None
    subject: str | None
    diff: Decimal | None
    tolerance: Decimal | None
    pages: str | None


def _as_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _ensure_results_table(con: "duckdb.DuckDBPyConnection") -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    columns_sql = ",\n    ".join(f"{name} {type_}" for name, type_ in RESULT_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (\n    {columns_sql}\n)")
    existing = [
        (name, type_.upper())
        for name, type_ in con.execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_catalog = current_database()
              AND table_schema = 'quality' AND table_name = 'expectation_results'
            ORDER BY ordinal_position
            """
        ).fetchall()
    ]
    wanted = [(n, t.upper()) for n, t in RESULT_COLUMNS]
    if existing != wanted and existing == wanted[: len(existing)]:
        # a results table of an older layout (fewer trailing columns): add the new ones
        for name, type_ in RESULT_COLUMNS[len(existing):]:
            con.execute(f"ALTER TABLE {RESULTS_TABLE} ADD COLUMN {name} {type_}")
        existing = wanted
    if existing != wanted:
        raise ValidationInputError(
            f"{RESULTS_TABLE} exists with another layout {existing}; drop or migrate it"
        )


def _write_results(
    con: "duckdb.DuckDBPyConnection",
    frame: "pd.DataFrame",
    failed_ids: set[str],
    run_id: str,
    validated_at: datetime,
) -> None:
    import pandas as pd

    outcome = pd.DataFrame(
        {
            "instance_id": frame["instance_id"].astype("object"),
            "success": [iid not in failed_ids for iid in frame["instance_id"]],
        }
    )
    con.register("_fw_outcome_df", outcome)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _fw_outcome AS "
            "SELECT CAST(instance_id AS VARCHAR) AS instance_id, CAST(success AS BOOLEAN) AS success "
            "FROM _fw_outcome_df"
        )
    finally:
        con.unregister("_fw_outcome_df")

    unmatched = con.execute(
        """
        SELECT count(*) FROM _fw_residuals r LEFT JOIN _fw_outcome o USING (instance_id)
        WHERE r.route = 'validate' AND o.success IS NULL
        """
    ).fetchone()[0]
    if unmatched:
        raise RuntimeError(f"{unmatched} validated instances have no GX outcome")

    _ensure_results_table(con)
    column_list = ", ".join(name for name, _ in RESULT_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {RESULTS_TABLE} WHERE run_id = ?", [run_id])
        con.execute(
            f"""
            INSERT INTO {RESULTS_TABLE} ({column_list})
            SELECT
                CAST(? AS VARCHAR) AS run_id,
                CAST(? AS TIMESTAMP) AS validated_at,
                r.instance_id, r.document_id, r.identity_id,
                r.description_zh, r.description_en, r.severity,
                r.table_key, r.subject,
                CASE
                    WHEN r.route <> 'validate' THEN '{STATUS_NOT_EVALUATED}'
                    WHEN o.success THEN '{STATUS_PASSED}'
                    ELSE '{STATUS_FAILED}'
                END AS status,
                CASE WHEN r.route = 'validate' THEN o.success END AS success,
                r.lhs, r.rhs, r.diff,
                CAST(CAST(r.tolerance_cents AS DECIMAL(18,0)) * 0.01 AS DECIMAL(18,2)) AS tolerance,
                r.pages,
                CASE r.route
                    WHEN 'not_in_catalogue' THEN
                        'identity_id ' || coalesce(r.identity_id, '<NULL>')
                        || ' is not in expectations/catalogue.yml'
                    WHEN 'not_evaluable' THEN
                        coalesce(nullif(trim(r.not_evaluated_reason), ''),
                                 'not evaluable (no reason given)')
                    WHEN 'unknown_unit' THEN
                        'amount unit ' || r.unit || ' unknown: the tolerance (万元) cannot be converted'
                    WHEN 'unknown_relation' THEN
                        'relation ' || r.relation || ' unknown (expected one of {", ".join(RELATIONS)})'
                END AS not_evaluated_reason,
                r.unit, r.relation, r.cells
            FROM _fw_residuals AS r
            LEFT JOIN _fw_outcome AS o USING (instance_id)
            ORDER BY r.document_id NULLS LAST, r.identity_id, r.instance_id
            """,
            [run_id, validated_at],
        )
        con.execute(
            f"""
            CREATE OR REPLACE VIEW {SUMMARY_VIEW} AS
            SELECT
                run_id,
                document_id,
                max(validated_at) AS validated_at,
                count(*) AS instances,
                count(*) FILTER (WHERE status = '{STATUS_PASSED}') AS passed,
                count(*) FILTER (WHERE status = '{STATUS_FAILED}') AS failed,
                count(*) FILTER (WHERE status = '{STATUS_NOT_EVALUATED}') AS not_evaluated,
                count(*) FILTER (WHERE status = '{STATUS_FAILED}' AND severity = 'error')
                    AS failed_errors,
                count(*) FILTER (WHERE status = '{STATUS_FAILED}' AND severity = 'warning')
                    AS failed_warnings
            FROM {RESULTS_TABLE}
            GROUP BY run_id, document_id
            ORDER BY run_id, document_id
            """
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("DROP TABLE IF EXISTS _fw_outcome")


def _summarise(
    con: "duckdb.DuckDBPyConnection", run_id: str
) -> tuple[tuple[int, int, int, int], tuple[FailedInstance, ...]]:
    counts = con.execute(
        f"""
        SELECT count(*),
               count(*) FILTER (WHERE status = '{STATUS_PASSED}'),
               count(*) FILTER (WHERE status = '{STATUS_FAILED}'),
               count(*) FILTER (WHERE status = '{STATUS_NOT_EVALUATED}')
        FROM {RESULTS_TABLE} WHERE run_id = ?
        """,
        [run_id],
    ).fetchone()
    failures = tuple(
        FailedInstance(*row)
        for row in con.execute(
            f"""
            SELECT instance_id, document_id, identity_id, severity, subject, diff, tolerance, pages
            FROM {RESULTS_TABLE}
            WHERE run_id = ? AND status = '{STATUS_FAILED}'
            ORDER BY document_id NULLS LAST, identity_id, instance_id
            """,
            [run_id],
        ).fetchall()
    )
    return (int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3])), failures
