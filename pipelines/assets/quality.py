"""Great-expectations validation of the accounting identities, as an asset with a check.

Failing identities are data problems: they are recorded and shown (check severity WARN), and
never fail the run.
"""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)
from dagster_dbt import get_asset_key_for_model

from pipelines.assets.ingest import DUCKDB_POOL
from pipelines.assets.warehouse import warehouse_models
from pipelines.settings import PipelineSettings

RESIDUALS = get_asset_key_for_model([warehouse_models], "int_identity_residuals")


@asset(
    group_name="quality",
    deps=[RESIDUALS],
    pool=DUCKDB_POOL,
    check_specs=[AssetCheckSpec("accounting_identities_hold", asset="expectation_results")],
    description="GX validation results per run, document and identity instance (quality.expectation_results) and Data Docs.",
)
def expectation_results(context: AssetExecutionContext, settings: PipelineSettings):
    from expectations.runner import run_validations

    summary = run_validations(settings.working_db, settings.data_docs_dir, settings.gx_dir, context.run.run_id)
    context.log.info(
        f"expectations: {summary.instances} identity instances, {summary.passed} passed, "
        f"{summary.failed} failed, {summary.not_evaluated} not evaluated; Data Docs: {summary.data_docs_index}"
    )
    yield MaterializeResult(
        metadata={
            "instances": summary.instances,
            "passed": summary.passed,
            "failed": summary.failed,
            "not_evaluated": summary.not_evaluated,
            "data_docs": str(summary.data_docs_index),
        }
    )
    failed_docs = sorted({f.document_id for f in summary.failures})
    yield AssetCheckResult(
        check_name="accounting_identities_hold",
        passed=summary.failed == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={"failed_instances": summary.failed, "documents_with_failures": ", ".join(d[:12] for d in failed_docs)},
    )
