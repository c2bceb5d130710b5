"""Great Expectations suite generated from the identity catalogue.

Design: ONE suite (``fiscal_identities``) holding a pair of expectations PER IDENTITY, each
restricted to that identity's rows with a ``row_condition`` on ``identity_id``. Why one suite
rather than one suite per identity:

* GX validates a *batch*; all identities share one batch (the evaluable residual rows, a frame
  of four generic columns), so one suite = one validation definition = one checkpoint run =
  one Data Docs page per run, on which every identity appears as a line with its failing
  ``instance_id`` values. Nine (and later more) suites would mean as many validation
  definitions, batch loads and Data Docs pages per night for the same frame.
* Adding an identity stays a catalogue edit: the suite is regenerated from the YAML on every
  run and stored with ``add_or_update``; there is no per-identity GX object to create,
  rename or delete.
* Per-identity attributes still live on each expectation: ``description`` (zh + en), GX
  ``severity`` (critical/warning from the catalogue's error/warning) and ``meta`` (identity id,
  tolerance), so Data Docs and the result parser can tell identities apart.

Money stays exact: the frame GX sees contains only integers computed by DuckDB with DECIMAL
arithmetic (``deviation_cents`` = how far the row is from its relation, x 100: |diff| for
``=``, max(-diff, 0) for ``>=``, a tie counting one cent for the strict ``>``/``<`` of a
narrative comparison word; ``tolerance_cents`` = floor(tolerance_per_term x term_count x 100));
no float ever takes a pass/fail decision. The two expectations per identity are:

1. ``expect_column_values_to_not_be_null(deviation_cents)``: the residual is computable
   (lhs, rhs, diff, term_count present and diff = lhs - rhs; otherwise the runner nulls
   ``deviation_cents``). An evaluable row that is not computable fails, it is not skipped.
2. ``expect_column_pair_values_a_to_be_greater_than_b(tolerance_cents >= deviation_cents)``:
   the identity holds within rounding tolerance.

GX is imported lazily (3-4 s); importing this module is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from .catalogue import Catalogue, Identity

if TYPE_CHECKING:  # pragma: no cover
    from great_expectations.core import ExpectationSuite

SUITE_NAME = "fiscal_identities"

#: The id `review show` / `review decide` take (short id of the instance), in the frame GX validates.
REVIEW_ID_COLUMN = "review id"
#: Text columns of the frame, for a steward: GX lists a failing row by them in its Data Docs
#: tables (``unexpected_index_column_names``) instead of the 64-character instance id.
READABLE_COLUMNS: tuple[str, ...] = (REVIEW_ID_COLUMN, "document", "pages", "left side", "right side")
#: Columns of the frame handed to GX (one row per evaluable instance): GX decides on the two
#: integers; instance_id is not shown (the runner maps the review id back to it).
FRAME_COLUMNS: tuple[str, ...] = ("instance_id", "identity_id", "deviation_cents", "tolerance_cents",
                                  *READABLE_COLUMNS)

CHECK_COMPUTABLE = "computable"
CHECK_TOLERANCE = "within_tolerance"


def result_format() -> dict[str, Any]:
    """COMPLETE results, failing rows named by the readable columns (review id, document, pages,
    both sides with their unit): GX renders them as the columns of its Data Docs failure tables."""
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": list(READABLE_COLUMNS),
        "return_unexpected_index_query": False,
    }


def _description(identity: Identity, check: str) -> str:
    if check == CHECK_COMPUTABLE:
        what = "residual computable (lhs, rhs, diff, term_count present; diff = lhs - rhs)"
    else:
        what = (
            f"|diff| ≤ {identity.tolerance_per_term} 万元 × term_count "
            f"({identity.severity}); GX's unexpected value is the pair (deviation, tolerance) in "
            "cents of the printed unit, in either order"
        )
    return f"[{identity.id}] {identity.description_zh} — {identity.description_en}: {what}"


def expectations_for(identity: Identity) -> list[Any]:
    """The GX expectations validating one identity (see module docstring)."""
    import great_expectations as gx
    from great_expectations.expectations.row_conditions import Column

    condition = Column("identity_id") == identity.id
    base_meta = {
        "identity_id": identity.id,
        "description_zh": identity.description_zh,
        "description_en": identity.description_en,
        "severity": identity.severity,
        "tolerance_per_term": str(identity.tolerance_per_term),
        "source_model": identity.source_model,
    }
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(
            column="deviation_cents",
            row_condition=condition,
            description=_description(identity, CHECK_COMPUTABLE),
            severity=identity.gx_severity,
            meta={**base_meta, "check": CHECK_COMPUTABLE},
        ),
        gx.expectations.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="tolerance_cents",
            column_B="deviation_cents",
            or_equal=True,
            ignore_row_if="either_value_is_missing",  # missing values fail check 1 instead
            row_condition=condition,
            description=_description(identity, CHECK_TOLERANCE),
            severity=identity.gx_severity,
            meta={**base_meta, "check": CHECK_TOLERANCE},
        ),
    ]


#: The suite parameter of `run_scope_expectation`: 1 when failures of earlier runs are open, else 0.
RUN_SCOPE_PARAMETER = "min_instances_validated"
CHECK_RUN_SCOPE = "run_scope"


def run_scope_expectation() -> Any:
    """A run that validated nothing while failures are open is not a clean result.

    A night with no changed document hands GX an empty frame: every expectation holds vacuously
    and GX would mark the run "Succeeded" (green, 100 %) in its Data Docs index and on the run's
    page while failures of earlier nights are still open. This expectation asks the frame for
    at least ``$min_instances_validated`` rows; the runner passes 1 when failures carried from
    earlier runs are open (not decided by a steward on these values) and 0 otherwise, so such a
    run is GX's own "Failed", with this description saying why, and any other run is decided by
    the identities alone."""
    import great_expectations as gx

    return gx.expectations.ExpectTableRowCountToBeBetween(
        min_value={"$PARAMETER": RUN_SCOPE_PARAMETER},
        description=("[run] nothing validated this run while failures of earlier runs are open is not a "
                     "clean result: at least one identity instance must be validated, or no failure "
                     "be open (the review summary at the top of the index counts them)"),
        meta={"check": CHECK_RUN_SCOPE},
    )


def build_suite(catalogue: Catalogue, name: str = SUITE_NAME) -> "ExpectationSuite":
    """An unsaved ExpectationSuite with the expectations of every catalogue identity."""
    import great_expectations as gx

    # All expectations go in through the constructor: `suite.add_expectation()` writes the whole
    # suite to the store once per call when a suite of that name was saved before (80 calls took
    # 4 s of every validation run).
    return gx.ExpectationSuite(
        name=name,
        expectations=[*(e for identity in catalogue for e in expectations_for(identity)), run_scope_expectation()],
        meta={
            "generated_from": str(catalogue.path) if catalogue.path else "catalogue",
            "identities": list(catalogue.ids),
        },
    )


class ValidationResultError(RuntimeError):
    """GX did not produce a usable decision (exception inside an expectation, wrong counts)."""


@dataclass
class IdentityOutcome:
    identity_id: str
    element_count: int = 0
    failed_instance_ids: set[str] = field(default_factory=set)


def interpret_validation_result(
    validation_result: Any,
    expected_counts: Mapping[str, int],
    instance_ids: Mapping[str, str],
) -> dict[str, IdentityOutcome]:
    """Failing instance ids per identity, taken from GX's own ``unexpected_index_list``.

    ``expected_counts`` is the number of frame rows per identity; every expectation must have
    seen exactly that many rows (guards against a row_condition that silently matched nothing).
    ``instance_ids`` maps the frame's review ids (what GX names a failing row by) to instance ids.
    Raises :class:`ValidationResultError` when an expectation raised or counts disagree.
    """
    outcomes = {identity_id: IdentityOutcome(identity_id) for identity_id in expected_counts}
    seen_checks: dict[str, set[str]] = {identity_id: set() for identity_id in expected_counts}

    for result in validation_result.results:
        config = result.expectation_config
        meta = (config.meta or {}) if config is not None else {}
        identity_id = meta.get("identity_id")
        check = meta.get("check")
        if check == CHECK_RUN_SCOPE and _raised(result.exception_info or {}):
            raise ValidationResultError(f"the run-scope expectation raised: "
                                        f"{_exception_message(result.exception_info)}")
        if identity_id not in outcomes:
            continue  # an identity with no rows in the frame and not expected: nothing to map
        exception_info = result.exception_info or {}
        if _raised(exception_info):
            raise ValidationResultError(
                f"expectation {config.type if config else '?'} for {identity_id} raised: "
                f"{_exception_message(exception_info)}"
            )
        payload = result.result or {}
        element_count = int(payload.get("element_count", -1))
        if element_count != expected_counts[identity_id]:
            raise ValidationResultError(
                f"{identity_id}/{check}: GX saw {element_count} rows, "
                f"expected {expected_counts[identity_id]}"
            )
        outcome = outcomes[identity_id]
        outcome.element_count = element_count
        failed = _unexpected_instance_ids(payload.get("unexpected_index_list") or [], instance_ids)
        unexpected_count = int(payload.get("unexpected_count") or 0)
        if len(failed) != unexpected_count:
            raise ValidationResultError(
                f"{identity_id}/{check}: {unexpected_count} unexpected rows but "
                f"{len(failed)} instance ids returned"
            )
        if not result.success and not failed:
            raise ValidationResultError(
                f"{identity_id}/{check}: failed without naming any instance"
            )
        outcome.failed_instance_ids |= failed
        seen_checks[identity_id].add(str(check))

    for identity_id, checks in seen_checks.items():
        missing = {CHECK_COMPUTABLE, CHECK_TOLERANCE} - checks
        if missing and expected_counts[identity_id] > 0:
            raise ValidationResultError(f"{identity_id}: no GX result for checks {sorted(missing)}")
    return outcomes


def _unexpected_instance_ids(items: Iterable[Any], instance_ids: Mapping[str, str]) -> set[str]:
    ids: set[str] = set()
    for item in items:
        review_id = item.get(REVIEW_ID_COLUMN) if isinstance(item, Mapping) else None
        if review_id is None or str(review_id) not in instance_ids:
            raise ValidationResultError(
                f"unexpected_index_list entry without a review id of the frame: {item!r}"
            )
        ids.add(instance_ids[str(review_id)])
    return ids


def _raised(exception_info: Any) -> bool:
    if not isinstance(exception_info, Mapping):
        return False
    if "raised_exception" in exception_info:
        return bool(exception_info.get("raised_exception"))
    # multi-metric form: {metric_id: {"raised_exception": ..., ...}}
    return any(
        isinstance(v, Mapping) and bool(v.get("raised_exception")) for v in exception_info.values()
    )


def _exception_message(exception_info: Mapping[str, Any]) -> str:
    if "exception_message" in exception_info:
        return str(exception_info.get("exception_message"))
    return "; ".join(
        str(v.get("exception_message"))
        for v in exception_info.values()
        if isinstance(v, Mapping) and v.get("raised_exception")
    )
