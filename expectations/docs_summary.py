"""A review summary at the top of the Data Docs index: what is open, in words, whatever GX says.

GX's index lists validation runs with GX's verdict; a night that validated no instance (nothing
changed) shows as "Succeeded 100 %" while failures of earlier nights are still open, and its
tables name instances by a 64-character id. This block, written into ``index.html`` after every
validation (between markers, replaced each time), says first whether anything is open, and lists
the open and decided failures with the document, the identity in Chinese, both sides with their
unit, the difference, the pages and the short id that `review show` / `review decide` take; the
review site (`python -m pipelines review serve`) shows the pages themselves.
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
        scope += ". GX's own page below says 'Succeeded' for this run because it checked nothing"
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


def write_review_summary(con: "duckdb.DuckDBPyConnection", data_docs_dir: Path, validated_now: int,
                         instances: int) -> Path | None:
    """Put the summary at the top of `<data_docs_dir>/index.html` (replacing the previous one)."""
    index = Path(data_docs_dir) / "index.html"
    if not index.is_file():
        return None
    block = summary_html(_failures(con), validated_now, instances)
    text = _BLOCK.sub("", index.read_text(encoding="utf-8"))
    match = _BODY.search(text)
    text = text[:match.end()] + "\n" + block + text[match.end():] if match else block + text
    index.write_text(text, encoding="utf-8")
    return index
