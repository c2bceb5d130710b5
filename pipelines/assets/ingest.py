"""Ingest assets: sources -> archive -> (parse: pipelines/assets/parse.py) -> staging tables."""
import logging

import duckdb
from dagster import (
    AllPartitionMapping,
    AssetDep,
    AssetExecutionContext,
    AssetMaterialization,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from ingest.archive import Archive, NotArchived
from ingest.discover import LandedFile, SkippedFolder, discover_landing, settle
from ingest.download import Downloader, ManifestError, load_manifest
from ingest.landing_index import LandingIndex
from ingest.staging import update_staging
from ingest.workers import read_cached
from pipelines.assets.parse import PARSED_DOCUMENT, document_metadata, parsed_document
from pipelines.intake import IntakeNotes, write_intake
from pipelines.partitions import partition_keys, sync_partitions
from pipelines.report import report as say  # `report` is the download report below
from pipelines.safe_text import printable
from pipelines.settings import PipelineSettings
from pipelines.working_file import connect_working

DUCKDB_POOL = "duckdb_writer"  # every asset that writes DuckDB: one at a time


@asset(
    group_name="ingest",
    description="Every PDF of the landing folder and of the URL manifest, copied into the content-addressed "
    "archive; each document becomes a partition of parsed_document.",
)
def archived_documents(context: AssetExecutionContext, settings: PipelineSettings) -> MaterializeResult:
    """One bad file, name or manifest row never stops the ingest: what could not be taken is
    logged and kept in `<data_dir>/intake.json` (pipelines/intake.py) for the run summary."""
    settings.ensure_dirs()
    archive = Archive(settings.archive_dir)
    before_docs = {d.document_id: d for d in archive.documents()}
    before = set(before_docs)
    notes = IntakeNotes()
    landed: list[LandedFile] = []
    if settings.landing_dir:
        skipped: list[SkippedFolder] = []
        found = discover_landing(settings.landing, skipped)
        landed, left = settle(found, settings.landing_settle_seconds)
        notes.folders_not_scanned = [(s.folder, s.pdfs) for s in skipped]
        notes.left_for_next_night = [(f.name, why) for f, why in left]
        for folder in skipped:
            context.log.warning(f"folder {printable(folder.folder)} holds {folder.pdfs} PDFs and is not scanned "
                                "(folders whose names start with _ or . are skipped)")
    failed_urls: list[tuple[str, str]] = []
    downloaded = 0
    # Landing files archived on an earlier night and unchanged since are not read again
    # (ingest/landing_index.py): a night's ingest costs its new files, not the whole folder.
    index = LandingIndex(settings.data)
    unchanged = 0
    with archive.batch():  # each sidecar written once, however many names or URLs it gains
        for i, landed_file in enumerate(landed, start=1):
            if index.known(landed_file, before_docs) is not None:
                unchanged += 1
                continue
            try:
                doc = archive.add(landed_file)
            except NotArchived as exc:
                notes.left_for_next_night.append((landed_file.name, str(exc)))
                continue
            index.remember(landed_file, doc.document_id)
            if doc.document_id not in before:
                context.log.debug(f"[{i}/{len(landed)}] archived new document {doc.document_id[:12]} "
                                 f"({printable(landed_file.name)})")
        if settings.manifest_path:
            try:
                manifest = load_manifest(settings.manifest)
            except ManifestError as exc:
                notes.manifest_error = str(exc)
                context.log.error(f"manifest not used: {printable(exc)}")
                manifest = None
            if manifest is not None:
                notes.manifest_rejected = manifest.rejected
                for line in manifest.rejected:
                    context.log.warning(f"manifest row rejected: {printable(line)}")
                report = Downloader(settings.downloads_dir, deadline_seconds=settings.download_deadline_seconds
                                    ).fetch_all(manifest.entries)
                for landed_file, entry in report.landed:
                    try:
                        archive.add(landed_file, source_url=entry.url,
                                    hints={"department": entry.department, "region": entry.region, "year": entry.year})
                    except NotArchived as exc:
                        notes.left_for_next_night.append((landed_file.name, str(exc)))
                downloaded = len(report.fetched)
                failed_urls = report.failed
                for url, reason in failed_urls:
                    say(context, f"download failed (tried again next run): {printable(url)}: {printable(reason)}", logging.WARNING)
    index.save()
    if unchanged:
        context.log.debug(f"{unchanged} landing files unchanged since an earlier night: not read again")
    for name, why in notes.left_for_next_night:
        context.log.warning(f"landing file {printable(name)} not archived: {printable(why)}")
    write_intake(settings.data, notes)
    docs = archive.documents()
    # Partitions in order of arrival: a night's new documents are then neighbours at the end of
    # the partition order, so they are parsed in one run (a partition range), even on a fresh
    # (ephemeral) instance that registers every archived document again. Keys are readable
    # (pipelines/partitions.py); keys an older instance holds that no longer name a document
    # (64-character ids, a re-keyed document) are deleted.
    keys = partition_keys(docs)
    added, deleted = sync_partitions(context.instance, docs)
    if deleted:
        say(context, f"ingest: {len(deleted)} partitions renamed to readable keys or removed "
                     f"(no longer an archived document's key), {len(added)} added")
    ids = list(keys)
    new = len(set(ids) - before)
    reconciled = _report_cached_parses(context, settings, docs, keys)
    say(context, f"ingest: {len(landed)} PDF files in the landing folder"
                    + (f", {downloaded} downloaded, {len(failed_urls)} downloads failed" if settings.manifest_path else "")
                    + f"; archive: {len(docs)} documents ({new} new)"
                    + (f"; {len(notes.left_for_next_night)} files left for the next night" if notes.left_for_next_night else ""))
    new_docs = [d for d in docs if d.document_id not in before]
    return MaterializeResult(metadata={
        "landed_files": len(landed), "downloaded": downloaded, "download_failures": len(failed_urls),
        "failed_urls": "\n".join(f"{printable(u)}: {printable(r)}" for u, r in failed_urls), "archived_documents": len(docs),
        "new_documents": new, "partitions_from_parse_cache": reconciled,
        # which file and document each new partition is
        "new_partitions": MetadataValue.md("| partition | file name | document id (SHA-256) |\n|---|---|---|\n" + "".join(
            f"| {keys[d.document_id]} | {_md_cell(d.file_name)} | {d.document_id} |\n" for d in new_docs[:200]))
        if new_docs else "none",
        "partitions_deleted": len(deleted),
        "left_for_next_night": len(notes.left_for_next_night),
        "folders_not_scanned": len(notes.folders_not_scanned),
        "manifest_rows_rejected": len(notes.manifest_rejected),
    })


def _md_cell(text: str) -> str:
    return printable(text).replace("|", "\\|")


def _report_cached_parses(context: AssetExecutionContext, settings: PipelineSettings, docs,
                          keys: dict[str, str]) -> int:
    """Partitions whose document the parse cache already holds (parsed by a run this instance does
    not know: another Dagster home, an instance wiped, the bench) but that were never materialized
    here: reported as materialized from the cache, so the partitions page agrees with the sensor,
    which only asks for documents without a parse result. An ephemeral instance shows no UI."""
    if context.instance.is_ephemeral:
        return 0
    materialized = context.instance.get_materialized_partitions(PARSED_DOCUMENT)
    count = 0
    for doc in docs:
        key = keys[doc.document_id]
        if key in materialized:
            continue
        result = read_cached(settings.parsed_dir, doc.document_id)
        if result is None:
            continue
        context.instance.report_runless_asset_event(AssetMaterialization(
            asset_key=PARSED_DOCUMENT, partition=key,
            description="parse result found in the parse cache (parsed before this Dagster instance saw it)",
            metadata={**document_metadata(result, doc.file_name), "from_parse_cache": True}))
        count += 1
    if count:
        say(context, f"ingest: {count} documents already parsed (parse cache) marked as materialized partitions")
    return count


@multi_asset(
    specs=[
        AssetSpec(["raw", "documents"], group_name="staging",
                  deps=[AssetDep(parsed_document, partition_mapping=AllPartitionMapping())],
                  description="One row per parsed document: file, hash, status, quarantine reason, metadata."),
        AssetSpec(["raw", "report_tables"], group_name="staging",
                  deps=[AssetDep(parsed_document, partition_mapping=AllPartitionMapping())],
                  description="Tables located in each document, with pages and status."),
        AssetSpec(["raw", "table_cells"], group_name="staging",
                  deps=[AssetDep(parsed_document, partition_mapping=AllPartitionMapping())],
                  description="Every cell of every parsed table with document, page, row, column and raw text."),
        AssetSpec(["raw", "narrative_figures"], group_name="staging",
                  deps=[AssetDep(parsed_document, partition_mapping=AllPartitionMapping())],
                  description="Every figure the narrative (情况说明) states, with its sentence and page."),
    ],
    pool=DUCKDB_POOL,
)
def raw_staging(context: AssetExecutionContext, settings: PipelineSettings):
    """Bring the working warehouse's staging tables up to date, rewriting only changed documents.

    The working file is kept between runs; a file DuckDB cannot open (or one from an older
    staging schema) is rebuilt from the archive and the parse cache, which hold everything.
    """
    settings.ensure_dirs()
    archived = Archive(settings.archive_dir).documents()
    work = settings.working_db
    try:
        con = connect_working(work, settings.duckdb_config())
    except duckdb.Error as exc:
        say(context, f"working file {work} cannot be opened ({exc}); rebuilding it from the archive", logging.WARNING)
        for stale in (work, work.with_name(work.name + ".wal")):
            stale.unlink(missing_ok=True)
        con = connect_working(work, settings.duckdb_config())
    with con:
        parsed_dir = settings.parsed_dir  # resolved once, not per document
        update = update_staging(con, archived, parsed_dir, settings.data,
                                lambda document_id: read_cached(parsed_dir, document_id))
    counts = update.counts
    pending_parse = len(archived) - counts.documents
    if pending_parse:
        say(context, f"{pending_parse} archived documents are not parsed yet; they will be staged after parsing",
               logging.WARNING)
    context.log.info(f"staging into {work}")
    say(context,
           f"staging: {counts.documents} documents ({counts.loaded} loaded, {counts.quarantined} quarantined), "
           f"{counts.tables} tables, {counts.cells} cells; "
           + ("rebuilt in full" if update.full else f"{update.changed} documents changed")
           + f", {update.pending} waiting for publication")
    yield MaterializeResult(asset_key=["raw", "documents"], metadata={
        "documents": counts.documents, "loaded": counts.loaded, "quarantined": counts.quarantined,
        "pending": pending_parse, "changed": update.changed, "full_rebuild": update.full})
    yield MaterializeResult(asset_key=["raw", "report_tables"], metadata={"tables": counts.tables})
    yield MaterializeResult(asset_key=["raw", "table_cells"], metadata={"cells": counts.cells})
    yield MaterializeResult(asset_key=["raw", "narrative_figures"])
