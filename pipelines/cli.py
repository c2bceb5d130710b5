"""Command line: `python -m pipelines run --landing DIR --warehouse FILE`.

Runs the nightly job in-process through Dagster, on the persistent Dagster instance the UI opens
(pipelines/instance.py), prints one line per step and per document, and ends with a summary.
Exit code 0 when the run completed (even with quarantined documents or failed expectations:
those are data problems, in the summary); 1 when the pipeline itself failed; 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from pipelines.safe_text import printable



def _process_start() -> float:
    """When this process started, on the `time.monotonic()` clock: the summary's wall time then
    counts the interpreter's start and every import (Dagster, dbt, GX) too, as a stopwatch would.
    Linux: /proc/self/stat (field 22, clock ticks since boot) against /proc/uptime; else now."""
    try:
        with open("/proc/self/stat", encoding="ascii") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as fh:
            uptime = float(fh.read().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        return time.monotonic() - max(0.0, age)
    except (OSError, ValueError, IndexError):
        return time.monotonic()


_STARTED = _process_start()


class UsageError(Exception):
    """An expected problem with the user's input: reported in one line, no traceback."""


def _check_run_args(args: argparse.Namespace) -> None:
    if not args.landing and not args.manifest:
        raise UsageError("nothing to ingest: pass --landing DIR (a folder of PDFs) and/or --manifest FILE (a CSV of URLs)")
    landing = Path(args.landing or ".")
    if args.landing and not landing.is_dir():
        raise UsageError(f"landing folder '{landing}' does not exist or is not a folder: create it or pass --landing DIR")
    warehouse = Path(args.warehouse)
    if warehouse.is_dir():
        raise UsageError(f"--warehouse '{warehouse}' is a folder: pass a file path such as {warehouse / 'warehouse.duckdb'}")
    if warehouse.suffix != ".duckdb":
        raise UsageError(f"--warehouse '{warehouse}' should end in .duckdb (the analysts' DuckDB file)")
    if warehouse.is_file() and not is_duckdb_file(warehouse):
        raise UsageError(f"--warehouse '{warehouse}' exists and is not a DuckDB database: "
                         "a run would replace it; pass the path of the published warehouse or a new file")
    parent = warehouse.resolve().parent
    if not parent.is_dir():
        if not args.create:
            raise UsageError(f"warehouse folder '{parent}' does not exist: check --warehouse, "
                             "or pass --create to make it (a first run)")
        parent.mkdir(parents=True, exist_ok=True)
    if args.data_dir and not Path(args.data_dir).is_dir() and not args.create:
        raise UsageError(f"--data-dir '{args.data_dir}' does not exist: check it, or pass --create to make it")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write to '{parent}': choose a --warehouse path in a writable folder")
    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    if args.manifest and not Path(args.manifest).is_file():
        raise UsageError(f"manifest '{args.manifest}' does not exist: pass a CSV file with a 'url' column")
    if args.manifest:
        _check_manifest(Path(args.manifest))
    if args.reparse and args.reparse != "all" and not re.fullmatch(r"(?:[^~]*~)?[0-9a-f]{12,64}", args.reparse):
        raise UsageError("--reparse takes 'all', a document id (64 hex characters, or its first 12 or more) "
                         f"or a partition key (label~short id), not '{printable(args.reparse)}'")


def _check_manifest(path: Path) -> None:
    """A manifest that cannot be used at all is a usage error (rejected rows are reported by the run)."""
    from ingest.download import ManifestError, load_manifest

    try:
        load_manifest(path)
    except ManifestError as exc:
        raise UsageError(str(exc)) from None


def is_duckdb_file(path: Path) -> bool:
    """A DuckDB database file: its header has the magic bytes `DUCK` at offset 8."""
    try:
        with open(path, "rb") as fh:
            return fh.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def _settings(args: argparse.Namespace):
    from pipelines.settings import PipelineSettings

    return PipelineSettings(
        landing_dir=str(Path(args.landing).resolve()) if getattr(args, "landing", None) else "",
        warehouse_path=str(Path(args.warehouse).resolve()),
        data_dir=str(Path(args.data_dir).resolve()) if args.data_dir else "",
        manifest_path=str(Path(args.manifest).resolve()) if getattr(args, "manifest", None) else "",
        parse_workers=getattr(args, "workers", 2),
    )


def cmd_run(args: argparse.Namespace) -> int:
    _check_run_args(args)
    from pipelines.instance import dagster_home, night_instance
    from pipelines.orchestration import run_night
    from pipelines.report import console_report
    from pipelines.summary import format_summary, read_summary

    settings = _settings(args)
    level = getattr(logging, args.log_level)
    log_file = settings.data / "logs" / f"night-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.log"
    # Default: the steps' report lines only; Dagster's own log (every event, the libraries'
    # messages) goes to the log file and the UI. --verbose: Dagster's console log as well.
    dagster_console = args.log_level if args.verbose else "CRITICAL"
    with console_report(sys.stdout, level, dagster_too=not args.verbose) as console:
        console.line(f"night: {settings.landing if args.landing else '(no landing folder)'} -> {settings.warehouse}")
        with night_instance(settings) as instance:
            outcome = run_night(settings, instance, reparse=args.reparse, log_level=dagster_console, log_file=log_file)
    seconds = time.monotonic() - _STARTED
    if not outcome.success:
        for error in outcome.errors:
            print(f"error: {printable(error)}", file=sys.stderr)
        print(f"error: the run failed after {seconds:.1f} s; the last published warehouse "
              f"({settings.warehouse}) is unchanged; full log: {log_file}", file=sys.stderr)
        return 1
    from pipelines.intake import intake_lines, read_intake
    from pipelines.status import failed_downloads

    for warning in outcome.warnings:
        print(f"warning: {printable(warning)}", file=sys.stderr)
    if outcome.warnings and outcome.skipped_warehouse:  # nothing to build: said above, no summary
        return 0
    if outcome.skipped_warehouse:
        print(f"nothing to rebuild: {printable(outcome.skipped_warehouse)}; the published warehouse is unchanged")
    print(format_summary(read_summary(settings.warehouse), settings.warehouse, settings.data_docs_dir,
                         settings.archive_dir, seconds, failed_downloads(settings),
                         intake_lines(read_intake(settings.data)),
                         log_file=log_file, dagster_home=dagster_home(settings)))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines.status import format_status

    settings = _settings(args)
    if settings.warehouse.is_dir():
        raise UsageError(f"--warehouse '{args.warehouse}' is a folder: pass the DuckDB file given to run")
    if settings.warehouse.is_file() and not is_duckdb_file(settings.warehouse):
        raise UsageError(f"--warehouse '{args.warehouse}' is not a DuckDB warehouse: pass the file given to run --warehouse")
    if not settings.warehouse.exists() and not settings.data.is_dir():
        raise UsageError(f"no warehouse at '{settings.warehouse}' and no pipeline data folder at '{settings.data}': "
                         "check --warehouse (the file given to run) and --data-dir")
    print(format_status(settings))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole nightly job once, in-process")
    run.add_argument("--landing", help="folder scanned (recursively) for *.pdf")
    run.add_argument("--warehouse", required=True, help="the published DuckDB file analysts open")
    run.add_argument("--data-dir", help="archive, parse cache, working file, Data Docs (default: <warehouse dir>/data)")
    run.add_argument("--manifest", help="CSV of URLs to download (columns: url, department, region, year)")
    run.add_argument("--reparse", metavar="all|DOCUMENT_ID", help="parse again: every document, or one "
                     "(its SHA-256, its first 12+ characters, or its partition key label~short id)")
    run.add_argument("--workers", type=int, default=2, help="parser worker processes (default 2)")
    run.add_argument("--create", action="store_true",
                     help="make the warehouse's folder (and --data-dir) when it does not exist yet")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                     help="console: INFO (default) one line per step and document; WARNING only problems and "
                          "the summary; with --verbose, the level of Dagster's own log")
    run.add_argument("-v", "--verbose", action="store_true",
                     help="Dagster's full log on the console (it is always in <data dir>/logs/night-*.log and the UI)")
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="documents by status, the last run's outcome, what is pending")
    status.add_argument("--warehouse", required=True, help="the published DuckDB file")
    status.add_argument("--data-dir", help="as given to run (default: <warehouse dir>/data)")
    status.set_defaults(func=cmd_status)
    from pipelines.review_cli import add_review_parser

    add_review_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=r".*(beta|preview).*", category=Warning)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; the last published warehouse is unchanged", file=sys.stderr)
        return 130
