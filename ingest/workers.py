"""Parse documents in worker processes, each with a time limit and a memory limit.

A hang, a crash or an out-of-memory in one document quarantines that document only. Results
are cached per parser version and document id, so a re-run parses only what is new.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import resource
import shutil
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

from pebble import ProcessPool
from pebble.common import ProcessExpired
from upath import UPath

from ingest.archive import ArchivedDocument
from ingest.records import PARSER_VERSION, DocumentMetadata, ParsedDocument

PARSE_TIMEOUT_SECONDS = 180
WORKER_MEMORY_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class ParseLimits:
    timeout_seconds: float = PARSE_TIMEOUT_SECONDS
    memory_bytes: int = WORKER_MEMORY_BYTES
    workers: int = 2


def storage_root(location: str) -> Path | UPath:
    """The parse cache's root from a folder or a URL.

    A folder or a `file://` URL gives a local `Path`; any other fsspec URL (`s3://bucket/prefix`,
    `gs://…`, `memory://…`) gives a `UPath`, which the cache functions below use like a `Path`.
    """
    if "://" not in location:
        return Path(location).resolve()
    root = UPath(location)
    return Path(root.path).resolve() if root.protocol in ("file", "local") else root


def is_local(root: Path | UPath) -> bool:
    return isinstance(root, Path)  # UPath of a remote or in-memory store is not a pathlib.Path


def cache_path(parsed_root: Path | UPath, document_id: str) -> Path | UPath:
    return parsed_root / PARSER_VERSION / f"{document_id}.json"


def read_cached(parsed_root: Path, document_id: str) -> ParsedDocument | None:
    path = cache_path(parsed_root, document_id)
    if not path.exists():
        return None
    return ParsedDocument.from_json_dict(json.loads(path.read_text(encoding="utf-8")))


def write_cached(parsed_root: Path, doc: ParsedDocument) -> Path:
    path = cache_path(parsed_root, doc.document_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc.to_json_dict(), ensure_ascii=False)
    if not is_local(path):  # one object write: readers see the whole object or none
        path.write_text(text, encoding="utf-8")
        return path
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def local_cache_files(parsed_root: Path | UPath, document_ids: list[str], copy_dir: Path) -> list[str]:
    """Local file names of the cached results, for DuckDB's `read_json`.

    A local cache is read in place. A cache behind a URL is first copied into `copy_dir` (emptied
    first): DuckDB reads `s3://` only with its httpfs extension and `memory://` not at all.
    """
    paths = [cache_path(parsed_root, i) for i in document_ids]
    if is_local(parsed_root):
        return [str(p) for p in paths]
    shutil.rmtree(copy_dir, ignore_errors=True)
    copy_dir.mkdir(parents=True)
    local = [str(copy_dir / p.name) for p in paths]
    if paths:
        parsed_root.fs.get([p.path for p in paths], local)
    return local


_BASE_ADDRESS_SPACE: int | None = None


def _current_address_space() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _limit_memory(memory_bytes: int) -> None:
    """Allow the worker `memory_bytes` more than it already maps (the parser's imports).

    Measured rather than fixed: a worker forked from a larger process (e.g. a test's
    `parse_fn` run under the fork start method) inherits its address space.
    """
    global _BASE_ADDRESS_SPACE
    if _BASE_ADDRESS_SPACE is None:  # a pooled worker parses many documents: measure once
        _BASE_ADDRESS_SPACE = _current_address_space()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _BASE_ADDRESS_SPACE + memory_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))  # soft limit only: it can be reset


_CONTEXT = None


def _worker_context():
    """Workers come from a forkserver that has imported only the parser.

    Forked from the orchestrating process instead (Dagster, dbt, GX and a thousand partitions in
    memory), every worker started as a copy of it and dirtied its pages as Python touched their
    reference counts: 385 MiB of its own per worker after a 1,000-document night against 220 MiB
    after 10 documents, and slower parses. From the forkserver a worker holds what one document
    needs, whatever the corpus size.
    """
    global _CONTEXT
    if _CONTEXT is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["ingest.workers", "ingest.parse"])
        _CONTEXT = context
    return _CONTEXT


def parse_to_dict(pdf_path: str, document_id: str) -> dict:
    from ingest.parse import parse_pdf

    return parse_pdf(Path(pdf_path), document_id).to_json_dict()


def _run_limited(parse_fn: Callable[[str, str], dict], pdf_path: str, document_id: str, memory_bytes: int) -> dict:
    """Runs in the worker process: cap its address space, then parse."""
    _limit_memory(memory_bytes)
    return parse_fn(pdf_path, document_id)


def _failed(doc: ArchivedDocument, kind: str, reason: str) -> ParsedDocument:
    return ParsedDocument(doc.document_id, "quarantined", reason, DocumentMetadata(report_kind=kind))


def parse_documents(
    docs: Iterable[ArchivedDocument],
    parsed_root: Path,
    limits: ParseLimits = ParseLimits(),
    on_done: Callable[[ParsedDocument, bool], None] | None = None,
    force: bool = False,
    parse_fn: Callable[[str, str], dict] = parse_to_dict,
    keep_results: bool = True,
) -> list[ParsedDocument]:
    """Parse every document not already in the cache; returns all results (cached or new).

    `force` re-parses even when a cached result exists (an operator's re-parse).
    `parse_fn` (module-level, picklable) is what runs in the worker; tests pass faulty ones.
    `on_done(result, from_cache)` is called once per document, for progress reporting.
    `keep_results=False` returns an empty list and holds no result after its `on_done`: a
    caller that only reports (the parse step) then needs the memory of one document, not of
    the whole batch (every cell of 500 documents is some 400 MiB).
    """
    results: dict[str, ParsedDocument] = {}

    def finish(result: ParsedDocument, from_cache: bool) -> None:
        if keep_results:
            results[result.document_id] = result
        if on_done:
            on_done(result, from_cache)

    todo: list[ArchivedDocument] = []
    for doc in docs:
        cached = None if force else read_cached(parsed_root, doc.document_id)
        if cached is not None:
            finish(cached, True)
        elif doc.pdf_path is None:
            result = _failed(doc, "too_large", f"file of {doc.size_bytes} bytes exceeds the size limit; kept out of the archive")
            write_cached(parsed_root, result)
            finish(result, False)
        else:
            todo.append(doc)
    if todo:
        with ProcessPool(max_workers=max(1, limits.workers), max_tasks=50, context=_worker_context()) as pool:
            futures = deque(
                (doc, pool.schedule(_run_limited, args=(parse_fn, str(doc.pdf_path), doc.document_id, limits.memory_bytes),
                                    timeout=limits.timeout_seconds))
                for doc in todo
            )
            while futures:  # popped as they are read: a finished future holds its whole result
                doc, future = futures.popleft()
                try:
                    result = ParsedDocument.from_json_dict(future.result())
                except FutureTimeout:
                    result = _failed(doc, "timeout", f"parsing took longer than {limits.timeout_seconds:.0f} s; stopped")
                except MemoryError:
                    result = _failed(doc, "too_large", f"parsing needed more than {limits.memory_bytes // 2**20} MiB; stopped")
                except ProcessExpired as exc:
                    result = _failed(doc, "crashed", f"parser process died (exit code {exc.exitcode}); likely out of memory")
                except Exception as exc:  # a parser bug must not stop the other documents
                    result = _failed(doc, "parser_error", f"parser error: {type(exc).__name__}: {exc}")
                write_cached(parsed_root, result)
                finish(result, False)
    return [results[d] for d in sorted(results)]
