"""`python -m pipelines review`: stewards list, decide and export identity failures.

    python -m pipelines review --warehouse W list [--all]
    python -m pipelines review --warehouse W decide INSTANCE_ID --decision confirmed_defect \\
        --by 王芳 --comment "T1 208 prints 326.71, T3 326.72"
    python -m pipelines review --warehouse W export --out failures.csv

Decisions are appended to <data dir>/reviews/decisions.jsonl (default data dir: <warehouse
dir>/data, as for `run`); they survive every rebuild and are loaded into the warehouse
(quality.review_decisions, quality.open_failures) by the next run. Expected problems (unknown
instance id, bad decision value, missing warehouse) are reported in one line, exit code 2.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipelines.safe_text import printable


def _data_dir(args: argparse.Namespace) -> Path:
    if args.data_dir:
        return Path(args.data_dir).resolve()
    return Path(args.warehouse).resolve().parent / "data"


def _decisions(args: argparse.Namespace):
    from expectations.review import decisions_file, read_decisions

    path = decisions_file(_data_dir(args))
    problems: list[str] = []
    decisions = read_decisions(path, problems)
    for problem in problems:
        print(f"warning: {printable(problem)}", file=sys.stderr)
    return path, decisions


def cmd_list(args: argparse.Namespace) -> int:
    from expectations.review_report import failures, format_failures, parser_problems

    _, decisions = _decisions(args)
    found = failures(Path(args.warehouse), decisions, include_decided=args.all)
    print(format_failures(found))
    open_count = sum(1 for f in found if f.state != "decided")
    print(f"{open_count} open, {len(found) - open_count} decided shown")
    problems = parser_problems(Path(args.warehouse))
    if problems:  # the parser's, not the document's: nothing for a steward to decide
        print(f"parser problems (not document defects; not evaluated): {len(problems)}")
        for file_name, identity, reason in problems[:20]:
            print(f"  {printable(file_name)}: {identity}: {printable(reason)[:140]}")
        if len(problems) > 20:
            print(f"  ... and {len(problems) - 20} more (make truth lists them all)")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from expectations.review import append_decision, make_decision
    from expectations.review_report import resolve_instance

    path, _ = _decisions(args)
    row = resolve_instance(Path(args.warehouse), args.instance_id)
    decision = make_decision(row, args.decision, args.by, args.comment)
    append_decision(path, decision)
    print(f"recorded {decision.decision} for {printable(decision.instance_id)} "
          f"(lhs {decision.lhs}, rhs {decision.rhs}, diff {decision.diff}) in {printable(path)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from expectations.review_report import export_csv, failures

    _, decisions = _decisions(args)
    found = failures(Path(args.warehouse), decisions, include_decided=True)
    count = export_csv(found, Path(args.out))
    print(f"wrote {count} failures (open and decided) to {printable(args.out)}")
    return 0


def add_review_parser(sub) -> None:
    """Register `review` and its subcommands on the main CLI's subparsers."""
    review = sub.add_parser("review", help="steward review: list, decide and export identity failures")
    review.add_argument("--warehouse", required=True, help="the published DuckDB file")
    review.add_argument("--data-dir", help="as given to run (default: <warehouse dir>/data)")
    actions = review.add_subparsers(dest="review_command", required=True)

    listing = actions.add_parser("list", help="open failures by document (identity, values, pages, cells)")
    listing.add_argument("--all", action="store_true", help="also the failures already decided")
    listing.set_defaults(func=run_review, review_func=cmd_list)

    decide = actions.add_parser("decide", help="record a decision on one failure")
    decide.add_argument("instance_id", help="as shown by `review list` (document id prefix|identity|subject)")
    decide.add_argument("--decision", required=True,
                        help="confirmed_defect, within_tolerance, parser_error or not_applicable")
    decide.add_argument("--by", required=True, help="the reviewer's name")
    decide.add_argument("--comment", required=True, help="why (shown next to the failure)")
    decide.set_defaults(func=run_review, review_func=cmd_decide)

    export = actions.add_parser("export", help="open and decided failures to CSV")
    export.add_argument("--out", required=True, help="CSV file to write")
    export.set_defaults(func=run_review, review_func=cmd_export)


def run_review(args: argparse.Namespace) -> int:
    from expectations.review import ReviewError

    try:
        return args.review_func(args)
    except ReviewError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
