"""What every demo table is made of: the document's print layout, a built table, amount cells
(printed text and truth from the same string) and the function-code block of a table keyed by
功能分类科目编码 (one column 2010601, or three: 201 | 06 | 01).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from demo import catalog
from demo.layout import PORTRAIT, Cell, Grid, HCell
from demo.numbers import money


@dataclass(frozen=True)
class Layout:
    """How one document prints its tables (chosen per document, recorded in the truth)."""
    code: str = "single"          # single: 2010601 | split: 201 | 06 | 01
    style: str = "shanghai"       # shanghai: no labels; hunan: 公开NN表, 行次/栏次
    thousands: bool = False       # 2,946.25 vs 2946.25
    zeros: bool = False           # T6 prints 0.00 instead of a blank for zero amounts
    t5_total: str = "top"         # where T5 puts its 合计 row (hunan documents vary)

    def as_dict(self) -> dict:
        return {"code": self.code, "style": self.style, "thousands": self.thousands,
                "zeros": self.zeros, "t5_total": self.t5_total}


@dataclass
class TableOut:
    key: str
    title: str
    grid: Grid
    rows: list[dict]
    notes: list[str]
    label: str | None = None
    orientation: tuple = PORTRAIT
    status: str = "parsed"
    empty_note: str | None = None
    pages: tuple[int, int] = (0, 0)


def fmt(fen: int, lay: Layout, zero: str = "") -> str:
    if fen == 0:
        return zero
    v = money(fen)
    return f"{v:,.2f}" if lay.thousands else f"{v:.2f}"


def truth(text: str) -> str | None:
    """Truth value of a printed amount cell: null when blank, else the plain 2-place number."""
    if not text:
        return None
    return str(Decimal(text.replace(",", "")).quantize(Decimal("0.01")))


def amount(fen: int, lay: Layout, zero: str = "") -> tuple[Cell, str | None]:
    text = fmt(fen, lay, zero)
    return Cell(text, align="r"), truth(text)


def code_width(lay: Layout) -> list[float]:
    return [52.0] if lay.code == "single" else [24.0, 22.0, 22.0]


def code_cells(code: str | None, lay: Layout) -> list[Cell]:
    if lay.code == "single":
        return [Cell(code or "")]
    if not code:
        return [Cell(), Cell(), Cell()]
    return [Cell(code[:3], align="c"), Cell(code[3:5], align="c"), Cell(code[5:7], align="c")]


def code_table_header(lay: Layout, values: list, first: str = "项目") -> tuple[list[HCell], int]:
    """Header of a table keyed by function code: code block, then value leaves or groups.

    values: list of leaf texts or (group text, [leaf texts]). Returns (cells, header rows).
    """
    h = 3 if lay.code == "split" else 2
    cells: list[HCell] = []
    if lay.code == "single":
        cells += [HCell(0, 0, first, colspan=2), HCell(1, 0, "功能分类科目编码", rowspan=h - 1),
                  HCell(1, 1, "科目名称", rowspan=h - 1)]
        col = 2
    else:
        cells += [HCell(0, 0, first, colspan=4), HCell(1, 0, "支出功能分类科目编码", colspan=3),
                  HCell(1, 3, "科目名称", rowspan=h - 1), HCell(2, 0, "类"), HCell(2, 1, "款"),
                  HCell(2, 2, "项")]
        col = 4
    n_code = col
    for v in values:
        if isinstance(v, tuple):
            group, leaves = v
            cells.append(HCell(0, col, group, colspan=len(leaves)))
            cells += [HCell(1, col + i, leaf, rowspan=h - 1) for i, leaf in enumerate(leaves)]
            col += len(leaves)
        else:
            cells.append(HCell(0, col, v, rowspan=h))
            col += 1
    if lay.style == "hunan":
        cells.append(HCell(h, 0, "栏次", colspan=n_code))
        cells += [HCell(h, n_code + i, str(i + 1)) for i in range(col - n_code)]
        h += 1
    return cells, h


def function_rows(lines: list[tuple[str, tuple[int, ...]]], total: tuple[int, ...], keys: list[str],
                  lay: Layout, total_at: str = "top", zero: str = "") -> tuple[list[list[Cell]], list[dict]]:
    """Body rows (合计 + 类/款/项 rows) of a function-code table, with their truth dicts."""
    n_code = 2 if lay.code == "single" else 4
    body: list[list[Cell]] = []
    truth_rows: list[dict] = []

    def add(code: str | None, name: str, vals: tuple[int, ...]) -> None:
        if code is None:
            row = [Cell("合计", span=n_code, align="c")]
        else:
            row = code_cells(code, lay) + [Cell(name)]
        t = {"code": code, "line_key": None if code else "total", "name": name}
        for k, v in zip(keys, vals):
            cell, tv = amount(v, lay, zero)
            row.append(cell)
            t[k] = tv
        body.append(row)
        truth_rows.append(t)

    if total_at == "top":
        add(None, "合计", total)
    for code, vals in lines:
        add(code, catalog.function_name(code), vals)
    if total_at == "bottom":
        add(None, "合计", total)
    return body, truth_rows


def fit(widths: list[float], total: float, flex: int) -> list[float]:
    """Give column `flex` whatever width is left so the table spans `total`."""
    widths = list(widths)
    widths[flex] = total - (sum(widths) - widths[flex])
    return widths
