"""`make bench`: the pipeline's scaling curve against the plain speed of its parser.

For every size of `--docs` (a list, e.g. 1000,3000,10000), on that many demo documents:
  (b) the full pipeline from an empty warehouse, with the time of every stage and the peak memory
      of every process (parser workers, dbt with DuckDB inside it, the orchestrating process:
      Dagster, staging, Great Expectations and the publish copy run in it, peak told per stage);
  (c) then a night with 10 new documents; (c1) one with 1 new document; (d) one with nothing new;
and at the first size only (a) the baseline: pdfplumber extract_text() and extract_tables() on
every page of every document, with the same number of worker processes.
Optionally (`--multiprocess`, first size only) (e) every document parsed again by one parse run
on Dagster's multiprocess executor.
With `--real-repeat K` (> 0) also the real PDFs of ../shared/corpus, each repeated K times with
distinct bytes (bench/real_corpus.py): baseline and full pipeline in one run, pages per second
of both (the budgets are parsed and quarantined, 'budgets are not loaded yet': counted apart).
Every measurement records the machine's load average at its start and end (the machine may be
shared). Writes bench/results/curve-<sizes>docs-<time>.json and a plot beside it (.png).
Never part of the tests.
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


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _baseline_one(path: str) -> tuple[int, float]:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()
            page.extract_tables()
            page.flush_cache()
        n = len(pdf.pages)
    return n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline(pdfs: list[Path], workers: int) -> dict:
    load_start = _load()
    with ChildMemorySampler() as mem:
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_baseline_one, map(str, pdfs), chunksize=4))
        seconds = time.perf_counter() - start
    pages = sum(n for n, _ in results)
    return {"seconds": round(seconds, 2), "documents": len(pdfs), "pages": pages,
            "pages_per_second": round(pages / seconds, 1),
            "peak_worker_mib": round(max(m for _, m in results), 1),
            "peak_worker_own_mib": round(mem.max_mib(private=True), 1),
            "load_average_start": load_start, "load_average_end": _load()}


def _stage_windows(instance, run_ids: list[str]) -> dict[str, dict]:
    """Per asset: seconds (summed over its steps), and the first start / last end (epoch)."""
    stages: dict[str, dict] = {}
    for run_id in run_ids:
        for stat in instance.get_run_step_stats(run_id):
            if stat.start_time and stat.end_time:
                asset = stat.step_key.split(".")[0]  # the parse graph's steps count as parsed_document
                s = stages.setdefault(asset, {"seconds": 0.0, "start": stat.start_time, "end": stat.end_time})
                s["seconds"] += stat.end_time - stat.start_time
                s["start"], s["end"] = min(s["start"], stat.start_time), max(s["end"], stat.end_time)
    return stages


def _arrived_earlier(path) -> None:
    """Date a landing file an hour back, as one that landed during the day: a night does not
    take a file changed in the last FW_LANDING_SETTLE_SECONDS before watching it that long
    (ingest/discover.py), a wait that would otherwise be timed here as the pipeline's cost."""
    earlier = time.time() - 3600
    os.utime(path, (earlier, earlier))


def pipeline_run(landing: Path, warehouse: Path, workers: int, pages: int, documents: int) -> dict:
    from dagster import DagsterInstance

    from pipelines.orchestration import run_night
    from pipelines.settings import PipelineSettings

    settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(warehouse), parse_workers=workers)
    load_start = _load()
    with ChildMemorySampler() as mem, DagsterInstance.ephemeral() as instance:
        start = time.perf_counter()
        outcome = run_night(settings, instance, log_level="ERROR")
        seconds = time.perf_counter() - start
        windows = _stage_windows(instance, outcome.run_ids)
    if not outcome.success:
        raise SystemExit(f"pipeline failed: {outcome.errors}")
    roles = mem.by_role()
    roles["orchestrator"]["per_stage_peak_mib"] = {
        asset: round(mem.peak_between(w["start"], w["end"]), 1) for asset, w in windows.items()}
    if "expectation_results" in windows:  # GX runs in the orchestrating process: its stage's peak
        roles["gx"] = {"peak_mib": roles["orchestrator"]["per_stage_peak_mib"]["expectation_results"],
                       "in_process": "orchestrator"}
    return {"seconds": round(seconds, 2), "documents_new": documents, "documents_parsed": outcome.parsed,
            "pages": pages, "pages_per_second": round(pages / seconds, 1) if seconds else 0.0,
            "stages": {asset: round(w["seconds"], 2) for asset, w in windows.items()},
            "memory": roles,
            "peak_process_mib": round(max(r.get("peak_mib", 0.0) for r in roles.values()), 1),
            "warehouse_bytes": warehouse.stat().st_size if warehouse.exists() else 0,
            "load_average_start": load_start, "load_average_end": _load()}


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
    load_start = _load()
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
            "peak_worker_mib": round(mem.max_mib(), 1), "peak_worker_own_mib": round(mem.max_mib(private=True), 1),
            "load_average_start": load_start, "load_average_end": _load()}


def _generator_digest() -> str:
    """The demo generator's code: a cached corpus made by another version is generated again."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "demo").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".md":  # as the Makefile's
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def machine() -> dict:
    """What the figures were measured on: CPUs, memory, OS, Python, the versions that set the pace
    and the DuckDB limits the pipeline ran with."""
    import importlib.metadata

    from pipelines.settings import PipelineSettings

    def first(path: str, key: str) -> str:
        try:
            for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return ""

    defaults = PipelineSettings()
    return {"cpus": os.cpu_count(), "cpu_model": first("/proc/cpuinfo", "model name"),
            "memory": first("/proc/meminfo", "MemTotal"), "platform": platform.platform(),
            "python": sys.version.split()[0],
            "duckdb_memory_limit": defaults.duckdb_memory_limit,
            "duckdb_inprocess_memory_limit": defaults.duckdb_inprocess_memory_limit,
            "duckdb_threads": defaults.duckdb_threads,
            "packages": {name: importlib.metadata.version(name) for name in
                         ("pdfplumber", "pypdfium2", "duckdb", "dbt-core", "dbt-duckdb", "dagster", "great-expectations")}}


def _pages(pdfs: list[Path]) -> int:
    import pypdfium2

    return sum(len(pypdfium2.PdfDocument(str(p))) for p in pdfs)


def demo_corpus(work: Path, docs: int) -> Path:
    """`docs` demo documents, generated once per generator version and kept under `work`."""
    corpus = work / f"corpus_{docs}"
    generator = _generator_digest()
    complete = corpus / ".complete"
    if not complete.exists() or complete.read_text(encoding="utf-8").strip() != generator:
        from demo.generate import generate_corpus

        print(f"generating {docs} demo documents into {corpus} ...", flush=True)
        start = time.perf_counter()
        shutil.rmtree(corpus, ignore_errors=True)
        generate_corpus(corpus, count=docs, seed=2024)
        complete.write_text(generator + "\n", encoding="utf-8")
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return corpus


def _landing_from(corpus: Path, work: Path) -> tuple[Path, list[Path]]:
    landing = work / "landing"
    shutil.rmtree(landing, ignore_errors=True)
    shutil.copytree(corpus, landing, ignore=shutil.ignore_patterns("_truth", ".complete"))
    pdfs = sorted(landing.glob("*.pdf"))
    for pdf in pdfs:
        _arrived_earlier(pdf)
    return landing, pdfs


def measure_size(docs: int, work: Path, workers: int, with_baseline: bool, with_multiprocess: bool) -> dict:
    corpus = demo_corpus(work, docs)
    landing, pdfs = _landing_from(corpus, work)
    pages = _pages(pdfs)
    print(f"[{docs}] corpus: {len(pdfs)} PDFs, {pages} pages; workers: {workers}", flush=True)
    result: dict = {"documents": len(pdfs), "pages": pages}
    if with_baseline:
        print(f"[{docs}] (a) baseline ...", flush=True)
        result["baseline"] = baseline(pdfs, workers)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    warehouse = out / "warehouse.duckdb"
    print(f"[{docs}] (b) full pipeline from an empty warehouse ...", flush=True)
    result["full"] = pipeline_run(landing, warehouse, workers, pages, len(pdfs))
    from demo.generate import generate_corpus

    extra = work / "extra"
    shutil.rmtree(extra, ignore_errors=True)
    # Eleven documents the archive has not seen (a generated report can repeat a corpus one byte for
    # byte): ten for (c), one for (c1).
    seen = {hashlib.sha256(p.read_bytes()).digest() for p in landing.glob("*.pdf")}
    new = [p for p in generate_corpus(extra, count=30, seed=99)
           if "株洲" not in p.name and hashlib.sha256(p.read_bytes()).digest() not in seen][:11]
    for p in new[:10]:
        _arrived_earlier(shutil.copy(p, landing / f"new-{p.name}"))
    new_pages = _pages(new[:10])
    print(f"[{docs}] (c) night with 10 new documents ...", flush=True)
    result["nightly_10_new"] = pipeline_run(landing, warehouse, workers, new_pages, 10)
    _arrived_earlier(shutil.copy(new[10], landing / f"new-{new[10].name}"))
    one_pages = _pages(new[10:])
    print(f"[{docs}] (c1) night with 1 new document ...", flush=True)
    result["nightly_1_new"] = pipeline_run(landing, warehouse, workers, one_pages, 1)
    print(f"[{docs}] (d) night with nothing new ...", flush=True)
    result["nothing_new"] = pipeline_run(landing, warehouse, workers, 0, 0)
    if with_multiprocess:
        print(f"[{docs}] (e) parse everything again on Dagster's multiprocess executor ...", flush=True)
        result["parse_multiprocess_executor"] = multiprocess_parse_run(landing, warehouse, workers,
                                                                       pages + new_pages + one_pages)
    full = result["full"]
    result["ratios"] = {
        "nightly_10_new_vs_full_time": round(result["nightly_10_new"]["seconds"] / full["seconds"], 3),
        "nightly_1_new_vs_full_time": round(result["nightly_1_new"]["seconds"] / full["seconds"], 3)}
    if with_baseline:
        result["ratios"]["full_vs_baseline_pages_per_second"] = round(
            full["pages_per_second"] / result["baseline"]["pages_per_second"], 2)
    return result


def _document_counts(warehouse: Path) -> list[dict]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""select coalesce(report_kind, '?'), status, coalesce(quarantine_reason, ''),
                                     count(*), sum(page_count)
                              from raw.documents group by all order by all""").fetchall()
    return [{"report_kind": k, "status": s, "quarantine_reason": r[:80], "documents": n, "pages": int(p or 0)}
            for k, s, r, n, p in rows]


def measure_real(work: Path, workers: int, repeat: int) -> dict:
    """The real PDFs of ../shared/corpus, each `repeat` times with distinct bytes: baseline and full
    pipeline on the same files in one run."""
    from bench.real_corpus import build_real_corpus

    corpus = work / f"real_{repeat}"
    build_real_corpus(REAL, corpus, repeat)
    landing, pdfs = _landing_from(corpus, work)
    pages = _pages(pdfs)
    print(f"[real x{repeat}] corpus: {len(pdfs)} PDFs, {pages} pages", flush=True)
    print(f"[real x{repeat}] (a) baseline ...", flush=True)
    base = baseline(pdfs, workers)
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)
    print(f"[real x{repeat}] (b) full pipeline from an empty warehouse ...", flush=True)
    full = pipeline_run(landing, out / "warehouse.duckdb", workers, pages, len(pdfs))
    return {"repeat": repeat, "source": "../shared/corpus/{final,budget}", "documents": len(pdfs), "pages": pages,
            "baseline": base, "full": full,
            "documents_by_kind_and_status": _document_counts(out / "warehouse.duckdb"),
            "ratios": {"full_vs_baseline_pages_per_second": round(full["pages_per_second"] / base["pages_per_second"], 2)}}


def _sizes(text: str) -> list[int]:
    sizes = [int(x) for x in text.replace(" ", "").split(",") if x]
    if not sizes or any(n < 12 for n in sizes):
        raise argparse.ArgumentTypeError("--docs takes sizes of at least 12 documents, e.g. 1000,3000,10000")
    return sizes


def summary(curve: list[dict]) -> dict:
    """The targets of the curve: time against the first size, nights against the first size's."""
    if len(curve) < 2:
        return {}
    first = curve[0]
    out = {}
    for point in curve[1:]:
        scale = point["documents"] / first["documents"]
        out[str(point["documents"])] = {
            "documents_ratio": round(scale, 2),
            "full_time_ratio": round(point["full"]["seconds"] / first["full"]["seconds"], 2),
            "nightly_10_new_time_ratio": round(point["nightly_10_new"]["seconds"] / first["nightly_10_new"]["seconds"], 2),
            "peak_process_mib": point["full"]["peak_process_mib"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=_sizes, default=[1000, 3000, 10000],
                    help="demo corpus sizes, a comma-separated list (default 1000,3000,10000)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--real-repeat", type=int, default=10,
                    help="the real corpus, each PDF this many times (0: not measured; default 10)")
    ap.add_argument("--multiprocess", action="store_true",
                    help="(e) at the first size: parse again on Dagster's multiprocess executor")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")

    started = datetime.now(timezone.utc)
    result: dict = {"machine": machine(), "workers": args.workers, "started_at": started.isoformat(timespec="seconds"),
                    "load_average_start": _load(), "curve": []}
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    name = f"curve-{'-'.join(map(str, args.docs))}docs-{stamp}"
    target = args.results / f"{name}.json"
    args.results.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after every measurement: a long curve interrupted keeps what it measured
        target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")

    if args.real_repeat > 0:
        result["real_corpus"] = measure_real(args.work, args.workers, args.real_repeat)
        save()
    for i, docs in enumerate(args.docs):
        result["curve"].append(measure_size(docs, args.work, args.workers, with_baseline=i == 0,
                                            with_multiprocess=args.multiprocess and i == 0))
        result["summary"] = summary(result["curve"])
        save()
    result["load_average_end"] = _load()
    result["seconds_total"] = round((datetime.now(timezone.utc) - started).total_seconds(), 1)
    save()
    print(json.dumps({k: v for k, v in result.items() if k != "curve"}, ensure_ascii=False, indent=2))
    print(f"written to {target}")
    try:
        from bench.plot import plot

        print(f"plot: {plot(target)}")
    except ImportError as exc:  # matplotlib is in the dev and bench extras
        print(f"no plot ({exc}): pip install -e '.[bench]'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
