"""Header rows of a table grid -> column map (which column holds which canonical amount).

pdfplumber gives a merged header cell's text in its first grid position and None in the
positions it covers, whether it spans columns (预算数 over six items) or rows (合计 over two
header rows). `_cell_ids` tells the two apart, so every column gets the full path of header
texts above it (`预算数 / 公务用车购置及运行费 / 小计`); columns are then matched to canonical keys
by aliases (never by position).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ingest.codes import function_class_code, is_code
from ingest.records import CellText
from ingest.tables.specs import CODED, LABEL_HEADERS, NUMBERING_HEADERS, TableSpec
from ingest.text import looks_like_amount, normalise_label, squash

Row = list[str | None]
_HEADER_ONLY = {"项目", "行次", "栏次", "决算数", "金额"}
_PARENS = str.maketrans({"（": "(", "）": ")"})


class TableLayoutError(Exception):
    """The table's header could not be mapped to the spec's columns."""


def canon(text: str | None) -> str:
    """Text for comparisons: no whitespace (letter-spaced `因 公 出 国`), ASCII parentheses."""
    return squash(text).translate(_PARENS)


def label_key(text: str | None) -> str:
    """A row label for alias lookup: canon() without the leading enumeration (一、 （三）)."""
    return normalise_label(text).translate(_PARENS)


def cell(row: Row, j: int) -> str:
    """The text of a grid position, squashed; a CellText keeps its rectangle."""
    if j >= len(row) or row[j] is None:
        return ""
    value = row[j]
    bbox = getattr(value, "bbox", None)
    return CellText(squash(value), bbox) if bbox is not None else squash(value)


def has_text(row: Row) -> bool:
    return any(squash(c) for c in row if c)


@dataclass
class ColumnMap:
    n_columns: int
    amount_columns: dict[int, str]
    ignored: set[int] = field(default_factory=set)
    side_of: dict[int, str] = field(default_factory=dict)  # two-sided: column -> side
    label_column: dict[str, int] = field(default_factory=dict)  # two-sided: side -> column
    split_of: dict[int, str] = field(default_factory=dict)  # row_splits: column -> line_key
    blocks: list[range] = field(default_factory=list)  # blocks: column ranges, left to right
    block_group: dict[int, str] = field(default_factory=dict)  # blocks: block -> line_key
    state: Any = None  # rows.ReadState of the table, handed on with the map to the next page


def is_total_label(text: str, spec: TableSpec) -> bool:
    return label_key(text) in spec.total_lines


def is_data_row(row: Row, spec: TableSpec) -> bool:
    """A row is data when it carries an amount, a code, or (two-sided tables) a known line label."""
    texts = [squash(c) for c in row if c]
    if any(looks_like_amount(t) for t in texts):
        return True
    if spec.layout == CODED:
        # 合计 alone is not enough: it is also a column header (合计 | 基本支出 | 项目支出).
        return any(is_code(t) for t in texts)
    if any(t in _HEADER_ONLY for t in texts):
        return False  # 项目 | 决算数 | 项目 | 合计 | 一般公共预算财政拨款 ... names columns, not lines
    for side_aliases in spec.line_aliases.values():
        if any(label_key(t) in side_aliases for t in texts):
            return True
    return any(function_class_code(normalise_label(t)) for t in texts)


def split_header(rows: list[Row], spec: TableSpec) -> tuple[list[Row], list[Row]]:
    """Header rows (blank rows and a 合计 row without amounts dropped) and data rows."""
    for i, row in enumerate(rows):
        if is_data_row(row, spec):
            head, data = rows[:i], rows[i:]
            break
    else:
        head, data = rows, []
    head = [r for r in head if has_text(r) and not all(is_total_label(c, spec) for c in r if squash(c))]
    return head, data


def _cell_ids(rows: list[Row], n: int) -> list[list[tuple[int, int]]]:
    """For every grid position, the (row, column) where the cell covering it starts.

    A None at (r, c) continues the cell on its left when columns c-1 and c share every cell
    above row r (a horizontal span cannot cross a boundary of the row above); otherwise it
    continues the cell above (a vertical span).
    """
    ids: list[list[tuple[int, int]]] = []
    for r, row in enumerate(rows):
        line: list[tuple[int, int]] = []
        for c in range(n):
            if c < len(row) and row[c] is not None:
                line.append((r, c))
            elif c > 0 and all(ids[q][c] == ids[q][c - 1] for q in range(r)):
                line.append(line[c - 1])
            elif r > 0:
                line.append(ids[r - 1][c])
            else:
                line.append((r, c))
        ids.append(line)
    return ids


@dataclass
class HeaderColumn:
    text: str  # all header texts above the column, joined, numbering words and digits removed
    groups: list[str]  # texts of header cells spanning this and other columns
    numbering: bool  # headed by 行次/栏次 alone


def header_columns(rows: list[Row], n: int) -> list[HeaderColumn]:
    ids = _cell_ids(rows, n)
    out = []
    for c in range(n):
        seen: list[tuple[int, int]] = []
        for r in range(len(rows)):
            if ids[r][c] not in seen:
                seen.append(ids[r][c])
        tokens = []
        for r, j in seen:
            text = canon(rows[r][j]) if j < len(rows[r]) else ""
            if text and not text.isdigit():  # column numbering (栏次 1, 2, 3 ...) is not a name
                tokens.append((text, sum(1 for x in ids[r] if x == (r, j)) > 1))
        leaves = [t for t, wide in tokens if not wide]
        text = "".join(t for t, _ in tokens)
        for word in NUMBERING_HEADERS:
            text = text.replace(word, "")
        out.append(HeaderColumn(
            text=text,
            groups=[t for t, wide in tokens if wide],
            numbering=bool(leaves) and all(t in NUMBERING_HEADERS for t in leaves),
        ))
    return out


def match_column(header: str, spec: TableSpec) -> str | None:
    best: tuple[int, str] | None = None
    for key, aliases in spec.columns.items():
        for alias in aliases:
            alias = canon(alias)
            if header.endswith(alias) and (best is None or len(alias) > best[0]):
                best = (len(alias), key)
    return best[1] if best else None


def _split(header: str, spec: TableSpec) -> tuple[str | None, str]:
    for line_key, words in spec.row_splits.items():
        for word in words:
            if word in header:
                return line_key, header.replace(word, "")
    return None, header


def build_column_map(header_rows: list[Row], spec: TableSpec, n_columns: int) -> ColumnMap:
    columns = header_columns(header_rows, n_columns)
    ignored = {j for j, col in enumerate(columns) if col.numbering}
    cmap = ColumnMap(n_columns=n_columns, amount_columns={}, ignored=ignored)
    if spec.layout == CODED:
        _map_coded(columns, spec, cmap)
    else:
        _map_two_sided(header_rows, columns, spec, cmap)
    if not cmap.amount_columns:
        raise TableLayoutError(f"no amount column recognised in header {[c.text for c in columns]}")
    return cmap


def _map_coded(columns: list[HeaderColumn], spec: TableSpec, cmap: ColumnMap) -> None:
    taken: set[tuple[str | None, str]] = set()
    for j, col in enumerate(columns):
        if j in cmap.ignored or any(word in col.text for word in LABEL_HEADERS):
            continue
        split, header = _split(col.text, spec)
        key = match_column(header, spec)
        if key is None or (not spec.blocks and (split, key) in taken):
            continue
        taken.add((split, key))
        cmap.amount_columns[j] = key
        if split:
            cmap.split_of[j] = split
    if spec.blocks and cmap.amount_columns:
        start = 0
        for b, end in enumerate(sorted(cmap.amount_columns)):
            cmap.blocks.append(range(start, end + 1))
            for j in range(start, end + 1):
                group = next((spec.block_groups[g] for g in columns[j].groups if g in spec.block_groups), None)
                if group:
                    cmap.block_group[b] = group
            start = end + 1


def _map_two_sided(header_rows: list[Row], columns: list[HeaderColumn], spec: TableSpec, cmap: ColumnMap) -> None:
    # The first header row names the sides (收入 | 支出).
    boundary = None
    for row in header_rows:
        boundary = next((j for j in range(1, cmap.n_columns) if cell(row, j) == "支出"), None)
        if boundary is not None:
            break
    if boundary is None:
        raise TableLayoutError(f"two-sided table without a 收入/支出 header: {[c.text for c in columns]}")
    for j, col in enumerate(columns):
        side = "income" if j < boundary else "expenditure"
        cmap.side_of[j] = side
        if j in cmap.ignored:
            continue
        if side not in cmap.label_column and "项目" in col.text:
            cmap.label_column[side] = j
            continue
        key = match_column(col.text, spec)
        if key:
            cmap.amount_columns[j] = key
    for side, first in (("income", 0), ("expenditure", boundary)):
        cmap.label_column.setdefault(side, first)


def unstick_header(header_rows: list[Row], data_rows: list[Row], spec: TableSpec) -> tuple[list[Row], list[Row]]:
    """Move sub-headers printed on the first data row (合计 | 基本支出 | 项目支出 under 本年支出,
    on the same line as the 合计 row) into the header.

    The signal: adjacent columns with the same header text (a group header whose own
    sub-headers are missing) and non-amount, non-code texts in those columns of the first row.
    """
    if spec.layout != CODED or not header_rows or not data_rows:
        return header_rows, data_rows
    n = max(len(r) for r in header_rows + data_rows[:1])
    texts = [c.text for c in header_columns(header_rows, n)]
    first = data_rows[0]
    stuck = [
        j for j in range(n)
        if texts[j] and ((j > 0 and texts[j - 1] == texts[j]) or (j + 1 < n and texts[j + 1] == texts[j]))
        and cell(first, j) and not looks_like_amount(cell(first, j)) and not is_code(cell(first, j))
    ]
    if not stuck:
        return header_rows, data_rows
    extra: Row = [cell(first, j) if j in stuck else "" for j in range(n)]
    rest: Row = ["" if j in stuck else (first[j] if j < len(first) else None) for j in range(n)]
    return header_rows + [extra], [rest] + data_rows[1:]
