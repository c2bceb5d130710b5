"""其中 columns, 其中 rows and a name printed with its amount in one cell, read from a printed PDF.

tests/test_table_quirks.py checks the row reader on grids; this prints the same quirks as ruled
cells (reportlab, as the published reports are drawn) and reads them through the whole parser:
pdfplumber's table finder, the title, the header, the rows and the coverage count. The expected
values are the printed texts.
"""
from __future__ import annotations

from decimal import Decimal as D

from demo.layout import LANDSCAPE, Cell, Grid, HCell, Writer
from ingest.parse import parse_pdf

NAME = "示范市测试局"


def _build(path):
    w = Writer(path)
    w.space(220)
    w.text(NAME, 24, "c", gap=24)
    w.text("2024年度部门决算", 24, "c")
    w.new_page(LANDSCAPE)
    w.text("支出决算表", 15, "c", gap=8)
    w.texts([(f"部门：{NAME}", "l"), ("单位：万元", "r")], size=9, gap=4)
    cols = ["本年支出合计", "基本支出", "其中：人员经费", "项目支出"]
    header = [HCell(0, 0, "项目", colspan=2), HCell(1, 0, "科目编码"), HCell(1, 1, "科目名称")]
    header += [HCell(0, 2 + i, c, rowspan=2) for i, c in enumerate(cols)]
    r = "r"
    body = [
        [Cell("合计", span=2, align="c"), Cell("300.00", align=r), Cell("200.00", align=r),
         Cell("150.00", align=r), Cell("100.00", align=r)],
        [Cell("205"), Cell("教育支出"), Cell("300.00", align=r), Cell("200.00", align=r),
         Cell("150.00", align=r), Cell("100.00", align=r)],
        # no rule between the name and the first amount: one cell holds both
        [Cell("20502"), Cell("普通教育300.00", span=2), Cell("200.00", align=r),
         Cell("150.00", align=r), Cell("100.00", align=r)],
        [Cell(""), Cell("其中：培训支出"), Cell("50.00", align=r), Cell("50.00", align=r),
         Cell("", align=r), Cell("", align=r)],
    ]
    w.grid(Grid([70.0, 200.0, 100.0, 100.0, 100.0, 100.0], header, body, font_size=9))
    w.save()
    return path


def test_of_which_columns_rows_and_merged_cells_in_a_printed_table(tmp_path):
    result = parse_pdf(_build(tmp_path / "quirks.pdf"), "quirks")
    (t3,) = [t for t in result.tables if t.table_key == "t3_expenditure"]
    assert (t3.status, t3.amount_tokens, t3.amounts_read) == ("parsed", 14, 14)
    cells = {(c.code, c.line_key, c.column_key): c.amount for c in result.cells if c.table_key == "t3_expenditure"}
    # the 其中 column is a part of 基本支出, kept apart under its own key
    assert cells[("205", None, "basic_of_which")] == D("150.00")
    assert cells[("205", None, "total")] == D("300.00")
    # the amount printed in the name cell is the row's 本年支出合计
    assert cells[("20502", None, "total")] == D("300.00")
    assert cells[("20502", None, "basic")] == D("200.00")
    # the 其中 row is not a function code and not a component of the total
    assert cells[(None, "of_which", "total")] == D("50.00")
    assert cells[(None, "of_which", "project")] is None  # printed blank
