"""The parse-coverage invariant: every amount printed on a table's pages is the value of a parsed cell.

The table parser can misread a page in ways no identity notices on its own (a row it did not
place, a name and an amount merged in one cell, a column it did not map). So, independently of
the table parser, every amount-like token of the page's text layer (PDFium's, the same text the
titles are read from) is counted, and the tokens the parsed cells consumed are taken away
(multiset difference). What is left is unaccounted: the table is `partial`, with the tokens and
where they are printed, and every identity that reads it is `not evaluated` instead of failed.

What is not an amount here: integers without a thousands separator (行次/栏次 numbers,
classification codes, page numbers, years), percentages. Amounts are printed with decimals or
with thousands separators in every table family we read.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from ingest.records import Cell, ReportTable
from ingest.text import squash

_TOKEN = re.compile(r"(?<![\d.,，])-?(?:\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d+\.\d{1,2})(?![\d%％.,，])")
MAX_LISTED = 12  # unaccounted tokens listed in a table's note (all are counted)


def token_key(raw: str) -> str:
    """A printed amount made comparable: no whitespace, ASCII comma, no sign or parentheses."""
    text = squash(raw).replace("，", ",")
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    return text.lstrip("-")


def amount_tokens(text: str) -> list[str]:
    """The amount-like tokens of a page text, as printed."""
    return [m.group(0) for m in _TOKEN.finditer(text or "")]


def _cell_tokens(cells: Iterable[Cell]) -> Counter:
    """The amount tokens the parsed cells consumed (a cell text may hold several: a merged cell)."""
    consumed: Counter = Counter()
    for c in cells:
        if c.amount is not None:
            consumed[token_key(c.raw_text)] += 1
        else:  # a label or a merged cell holding an amount is still text the parser read
            continue
    return consumed


def measure(
    tables: list[ReportTable],
    cells: list[Cell],
    page_texts: list[str],
    repeated: dict[int, list[str]] | None = None,
    locate: Callable[[int, str], tuple[float, float] | None] | None = None,
) -> None:
    """Set each parsed table's coverage (amount_tokens, amounts_read, unaccounted) and mark a
    table with unaccounted amounts `partial`.

    Pages are shared: two tables printed on one page consume that page's tokens together.
    `repeated` holds, per page, the amount texts of rows the parser read and deliberately set
    aside (a 合计 row repeated on a continuation page, identical to the first): read, not lost.
    `locate(page, token)` gives where a token is printed (x0, top), for the note.
    """
    repeated = repeated or {}
    by_page: dict[int, list[ReportTable]] = {}
    for t in tables:
        if t.table_key == "unknown" or t.status not in ("parsed", "empty"):
            continue
        for page in range(t.first_page, t.last_page + 1):
            by_page.setdefault(page, []).append(t)
    cells_by_page: dict[int, list[Cell]] = {}
    for c in cells:
        cells_by_page.setdefault(c.page, []).append(c)
    totals: dict[int, list[int]] = {id(t): [0, 0] for ts in by_page.values() for t in ts}
    missing: dict[int, list[str]] = {id(t): [] for ts in by_page.values() for t in ts}
    for page, page_tables in sorted(by_page.items()):
        keys = {t.table_key for t in page_tables}
        printed = Counter(token_key(tok) for tok in amount_tokens(page_texts[page - 1]))
        consumed = _cell_tokens(c for c in cells_by_page.get(page, []) if c.table_key in keys)
        consumed.update(token_key(raw) for raw in repeated.get(page, []))
        left = printed - consumed
        read = sum((printed & consumed).values())
        for t in page_tables:
            totals[id(t)][0] += sum(printed.values())
            totals[id(t)][1] += read
            for token, n in sorted(left.items()):
                where = locate(page, token) if locate else None
                at = f" at x={where[0]:.0f} y={where[1]:.0f}" if where else ""
                missing[id(t)].extend([f"p{page} {token}{at}"] * n)
    for ts in by_page.values():
        for t in ts:
            if t.amount_tokens is not None:
                continue  # a table spanning several pages: set once
            t.amount_tokens, t.amounts_read = totals[id(t)]
            lost = missing[id(t)]
            if lost:
                t.unaccounted = "; ".join(lost[:MAX_LISTED]) + (f"; ... ({len(lost)} in all)" if len(lost) > MAX_LISTED else "")
                if t.status == "parsed" or t.status == "empty":
                    t.note = (f"parser could not read this table fully: {len(lost)} amount"
                              f"{'s' if len(lost) > 1 else ''} printed on its pages not read "
                              f"({t.unaccounted})") + (f"; {t.note}" if t.note else "")
                    t.status = "partial"
