"""Dagster asset checks of expectation_results: one per identity of the catalogue (plus one for all),
severity WARN, evaluated in a real run over the real finance-bureau report; failing data never fails
the run, and the failing check names the document and the instance."""
from __future__ import annotations

import shutil

import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance

from expectations.catalogue import load_catalogue
from tests.conftest import CZJ, require_corpus


def test_one_check_spec_per_identity():
    from pipelines.assets.quality import OVERALL_CHECK, expectation_results

    names = {spec.name for spec in expectation_results.check_specs}
    assert names == set(load_catalogue().ids) | {OVERALL_CHECK}


@pytest.fixture(scope="module")
def checks(tmp_path_factory):
    require_corpus()
    from pipelines.orchestration import run_night
    from pipelines.settings import PipelineSettings

    root = tmp_path_factory.mktemp("checks")
    landing = root / "landing"
    landing.mkdir()
    shutil.copy(CZJ, landing / CZJ.name)
    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(root / "w" / "warehouse.duckdb"))
    with DagsterInstance.ephemeral() as instance:
        outcome = run_night(settings, instance, log_level="WARNING")
        found = {}
        for identity_id in [*load_catalogue().ids, "accounting_identities_hold"]:
            key = AssetCheckKey(AssetKey(["expectation_results"]), identity_id)
            records = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
            found[identity_id] = records[0].event.dagster_event.event_specific_data if records else None
    return outcome, found


def test_failing_identities_do_not_fail_the_run(checks):
    outcome, found = checks
    assert outcome.success
    assert all(evaluation is not None for evaluation in found.values())
    assert all(evaluation.severity == AssetCheckSeverity.WARN for evaluation in found.values())


def test_the_failing_check_names_document_and_instance(checks):
    _, found = checks
    failing = {name for name, evaluation in found.items() if not evaluation.passed}
    assert failing == {"cross_t1_t3_class", "cross_t4_t5_class", "narrative_amount", "narrative_share",
                       "accounting_identities_hold"}
    metadata = {k: getattr(v, "value", v) for k, v in found["cross_t1_t3_class"].metadata.items()}
    assert metadata["failed"] == 1 and metadata["open_failures"] == 1
    assert "上海市普陀区财政局 2024" in metadata["failing_documents"]
    assert "| 208 | 326.71 | 326.72 | -0.01 |" in metadata["failing_instances"]
    passing = {k: getattr(v, "value", v) for k, v in found["t1_balance"].metadata.items()}
    assert found["t1_balance"].passed and passing["failed"] == 0 and passing["passed"] == 1
