"""The one mechanism that turns a pdfplumber table (list of rows of cell texts) into cells.

A table family is described by a `TableSpec`; this module maps header text to canonical columns
(never by position), separates header rows from data rows, and reads every data row into
`Cell` records with provenance. Continuation pages without headers reuse the column map of the
page before.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.codes import function_class_code, is_code
from ingest.records import Cell
from ingest.tables.specs import CODED, NUMBERING_HEADERS, TableSpec
from ingest.text import looks_like_amount, normalise_label, parse_amount, squash

Row = list[str | None]
_HEADER_WORDS = {"类", "款", "项"}
_TOTAL_LABELS = {"合计": "total", "总计": "total"}
_PAREN = re.compile(r"[（(][^）)]*[）)]")


class TableLayoutError(Exception):
    """The table's header could not be mapped to the spec's columns."""


@dataclass
class ColumnMap:
    n_columns: int
    amount_columns: dict[int, str]
    ignored: set[int] = field(default_factory=set)
    side_of: dict[int, str] = field(default_factory=dict)  # two-sided tables only
    label_column: dict[str, int] = field(default_factory=dict)  # two-sided: side -> column


def _cell(row: Row, j: int) -> str:
    return squash(row[j]) if j < len(row) and row[j] is not None else ""


def is_data_row(row: Row, spec: TableSpec) -> bool:
    """A row is data when it carries an amount, a code, or (two-sided tables) a known line label."""
    texts = [squash(c) for c in row if c]
    if any(looks_like_amount(t) for t in texts):
        return True
    if spec.layout == CODED:
        # 合计 alone is not enough: it is also a column header (合计 | 基本支出 | 项目支出).
        return any(is_code(t) for t in texts)
    for side_aliases in spec.line_aliases.values():
        if any(normalise_label(t) in side_aliases for t in texts):
            return True
    return any(function_class_code(normalise_label(t)) for t in texts)


def split_header(rows: list[Row], spec: TableSpec) -> tuple[list[Row], list[Row]]:
    for i, row in enumerate(rows):
        if is_data_row(row, spec):
            return rows[:i], rows[i:]
    return rows, []


def _column_headers(header_rows: list[Row], n: int) -> list[str]:
    headers = []
    for j in range(n):
        tokens = [_cell(r, j) for r in header_rows]
        # Column numbering (栏次 1, 2, 3 ...) is not part of a column's name.
        headers.append("".join(t for t in tokens if t and not t.isdigit()))
    return headers


def _match_column(header: str, spec: TableSpec) -> str | None:
    best: tuple[int, str] | None = None
    for key, aliases in spec.columns.items():
        for alias in aliases:
            if header.endswith(alias) and (best is None or len(alias) > best[0]):
                best = (len(alias), key)
    return best[1] if best else None


def build_column_map(header_rows: list[Row], spec: TableSpec, n_columns: int) -> ColumnMap:
    headers = _column_headers(header_rows, n_columns)
    # A numbering column is headed by 行次/栏次 alone; a 栏次 label under a name column (the
    # row of column numbers) does not make that column a numbering column.
    ignored = {j for j, h in enumerate(headers) if h in NUMBERING_HEADERS}
    for word in NUMBERING_HEADERS:
        headers = [h.replace(word, "") for h in headers]
    cmap = ColumnMap(n_columns=n_columns, amount_columns={}, ignored=ignored)
    if spec.layout == CODED:
        for j, header in enumerate(headers):
            key = None if j in ignored else _match_column(header, spec)
            if key and key not in cmap.amount_columns.values():
                cmap.amount_columns[j] = key
        if not cmap.amount_columns:
            raise TableLayoutError(f"no amount column recognised in header {headers}")
        return cmap

    # Two-sided: the first header row names the sides (收入 | 支出).
    boundary = None
    for row in header_rows:
        for j in range(n_columns):
            if _cell(row, j) == "支出" and j > 0:
                boundary = j
                break
        if boundary is not None:
            break
    if boundary is None:
        raise TableLayoutError(f"two-sided table without a 收入/支出 header: {headers}")
    for j in range(n_columns):
        side = "income" if j < boundary else "expenditure"
        cmap.side_of[j] = side
        if j in ignored:
            continue
        if side not in cmap.label_column and "项目" in headers[j]:
            cmap.label_column[side] = j
            continue
        key = _match_column(headers[j], spec)
        if key:
            cmap.amount_columns[j] = key
    for side, first in (("income", 0), ("expenditure", boundary)):
        cmap.label_column.setdefault(side, first)
    if not cmap.amount_columns:
        raise TableLayoutError(f"no amount column recognised in header {headers}")
    return cmap


def _amount(raw: str) -> tuple[str, object]:
    try:
        return raw, parse_amount(raw)
    except ValueError:
        return raw, None


@dataclass
class _PendingRow:
    label: str
    code: str | None
    line_key: str | None
    side: str | None
    page: int
    amounts: dict[str, str]


def read_coded_rows(rows: list[Row], cmap: ColumnMap, page: int) -> list[_PendingRow]:
    out: list[_PendingRow] = []
    for row in rows:
        code_parts, text_parts = [], []
        for j in range(len(row)):
            if j in cmap.amount_columns or j in cmap.ignored:
                continue
            token = _cell(row, j)
            if not token or token in _HEADER_WORDS:
                continue
            (code_parts if token.isdigit() else text_parts).append(token)
        amounts = {key: _cell(row, j) for j, key in cmap.amount_columns.items()}
        has_amount = any(amounts.values())
        code = "".join(code_parts) if code_parts else None
        if code is not None and not is_code(code):
            text_parts.insert(0, code)  # digits that do not form a code belong to the label
            code = None
        label = "".join(text_parts)
        if code is None and not has_amount:
            if label and out and label not in _TOTAL_LABELS:
                out[-1].label += label  # a name wrapped onto its own grid row
            continue
        line_key = _TOTAL_LABELS.get(label) if code is None else None
        out.append(_PendingRow(label, code, line_key, None, page, amounts))
    return out


def _line_key(label: str, side: str, spec: TableSpec) -> tuple[str | None, str | None]:
    norm = normalise_label(label)
    aliases = spec.line_aliases.get(side, {})
    for candidate in (norm, _PAREN.sub("", norm)):
        if candidate in aliases:
            return aliases[candidate], None
    if side == "expenditure" and spec.class_lines:
        code = function_class_code(norm) or function_class_code(_PAREN.sub("", norm))
        if code:
            return "function_class", code
    return None, None


def read_two_sided_rows(rows: list[Row], cmap: ColumnMap, spec: TableSpec, page: int) -> list[_PendingRow]:
    out: list[_PendingRow] = []
    for row in rows:
        for side in ("income", "expenditure"):
            label = _cell(row, cmap.label_column[side])
            amounts = {
                key: _cell(row, j)
                for j, key in cmap.amount_columns.items()
                if cmap.side_of.get(j) == side
            }
            if not label and not any(amounts.values()):
                continue
            line_key, code = _line_key(label, side, spec)
            out.append(_PendingRow(label, code, line_key, side, page, amounts))
    return out


def rows_to_cells(pending: list[_PendingRow], spec: TableSpec, start_index: int) -> list[Cell]:
    cells: list[Cell] = []
    for offset, prow in enumerate(pending):
        for column_key, raw in prow.amounts.items():
            raw_text, amount = _amount(raw)
            cells.append(
                Cell(
                    table_key=spec.key,
                    page=prow.page,
                    row_index=start_index + offset,
                    row_label=prow.label,
                    code=prow.code,
                    line_key=prow.line_key,
                    side=prow.side,
                    column_key=column_key,
                    raw_text=raw_text,
                    amount=amount,
                )
            )
    return cells


def read_table_page(
    rows: list[Row], spec: TableSpec, page: int, previous: ColumnMap | None
) -> tuple[ColumnMap, list[_PendingRow]]:
    """Read one page's part of a table; returns the column map to reuse on the next page."""
    header, data = split_header(rows, spec)
    n_columns = max((len(r) for r in rows), default=0)
    if header:
        cmap = build_column_map(header, spec, n_columns)
    elif previous is not None and previous.n_columns == n_columns:
        cmap = previous
    else:
        raise TableLayoutError(f"page {page}: table without header and no matching page before it")
    if spec.layout == CODED:
        return cmap, read_coded_rows(data, cmap, page)
    return cmap, read_two_sided_rows(data, cmap, spec, page)
