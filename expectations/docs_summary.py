"""A review summary in the Data Docs: what is open, in words, at the top of the index and of the
run's own validation page.

GX decides each run's status itself: its failure tables name a failing row by the review id,
document, pages and both sides with their unit (the readable columns of the frame it validates,
`suites.READABLE_COLUMNS`), and a run that validated nothing while failures are open is GX's own
"Failed" (`suites.run_scope_expectation`). What GX cannot say is how many failures are open and
which of them a steward decided: the decisions live outside the warehouse's GX project, and an
expectation's description is fixed in the stored suite. So this block is written into GX's
generated ``index.html`` and into the run's validation page after every validation, between
markers (replaced each time, nothing else of GX's HTML is touched): whether anything is open
("nothing validated this run; N failures open" for a night that checked nothing), and the open
and decided failures with the document, the identity in Chinese, both sides with their unit, the
difference, the pages and the short id that `review show` / `review decide` take; the review site
(`python -m pipelines review serve`) shows the pages themselves.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from .review_report import short_id

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

START = "<!-- fiscal-warehouse: review summary -->"
END = "<!-- /fiscal-warehouse: review summary -->"
_BLOCK = re.compile(re.escape(START) + r".*?" + re.escape(END) + r"\s*", re.DOTALL)
_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
STATE_NAMES = {"new": "open", "reopened": "reopened", "decided": "decided"}


def _failures(con: "duckdb.DuckDBPyConnection") -> list[tuple]:
    return con.execute(
        """SELECT r.review_state, r.instance_id, d.department, d.fiscal_year, d.file_name,
                  r.description_zh, r.identity_id, r.lhs, r.relation, r.rhs, r.diff, r.tolerance,
                  coalesce(r.unit, '万元'), r.pages, r.decision, r.decided_by
           FROM quality.failure_reviews AS r LEFT JOIN raw.documents AS d USING (document_id)
           ORDER BY r.review_state = 'decided', d.department, d.fiscal_year, r.identity_id, r.instance_id"""
    ).fetchall()


def summary_html(rows: list[tuple], validated_now: int, instances: int) -> str:
    e = lambda v: html.escape("" if v is None else str(v))  # noqa: E731  every value comes from a PDF or a reviewer
    open_count = sum(1 for r in rows if r[0] != "decided")
    decided = len(rows) - open_count
    if open_count:
        colour, verdict = "#b71c1c", (f"NOT a clean result: {open_count} failures are open "
                                      f"({decided} decided by a steward)")
    else:
        colour, verdict = "#1b5e20", f"No open failure ({decided} decided by a steward)"
    scope = (f"this run validated {validated_now} of {instances} identity instances"
             + ("; the others keep the outcome of the night that validated them" if validated_now < instances else ""))
    if validated_now == 0:
        verdict = (f"Nothing validated this run; {open_count} failures open ({decided} decided by a steward)"
                   if open_count else f"Nothing validated this run; no failure open ({decided} decided by a steward)")
        if open_count:
            scope += ". GX marks this run Failed for that reason (its '[run]' expectation), not a clean result"
    lines = [START,
             f'<section style="margin:1em;padding:1em;border:3px solid {colour};background:#fff;font-family:sans-serif">',
             f'<h2 style="color:{colour};margin-top:0">{e(verdict)}</h2>',
             f"<p>{e(scope)}. Review them with <code>python -m pipelines review serve</code> "
             "(the page of the PDF with the cells outlined) or <code>review list</code>; "
             "<code>review show ID</code> renders the pages.</p>"]
    if rows:
        lines.append('<table style="border-collapse:collapse" border="1" cellpadding="4">'
                     "<tr><th>state</th><th>id</th><th>document</th><th>identity</th><th>left side</th>"
                     "<th>relation</th><th>right side</th><th>difference</th><th>tolerance</th><th>pages</th>"
                     "<th>decision</th></tr>")
        for (state, instance_id, department, year, file_name, description, identity, lhs, relation, rhs, diff,
             tolerance, unit, pages, decision, decided_by) in rows:
            lines.append(
                f"<tr><td>{e(STATE_NAMES.get(state, state))}</td><td><code>{e(short_id(instance_id))}</code></td>"
                f"<td>{e(department)} {e(year)}<br><small>{e(file_name)}</small></td>"
                f"<td>{e(description)}<br><small>{e(identity)}</small></td>"
                f"<td>{e(lhs)} {e(unit)}</td><td>{e(relation or '=')}</td><td>{e(rhs)} {e(unit)}</td>"
                f"<td>{e(diff)}</td><td>{e(tolerance)}</td><td>{e(pages)}</td>"
                f"<td>{e(decision or '')}{' by ' + e(decided_by) if decided_by else ''}</td></tr>")
        lines.append("</table>")
    lines += ["</section>", END]
    return "\n".join(lines) + "\n"


def run_pages(data_docs_dir: Path, run_id: str) -> list[Path]:
    """GX's validation page(s) of `run_id`: validations/<suite>/<run name>/<run time>/<batch>.html."""
    validations = Path(data_docs_dir) / "validations"
    if not validations.is_dir():
        return []
    return sorted(page for suite in validations.iterdir() if (suite / run_id).is_dir()
                  for page in (suite / run_id).rglob("*.html"))


def _insert(page: Path, block: str) -> None:
    text = _BLOCK.sub("", page.read_text(encoding="utf-8"))
    match = _BODY.search(text)
    text = text[:match.end()] + "\n" + block + text[match.end():] if match else block + text
    page.write_text(text, encoding="utf-8")


def write_review_summary(con: "duckdb.DuckDBPyConnection", data_docs_dir: Path, validated_now: int,
                         instances: int, run_id: str | None = None) -> Path | None:
    """Put the summary at the top of `<data_docs_dir>/index.html` and of the run's own validation
    page(s) (replacing the previous one); returns the index."""
    index = Path(data_docs_dir) / "index.html"
    if not index.is_file():
        return None
    block = summary_html(_failures(con), validated_now, instances)
    for page in [index, *(run_pages(data_docs_dir, run_id) if run_id else [])]:
        _insert(page, block)
    return index
