"""The warehouse stages (dbt, Great Expectations, publication) at a size the parser never made:
`python -m bench.scale_warehouse --from <working.duckdb> --copies K`.

A working file of a bench run (its raw.* staging rows, e.g. bench/work/out/data/work/
warehouse.duckdb after `python -m bench.run --docs 150`) is copied and its documents repeated K
times in raw.*: copy k of a document gets the id sha256(id || ':' || k) and a fiscal year k years
earlier (an archive of many years: every copy is a report of its own, current). No PDF is parsed,
so the dbt build, the validation and the publication of 10,000 documents are measured in minutes:
  (b') `dbt build --full-refresh`, validation of every document, publication;
  (c') a night with 10 documents changed: dbt build as the night runs it (incremental models
      recompute those documents), validation scoped to them, publication;
with the time of each and the peak memory of the dbt process (DuckDB's buffer pool inside it) and
of this process (GX, publication), at DuckDB's limits from pipelines/settings.py. Writes
bench/results/scale-warehouse-<documents>-<time>.json. Not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from bench.memory import ChildMemorySampler
from bench.run import _load, machine

ROOT = Path(__file__).resolve().parent.parent


def replicate(con: duckdb.DuckDBPyConnection, copies: int) -> int:
    tables = [r[0] for r in con.execute(
        """select distinct table_name from duckdb_columns()
           where schema_name = 'raw' and column_name = 'document_id' and database_name = current_database()""").fetchall()]
    con.execute("begin transaction")
    for table in tables:
        cols = [r[0] for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ? "
            "and database_name = current_database() order by column_index", [table]).fetchall()]
        con.execute(f"create temp table _orig as select * from raw.{table}")
        for k in range(1, copies):
            exprs = []
            for c in cols:
                if c == "document_id":
                    exprs.append(f"sha256(document_id || ':{k}') as document_id")
                elif c == "fiscal_year" and table == "documents":
                    exprs.append(f"fiscal_year - {k} as fiscal_year")
                else:
                    exprs.append(f'"{c}"')
            con.execute(f"insert into raw.{table} select {', '.join(exprs)} from _orig")
        con.execute("drop table _orig")
    con.execute("create schema if not exists pipeline")
    con.execute("create table if not exists pipeline.pending_documents (document_id varchar primary key)")
    con.execute("delete from pipeline.pending_documents")
    con.execute("commit")
    return con.execute("select count(*) from raw.documents").fetchall()[0][0]


def dbt_build(working: Path, env: dict[str, str], args: list[str], target: Path) -> dict:
    from pipelines.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR

    cmd = [DBT_EXECUTABLE, "build", "--quiet", *args, "--project-dir", str(DBT_PROJECT_DIR),
           "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
    full_env = {**os.environ, **env, "FW_WORKING_DB": str(working), "DO_NOT_TRACK": "1", "DBT_LOG_LEVEL_FILE": "none"}
    load_start = _load()
    with ChildMemorySampler() as mem:
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=full_env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):  # 1: some tests failed (data), still a build
        raise SystemExit(f"dbt failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    slow = sorted(results, key=lambda r: -r["execution_time"])[:10]
    return {"seconds": round(seconds, 2), "nodes": len(results),
            "node_seconds_sum": round(sum(r["execution_time"] for r in results), 1),
            "slowest_nodes": {r["unique_id"].split(".", 2)[-1]: round(r["execution_time"], 2) for r in slow},
            "failed_or_error": sum(r["status"] in ("fail", "error") for r in results),
            "peak_dbt_mib": round(mem.max_mib(role="dbt"), 1),
            "load_average_start": load_start, "load_average_end": _load()}


def validate_and_publish(settings, run_id: str, scope: set[str] | None) -> dict:
    from expectations.runner import run_validations
    from pipelines.assets.publish import publish_file

    load_start = _load()
    with ChildMemorySampler() as mem:
        start = time.perf_counter()
        summary = run_validations(settings.working_db, settings.data_docs_dir, settings.gx_dir, run_id,
                                  document_ids=scope, keep_only_this_run=True,
                                  duckdb_config=settings.duckdb_config())
        gx_seconds = time.perf_counter() - start
        gx_peak = mem.peak_between(0, time.time())
        start = time.perf_counter()
        publish_file(settings.working_db, settings.warehouse, duckdb_config=settings.duckdb_config())
        publish_seconds = time.perf_counter() - start
    return {"gx_seconds": round(gx_seconds, 2), "gx_timings": {k: round(v, 2) for k, v in summary.timings.items()},
            "instances": summary.instances, "validated_now": summary.validated_instances,
            "gx_peak_orchestrator_mib": round(gx_peak, 1), "publish_seconds": round(publish_seconds, 2),
            "peak_orchestrator_mib": round(mem.own_peak_mib, 1),
            "published_bytes": settings.warehouse.stat().st_size,
            "load_average_start": load_start, "load_average_end": _load()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.scale_warehouse", description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="source", type=Path, required=True, help="a bench run's working file")
    ap.add_argument("--copies", type=int, required=True, help="each document this many times")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "work" / "scale_warehouse")
    ap.add_argument("--results", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args(argv)

    from pipelines.assets.warehouse import FIXED_BY_BUILD_EXCLUDE
    from pipelines.settings import PipelineSettings

    shutil.rmtree(args.work, ignore_errors=True)
    settings = PipelineSettings(landing_dir=str(args.work / "landing"),
                                warehouse_path=str(args.work / "warehouse.duckdb"))
    settings.ensure_dirs()
    shutil.copyfile(args.source, settings.working_db)
    out: dict = {"machine": machine(), "source": str(args.source), "copies": args.copies,
                 "load_average_start": _load()}
    start = time.perf_counter()
    with duckdb.connect(str(settings.working_db), config=settings.duckdb_config()) as con:
        out["documents"] = replicate(con, args.copies)
        out["raw_rows"] = dict(con.execute(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'raw' "
            "and database_name = current_database() order by 1").fetchall())
    out["replicate_seconds"] = round(time.perf_counter() - start, 1)
    print(f"{out['documents']} documents, {out['raw_rows']}", flush=True)
    env = settings.duckdb_env()
    target = args.work / "dbt_target"
    print("(b') dbt build --full-refresh ...", flush=True)
    out["full_dbt"] = dbt_build(settings.working_db, env, ["--full-refresh"], target)
    print("(b') validation and publication ...", flush=True)
    out["full_gx_publish"] = validate_and_publish(settings, "scale-full", None)
    with duckdb.connect(str(settings.working_db)) as con:
        ten = [r[0] for r in con.execute(
            "select document_id from raw.documents where status = 'loaded' order by document_id limit 10").fetchall()]
        con.execute("insert or ignore into pipeline.pending_documents select unnest($ids)", {"ids": ten})
    print("(c') night with 10 changed documents: dbt ...", flush=True)
    out["night_dbt"] = dbt_build(settings.working_db, env, FIXED_BY_BUILD_EXCLUDE, target)
    print("(c') validation and publication ...", flush=True)
    out["night_gx_publish"] = validate_and_publish(settings, "scale-night", set(ten))
    out["working_bytes"] = settings.working_db.stat().st_size
    out["load_average_end"] = _load()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = args.results / f"scale-warehouse-{out['documents']}-{stamp}.json"
    args.results.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(out, ensure_ascii=False, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
