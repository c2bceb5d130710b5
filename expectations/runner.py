"""Run the identity expectations (Great Expectations) and record the results in DuckDB.

    summary = run_validations(duckdb_path, data_docs_dir, gx_root, run_id)

Steps (one DuckDB connection, read-write; the pipeline guarantees it is the only one):

1. Read the residual rows of every ``source_model`` named in ``catalogue.yml`` (today
   ``intermediate.int_identity_residuals``) into a temp table, computing in DuckDB, with exact
   DECIMAL arithmetic, ``deviation_cents`` (|diff| x 100 for relation '=', see RELATIONS) and ``tolerance_cents`` =
   floor(tolerance_per_term x term_count x 100) as BIGINT.
2. Hand GX only the evaluable rows of catalogued identities, as a pandas frame of integers
   (instance_id, identity_id, deviation_cents, tolerance_cents). GX decides pass/fail with
   built-in expectations (see ``expectations.suites``) through a Checkpoint whose
   ``UpdateDataDocsAction`` builds Data Docs into ``data_docs_dir``; failing instance ids come
   back from GX's ``unexpected_index_list``.
3. Write ``quality.expectation_results`` (rows of this run_id replaced, others untouched) by
   joining GX's decisions back to the residual rows in SQL, so amounts never pass through
   Python floats; (re)create the view ``quality.expectation_summary``.
4. Post-process Data Docs so that they load nothing from the internet (``offline_docs``).

Amounts are as printed: the residual model may carry ``source_unit`` (万元 or 元; absent or
NULL = 万元). The catalogue's tolerance is in 万元 and is converted to the printed unit, so
lhs, rhs, diff and tolerance of a result row share one unit (results column ``unit``). A row
in any other unit is ``not_evaluated``.

Rows with ``evaluable = false`` are not validated: status ``not_evaluated`` with their reason
(never ``failed``). Rows whose identity is not in the catalogue are also ``not_evaluated``
(reason says so) and listed in ``ValidationSummary.unknown_identities``.

GX is imported lazily (3-4 s), inside the functions that need it.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from .catalogue import Catalogue, load_catalogue
from .offline_docs import find_external_references, make_site_offline
from .suites import SUITE_NAME, build_suite, interpret_validation_result, result_format

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd

log = logging.getLogger(__name__)

RESULTS_TABLE = "quality.expectation_results"
SUMMARY_VIEW = "quality.expectation_summary"

SITE_NAME = "fiscal_data_docs"
DATASOURCE_NAME = "identity_residuals"
ASSET_NAME = "evaluable_residuals"
BATCH_DEFINITION_NAME = "whole_frame"
VALIDATION_DEFINITION_NAME = "fiscal_identities__evaluable_residuals"
CHECKPOINT_NAME = "fiscal_identities_nightly"

#: Columns the residual model must provide (contract with dbt).
RESIDUAL_COLUMNS: tuple[str, ...] = (
    "instance_id",
    "document_id",
    "identity_id",
    "table_key",
    "subject",
    "lhs",
    "rhs",
    "diff",
    "term_count",
    "pages",
    "evaluable",
    "not_evaluated_reason",
)
_MONEY_COLUMNS = ("lhs", "rhs", "diff")
#: Optional column: the unit the amounts are printed in (万元 or 元). Absent or NULL = 万元.
UNIT_COLUMN = "source_unit"
#: Optional column: what must hold between lhs and rhs (absent or NULL = '=').
RELATION_COLUMN = "relation"
#: Optional column: the table cells involved ('T3 p10 r3 208 total=326.72; ...').
CELLS_COLUMN = "cells"
#: Factor from the catalogue's tolerance unit to the unit of a row: 万元 for money (a table
#: printed in 元 gets x 10000), percentage points for shares ('%'), a plain count for the
#: completeness and metadata identities ('count').
UNIT_FACTORS: dict[str, int] = {"万元": 1, "元": 10000, "%": 1, "count": 1}
#: Relations a residual row may ask for, and the deviation (in cents, >= 0) each one measures:
#: '=' |diff|; '>=' how far lhs falls below rhs; '>' / '<' the strict comparisons of a narrative
#: word (a tie deviates by one cent, so it fails with tolerance 0).
RELATIONS: tuple[str, ...] = ("=", ">=", ">", "<")

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

STATUS_PASSED = "passed"
STATUS_FAILED = "failed"
STATUS_NOT_EVALUATED = "not_evaluated"


class ValidationInputError(RuntimeError):
    """The residual model is missing or breaks its contract (columns, types, unique ids)."""


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


@dataclass(frozen=True)
class ValidationSummary:
    run_id: str
    validated_at: datetime
    instances: int
    passed: int
    failed: int
    not_evaluated: int
    failures: tuple[FailedInstance, ...]
    data_docs_index: Path
    gx_success: bool  # GX's own verdict for the whole suite (False if any instance failed)
    unknown_identities: tuple[str, ...] = ()
    offline_issues: tuple[str, ...] = ()  # external references left in Data Docs (expected: none)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed_errors(self) -> int:
        return sum(1 for f in self.failures if f.severity == "error")

    @property
    def failed_warnings(self) -> int:
        return sum(1 for f in self.failures if f.severity == "warning")


def run_validations(
    duckdb_path: Path,
    data_docs_dir: Path,
    gx_root: Path,
    run_id: str,
    *,
    catalogue: Catalogue | None = None,
    validated_at: datetime | None = None,
    keep_runs: int = 30,
) -> ValidationSummary:
    """Validate the identity residuals; write ``quality.*``; build offline Data Docs.

    ``validated_at`` (naive = UTC) defaults to now; ``keep_runs`` bounds how many run ids keep a
    validation result (and page) in the GX store / Data Docs (results in DuckDB are never pruned).
    Re-running an existing ``run_id`` replaces its rows and its Data Docs page.
    """
    import duckdb

    if not run_id or not str(run_id).strip():
        raise ValueError("run_id must be a non-empty string")
    if keep_runs < 1:
        raise ValueError("keep_runs must be >= 1")
    run_id = str(run_id)
    duckdb_path = Path(duckdb_path)
    data_docs_dir = Path(data_docs_dir).resolve()
    gx_root = Path(gx_root).resolve()
    catalogue = catalogue if catalogue is not None else load_catalogue()
    validated_at = _as_naive_utc(validated_at or datetime.now(timezone.utc))

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    con = duckdb.connect(str(duckdb_path))
    try:
        _prepare_residuals(con, catalogue)
        frame, expected_counts = _gx_frame(con, catalogue)
        unknown = tuple(
            r[0]
            for r in con.execute(
                "SELECT DISTINCT identity_id FROM _fw_residuals WHERE route = 'not_in_catalogue' "
                "ORDER BY 1"
            ).fetchall()
        )
        timings["read_residuals_s"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        failed_ids, gx_success = _run_gx(
            frame=frame,
            expected_counts=expected_counts,
            catalogue=catalogue,
            data_docs_dir=data_docs_dir,
            gx_root=gx_root,
            run_id=run_id,
            validated_at=validated_at,
            keep_runs=keep_runs,
        )
        timings["gx_s"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        _write_results(con, frame, failed_ids, run_id, validated_at)
        summary_rows = _summarise(con, run_id)
        timings["write_results_s"] = time.perf_counter() - t2
    finally:
        con.close()

    t3 = time.perf_counter()
    make_site_offline(data_docs_dir)
    issues = tuple(
        f"{ref.file.relative_to(data_docs_dir)}: {ref.kind} {ref.url}"
        for ref in find_external_references(data_docs_dir)
    )
    for issue in issues:
        log.warning("Data Docs still reference an external resource: %s", issue)
    timings["offline_docs_s"] = time.perf_counter() - t3
    timings["total_s"] = time.perf_counter() - t0

    counts, failures = summary_rows
    summary = ValidationSummary(
        run_id=run_id,
        validated_at=validated_at,
        instances=counts[0],
        passed=counts[1],
        failed=counts[2],
        not_evaluated=counts[3],
        failures=failures,
        data_docs_index=data_docs_dir / "index.html",
        gx_success=gx_success,
        unknown_identities=unknown,
        offline_issues=issues,
        timings=timings,
    )
    log.info(
        "expectations run %s: %d instances, %d passed, %d failed, %d not evaluated (%.1f s)",
        run_id, summary.instances, summary.passed, summary.failed, summary.not_evaluated,
        timings["total_s"],
    )
    return summary


# --------------------------------------------------------------------------------------------
# DuckDB side


def _as_naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _prepare_residuals(con: "duckdb.DuckDBPyConnection", catalogue: Catalogue) -> None:
    """Temp tables ``_fw_catalogue`` and ``_fw_residuals`` (one row per instance, all models)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _fw_catalogue (
            identity_id VARCHAR, description_zh VARCHAR, description_en VARCHAR,
            severity VARCHAR, tolerance_per_term DECIMAL(18,4), source_model VARCHAR)
        """
    )
    con.executemany(
        "INSERT INTO _fw_catalogue VALUES (?, ?, ?, ?, CAST(? AS DECIMAL(18,4)), ?)",
        [
            (i.id, i.description_zh, i.description_en, i.severity, str(i.tolerance_per_term),
             i.source_model)
            for i in catalogue
        ],
    )

    selects = []
    for model in catalogue.source_models:
        schema, relation = model.split(".", 1)
        optional = _check_model(con, schema, relation)
        unit_expr, relation_expr, cells_expr = (
            f"CAST(r.{name} AS VARCHAR)" if name in optional else "CAST(NULL AS VARCHAR)"
            for name in (UNIT_COLUMN, RELATION_COLUMN, CELLS_COLUMN)
        )
        source = f"{_quote(schema)}.{_quote(relation)}"
        model_literal = model.replace("'", "''")
        selects.append(
            f"""
            SELECT
                r.instance_id, r.document_id, r.identity_id, r.table_key, r.subject,
                CAST(r.lhs AS DECIMAL(18,2)) AS lhs,
                CAST(r.rhs AS DECIMAL(18,2)) AS rhs,
                CAST(r.diff AS DECIMAL(18,2)) AS diff,
                CAST(r.term_count AS INTEGER) AS term_count,
                r.pages, r.evaluable, r.not_evaluated_reason,
                {unit_expr} AS unit,
                coalesce({relation_expr}, '=') AS relation,
                {cells_expr} AS cells,
                c.description_zh, c.description_en, c.severity,
                c.tolerance_per_term
            FROM {source} AS r
            LEFT JOIN _fw_catalogue AS c
              ON c.identity_id = r.identity_id AND c.source_model = '{model_literal}'
            """
        )
    union = "\nUNION ALL\n".join(selects)
    unit_factor = "CASE WHEN u.unit IS NULL THEN 1 " + " ".join(
        f"WHEN u.unit = '{unit}' THEN {factor}" for unit, factor in UNIT_FACTORS.items()
    ) + " END"
    relations = ", ".join(f"'{r}'" for r in RELATIONS)
    # route: validate | not_evaluable | not_in_catalogue | unknown_unit | unknown_relation.
    # The catalogue's tolerance is in 万元; amounts are as printed (source_unit), so the
    # tolerance is converted to the printed unit (元: x 10000) and recorded in that unit.
    # deviation_cents is NULL when the residual is not computable (a missing side, no term
    # count, or diff <> lhs - rhs): GX's not-null expectation then fails the instance.
    # tolerance_cents = floor(tolerance_per_term * term_count * 100): exact DECIMAL arithmetic,
    # and since deviation_cents is an integer, |diff| <= tolerance <=> cents <= floor(cents).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _fw_residuals AS
        WITH u AS ({union}),
        f AS (SELECT u.*, {unit_factor} AS unit_factor FROM u)
        SELECT
            u.*,
            CASE
                WHEN u.severity IS NULL THEN 'not_in_catalogue'
                WHEN u.evaluable IS NOT TRUE THEN 'not_evaluable'
                WHEN u.unit_factor IS NULL THEN 'unknown_unit'
                WHEN u.relation NOT IN ({relations}) THEN 'unknown_relation'
                ELSE 'validate'
            END AS route,
            CASE
                WHEN u.term_count IS NULL OR u.term_count < 0 OR u.tolerance_per_term IS NULL
                     OR u.unit_factor IS NULL
                    THEN NULL
                ELSE CAST(FLOOR(u.tolerance_per_term * u.unit_factor * u.term_count * 100) AS BIGINT)
            END AS tolerance_cents,
            CASE
                WHEN u.lhs IS NULL OR u.rhs IS NULL OR u.diff IS NULL OR u.term_count IS NULL
                     OR u.diff <> u.lhs - u.rhs
                    THEN NULL
                WHEN u.relation = '>=' THEN CAST(greatest(-u.diff, 0) * 100 AS BIGINT)
                WHEN u.relation = '>' THEN
                    CASE WHEN u.diff > 0 THEN 0 ELSE CAST(-u.diff * 100 AS BIGINT) + 1 END
                WHEN u.relation = '<' THEN
                    CASE WHEN u.diff < 0 THEN 0 ELSE CAST(u.diff * 100 AS BIGINT) + 1 END
                ELSE CAST(abs(u.diff) * 100 AS BIGINT)
            END AS deviation_cents
        FROM f AS u
        """
    )

    bad = con.execute(
        """
        SELECT coalesce(instance_id, '<NULL>'), count(*) FROM _fw_residuals
        GROUP BY instance_id HAVING count(*) > 1 OR instance_id IS NULL
        ORDER BY 1 LIMIT 5
        """
    ).fetchall()
    if bad:
        raise ValidationInputError(
            f"instance_id must be unique and not null across residual models; offending: {bad}"
        )


def _check_model(con: "duckdb.DuckDBPyConnection", schema: str, relation: str) -> set[str]:
    """Check the contract of a residual model; return the optional columns it has."""
    columns = dict(
        con.execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
            """,
            [schema, relation],
        ).fetchall()
    )
    if not columns:
        raise ValidationInputError(
            f"residual model {schema}.{relation} not found in the DuckDB file (has dbt run?)"
        )
    missing = [c for c in RESIDUAL_COLUMNS if c not in columns]
    if missing:
        raise ValidationInputError(f"{schema}.{relation} lacks columns {missing}")
    for column in _MONEY_COLUMNS:
        data_type = columns[column].upper()
        ok = data_type in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT")
        if data_type.startswith("DECIMAL("):
            scale = int(data_type[len("DECIMAL("):-1].split(",")[1])
            ok = scale <= 2
        if not ok:
            raise ValidationInputError(
                f"{schema}.{relation}.{column} is {data_type}; the contract is DECIMAL(18,2) "
                "(exact money, never floating point)"
            )
    return {c for c in (UNIT_COLUMN, RELATION_COLUMN, CELLS_COLUMN) if c in columns}


def _gx_frame(
    con: "duckdb.DuckDBPyConnection", catalogue: Catalogue
) -> tuple["pd.DataFrame", dict[str, int]]:
    """The integer-only frame GX validates, and the expected row count per identity."""
    frame = con.execute(
        """
        SELECT instance_id, identity_id, deviation_cents,
               coalesce(tolerance_cents, 0) AS tolerance_cents
        FROM _fw_residuals WHERE route = 'validate'
        ORDER BY identity_id, instance_id
        """
    ).df()
    frame = frame.astype(
        {"instance_id": "object", "identity_id": "object", "deviation_cents": "Int64",
         "tolerance_cents": "int64"}
    ).reset_index(drop=True)
    expected = {identity_id: 0 for identity_id in catalogue.ids}
    for identity_id, count in frame["identity_id"].value_counts().items():
        expected[str(identity_id)] = int(count)
    return frame, expected


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


# --------------------------------------------------------------------------------------------
# Great Expectations side


def _site_config(data_docs_dir: Path) -> dict[str, Any]:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_dir),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def _gx_context(gx_root: Path, data_docs_dir: Path) -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    gx_root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", context_root_dir=str(gx_root))

    changed = False
    progress = context.variables.progress_bars  # ProgressBarsConfig, or a dict once reloaded
    if isinstance(progress, dict):
        flags = (progress.get("globally", True), progress.get("metric_calculations", True))
    else:
        flags = (True, True) if progress is None else (progress.globally, progress.metric_calculations)
    if any(flags):
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        changed = True
    if context.variables.analytics_enabled is not False:
        context.variables.analytics_enabled = False
        changed = True
    if changed:
        context.variables.save()

    sites = context.list_data_docs_sites()
    wanted = _site_config(data_docs_dir)
    if SITE_NAME not in sites:
        context.add_data_docs_site(site_name=SITE_NAME, site_config=wanted)
    elif dict(sites[SITE_NAME]) != wanted:
        context.update_data_docs_site(site_name=SITE_NAME, site_config=wanted)
    # GX scaffolds a default site under gx_root/uncommitted; Data Docs go to data_docs_dir only.
    for other in [name for name in context.list_data_docs_sites() if name != SITE_NAME]:
        context.delete_data_docs_site(other)
    return context


def _batch_definition(context: Any) -> Any:
    # Look objects up through the getters (they bind the data context; iterating
    # ``data_sources.all().values()`` returns unbound copies that cannot build a batch).
    if DATASOURCE_NAME in context.data_sources.all():
        data_source = context.data_sources.get(DATASOURCE_NAME)
    else:
        data_source = context.data_sources.add_pandas(name=DATASOURCE_NAME)
    if ASSET_NAME in {a.name for a in data_source.assets}:
        asset = data_source.get_asset(ASSET_NAME)
    else:
        asset = data_source.add_dataframe_asset(name=ASSET_NAME)
    if BATCH_DEFINITION_NAME in {b.name for b in asset.batch_definitions}:
        return asset.get_batch_definition(BATCH_DEFINITION_NAME)
    return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION_NAME)


def _docs_page_path(context: Any, key: Any) -> Path | None:
    urls = context.get_docs_sites_urls(
        resource_identifier=key, site_name=SITE_NAME, only_if_exists=False
    )
    url = urls[0]["site_url"] if urls else None
    if not url:
        return None
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else None


def _prune_validation_results(context: Any, data_docs_dir: Path, run_id: str, keep_runs: int) -> None:
    """Drop stored results (and their pages) of this run_id and of runs beyond ``keep_runs``."""
    store = context.validation_results_store
    keys = [k for k in store.list_keys() if k.expectation_suite_identifier.name == SUITE_NAME]
    latest: dict[str, datetime] = {}
    for key in keys:
        name = key.run_id.run_name
        when = key.run_id.run_time
        if name not in latest or when > latest[name]:
            latest[name] = when
    older = sorted((n for n in latest if n != run_id), key=lambda n: latest[n], reverse=True)
    keep = set(older[: keep_runs - 1])
    for key in keys:
        if key.run_id.run_name in keep:
            continue
        page = _docs_page_path(context, key)
        store.remove_key(key)
        if page is not None and page.is_file() and data_docs_dir in page.parents:
            page.unlink()
            _remove_empty_parents(page.parent, data_docs_dir)


def _remove_empty_parents(directory: Path, stop: Path) -> None:
    while directory != stop and stop in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


def _run_gx(
    *,
    frame: "pd.DataFrame",
    expected_counts: dict[str, int],
    catalogue: Catalogue,
    data_docs_dir: Path,
    gx_root: Path,
    run_id: str,
    validated_at: datetime,
    keep_runs: int,
) -> tuple[set[str], bool]:
    """Run the checkpoint; return (failing instance ids, GX suite success)."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    data_docs_dir.mkdir(parents=True, exist_ok=True)
    context = _gx_context(gx_root, data_docs_dir)
    batch_definition = _batch_definition(context)
    suite = context.suites.add_or_update(build_suite(catalogue))
    validation_definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=VALIDATION_DEFINITION_NAME, data=batch_definition, suite=suite)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=CHECKPOINT_NAME,
            validation_definitions=[validation_definition],
            actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[SITE_NAME])],
            result_format=result_format(),
        )
    )

    _prune_validation_results(context, data_docs_dir, run_id, keep_runs)

    result = checkpoint.run(
        batch_parameters={"dataframe": frame},
        run_id=RunIdentifier(run_name=run_id, run_time=validated_at.replace(tzinfo=timezone.utc)),
    )
    validation_results = list(result.run_results.values())
    if len(validation_results) != 1:
        raise RuntimeError(f"expected one validation result, got {len(validation_results)}")
    outcomes = interpret_validation_result(validation_results[0], expected_counts)
    failed: set[str] = set()
    for outcome in outcomes.values():
        failed |= outcome.failed_instance_ids

    # Data Docs must show every stored result: if data_docs_dir was wiped or moved since the last
    # run, the incremental build above only wrote the new page, so rebuild the site fully.
    store = context.validation_results_store
    missing = [
        key for key in store.list_keys()
        if (page := _docs_page_path(context, key)) is None or not page.is_file()
    ]
    if missing or not (data_docs_dir / "index.html").is_file():
        log.info("rebuilding Data Docs (%d pages missing)", len(missing))
        context.build_data_docs(site_names=[SITE_NAME])
    return failed, bool(validation_results[0].success)
