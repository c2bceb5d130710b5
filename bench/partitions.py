"""The sensors' and the UI's view of many partitions: `python -m bench.partitions --partitions 10000`.

Builds, in a temporary folder, an archive of N small files (the archive's sidecars are what the
sensors read: the bytes do not matter), a parse-cache entry for each, a persistent (SQLite)
Dagster instance with N dynamic partitions of `document` and N materializations of
`parsed_document` (one per partition, as the parse runs leave them), then times:
  * `instance.get_dynamic_partitions` (the partition list; the UI and the ingest read it);
  * `get_materialized_partitions` and the partition status cache the UI's partition bar is
    drawn from (`get_and_update_asset_status_cache_value`), cold and after one more
    materialization (what a UI refresh after a night costs);
  * a tick of `pending_work_sensor` with one document not parsed yet (it asks for that one),
    and with nothing pending and no published warehouse (it asks for the warehouse build);
  * a tick of `landing_folder_sensor` over a landing folder of N PDFs.
Writes bench/results/partitions-<N>-<time>.json with the machine's load average. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - start)
    return round(best, 3), value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.partitions", description=__doc__.splitlines()[0])
    ap.add_argument("--partitions", type=int, default=10_000)
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)
    os.environ.setdefault("DO_NOT_TRACK", "1")

    from dagster import AssetKey, AssetMaterialization, DagsterInstance, build_sensor_context
    from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

    from bench.run import _load, machine
    from ingest.archive import Archive
    from ingest.discover import LandedFile
    from ingest.workers import cache_path
    from pipelines.partitions import document_partitions
    from pipelines.schedules import landing_folder_sensor, pending_work_sensor
    from pipelines.settings import PipelineSettings

    n = args.partitions
    out: dict = {"machine": machine(), "partitions": n, "load_average_start": _load()}
    parsed = AssetKey("parsed_document")
    # On tmpfs where there is one: the setup writes N events and N files, each fsynced on a disk
    # (110 ms an event on a busy machine); what is timed are reads, served from memory either way.
    shm = Path("/dev/shm")
    out["storage"] = "tmpfs (/dev/shm)" if shm.is_dir() else "temporary folder"
    with tempfile.TemporaryDirectory(prefix="fw-partitions-", dir=shm if shm.is_dir() else None) as tmp:
        root = Path(tmp)
        landing = root / "landing"
        landing.mkdir()
        settings = PipelineSettings(landing_dir=str(landing), warehouse_path=str(root / "var" / "warehouse.duckdb"))
        settings.ensure_dirs()
        start = time.perf_counter()
        archive = Archive(settings.archive_dir)
        earlier = time.time() - 3600
        with archive.batch():
            for i in range(n):
                path = landing / f"doc-{i:05d}.pdf"
                path.write_bytes(b"%PDF-1.4\n%" + str(i).encode() + b"\n%%EOF\n")
                os.utime(path, (earlier, earlier))
                st = path.stat()
                archive.add(LandedFile(path=path, name=path.name, size_bytes=st.st_size, mtime_ns=st.st_mtime_ns))
        ids = [d.document_id for d in sorted(archive.documents(), key=lambda d: (d.first_seen_at, d.document_id))]
        for doc_id in ids[:-1]:  # every document parsed but the last
            target = cache_path(settings.parsed_dir, doc_id)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("{}", encoding="utf-8")
        out["setup_archive_seconds"] = round(time.perf_counter() - start, 1)

        home = root / "dagster_home"
        home.mkdir()
        with DagsterInstance.local_temp(str(home)) as instance:
            start = time.perf_counter()
            instance.add_dynamic_partitions(document_partitions.name, ids)
            out["add_dynamic_partitions_seconds"] = round(time.perf_counter() - start, 2)
            start = time.perf_counter()
            for doc_id in ids[:-1]:
                instance.report_runless_asset_event(AssetMaterialization(asset_key=parsed, partition=doc_id))
            out["record_materializations_seconds"] = round(time.perf_counter() - start, 1)

            timings: dict[str, float] = {}
            timings["get_dynamic_partitions"], keys = _timed(lambda: instance.get_dynamic_partitions(document_partitions.name))
            assert len(keys) == n
            timings["get_materialized_partitions"], done = _timed(lambda: instance.get_materialized_partitions(parsed))
            assert len(done) == n - 1
            start = time.perf_counter()
            status = get_and_update_asset_status_cache_value(instance, parsed, document_partitions)
            timings["partition_status_cache_cold"] = round(time.perf_counter() - start, 3)
            instance.report_runless_asset_event(AssetMaterialization(asset_key=parsed, partition=ids[-2]))
            timings["partition_status_cache_after_one_more"], status = _timed(
                lambda: get_and_update_asset_status_cache_value(instance, parsed, document_partitions))
            out["materialized_in_status_cache"] = status.deserialize_materialized_partition_subsets(
                document_partitions).get_partition_keys().__len__() if status else None

            def tick(sensor, cursor=None):
                context = build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings})
                return sensor(context)

            timings["pending_work_sensor_tick_one_pending"], result = _timed(lambda: tick(pending_work_sensor))
            requests = list(result) if isinstance(result, list) else [result]
            out["one_pending_requests"] = [getattr(r, "tags", {}) for r in requests]
            target = cache_path(settings.parsed_dir, ids[-1])
            target.write_text("{}", encoding="utf-8")
            timings["pending_work_sensor_tick_warehouse_due"], result = _timed(lambda: tick(pending_work_sensor))
            out["warehouse_due_request"] = getattr(result, "job_name", str(result))
            timings["landing_folder_sensor_tick"], _ = _timed(lambda: tick(landing_folder_sensor))
            timings["archive_documents_read"], _ = _timed(lambda: Archive(settings.archive_dir).documents())
            out["timings_seconds"] = timings
    out["load_average_end"] = _load()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = args.results / f"partitions-{n}-{stamp}.json"
    args.results.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    print(f"written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
