"""`make bench`: the pipeline against the plain speed of its parser.

(a) baseline: pdfplumber extract_text() and extract_tables() on every page of every document,
    with the same number of worker processes;
(b) the full pipeline from an empty warehouse, with a per-stage breakdown;
(c) a nightly re-run with 10 new documents; (c1) then one with 1 new document (what a night costs
    whatever it brings); (d) a re-run with nothing new;
(e) every document parsed again by one parse run on Dagster's multiprocess executor (the
    run's batch steps in processes of their own, as under `dagster dev` and the daemon).
Prints pages per second, the ratios (b)/(a), (c)/(b), (c1)/(b), (d)/(b), (e)/(a) and peak memory per worker, and
writes them to bench/results/<timestamp>.json. Never part of the tests.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pdfplumber

from bench.memory import ChildMemorySampler

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "corpus"


def _baseline_one(path: str) -> tuple[int, float]:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.flush_cache()
        n = len(pdf.pages)
    return n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(pdfs: list[Path], workers: int) -> dict:
    with ChildMemorySampler() as mem:
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_baseline_one, map(str, pdfs), chunksize=4))
        seconds = time.perf_counter() - start
    pages = sum(n for n, _ in results)
    return {"seconds": round(seconds, 2), "pages": pages, "pages_per_second": round(pages / seconds, 1),
            "peak_worker_mib": round(max(m for _, m in results), 1),
            "peak_worker_own_mib": round(mem.max_mib(private=True), 1)}


def _stage_times(instance, run_ids: list[str]) -> dict[str, float]:
    stages: dict[str, float] = {}
    for run_id in run_ids:
        for stat in instance.get_run_step_stats(run_id):
            if stat.start_time and stat.end_time:
                asset = stat.step_key.split(".")[0]  # the parse graph's steps count as parsed_document
                stages[asset] = round(stages.get(asset, 0.0) + stat.end_time - stat.start_time, 2)
    return stages


def _arrived_earlier(path) -> None:
    """Date a landing file an hour back, as one that landed during the day: a night does not
    take a file changed in the last FW_LANDING_SETTLE_SECONDS before watching it that long
    (ingest/discover.py), a wait that would otherwise be timed here as the pipeline's cost."""
    earlier = time.time() - 3600
    os.utime(path, (earlier, earlier))


def pipeline_run(landing: Path, warehouse: Path, workers: int, pages: int) -> dict:
    from dagster import DagsterInstance

    from pipelines.orchestration import run_night
    from pipelines.settings import PipelineSettings

    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(warehouse), parse_workers=workers)
    with ChildMemorySampler() as mem, DagsterInstance.ephemeral() as instance:
        start = time.perf_counter()
        outcome = run_night(settings, instance, log_level="ERROR")
        seconds = time.perf_counter() - start
        stages = _stage_times(instance, outcome.run_ids)
    if not outcome.success:
        raise SystemExit(f"pipeline failed: {outcome.errors}")
    return {"seconds": round(seconds, 2), "documents_parsed": outcome.parsed, "pages": pages,
            "pages_per_second": round(pages / seconds, 1), "stages": stages,
            "peak_worker_mib": round(mem.max_mib(exclude="dbt"), 1),
            "peak_worker_own_mib": round(mem.max_mib(exclude="dbt", private=True), 1),
            "peak_dbt_process_mib": round(max((m for n, m in mem.peaks.values() if "dbt" in n), default=0.0), 1)}


def multiprocess_parse_run(landing: Path, warehouse: Path, workers: int, pages: int) -> dict:
    """(e) Every archived document parsed again by one parse run on Dagster's multiprocess
    executor: `workers` batch steps, each a process with one parser process (what `dagster dev`
    and the daemon do), on a persistent temporary instance."""
    import tempfile

    from dagster import DagsterInstance, execute_job, reconstructable

    from pipelines.definitions import build_definitions
    from pipelines.executors import local_parse_job, settings_run_config
    from pipelines.partitions import document_partitions
    from pipelines.schedules import partition_range_tags
    from pipelines.settings import PipelineSettings

    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(warehouse),
                                parse_batches=workers, parse_workers=1)
    with tempfile.TemporaryDirectory() as home, DagsterInstance.local_temp(home) as instance:
        ingest = build_definitions(settings).resolve_job_def("ingest_documents")
        if not ingest.execute_in_process(instance=instance, raise_on_error=False).success:
            raise SystemExit("ingest failed before the multiprocess parse")
        keys = instance.get_dynamic_partitions(document_partitions.name)
        run_config = settings_run_config(settings)
        run_config["loggers"] = {"console": {"config": {"log_level": "ERROR"}}}
        with ChildMemorySampler() as mem:
            start = time.perf_counter()
            with execute_job(reconstructable(local_parse_job), instance=instance, run_config=run_config,
                             tags=partition_range_tags(keys[0], keys[-1]), raise_on_error=False) as result:
                success, run_id = result.success, result.run_id
            seconds = time.perf_counter() - start
        if not success:
            raise SystemExit("the multiprocess parse run failed")
        steps = {s.step_key: round(s.end_time - s.start_time, 2) for s in instance.get_run_step_stats(run_id)
                 if s.start_time and s.end_time}
    return {"seconds": round(seconds, 2), "documents_parsed": len(keys), "pages": pages,
            "pages_per_second": round(pages / seconds, 1), "batch_steps": workers, "steps": steps,
            "peak_worker_mib": round(mem.max_mib(), 1), "peak_worker_own_mib": round(mem.max_mib(private=True), 1)}


def _generator_digest() -> str:
    """The demo generator's code: a cached corpus made by another version is generated again."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "demo").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".md":  # as the Makefile's
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _machine() -> dict:
    """What the figures were measured on: CPUs, memory, OS, Python and the versions that set the pace."""
    import importlib.metadata

    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return ""

    return {"cpus": os.cpu_count(), "cpu_model": first("/proc/cpuinfo", "model name"),
            "memory": first("/proc/meminfo", "MemTotal"), "platform": platform.platform(),
            "python": sys.version.split()[0],
            "packages": {name: importlib.metadata.version(name) for name in
                         ("pdfplumber", "pypdfium2", "duckdb", "dbt-core", "dbt-duckdb", "dagster", "great-expectations")}}


def _pages(pdfs: list[Path]) -> int:
    import pypdfium2

    return sum(len(pypdfium2.PdfDocument(str(p))) for p in pdfs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=1000, help="demo documents in the corpus (default 1000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    args = ap.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")

    corpus = args.work / f"corpus_{args.docs}"
    generator = _generator_digest()
    complete = corpus / ".complete"
    if not complete.exists() or complete.read_text(encoding="utf-8").strip() != generator:
        from demo.generate import generate_corpus

        print(f"generating {args.docs} demo documents into {corpus} ...", flush=True)
        shutil.rmtree(corpus, ignore_errors=True)
        generate_corpus(corpus, count=args.docs, seed=2024)
        complete.write_text(generator + "\n", encoding="utf-8")
    landing = args.work / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(corpus, landing, ignore=shutil.ignore_patterns("_truth", ".complete"))
    for real in sorted(REAL.glob("*/*.pdf")):
        shutil.copy(real, landing / real.name)
    pdfs = sorted(landing.glob("*.pdf"))
    for pdf in pdfs:
        _arrived_earlier(pdf)
    pages = _pages(pdfs)
    print(f"corpus: {len(pdfs)} PDFs, {pages} pages; workers: {args.workers}", flush=True)

    result: dict = {"machine": _machine(),
                    "documents": len(pdfs), "pages": pages, "workers": args.workers}
    print("(a) baseline ...", flush=True)
    result["baseline"] = baseline(pdfs, args.workers)
    out = args.work / "out"
    shutil.rmtree(out, ignore_errors=True)
    print("(b) full pipeline from an empty warehouse ...", flush=True)
    result["full"] = pipeline_run(landing, out / "warehouse.duckdb", args.workers, pages)
    from demo.generate import generate_corpus

    extra = args.work / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    # Eleven documents the archive has not seen (a generated report can repeat a corpus one byte for
    # byte): ten for (c), one for (c1).
    seen = {hashlib.sha256(p.read_bytes()).digest() for p in landing.glob("*.pdf")}
    new = [p for p in generate_corpus(extra, count=30, seed=99)
           if "株洲" not in p.name and hashlib.sha256(p.read_bytes()).digest() not in seen][:11]
    for p in new[:10]:
        _arrived_earlier(shutil.copy(p, landing / f"new-{p.name}"))
    new_pages = _pages(new[:10])
    print("(c) nightly re-run with 10 new documents ...", flush=True)
    result["nightly_10_new"] = pipeline_run(landing, out / "warehouse.duckdb", args.workers, new_pages)
    # (c1) the same with one: what a night costs whatever it brings (dbt, GX and Dagster start-up)
    _arrived_earlier(shutil.copy(new[10], landing / f"new-{new[10].name}"))
    one_pages = _pages(new[10:])
    print("(c1) nightly re-run with 1 new document ...", flush=True)
    result["nightly_1_new"] = pipeline_run(landing, out / "warehouse.duckdb", args.workers, one_pages)
    new_pages += one_pages
    print("(d) re-run with nothing new ...", flush=True)
    result["nothing_new"] = pipeline_run(landing, out / "warehouse.duckdb", args.workers, 0)
    print("(e) parse everything again on Dagster's multiprocess executor ...", flush=True)
    # (e) parses every archived document: the corpus and the eleven of (c) and (c1)
    result["parse_multiprocess_executor"] = multiprocess_parse_run(landing, out / "warehouse.duckdb", args.workers,
                                                                   pages + new_pages)
    b, full = result["baseline"], result["full"]
    result["ratios"] = {
        "full_vs_baseline_pages_per_second": round(full["pages_per_second"] / b["pages_per_second"], 2),
        "nightly_10_new_vs_full_time": round(result["nightly_10_new"]["seconds"] / full["seconds"], 3),
        "nightly_1_new_vs_full_time": round(result["nightly_1_new"]["seconds"] / full["seconds"], 3),
        "nothing_new_vs_full_time": round(result["nothing_new"]["seconds"] / full["seconds"], 3),
        "multiprocess_parse_vs_baseline_pages_per_second": round(
            result["parse_multiprocess_executor"]["pages_per_second"] / b["pages_per_second"], 2),
    }
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = ROOT / "bench" / "results" / f"bench-{args.docs}docs-{stamp}.json"
    print(json.dumps(result, ensure_ascii=False, indent=2))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
