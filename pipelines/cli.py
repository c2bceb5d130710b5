"""Command line: `python -m pipelines run --landing DIR --warehouse FILE`.

Runs the nightly job in-process through Dagster and prints a summary. Exit code 0 when the run
completed (even with quarantined documents or failed expectations: those are data problems, in
the summary); 1 when the pipeline itself failed; 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


class UsageError(Exception):
    """An expected problem with the user's input: reported in one line, no traceback."""


def _check_run_args(args: argparse.Namespace) -> None:
    landing = Path(args.landing)
    if not landing.is_dir():
        raise UsageError(f"landing folder '{landing}' does not exist or is not a folder: create it or pass --landing DIR")
    warehouse = Path(args.warehouse)
    if warehouse.is_dir():
        raise UsageError(f"--warehouse '{warehouse}' is a folder: pass a file path such as {warehouse / 'warehouse.duckdb'}")
    if warehouse.suffix != ".duckdb":
        raise UsageError(f"--warehouse '{warehouse}' should end in .duckdb (the analysts' DuckDB file)")
    parent = warehouse.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write to '{parent}': choose a --warehouse path in a writable folder")
    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")


def cmd_run(args: argparse.Namespace) -> int:
    _check_run_args(args)
    started = time.perf_counter()
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.settings import PipelineSettings
    from pipelines.summary import format_summary, read_summary

    settings = PipelineSettings(
        landing_dir=str(Path(args.landing).resolve()),
        warehouse_path=str(Path(args.warehouse).resolve()),
        data_dir=str(Path(args.data_dir).resolve()) if args.data_dir else "",
        parse_workers=args.workers,
    )
    job = build_definitions(settings).resolve_job_def("nightly_warehouse")
    run_config = {"loggers": {"console": {"config": {"log_level": args.log_level}}}}
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, run_config=run_config, raise_on_error=False)
    seconds = time.perf_counter() - started
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure]
        for event in failed:
            err = event.step_failure_data.error
            while err is not None and err.cause is not None:  # the user code's own error
                err = err.cause
            message = err.message.strip().splitlines()[0] if err else "unknown error"
            print(f"error: step {event.step_key} failed: {message}", file=sys.stderr)
        print(f"error: the run failed after {seconds:.1f} s; the last published warehouse "
              f"({settings.warehouse}) is unchanged", file=sys.stderr)
        return 1
    print(format_summary(read_summary(settings.warehouse), settings.warehouse, settings.data_docs_dir,
                         settings.archive_dir, seconds))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole nightly job once, in-process")
    run.add_argument("--landing", required=True, help="folder scanned (recursively) for *.pdf")
    run.add_argument("--warehouse", required=True, help="the published DuckDB file analysts open")
    run.add_argument("--data-dir", help="archive, parse cache, working file, Data Docs (default: <warehouse dir>/data)")
    run.add_argument("--workers", type=int, default=2, help="parser worker processes (default 2)")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the last published warehouse is unchanged", file=sys.stderr)
        return 130
