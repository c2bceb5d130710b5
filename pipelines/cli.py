"""Command line: `python -m pipelines run --landing DIR --warehouse FILE`.

Runs the nightly job in-process through Dagster and prints a summary. Exit code 0 when the run
completed (even with quarantined documents or failed expectations: those are data problems, in
the summary); 1 when the pipeline itself failed; 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from pipelines.safe_text import printable


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
    parent = warehouse.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    if not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write to '{parent}': choose a --warehouse path in a writable folder")
    if args.workers < 1:
        raise UsageError("--workers must be 1 or more")
    if args.manifest and not Path(args.manifest).is_file():
        raise UsageError(f"manifest '{args.manifest}' does not exist: pass a CSV file with a 'url' column")
    if args.manifest:
        _check_manifest(Path(args.manifest))
    if args.reparse and args.reparse != "all" and not re.fullmatch(r"[0-9a-f]{64}", args.reparse):
        raise UsageError(f"--reparse takes 'all' or a document id (64 hex characters), not '{args.reparse}'")


def _check_manifest(path: Path) -> None:
    """A manifest that cannot be used at all is a usage error (rejected rows are reported by the run)."""
    from ingest.download import ManifestError, load_manifest

    try:
        load_manifest(path)
    except ManifestError as exc:
        raise UsageError(str(exc)) from None


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
    from dagster import DagsterInstance

    from pipelines.orchestration import run_night
    from pipelines.summary import format_summary, read_summary

    settings = _settings(args)
    with DagsterInstance.ephemeral() as instance:
        outcome = run_night(settings, instance, reparse=args.reparse, log_level=args.log_level)
    if not outcome.success:
        for error in outcome.errors:
            print(f"error: {printable(error)}", file=sys.stderr)
        print(f"error: the run failed after {outcome.seconds:.1f} s; the last published warehouse "
              f"({settings.warehouse}) is unchanged", file=sys.stderr)
        return 1
    from pipelines.intake import intake_lines, read_intake
    from pipelines.status import failed_downloads

    if outcome.skipped_warehouse:
        print(f"nothing to rebuild: {printable(outcome.skipped_warehouse)}; the published warehouse is unchanged")
    print(format_summary(read_summary(settings.warehouse), settings.warehouse, settings.data_docs_dir,
                         settings.archive_dir, outcome.seconds, failed_downloads(settings),
                         intake_lines(read_intake(settings.data))))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from pipelines.status import format_status

    print(format_status(_settings(args)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the whole nightly job once, in-process")
    run.add_argument("--landing", help="folder scanned (recursively) for *.pdf")
    run.add_argument("--warehouse", required=True, help="the published DuckDB file analysts open")
    run.add_argument("--data-dir", help="archive, parse cache, working file, Data Docs (default: <warehouse dir>/data)")
    run.add_argument("--manifest", help="CSV of URLs to download (columns: url, department, region, year)")
    run.add_argument("--reparse", metavar="all|DOCUMENT_ID", help="parse again: every document, or one (its SHA-256)")
    run.add_argument("--workers", type=int, default=2, help="parser worker processes (default 2)")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
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
