"""`python -m pipelines review`: stewards list, decide, show and export identity failures.

    python -m pipelines review list --warehouse W [--all]
    python -m pipelines review decide 3f2a9c81d0 --warehouse W --decision confirmed_defect \\
        --by 王芳 --comment "T1 208 prints 326.71, T3 326.72"
    python -m pipelines review show 3f2a9c81d0 --warehouse W [--out DIR]   # the cited pages as PNG
    python -m pipelines review export --warehouse W --out failures.csv
    python -m pipelines review serve --warehouse W [--host 127.0.0.1] [--port 8040]  # the review site
    python -m pipelines review adduser 王芳 --warehouse W                 # a reviewer of the site

`--warehouse` and `--data-dir` go before or after the subcommand. A failure's id is the short id
`list` prints (10 hex characters, safe to type unquoted), its full instance id, or the older
short form (document id prefix|identity|subject).

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
    if getattr(args, "data_dir", None):
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


def cmd_show(args: argparse.Namespace) -> int:
    """One failure in words, and the pages it cites rendered to PNG with its cells outlined."""
    from expectations.review import ReviewError
    from expectations.review_report import _connect, failures_from, format_failures, resolve_instance
    from pipelines.review_site.data import failure_pages
    from pipelines.review_site.pages import Mark, archived_pdf, render_page

    _, decisions = _decisions(args)
    row = resolve_instance(Path(args.warehouse), args.instance_id)
    con = _connect(Path(args.warehouse))
    try:
        found = failures_from(con, decisions, include_decided=True, where="r.instance_id = ?",
                              params=[row["instance_id"]])
        archive_path = con.execute("SELECT archive_path FROM raw.documents WHERE document_id = ?",
                                   [row["document_id"]]).fetchall()
    finally:
        con.close()
    failure = found[0]
    print(format_failures(found))
    data_dir = _data_dir(args)
    try:
        pdf = archived_pdf(data_dir, archive_path[0][0] if archive_path else "")
    except FileNotFoundError:
        raise ReviewError(f"the archived original of {row['document_id'][:12]} is not in {data_dir / 'archive'}: "
                          "pass the --data-dir given to run") from None
    out = Path(args.out) if args.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for number in failure_pages(failure):
        marks = [Mark(p.position, box=p.box) if p.is_cell else Mark(p.position, sentence=p.sentence, text=p.raw_text)
                 for p in failure.positions if p.page == number and (p.box or not p.is_cell)]
        rendered = render_page(pdf, data_dir / "review_cache", row["document_id"], number, marks, args.scale)
        path = rendered.path
        if out is not None:
            import shutil

            path = out / f"{failure.short_id}-page{number}.png"
            shutil.copyfile(rendered.path, path)
        note = "" if rendered.found_all else " (a narrative sentence was not found on the page: not marked)"
        print(f"page {number}: {printable(path)} ({len(rendered.boxes)} outlined){note}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pipelines.review_site.server import serve, site_config

    config = site_config(Path(args.warehouse).resolve(), _data_dir(args), host=args.host, users=args.users,
                         session_seconds=int(args.session_hours * 3600), allowed_hosts=args.allowed_host,
                         secure_cookie=args.secure_cookie)
    serve(config, host=args.host, port=args.port)
    return 0


def cmd_adduser(args: argparse.Namespace) -> int:
    import getpass

    from expectations.review import ReviewError
    from pipelines.review_site.auth import AuthError, add_user, users_file

    if not args.users and not getattr(args, "warehouse", None) and not getattr(args, "data_dir", None):
        raise ReviewError("pass --users FILE, or --warehouse (the users file is then <data dir>/reviews/users.txt)")
    path = Path(args.users) if args.users else users_file(_data_dir(args))
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise ReviewError("the two passwords differ")
    try:
        new = add_user(path, args.name, password)
    except AuthError as exc:
        raise ReviewError(str(exc)) from None
    print(f"{'added' if new else 'replaced the password of'} {printable(args.name)} in {printable(path)}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from expectations.review_report import export_csv, failures

    _, decisions = _decisions(args)
    found = failures(Path(args.warehouse), decisions, include_decided=True)
    count = export_csv(found, Path(args.out))
    print(f"wrote {count} failures (open and decided) to {printable(args.out)}")
    return 0


def _locations(parser: argparse.ArgumentParser, top: bool) -> None:
    """--warehouse and --data-dir, accepted before the subcommand (top) and after it."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--warehouse", default=default, help="the published DuckDB file")
    parser.add_argument("--data-dir", default=default, help="as given to run (default: <warehouse dir>/data)")


def add_review_parser(sub) -> None:
    """Register `review` and its subcommands on the main CLI's subparsers."""
    review = sub.add_parser("review", help="steward review: list, decide, show and export identity failures; "
                                           "the review site")
    _locations(review, top=True)
    actions = review.add_subparsers(dest="review_command", required=True)

    listing = actions.add_parser("list", help="open failures by document (identity, values, pages, cells)")
    _locations(listing, top=False)
    listing.add_argument("--all", action="store_true", help="also the failures already decided")
    listing.set_defaults(func=run_review, review_func=cmd_list)

    decide = actions.add_parser("decide", help="record a decision on one failure")
    _locations(decide, top=False)
    decide.add_argument("instance_id", help="the short id `review list` prints (or the full instance id)")
    decide.add_argument("--decision", required=True,
                        help="confirmed_defect, within_tolerance, parser_error or not_applicable")
    decide.add_argument("--by", required=True, help="the reviewer's name")
    decide.add_argument("--comment", required=True, help="why (shown next to the failure)")
    decide.set_defaults(func=run_review, review_func=cmd_decide)

    show = actions.add_parser("show", help="one failure in words, its cited pages rendered to PNG with the cells outlined")
    _locations(show, top=False)
    show.add_argument("instance_id", help="the short id `review list` prints (or the full instance id)")
    show.add_argument("--out", help="folder for the PNGs (default: they stay in <data dir>/review_cache)")
    show.add_argument("--scale", type=float, default=2.0, help="pixels per PDF point (default 2)")
    show.set_defaults(func=run_review, review_func=cmd_show)

    export = actions.add_parser("export", help="open and decided failures to CSV")
    _locations(export, top=False)
    export.add_argument("--out", required=True, help="CSV file to write")
    export.set_defaults(func=run_review, review_func=cmd_export)

    serve = actions.add_parser("serve", help="the review site over the published warehouse (http://127.0.0.1:8040/)")
    _locations(serve, top=False)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; any other requires a users file)")
    serve.add_argument("--port", type=int, default=8040, help="default 8040")
    serve.add_argument("--users", help="users file (default: <data dir>/reviews/users.txt when it exists)")
    serve.add_argument("--session-hours", type=float, default=8.0, help="a sign-in lasts this long (default 8)")
    serve.add_argument("--allowed-host", action="append",
                       help="Host header the site answers to (repeatable; default: the loopback names, or --host)")
    serve.add_argument("--secure-cookie", action="store_true", help="session cookie only over HTTPS (behind a TLS proxy)")
    serve.set_defaults(func=run_review, review_func=cmd_serve)

    adduser = actions.add_parser("adduser", help="add a reviewer of the site (or change a password)")
    _locations(adduser, top=False)
    adduser.add_argument("name", help="the reviewer's name, recorded on their decisions")
    adduser.add_argument("--users", help="users file (default: <data dir>/reviews/users.txt)")
    adduser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    adduser.set_defaults(func=run_review, review_func=cmd_adduser)


def run_review(args: argparse.Namespace) -> int:
    from expectations.review import ReviewError

    try:
        if args.review_func is not cmd_adduser and not getattr(args, "warehouse", None):
            raise ReviewError(f"review {args.review_command} needs --warehouse FILE (the published DuckDB file)")
        return args.review_func(args)
    except ReviewError as exc:
        print(f"error: {printable(exc)}", file=sys.stderr)
        return 2
