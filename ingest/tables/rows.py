"""Data rows of a table grid -> pending rows (label, code or line key, amount texts by column key).

Coded tables (T2, T3, T5, T6, T7, T8, T9) are read segment by segment: the whole row, or each
block of a table printed as blocks side by side (T6). Two-sided tables (T1, T4) are read side
by side. `ReadState` carries what a row needs from the rows before it, across pages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.codes import economic_group, function_class_code, is_code
from ingest.tables.header import ColumnMap, Row, cell, is_total_label, label_key
from ingest.tables.specs import TableSpec
from ingest.text import looks_like_amount

_HEADER_WORDS = {"类", "款", "项"}
_REMARK = re.compile(r"\([^)]*\)")  # 一般公共服务支出(类): a parenthesised remark after a name


@dataclass
class PendingRow:
    label: str
    code: str | None
    line_key: str | None
    side: str | None
    page: int
    amounts: dict[str, str]  # column_key -> text as printed


@dataclass
class ReadState:
    """What reading a row needs from the rows before it (also across pages)."""

    parent: dict[str, str | None] = field(default_factory=dict)  # two-sided: side -> line with sub-lines
    last: dict[int, PendingRow] = field(default_factory=dict)  # coded: block -> last coded row
    totals: list[tuple[int, str, str]] = field(default_factory=list)  # labels waiting for amounts


# ------------------------------------------------------------------ coded tables

def _segments(cmap: ColumnMap, n: int) -> list[range]:
    return cmap.blocks or [range(n)]


def _read_segment(row: Row, cols: range, cmap: ColumnMap) -> tuple[str | None, str, dict[int, str]]:
    code_parts, text_parts = [], []
    for j in cols:
        if j in cmap.amount_columns or j in cmap.ignored:
            continue
        token = cell(row, j)
        if not token or token in _HEADER_WORDS:
            continue
        (code_parts if token.isdigit() else text_parts).append(token)
    code = "".join(code_parts) if code_parts else None
    if code is not None and not is_code(code):
        text_parts.insert(0, code)  # digits that do not form a code belong to the label
        code = None
    amounts = {j: cell(row, j) for j in cols if j in cmap.amount_columns}
    return code, "".join(text_parts), amounts


def _split_rows(label: str, code: str | None, line_key: str | None, amounts: dict[int, str],
                cmap: ColumnMap, spec: TableSpec, page: int) -> list[PendingRow]:
    """One printed row -> one pending row, or one per row split (T7: 预算数 | 决算数)."""
    if not cmap.split_of:
        return [PendingRow(label, code, line_key, None, page,
                           {cmap.amount_columns[j]: t for j, t in amounts.items()})]
    out = []
    for split, words in spec.row_splits.items():
        part = {cmap.amount_columns[j]: t for j, t in amounts.items() if cmap.split_of.get(j) == split}
        if part:
            out.append(PendingRow(label or words[0], code, split, None, page, part))
    return out


def _block_totals(row: Row, cmap: ColumnMap, spec: TableSpec) -> list[tuple[int, str, str]]:
    """Total labels of a blocks table (人员经费合计 | 公用经费合计): (column, label, line_key)."""
    found = []
    for j in range(len(row)):
        if j not in cmap.amount_columns and is_total_label(cell(row, j), spec):
            found.append((j, cell(row, j), spec.total_lines[label_key(cell(row, j))]))
    return found


def _claim_totals(labels: list[tuple[int, str, str]], row: Row, cmap: ColumnMap, page: int) -> list[PendingRow]:
    """Each total label takes the amount printed in the amount columns before the next label:
    公用经费合计 printed under block 2 sums blocks 2 and 3, its amount stands in block 3's column;
    人员经费合计 printed under block 1 has its amount in block 1's column (西安), the last
    column with text wins, the last column when all are blank."""
    out = []
    amount_cols = sorted(cmap.amount_columns)
    for i, (j, label, key) in enumerate(labels):
        end = labels[i + 1][0] if i + 1 < len(labels) else cmap.n_columns
        cols = [a for a in amount_cols if j <= a < end]
        if cols:
            printed = [a for a in cols if cell(row, a)]
            col = printed[-1] if printed else cols[-1]
            out.append(PendingRow(label, None, key, None, page, {cmap.amount_columns[col]: cell(row, col)}))
    return out


def read_coded_rows(rows: list[Row], cmap: ColumnMap, spec: TableSpec, page: int, state: ReadState) -> list[PendingRow]:
    out: list[PendingRow] = []
    for row in rows:
        if spec.blocks:
            labels = _block_totals(row, cmap, spec)
            amounts_only = not labels and all(
                looks_like_amount(cell(row, j)) or not cell(row, j) for j in range(len(row)))
            if state.totals and amounts_only and any(cell(row, j) for j in range(len(row))):
                out += _claim_totals(state.totals, row, cmap, page)  # footer split over two rows
                state.totals = []
                continue
            if state.totals:
                out += _claim_totals(state.totals, [], cmap, page)
                state.totals = []
            if labels:
                if any(cell(row, j) for j in cmap.amount_columns):
                    out += _claim_totals(labels, row, cmap, page)
                else:
                    state.totals = labels
                continue
        for b, cols in enumerate(_segments(cmap, len(row))):
            code, label, amounts = _read_segment(row, cols, cmap)
            has_amount = any(amounts.values())
            if code is None and not has_amount:
                last = state.last.get(b)
                if label and last is not None and not is_total_label(label, spec):
                    last.label += label  # a name wrapped onto its own grid row
                continue
            if code is None:
                line_key = spec.total_lines.get(label_key(label)) or spec.row_lines.get(label_key(label))
            elif spec.blocks:
                line_key = cmap.block_group.get(b) or economic_group(code)
            else:
                line_key = None
            pending = _split_rows(label, code, line_key, amounts, cmap, spec, page)
            out += pending
            if pending:
                state.last[b] = pending[-1]
    return out


def flush(cmap: ColumnMap, page: int, state: ReadState) -> list[PendingRow]:
    """Total labels still waiting for their amounts at the end of a page: printed blank."""
    if not state.totals:
        return []
    rows = _claim_totals(state.totals, [], cmap, page)
    state.totals = []
    return rows


# ------------------------------------------------------------------ two-sided tables

def _line_key(label: str, side: str, spec: TableSpec, state: ReadState) -> tuple[str | None, str | None]:
    norm = label_key(label)
    parent = state.parent.get(side)
    if parent and norm in spec.sub_lines.get(parent, {}):
        return spec.sub_lines[parent][norm], None
    aliases = spec.line_aliases.get(side, {})
    for candidate in (norm, _REMARK.sub("", norm)):
        if candidate in aliases:
            key = aliases[candidate]
            state.parent[side] = key if key in spec.sub_lines else None
            return key, None
    state.parent[side] = None
    if side == "expenditure" and spec.class_lines:
        code = function_class_code(norm) or function_class_code(_REMARK.sub("", norm))
        if code:
            return "function_class", code
    return None, None


def read_two_sided_rows(rows: list[Row], cmap: ColumnMap, spec: TableSpec, page: int,
                        state: ReadState) -> list[PendingRow]:
    out: list[PendingRow] = []
    for row in rows:
        for side in ("income", "expenditure"):
            label = cell(row, cmap.label_column[side])
            amounts = {
                key: cell(row, j)
                for j, key in cmap.amount_columns.items()
                if cmap.side_of.get(j) == side
            }
            if not label and not any(amounts.values()):
                continue
            line_key, code = _line_key(label, side, spec, state)
            out.append(PendingRow(label, code, line_key, side, page, amounts))
    return out
