"""The one mechanism that turns a pdfplumber table (list of rows of cell texts) into cells.

A table family is described by a `TableSpec`; header.py maps header text to canonical columns
(never by position), rows.py reads the data rows, and this module strings the pages of a table
together: continuation pages without headers reuse the column map of the page before, a blank
grid page inside a table is skipped, and every data row becomes `Cell` records with provenance.
"""
from __future__ import annotations

from ingest.records import Cell
from ingest.tables.header import (
    ColumnMap,
    Row,
    TableLayoutError,
    build_column_map,
    has_text,
    split_header,
    unstick_header,
)
from ingest.tables.rows import PendingRow, ReadState, flush, read_coded_rows, read_two_sided_rows
from ingest.tables.specs import CODED, TableSpec
from ingest.text import parse_amount

__all__ = ["ColumnMap", "TableLayoutError", "read_table_page", "rows_to_cells"]


def _amount(raw: str) -> tuple[str, object]:
    try:
        return raw, parse_amount(raw)
    except ValueError:
        return raw, None


def _rounded(bbox) -> tuple[float, float, float, float] | None:
    return None if bbox is None else tuple(round(float(v), 2) for v in bbox)


def rows_to_cells(pending: list[PendingRow], spec: TableSpec, start_index: int) -> list[Cell]:
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
                    raw_text=str(raw_text),
                    amount=amount,
                    bbox=_rounded(getattr(raw, "bbox", None)),
                )
            )
    return cells


def read_table_page(
    rows: list[Row], spec: TableSpec, page: int, previous: ColumnMap | None
) -> tuple[ColumnMap, list[PendingRow]]:
    """Read one page's part of a table; returns the column map to reuse on the next page.

    The reading state (open sub-lines, last row for wrapped names) travels with the column map
    so that the caller only has to hand back what it got.
    """
    if previous is not None and not any(has_text(r) for r in rows):
        return previous, []  # a blank grid page inside the table
    header, data = split_header(rows, spec)
    header, data = unstick_header(header, data, spec)
    n_columns = max((len(r) for r in rows), default=0)
    if header:
        cmap = build_column_map(header, spec, n_columns)
        cmap.state = previous.state if previous is not None else ReadState()
    elif previous is not None and previous.n_columns == n_columns:
        cmap = previous
    else:
        raise TableLayoutError(f"page {page}: table without header and no matching page before it")
    if cmap.state is None:
        cmap.state = ReadState()
    if spec.layout == CODED:
        pending = read_coded_rows(data, cmap, spec, page, cmap.state)
        return cmap, pending + flush(cmap, page, cmap.state)
    return cmap, read_two_sided_rows(data, cmap, spec, page, cmap.state)
