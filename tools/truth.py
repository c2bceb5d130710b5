"""`make truth`: the pipeline over every real PDF of ../shared/corpus, and what it made of each.

Per document: the tables its own 目录 lists against the tables found (with pages), the parse
coverage of every table (amounts printed on its pages / read into cells, and the ones left
unaccounted), every failed identity (a document defect, if the parser is right) and every
identity not evaluated because of a parser problem, apart. Also written as JSON
(var/truth/truth.json). Not part of `make test`: the tests assert exact values; this is the
report a developer reads before and after a parser change.

    python -m tools.truth [--corpus ../shared/corpus] [--folders final budget] [--out var/truth]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent

# not-evaluated reasons that are parser problems (the others: the document has nothing to check)
_PARSER_WORDS = ("read only in part", "unreadable", "not located by the parser", "not parsed",
                 "parser may have missed", "no cells were loaded", "layout not recognised",
                 "not resolved to a function code", "not found", "no row of")


def _landing(corpus: Path, folders: list[str], work: Path) -> Path:
    landing = work / "landing"
    if landing.exists():
        shutil.rmtree(landing)
    for folder in folders:
        target = landing / folder
        target.mkdir(parents=True)
        for pdf in sorted((corpus / folder).glob("*.pdf")):
            shutil.copy(pdf, target / pdf.name)
    return landing


def _report(warehouse: Path) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        docs = con.execute(
            """select document_id, file_name, status, quarantine_reason, department, fiscal_year,
                      report_kind, page_count, toc_tables
               from raw.documents order by file_name""").fetchall()
        out = []
        for (document_id, file_name, status, reason, department, year, kind, pages, toc) in docs:
            tables = con.execute(
                """select table_key, title, first_page, last_page, status, amount_tokens,
                          amounts_read, unaccounted, note
                   from raw.report_tables where document_id = ? order by first_page, table_key""",
                [document_id]).fetchall()
            results = con.execute(
                """select identity_id, subject, status, lhs, rhs, diff, pages, not_evaluated_reason, cells
                   from quality.expectation_results where document_id = ? and status <> 'passed'
                   order by identity_id, subject""", [document_id]).fetchall()
            found = {t[0]: f"p{t[2]}" + (f"-{t[3]}" if t[3] != t[2] else "") for t in tables if t[0] != "unknown"}
            listed = toc.split(",") if toc else []
            out.append({
                "file": file_name, "status": status, "quarantine_reason": reason,
                "department": department, "fiscal_year": year, "kind": kind, "pages": pages,
                "toc_tables": listed,
                "tables_found": found,
                "toc_tables_not_found": [k for k in listed if k not in found],
                "coverage": [
                    {"table": t[0], "title": t[1], "pages": f"{t[2]}-{t[3]}", "status": t[4],
                     "amount_tokens": t[5], "amounts_read": t[6], "unaccounted": t[7]}
                    for t in tables],
                "failures": [
                    {"identity": r[0], "subject": r[1], "lhs": str(r[3]), "rhs": str(r[4]), "diff": str(r[5]),
                     "pages": r[6], "cells": r[8]}
                    for r in results if r[2] == "failed"],
                "parser_problems": [
                    {"identity": r[0], "subject": r[1], "reason": r[7]}
                    for r in results if r[2] == "not_evaluated" and any(w in (r[7] or "") for w in _PARSER_WORDS)],
                "not_evaluated_other": [
                    {"identity": r[0], "subject": r[1], "reason": r[7]}
                    for r in results if r[2] == "not_evaluated" and not any(w in (r[7] or "") for w in _PARSER_WORDS)],
            })
        return out
    finally:
        con.close()


def _print(report: list[dict]) -> None:
    for doc in report:
        print(f"\n== {doc['file']}  [{doc['status']}] {doc['department']} {doc['fiscal_year']} "
              f"({doc['pages']} pages)")
        if doc["status"] != "loaded":
            print(f"   quarantined: {doc['quarantine_reason']}")
            continue
        listed = doc["toc_tables"]
        print(f"   目录 lists {len(listed)} tables; found {len(doc['tables_found'])}; "
              f"listed but not found: {doc['toc_tables_not_found'] or 'none'}")
        for t in doc["coverage"]:
            cov = "" if t["amount_tokens"] is None else f"{t['amounts_read']}/{t['amount_tokens']} amounts read"
            print(f"   {t['table']:32} p{t['pages']:9} {t['status']:13} {cov}"
                  + (f"  UNACCOUNTED {t['unaccounted']}" if t["unaccounted"] else ""))
        for f in doc["failures"]:
            print(f"   FAILED  {f['identity']} {f['subject']}: {f['lhs']} vs {f['rhs']} (diff {f['diff']}) "
                  f"pages {f['pages']}")
        for p in doc["parser_problems"]:
            print(f"   PARSER  {p['identity']} {p['subject'] or ''}: {p['reason'][:160]}")
        print(f"   {len(doc['failures'])} failed, {len(doc['parser_problems'])} parser problems, "
              f"{len(doc['not_evaluated_other'])} not evaluated (nothing to check)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make truth", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--folders", nargs="+", default=["final"])
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "truth")
    args = parser.parse_args(argv)
    if not (args.corpus / args.folders[0]).is_dir():
        print(f"truth: no corpus at {args.corpus} (expected the folders {', '.join(args.folders)})", file=sys.stderr)
        return 2
    from pipelines.cli import main as cli

    args.out.mkdir(parents=True, exist_ok=True)
    landing = _landing(args.corpus, args.folders, args.out)
    warehouse = args.out / "warehouse.duckdb"
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        code = cli(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "ERROR"])
    if code != 0:
        print(quiet.getvalue()[-3000:])
        print(f"truth: the pipeline run failed (exit {code})", file=sys.stderr)
        return 1
    report = _report(warehouse)
    (args.out / "truth.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    _print(report)
    loaded = [d for d in report if d["status"] == "loaded"]
    print(f"\n{len(report)} documents, {len(loaded)} loaded; "
          f"{sum(len(d['failures']) for d in loaded)} failures, "
          f"{sum(len(d['parser_problems']) for d in loaded)} parser problems, "
          f"{sum(1 for d in loaded for t in d['coverage'] if t['unaccounted'])} tables under 100 % coverage, "
          f"{sum(len(d['toc_tables_not_found']) for d in loaded)} listed tables not found; "
          f"JSON: {args.out / 'truth.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
