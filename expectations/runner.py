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
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .catalogue import Catalogue, load_catalogue
from .offline_docs import find_external_references, make_site_offline
from .residuals import (  # noqa: F401  (re-exported: the contract with dbt)
    CELLS_COLUMN,
    RELATION_COLUMN,
    RELATIONS,
    RESIDUAL_COLUMNS,
    UNIT_COLUMN,
    UNIT_FACTORS,
    ValidationInputError,
    _gx_frame,
    _prepare_residuals,
)
from .results_table import (  # noqa: F401  (re-exported)
    RESULT_COLUMNS,
    RESULTS_TABLE,
    STATUS_FAILED,
    STATUS_NOT_EVALUATED,
    STATUS_PASSED,
    SUMMARY_VIEW,
    FailedInstance,
    _as_naive_utc,
    _summarise,
    _write_results,
)
from .gx_project import SUITE_FINGERPRINT_FILE, run_checkpoint  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

    from .review import Decision

log = logging.getLogger(__name__)


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
    validated_instances: int = 0  # instances decided in this run (the rest were carried over)
    open_carried: int = 0  # failures carried over from the previous run and still open

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
    document_ids: "set[str] | None" = None,
    keep_only_this_run: bool = False,
    progress: "Callable[[str], None] | None" = None,
    decisions: "Iterable[Decision] | None" = None,
    duckdb_config: "dict[str, str] | None" = None,
) -> ValidationSummary:
    """Validate the identity residuals; write ``quality.*``; build offline Data Docs.

    ``document_ids`` scopes the validation to those documents (the nightly run passes the ones
    whose data changed): GX sees only their instances, and the other documents' results of the
    previous run become this run's, unchanged (relabelled in place). None validates everything.
    ``keep_only_this_run`` drops the rows of other runs, so ``quality.expectation_results``
    holds the warehouse's current outcome; a scoped validation needs it (the previous run's
    rows move to this run).

    ``validated_at`` (naive = UTC) defaults to now; ``keep_runs`` bounds how many run ids keep a
    validation result (and page) in the GX store / Data Docs (results in DuckDB are never pruned).
    Re-running an existing ``run_id`` replaces its rows and its Data Docs page.
    ``progress`` receives one short line per phase (read, GX checkpoint, results, Data Docs).
    ``decisions`` (the stewards', `expectations.review.read_decisions`) tell which failures carried
    from the previous run are still open: a run that validates nothing while some are is GX's
    "Failed", not a green success (`suites.run_scope_expectation`).
    ``duckdb_config``: the DuckDB connection's config (the pipeline passes its memory_limit,
    threads and spill folder, pipelines/settings.py).
    """
    import duckdb

    say = progress or (lambda line: None)

    if document_ids is not None and not keep_only_this_run:
        raise ValueError("a validation scoped to document_ids carries the other documents' results "
                         "into this run: pass keep_only_this_run=True")
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
    con = duckdb.connect(str(duckdb_path), config=dict(duckdb_config or {}))
    try:
        carried = _scope(con, document_ids, run_id)
        _prepare_residuals(con, catalogue, scoped=carried is not None)
        in_scope = con.execute("SELECT count(*) FROM _fw_residuals").fetchall()[0][0]
        frame, expected_counts = _gx_frame(con, catalogue)
        unknown = tuple(
            r[0]
            for r in con.execute(
                "SELECT DISTINCT identity_id FROM _fw_residuals WHERE route = 'not_in_catalogue' "
                "ORDER BY 1"
            ).fetchall()
        )
        open_elsewhere = _carried_open_failures(con, carried, decisions or ())
        timings["read_residuals_s"] = time.perf_counter() - t0
        say(f"validation: {in_scope} identity instances to check with great-expectations "
            f"({timings['read_residuals_s']:.1f} s)")

        t1 = time.perf_counter()
        failed_ids, gx_success = run_checkpoint(
            frame=frame,
            expected_counts=expected_counts,
            catalogue=catalogue,
            data_docs_dir=data_docs_dir,
            gx_root=gx_root,
            run_id=run_id,
            validated_at=validated_at,
            keep_runs=keep_runs,
            open_elsewhere=open_elsewhere,
        )
        timings["gx_s"] = time.perf_counter() - t1
        say(f"validation: great-expectations checkpoint done ({timings['gx_s']:.1f} s)")

        t2 = time.perf_counter()
        _write_results(con, frame, failed_ids, run_id, validated_at)
        if carried:
            _carry_forward(con, carried, run_id, validated_at)
        if keep_only_this_run:
            con.execute(f"DELETE FROM {RESULTS_TABLE} WHERE run_id <> ?", [run_id])
        summary_rows = _summarise(con, run_id)
        timings["write_results_s"] = time.perf_counter() - t2
        say(f"validation: results written to {RESULTS_TABLE} ({timings['write_results_s']:.1f} s)")
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
        validated_instances=int(in_scope),
        open_carried=open_elsewhere,
    )
    log.info(
        "expectations run %s: %d instances, %d passed, %d failed, %d not evaluated (%.1f s)",
        run_id, summary.instances, summary.passed, summary.failed, summary.not_evaluated,
        timings["total_s"],
    )
    return summary


def _scope(con: Any, document_ids: "set[str] | None", run_id: str) -> str | None:
    """Temp tables ``_fw_scope`` (the documents to validate now) and ``_fw_previous_documents``
    (those the previous run validated) for ``residuals.SCOPE_FILTER``; returns the run whose
    results the other documents keep (None: validate everything, e.g. no earlier run to carry
    from)."""
    if document_ids is None:
        return None
    schema, table = RESULTS_TABLE.split(".")
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                         [schema, table]).fetchall()[0][0]
    if not exists:  # no earlier run in this file
        return None
    previous = con.execute(
        f"SELECT run_id FROM {RESULTS_TABLE} WHERE run_id <> ? ORDER BY validated_at DESC, run_id LIMIT 1",
        [run_id]).fetchall()
    if not previous:
        return None
    con.execute("CREATE OR REPLACE TEMP TABLE _fw_scope AS SELECT unnest($ids::VARCHAR[]) AS document_id",
                {"ids": sorted(document_ids)})
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _fw_previous_documents AS
                    SELECT DISTINCT document_id FROM {RESULTS_TABLE}
                    WHERE run_id = ? AND document_id IS NOT NULL""", [previous[0][0]])
    return previous[0][0]


def _carried_open_failures(con: Any, previous_run: str | None, decisions: "Iterable[Decision]") -> int:
    """How many failures of ``previous_run`` this run carries forward (their documents are not
    validated now) that no steward decided on these values."""
    from .review import STATE_DECIDED, latest_by_instance, review_state

    if previous_run is None:
        return 0
    rows = con.execute(
        f"""SELECT instance_id, lhs, rhs, diff FROM {RESULTS_TABLE}
            WHERE run_id = ? AND status = '{STATUS_FAILED}'
              AND document_id IN (SELECT document_id FROM _fw_documents)
              AND document_id NOT IN (SELECT document_id FROM _fw_residuals WHERE document_id IS NOT NULL)""",
        [previous_run]).fetchall()
    latest = latest_by_instance(decisions)
    return sum(1 for instance_id, lhs, rhs, diff in rows
               if review_state(latest.get(instance_id), lhs, rhs, diff) != STATE_DECIDED)


def _carry_forward(con: Any, previous_run: str, run_id: str, validated_at: datetime) -> None:
    """The previous run's rows of the documents not validated now become this run's: their data
    did not change, so this run asserts the same outcome. They are relabelled (two columns
    updated), not copied (at 1,000 documents a copy rewrites some 350,000 rows every night).
    The previous rows of a document validated now are dropped whole (a re-parsed document may
    have lost an instance), and so are those of documents no longer in the warehouse."""
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"""DELETE FROM {RESULTS_TABLE}
                WHERE run_id = ?
                  AND (document_id IS NULL
                       OR document_id NOT IN (SELECT document_id FROM _fw_documents)
                       OR document_id IN (SELECT document_id FROM _fw_residuals WHERE document_id IS NOT NULL))""",
            [previous_run])
        con.execute(f"UPDATE {RESULTS_TABLE} SET run_id = ?, validated_at = CAST(? AS TIMESTAMP) WHERE run_id = ?",
                    [run_id, validated_at, previous_run])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
