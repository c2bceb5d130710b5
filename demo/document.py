"""Assemble one generated 部门决算 PDF (cover, 目录, 概况, nine tables, 情况说明, 名词解释, 附件)
and its truth."""

from __future__ import annotations

from pathlib import Path

from demo import annex
from demo.layout import PORTRAIT, Cell, Grid, HCell, Writer
from demo.narrative import Paragraph, explanation, overview
from demo.numbers import Accounts
from demo.table_cells import Layout, TableOut
from demo.tables import build_tables

# Body text in 16 pt (三号仿宋, as GB/T 9704 prescribes and the real reports print it); part
# headings stay at 15 pt so the longest department names fit on one line.
HEADING_SIZE = {"h1": 15.0, "h2": 16.0, "h3": 16.0, "p": 16.0}


def write_paragraphs(w: Writer, paras: list[Paragraph]) -> None:
    for kind, text in paras:
        if kind == "h1":
            w.new_page()  # each part (第一部分, 第三部分, 第四部分) starts on a new page
        if kind == "p":
            w.paragraph(text, HEADING_SIZE["p"])
        else:
            w.text(text, HEADING_SIZE[kind], "c" if kind == "h1" else "l", gap=8)


def cover(w: Writer, department: str, year: int) -> None:
    w.space(220)
    w.text(department, 24, "c", gap=24)
    w.text(f"{year}年度部门决算", 24, "c")


def contents(w: Writer, department: str, year: int, titles: list[str]) -> None:
    w.text("目  录", 16, "c", gap=14)
    lines = [f"第一部分 {department}概况", "一、主要职能", "二、部门决算单位构成",
             f"第二部分 {department}{year}年度部门决算表"]
    lines += [f"{n}、{t}" for n, t in zip("一二三四五六七八九", titles)]
    lines += [f"第三部分 {department}{year}年度部门决算情况说明", "第四部分 名词解释", "第五部分 附件"]
    for line in lines:
        w.text(line, 11, gap=7)


def draw_table(w: Writer, t: TableOut, department: str, year: int, hunan: bool, first: str | None) -> None:
    """One table on fresh page(s): optional part heading, title, label/unit lines, grid, notes."""
    w.new_page(t.orientation)
    if first:
        w.text(first, 13, "c", gap=10)
    w.text(t.title, 15, "c", gap=8)
    if hunan:
        w.text(t.label or "", 9, "r", gap=2)
        w.texts([(f"部门：{department}", "l"), (f"{year}年度", "c"), ("金额单位：万元", "r")])
    else:
        w.text("单位：万元", 9, "r", gap=4)
    t.pages = w.grid(t.grid)
    w.space(4)
    for note in t.notes:
        w.paragraph(note, 9, indent=False, gap=1)


def render_document(path: Path, acc: Accounts, prev: Accounts, lay: Layout) -> dict:
    """Write the PDF at path; return its truth dict (see README of the package)."""
    d, y = acc.department, acc.year
    hunan = lay.style == "hunan"
    tables = build_tables(acc, lay)
    w = Writer(path)
    cover(w, d, y)
    w.new_page()
    contents(w, d, y, [t.title for t in tables])
    w.new_page()
    write_paragraphs(w, overview(acc))
    units = [f"{d}（本级）"] + acc.subunits
    w.grid(Grid([40.0, 300.0, 140.0], [HCell(0, 0, "序号"), HCell(0, 1, "单位名称"), HCell(0, 2, "备注")],
                [[Cell(str(i + 1), align="c"), Cell(u), Cell("" if i == 0 else "预算不单列，并入本级")]
                 for i, u in enumerate(units)], font_size=10, min_height=20))
    for i, t in enumerate(tables):
        draw_table(w, t, d, y, hunan, f"第二部分 {d}{y}年度部门决算表" if i == 0 else None)
    w.new_page(PORTRAIT)
    paras, facts = explanation(acc, prev, lay)
    write_paragraphs(w, paras)
    performance = annex.performance_rows(acc)
    write_paragraphs(w, annex.REPORT)
    funds, indicators = annex.self_assessment_grids(acc, performance)
    w.new_page(PORTRAIT)
    w.text(f"{d}{y}年度{annex.TITLE}", 15, "c", gap=8)
    w.text("单位：万元", 9, "r", gap=4)
    w.grid(funds)
    w.new_page(PORTRAIT)
    performance_page = w.page
    w.grid(indicators)
    page_count = w.save()
    return {
        "file": path.name,
        "report_kind": "final_accounts",
        "department": d,
        "department_short": acc.short,
        "region": acc.region,
        "fiscal_year": y,
        "unit": "万元",
        "page_count": page_count,
        "layout": lay.as_dict(),
        "table_info": {t.key: table_info(t, lay) for t in tables},
        "tables": {t.key: t.rows for t in tables},
        "narrative": facts,
        "performance": [{**row, "page": performance_page} for row in performance],
    }


def table_info(t: TableOut, lay: Layout) -> dict:
    return {"title": t.title, "label": t.label,
            "unit_text": "金额单位：万元" if lay.style == "hunan" else "单位：万元",
            "first_page": t.pages[0], "last_page": t.pages[1], "status": t.status,
            "note": t.empty_note, "row_count": len(t.rows),
            "orientation": "landscape" if t.orientation[0] > t.orientation[1] else "portrait"}
