"""The Great Expectations project of the identity checks: its context, Data Docs site, stored
suite and checkpoint, and one checkpoint run (expectations.runner prepares the frame and writes
the results).

Everything GX stores lives under ``gx_root`` (file mode); Data Docs are built into
``data_docs_dir`` only. The suite, validation definition and checkpoint are stored again only
when their configuration changes (``SUITE_FINGERPRINT_FILE``). Stored results, and their Data
Docs pages, are kept for the last ``keep_runs`` runs.

GX is imported lazily (3-4 s), inside the functions that need it.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from .catalogue import Catalogue
from .suites import (REVIEW_ID_COLUMN, RUN_SCOPE_PARAMETER, SUITE_NAME, build_suite,
                     interpret_validation_result, result_format)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

log = logging.getLogger(__name__)

SITE_NAME = "fiscal_data_docs"
DATASOURCE_NAME = "identity_residuals"
ASSET_NAME = "evaluable_residuals"
BATCH_DEFINITION_NAME = "whole_frame"
VALIDATION_DEFINITION_NAME = "fiscal_identities__evaluable_residuals"
CHECKPOINT_NAME = "fiscal_identities_nightly"


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


#: In gx_root: the digest of the suite and checkpoint configuration last stored in the GX store.
SUITE_FINGERPRINT_FILE = "fiscal_suite.sha256"


def _suite_fingerprint(suite: Any) -> str:
    """A digest of everything `run_checkpoint` stores: the suite's expectations, the result format and
    the names of the data source, asset, batch, validation definition, checkpoint and site."""
    import hashlib
    import json

    config = {
        "suite": suite.to_json_dict(),
        "result_format": result_format(),
        "names": [DATASOURCE_NAME, ASSET_NAME, BATCH_DEFINITION_NAME, VALIDATION_DEFINITION_NAME,
                  CHECKPOINT_NAME, SITE_NAME],
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def run_checkpoint(
    *,
    frame: "pd.DataFrame",
    expected_counts: dict[str, int],
    catalogue: Catalogue,
    data_docs_dir: Path,
    gx_root: Path,
    run_id: str,
    validated_at: datetime,
    keep_runs: int,
    open_elsewhere: int = 0,
) -> tuple[set[str], bool]:
    """Run the checkpoint; return (failing instance ids, GX suite success).

    ``open_elsewhere``: failures of earlier runs, carried into this one, that are still open;
    with an empty frame GX then says "Failed" (see `suites.run_scope_expectation`)."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    data_docs_dir.mkdir(parents=True, exist_ok=True)
    context = _gx_context(gx_root, data_docs_dir)
    suite = build_suite(catalogue)
    fingerprint = _suite_fingerprint(suite)
    stamp = gx_root / SUITE_FINGERPRINT_FILE
    stored = stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else ""
    if stored == fingerprint and CHECKPOINT_NAME in {c.name for c in context.checkpoints.all()}:
        # Same suite, validation definition and checkpoint as stored: `add_or_update` would
        # compare 80 expectations pairwise and rewrite all three (about 3 s of every night).
        checkpoint = context.checkpoints.get(CHECKPOINT_NAME)
    else:
        batch_definition = _batch_definition(context)
        suite = context.suites.add_or_update(suite)
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
        stamp.write_text(fingerprint + "\n", encoding="utf-8")

    _prune_validation_results(context, data_docs_dir, run_id, keep_runs)

    result = checkpoint.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters={RUN_SCOPE_PARAMETER: 1 if open_elsewhere else 0},
        run_id=RunIdentifier(run_name=run_id, run_time=validated_at.replace(tzinfo=timezone.utc)),
    )
    validation_results = list(result.run_results.values())
    if len(validation_results) != 1:
        raise RuntimeError(f"expected one validation result, got {len(validation_results)}")
    instance_ids = dict(zip(frame[REVIEW_ID_COLUMN].astype(str), frame["instance_id"].astype(str)))
    outcomes = interpret_validation_result(validation_results[0], expected_counts, instance_ids)
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
