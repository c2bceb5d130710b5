"""Great-expectations validation of the accounting identities, as an asset with one check per identity.

The checks are built from expectations/catalogue.yml: one AssetCheckSpec per identity, so the UI
shows which documents failed which identity (metadata: failing documents, a table of the failing
instances with their values, pages and review state; counts of passed / failed / open / not
evaluated). Failing identities are data problems: every check has severity WARN and never fails
the run. Steward decisions (<data_dir>/reviews/decisions.jsonl) are loaded into the warehouse here
(quality.review_decisions, quality.failure_reviews, quality.open_failures).
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_dbt import get_asset_key_for_model

from expectations.catalogue import load_catalogue
from pipelines.assets.ingest import DUCKDB_POOL
from pipelines.assets.warehouse import warehouse_models
from pipelines.report import report as say  # `report` is an identity's report below
from pipelines.settings import PipelineSettings

RESIDUALS = get_asset_key_for_model([warehouse_models], "int_identity_residuals")
CATALOGUE = load_catalogue()
OVERALL_CHECK = "accounting_identities_hold"


def _check_specs() -> list[AssetCheckSpec]:
    specs = [AssetCheckSpec(OVERALL_CHECK, asset="expectation_results",
                            description="No identity instance failed in this run (all identities together).")]
    for identity in CATALOGUE:
        specs.append(AssetCheckSpec(
            identity.id,
            asset="expectation_results",
            description=(
                f"{identity.description_zh} — {identity.description_en} "
                f"[{identity.group}, {identity.severity}, tolerance {identity.tolerance_per_term} per term]"
            ),
        ))
    return specs


@asset(
    group_name="quality",
    deps=[RESIDUALS],
    pool=DUCKDB_POOL,
    check_specs=_check_specs(),
    description="GX validation results per run, document and identity instance (quality.expectation_results), "
                "steward decisions (quality.review_decisions, quality.open_failures) and Data Docs.",
)
def expectation_results(context: AssetExecutionContext, settings: PipelineSettings):
    import duckdb

    from expectations.checks import identity_reports
    from expectations.review import decisions_file, publish_reviews, read_decisions
    from expectations.runner import run_validations

    from pipelines.warehouse_state import decisions_signature, mark_validated, validation_scope

    run_id = context.run.run_id
    scope = validation_scope(settings.working_db)
    say(context, "validation: every document" if scope is None else
                    f"validation: the {len(scope)} documents changed since the last publication "
                    "(the others keep the previous run's outcome)")
    decisions_seen = decisions_signature(settings)
    problems: list[str] = []
    decisions = read_decisions(decisions_file(settings.data), problems)
    for problem in problems:  # a torn or bad line never stops the night
        context.log.warning(f"steward decisions: {problem}")
    # the decisions tell GX which carried failures are open: a night that checks nothing is then
    # not GX's green "Succeeded" while some are
    summary = run_validations(settings.working_db, settings.data_docs_dir, settings.gx_dir, run_id,
                              catalogue=CATALOGUE, document_ids=scope, keep_only_this_run=True,
                              duckdb_config=settings.duckdb_config(),
                              progress=lambda line: say(context, line), decisions=decisions)
    from expectations.docs_summary import write_review_summary

    with duckdb.connect(str(settings.working_db), config=settings.duckdb_config()) as con:
        review_counts = publish_reviews(con, decisions)
        # what is open and decided, at the top of the Data Docs index and of this run's page
        write_review_summary(con, settings.data_docs_dir, summary.validated_instances, summary.instances,
                             run_id)
    mark_validated(settings.working_db, decisions_seen)
    context.log.info(f"Data Docs: {summary.data_docs_index}")
    say(context,
           f"validation: {summary.instances} identity instances, {summary.passed} passed, "
           f"{summary.failed} failed ({review_counts['new']} new, {review_counts['reopened']} reopened, "
           f"{review_counts['decided']} decided by a steward), {summary.not_evaluated} not evaluated")
    yield MaterializeResult(
        metadata={
            "instances": summary.instances,
            "passed": summary.passed,
            "failed": summary.failed,
            "open_failures": review_counts["new"] + review_counts["reopened"],
            "decided_failures": review_counts["decided"],
            "not_evaluated": summary.not_evaluated,
            "validated_now": summary.validated_instances,
            "data_docs": str(summary.data_docs_index),
        }
    )
    failed_docs = sorted({f.document_id for f in summary.failures})
    yield AssetCheckResult(
        check_name=OVERALL_CHECK,
        passed=summary.failed == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={"failed_instances": summary.failed,
                  "open_failures": review_counts["new"] + review_counts["reopened"],
                  "documents_with_failures": ", ".join(d[:12] for d in failed_docs)},
    )
    for report in identity_reports(settings.working_db, run_id, CATALOGUE):
        yield AssetCheckResult(
            check_name=report.identity_id,
            passed=report.failed == 0,
            severity=AssetCheckSeverity.WARN,
            description=report.description,
            metadata={
                "passed": report.passed,
                "failed": report.failed,
                "open_failures": report.open,
                "not_evaluated": report.not_evaluated,
                # apart from the failures: these are the parser's, not the document's
                "parser_problems": report.parser_problems,
                "failing_documents": ", ".join(report.failing_documents) or "none",
                "failing_instances": MetadataValue.md(report.markdown()),
                "not_evaluated_reasons": report.reasons_text() or "none",
                "severity": report.severity,
            },
        )
