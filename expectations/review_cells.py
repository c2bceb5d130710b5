"""The cells and narrative figures of a failure, as a steward names them and where they are printed.

``intermediate.int_residual_cell_positions`` (dbt) has one row per instance and entry of its
``cells`` column, joined back to the staged cell (table, page, row, column, text, rectangle in PDF
points, top-left origin) or narrative figure (page, sentence). This module reads it and says each
entry in words: ``表1 收入支出决算总表 · 第6页 · 支出 社会保障和就业支出（208） · 金额 = 326.71``
instead of ``T1 p6 r15 expenditure 208 amount=326.71``.

A warehouse built before the model existed has no such table: the positions are then empty and
callers fall back to the ``cells`` text.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

POSITIONS_TABLE = "intermediate.int_residual_cell_positions"

#: Chinese names of the canonical column keys (docs/architecture.md, "Columns of ...").
COLUMN_NAMES: dict[str, str] = {
    "amount": "金额",
    "total": "合计",
    "basic": "基本支出",
    "project": "项目支出",
    "remit_to_superior": "上缴上级支出",
    "operating": "经营支出",
    "subsidy_to_affiliates": "对附属单位补助支出",
    "fiscal_appropriation": "财政拨款收入",
    "superior_subsidy": "上级补助收入",
    "business_income": "事业收入",
    "operating_income": "经营收入",
    "affiliated_remittance": "附属单位上缴收入",
    "other_income": "其他收入",
    "general_public_budget": "一般公共预算财政拨款",
    "government_fund": "政府性基金预算财政拨款",
    "state_capital": "国有资本经营预算财政拨款",
    "outbound": "因公出国（境）费",
    "vehicle_total": "公务用车购置及运行（维护）费",
    "vehicle_purchase": "公务用车购置费",
    "vehicle_operation": "公务用车运行（维护）费",
    "reception": "公务接待费",
    "opening_balance": "年初结转和结余",
    "income": "本年收入",
    "expenditure_total": "本年支出",
    "closing_balance": "年末结转和结余",
}

SIDE_NAMES = {"income": "收入", "expenditure": "支出"}
LINE_NAMES = {"budget": "预算数", "final": "决算数", "personnel": "人员经费", "public": "公用经费"}

#: Titles of the nine standard tables (seed standard_tables), when the document's own is absent.
TABLE_TITLES = {
    "t1_summary": "收入支出决算总表",
    "t2_income": "收入决算表",
    "t3_expenditure": "支出决算表",
    "t4_appropriation_summary": "财政拨款收入支出决算总表",
    "t5_general_budget_expenditure": "一般公共预算财政拨款支出决算表",
    "t6_basic_expenditure_economic": "一般公共预算财政拨款基本支出决算表",
    "t7_three_public": "财政拨款“三公”经费支出决算表",
    "t8_government_fund": "政府性基金预算财政拨款收入支出决算表",
    "t9_state_capital": "国有资本经营预算财政拨款收入支出决算表",
}


@dataclass(frozen=True)
class CellPosition:
    """One entry of a failure's cells: a table cell (with its rectangle) or a narrative figure."""
    instance_id: str
    position: int
    ref: str
    kind: str  # table_cell | narrative_figure
    page: int | None
    table_key: str | None = None
    table_no: int | None = None
    table_title: str | None = None
    row_label: str | None = None
    code: str | None = None
    line_key: str | None = None
    side: str | None = None
    column_key: str | None = None
    raw_text: str | None = None
    amount: Decimal | None = None
    unit: str | None = None
    box: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom (PDF points)
    figure_index: int | None = None
    sentence: str | None = None

    @property
    def is_cell(self) -> bool:
        return self.kind == "table_cell"

    @property
    def table_name(self) -> str:
        if not self.is_cell:
            return "情况说明"
        title = self.table_title or TABLE_TITLES.get(self.table_key or "", self.table_key or "")
        return f"表{self.table_no} {title}" if self.table_no else title

    @property
    def row_name(self) -> str:
        """The row as printed (its Chinese label), with its code; the side of a two-sided table."""
        parts = []
        if self.side:
            parts.append(SIDE_NAMES.get(self.side, self.side))
        label = (self.row_label or "").strip()
        if label and self.code and self.code not in label:
            label = f"{label}（{self.code}）"
        elif not label:
            label = self.code or LINE_NAMES.get(self.line_key or "", self.line_key or "")
        if self.line_key in LINE_NAMES and self.table_key == "t7_three_public":
            label = f"{LINE_NAMES[self.line_key]} {label}" if label != LINE_NAMES[self.line_key] else label
        parts.append(label)
        return " ".join(p for p in parts if p)

    @property
    def column_name(self) -> str:
        return COLUMN_NAMES.get(self.column_key or "", self.column_key or "")

    @property
    def text(self) -> str:
        return (self.raw_text or "").strip() or "（空白）"

    def label(self) -> str:
        """One line a steward can find on the page."""
        page = f"第{self.page}页" if self.page else "页码未知"
        if self.is_cell:
            return f"{self.table_name} · {page} · {self.row_name} · {self.column_name} = {self.text}"
        return f"情况说明 · {page} · “{self.sentence or ''}” 中的 {self.text}"


def positions_by_instance(con: "duckdb.DuckDBPyConnection", instance_ids: Iterable[str]) -> dict[str, list[CellPosition]]:
    """The positions of the given instances (in their cells order); {} when the warehouse has no
    positions table (built before it existed)."""
    import duckdb

    ids = sorted(set(instance_ids))
    if not ids:
        return {}
    try:
        rows = con.execute(
            f"""
            SELECT p.instance_id, p.position, p.ref, p.kind, p.page, p.table_key, p.table_no,
                   t.title, p.row_label, p.code, p.line_key, p.side, p.column_key, p.raw_text,
                   p.amount, p.source_unit, p.x0, p.top, p.x1, p.bottom, p.figure_index, p.sentence
            FROM {POSITIONS_TABLE} AS p
            LEFT JOIN raw.report_tables AS t
                ON t.document_id = p.document_id AND t.table_key = p.table_key
            WHERE p.instance_id IN (SELECT unnest($ids::VARCHAR[]))
            ORDER BY p.instance_id, p.position
            """,
            {"ids": ids},
        ).fetchall()
    except duckdb.CatalogException:
        return {}
    found: dict[str, list[CellPosition]] = {}
    for r in rows:
        box = None
        if None not in r[16:20]:
            box = tuple(float(v) for v in r[16:20])
        found.setdefault(r[0], []).append(CellPosition(
            instance_id=r[0], position=r[1], ref=r[2], kind=r[3], page=r[4], table_key=r[5],
            table_no=r[6], table_title=(r[7] or "").strip() or None, row_label=r[8], code=r[9],
            line_key=r[10], side=r[11], column_key=r[12], raw_text=r[13], amount=r[14], unit=r[15],
            box=box, figure_index=r[20], sentence=r[21],
        ))
    return found


def amount_in_wan(value: Decimal | None, unit: str | None) -> Decimal | None:
    """An amount as printed, in 万元 (exact); None when it is not an amount in 元 or 万元."""
    if value is None:
        return None
    unit = unit or "万元"
    if unit == "万元":
        return value
    if unit == "元":
        return value / Decimal(10000)
    return None


def format_amount(value: Decimal | None) -> str:
    """An exact amount with at least two decimals and no more than it needs (100184.9805, 326.71)."""
    if value is None:
        return ""
    text = format(value, "f")
    if "." not in text:
        return text + ".00"
    whole, decimals = text.split(".")
    decimals = decimals.rstrip("0")
    return f"{whole}.{decimals.ljust(2, '0')}"
