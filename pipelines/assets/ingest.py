"""Ingest assets: landing folder -> archive -> parse cache -> staging tables (schema raw)."""

import duckdb
from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, asset, multi_asset

from ingest.archive import Archive
from ingest.discover import discover_landing
from ingest.staging import load_staging
from ingest.workers import ParseLimits, parse_documents
from pipelines.settings import PipelineSettings

DUCKDB_POOL = "duckdb_writer"  # every asset that writes DuckDB: one at a time


@asset(group_name="ingest", description="Every PDF of the landing folder, copied into the content-addressed archive.")
def archived_documents(context: AssetExecutionContext, settings: PipelineSettings) -> MaterializeResult:
    settings.ensure_dirs()
    archive = Archive(settings.archive_dir)
    before = {d.document_id for d in archive.documents()}
    landed = discover_landing(settings.landing)
    for i, landed_file in enumerate(landed, start=1):
        doc = archive.add(landed_file)
        if doc.document_id not in before:
            context.log.info(f"[{i}/{len(landed)}] archived new document {doc.document_id[:12]} ({landed_file.name})")
    docs = archive.documents()
    new = len({d.document_id for d in docs} - before)
    context.log.info(f"landing: {len(landed)} files; archive: {len(docs)} documents ({new} new)")
    return MaterializeResult(metadata={"landed_files": len(landed), "archived_documents": len(docs), "new_documents": new})


@asset(
    group_name="ingest",
    deps=[archived_documents],
    description="Parse results per document (cached per parser version); bad documents quarantined with a reason.",
)
def parsed_documents(context: AssetExecutionContext, settings: PipelineSettings) -> MaterializeResult:
    docs = Archive(settings.archive_dir).documents()
    done = {"n": 0, "new": 0}

    def progress(result, from_cache: bool) -> None:
        done["n"] += 1
        if not from_cache:
            done["new"] += 1
            what = "loaded" if result.status == "loaded" else f"QUARANTINED: {result.quarantine_reason}"
            context.log.info(
                f"[{done['n']}/{len(docs)}] parsed {result.document_id[:12]} "
                f"({result.metadata.department or '?'}, {result.metadata.page_count or 0} pages, "
                f"{result.parse_seconds:.1f} s): {what}"
            )

    limits = ParseLimits(timeout_seconds=settings.parse_timeout_seconds, workers=settings.parse_workers)
    results = parse_documents(docs, settings.parsed_dir, limits, on_done=progress)
    loaded = sum(r.status == "loaded" for r in results)
    return MaterializeResult(
        metadata={
            "documents": len(results),
            "parsed_this_run": done["new"],
            "loaded": loaded,
            "quarantined": len(results) - loaded,
        }
    )


@multi_asset(
    specs=[
        AssetSpec(["raw", "documents"], deps=[parsed_documents], group_name="staging",
                  description="One row per document: file, hash, status, quarantine reason, metadata."),
        AssetSpec(["raw", "report_tables"], deps=[parsed_documents], group_name="staging",
                  description="Tables located in each document, with pages and status."),
        AssetSpec(["raw", "table_cells"], deps=[parsed_documents], group_name="staging",
                  description="Every cell of every parsed table with document, page, row, column and raw text."),
    ],
    pool=DUCKDB_POOL,
)
def raw_staging(context: AssetExecutionContext, settings: PipelineSettings):
    """Rebuild the working warehouse from scratch: it is a pure function of archive and cache."""
    from ingest.workers import read_cached

    settings.ensure_dirs()
    archived = Archive(settings.archive_dir).documents()
    parsed = [p for d in archived if (p := read_cached(settings.parsed_dir, d.document_id)) is not None]
    work = settings.working_db
    for stale in (work, work.with_name(work.name + ".wal")):
        stale.unlink(missing_ok=True)
    with duckdb.connect(str(work)) as con:
        counts = load_staging(con, archived, parsed, settings.data, settings.parsed_dir)
    context.log.info(
        f"staging: {counts.documents} documents ({counts.loaded} loaded, {counts.quarantined} quarantined), "
        f"{counts.tables} tables, {counts.cells} cells -> {work}"
    )
    yield MaterializeResult(asset_key=["raw", "documents"], metadata={
        "documents": counts.documents, "loaded": counts.loaded, "quarantined": counts.quarantined})
    yield MaterializeResult(asset_key=["raw", "report_tables"], metadata={"tables": counts.tables})
    yield MaterializeResult(asset_key=["raw", "table_cells"], metadata={"cells": counts.cells})
