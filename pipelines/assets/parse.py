"""`parsed_document`: one partition per document, parsed in parallel steps.

A run materializes a range of partitions (the night's new documents, or a re-parse). Its graph
fans the range out into batches, one step each:

    plan_parse_batches -> parse_document_batch[batch_0..k] -> summarize_parse

so the executor decides where documents are parsed: with Dagster's multiprocess executor
(`dagster dev`, the daemon) each batch is a process of its own, on Celery (pipelines.executors)
a task that any worker may take, in-process (the CLI) one batch parsed by a local worker pool.
Inside a step the documents go to `ingest.workers.parse_documents`, whose processes enforce the
per-document time and memory limits. Every result is written to the parse cache, one JSON file
per document; only `raw_staging`, one step later, writes DuckDB, so parallel parse steps never
contend for its write lock.
"""

import os

from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    BackfillPolicy,
    DynamicOut,
    DynamicOutput,
    In,
    Nothing,
    Out,
    OpExecutionContext,
    RetryPolicy,
    graph_asset,
    op,
)

from ingest.archive import Archive
from ingest.workers import ParseLimits, parse_documents
from pipelines.partitions import document_for_key, document_partitions
from pipelines.report import report
from pipelines.settings import PipelineSettings
from pipelines.step_storage import STEP_STORAGE_KEY, remove_run_folder

PARSED_DOCUMENT = AssetKey("parsed_document")

# The nine standard tables of a 部门决算 (dbt seed standard_tables): a document's coverage is how
# many of them the parser read (parsed, or present and empty: 本表无数据).
STANDARD_TABLES = ("t1_summary", "t2_income", "t3_expenditure", "t4_appropriation_summary",
                   "t5_general_budget_expenditure", "t6_basic_expenditure_economic", "t7_three_public",
                   "t8_government_fund", "t9_state_capital")


def document_title(result, file_name: str = "") -> str:
    """How a person finds the document: `湖南省株洲市农业农村局 2024`, else its file name."""
    md = result.metadata
    if md.department:
        return f"{md.department} {md.fiscal_year}" if md.fiscal_year else md.department
    return file_name or result.document_id[:12]


def document_metadata(result, file_name: str = "") -> dict:
    """The metadata of a `parsed_document` partition's materialization: who and which year as the
    document prints them (the partition key's label is from the file name or the manifest), its
    full id, pages, tables, cells, coverage, parse time."""
    md = result.metadata
    read = {t.table_key for t in result.tables if t.table_key in STANDARD_TABLES and t.status in ("parsed", "empty")}
    return {
        "document": f"{document_title(result, file_name)} ({result.document_id[:12]})",
        "department": md.department or "", "fiscal_year": md.fiscal_year or 0, "file_name": file_name,
        "short_id": result.document_id[:12], "document_id": result.document_id, "status": result.status, "reason": result.quarantine_reason or "",
        "pages": md.page_count or 0, "tables": len(result.tables), "cells": len(result.cells),
        "standard_tables_read": len(read),
        "coverage_pct": round(100.0 * len(read) / len(STANDARD_TABLES), 1),
        "parse_seconds": round(result.parse_seconds, 3),
        "table_pages_pdfium": result.table_engines.get("pdfium", 0),
        "table_pages_pdfminer": result.table_engines.get("pdfminer", 0),
    }


def progress_line(n: int, total: int, result, file_name: str = "") -> str:
    """`[12/24] parsed 湖南省株洲市农业农村局 2024 (24 pages, 0.4 s): loaded`"""
    what = "loaded" if result.status == "loaded" else f"quarantined: {result.quarantine_reason}"
    return (f"[{n}/{total}] parsed {document_title(result, file_name)} "
            f"({result.metadata.page_count or 0} pages, {result.parse_seconds:.1f} s): {what}")


def executor_kind(context: OpExecutionContext) -> str:
    """'in_process', 'multiprocess' or 'celery': how this run's steps are executed."""
    name = context.job_def.executor_def.name
    if name in ("in_process", "execute_in_process_executor"):
        return "in_process"
    if name == "multi_or_in_process_executor":  # the Definitions' default: run config chooses
        chosen = (context.run_config.get("execution") or {}).get("config") or {}
        return "in_process" if "in_process" in chosen else "multiprocess"
    return "celery" if "celery" in name else "multiprocess"


def batch_count(kind: str, documents: int, configured: int, cpus: int) -> int:
    """How many parse steps a run fans out to.

    In-process the steps would run one after the other, so one batch (its worker pool is the
    parallelism). Otherwise `parse_batches` when set, else one per core of this machine (the
    multiprocess executor's default concurrency); never more batches than documents.
    """
    if documents == 0:
        return 0
    wanted = 1 if kind == "in_process" else (configured or cpus)
    return max(1, min(wanted, documents))


def workers_per_step(kind: str, configured: int, cpus: int) -> int:
    """Parser processes per step: `parse_workers` when set; else all cores when the step has the
    machine to itself (in-process, or a Celery worker running one task at a time), one when the
    multiprocess executor runs a step per core."""
    if configured:
        return configured
    return 1 if kind == "multiprocess" else max(1, cpus)


def split_batches(keys: list[str], count: int) -> list[list[str]]:
    """`keys` in `count` batches of near-equal size, in partition order."""
    size, extra = divmod(len(keys), count) if count else (0, 0)
    out, start = [], 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(keys[start:end])
        start = end
    return [b for b in out if b]


@op(ins={"archived": In(Nothing)}, out=DynamicOut(list, io_manager_key=STEP_STORAGE_KEY))
def plan_parse_batches(context: OpExecutionContext, settings: PipelineSettings):
    """The run's partition range, cut into batches (one parse step each)."""
    keys = list(context.partition_keys)
    kind = executor_kind(context)
    batches = split_batches(keys, batch_count(kind, len(keys), settings.parse_batches, os.cpu_count() or 1))
    report(context, f"parse: {len(keys)} documents in {len(batches)} step(s) ({kind} executor)")
    for i, batch in enumerate(batches):
        yield DynamicOutput(batch, mapping_key=f"batch_{i}")


# A batch step that fails (an error outside the per-document handling, e.g. the archive mount
# briefly unreadable) is retried once; a document that fails to parse does not fail the step: it
# is quarantined with its reason.
@op(out=Out(dict, io_manager_key=STEP_STORAGE_KEY), retry_policy=RetryPolicy(max_retries=1, delay=5))
def parse_document_batch(context: OpExecutionContext, settings: PipelineSettings, batch: list) -> dict:
    """Parse one batch of documents (re-parsing: a materialization is an explicit request)."""
    archive = Archive(settings.archive_dir)
    found = {key: document_for_key(archive, key) for key in batch}
    key_of = {d.document_id: key for key, d in found.items() if d is not None}
    docs = list({d.document_id: d for d in found.values() if d is not None}.values())
    names = {d.document_id: d.file_name for d in docs}
    done = {"n": 0, "loaded": 0}
    per_document: dict[str, dict] = {}

    def progress(result, from_cache: bool) -> None:
        done["n"] += 1
        done["loaded"] += result.status == "loaded"
        name = names.get(result.document_id, "")
        report(context, progress_line(done["n"], len(docs), result, name))
        # carried to summarize_parse, which puts it on the partition's materialization
        per_document[key_of[result.document_id]] = document_metadata(result, name)

    workers = workers_per_step(executor_kind(context), settings.parse_workers, os.cpu_count() or 1)
    limits = ParseLimits(timeout_seconds=settings.parse_timeout_seconds, workers=workers)
    parse_documents(docs, settings.parsed_dir, limits, on_done=progress, force=True, keep_results=False)
    return {"documents": done["n"], "loaded": done["loaded"], "quarantined": done["n"] - done["loaded"],
            "missing": len(batch) - len(docs), "pid": os.getpid(), "per_document": per_document}


@op
def summarize_parse(context: AssetExecutionContext, settings: PipelineSettings, batches: list) -> None:
    """Materializes the run's partitions once every batch is parsed: each partition's
    materialization carries its own document's metadata (`document_metadata`)."""
    remove_run_folder(settings.data, context.run_id)
    totals = {k: sum(b[k] for b in batches) for k in ("documents", "loaded", "quarantined", "missing")}
    targeted = set(context.partition_keys)
    for batch in batches:
        for key, metadata in (batch.get("per_document") or {}).items():
            if key in targeted:
                context.add_asset_metadata(metadata, partition_key=key)
    context.add_output_metadata({**totals, "steps": len(batches), "processes": len({b["pid"] for b in batches})})
    report(context, f"parse: {totals['documents']} documents in {len(batches)} step(s): "
                    f"{totals['loaded']} loaded, {totals['quarantined']} quarantined")


@graph_asset(
    name="parsed_document",
    group_name="ingest",
    ins={"archived": AssetIn("archived_documents", dagster_type=Nothing)},
    partitions_def=document_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    description="Parse result of one document (cached per parser version); a bad document is quarantined "
    "with a reason. Materializing a partition re-parses it. A run's range is parsed in parallel steps "
    "(one per batch of documents).",
)
def parsed_document(archived):
    return summarize_parse(plan_parse_batches(archived).map(parse_document_batch).collect())
