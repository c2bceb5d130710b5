"""A 高等学校 (university) 部门决算 with the four-table variant, drawn with reportlab.

No real PDF of this layout is available, so this builder prints one: `表 1：收支决算总表`,
`表 2：收入决算表`, `表 3：支出决算表`, `表 4：财政拨款支出决算表`, each under a `单位名称：…` line,
plus `表 5：国有资产占用情况决算表`, a title no spec knows. Its wording differs from the
departmental template where universities' does (一、财政拨款收入, 事业单位经营收入, 收入总计 /
支出总计, 财政拨款支出 over 小计 | 基本支出 | 项目支出, 合计 at the bottom of 表 4). The expected
cells are derived from the printed texts (`university_golden()`), never from the parser.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from demo.layout import LANDSCAPE, PORTRAIT, Cell, Grid, HCell, Writer

NAME = "西南示范大学"
YEAR = 2024
FILE_NAME = f"{NAME}{YEAR}年度部门决算.pdf"
D = Decimal

# 项 lines: code, name, income (财政拨款, 事业, 其他), expenditure (基本, 项目), of which 财政拨款 (基本, 项目)
ITEMS = [
    ("2050205", "高等教育", ("42100.00", "29800.55", "3900.30"), ("60210.40", "14590.45"), ("35000.00", "7100.00")),
    ("2050299", "其他普通教育支出", ("800.00", "0", "0"), ("0", "800.00"), ("0", "800.00")),
    ("2059999", "其他教育支出", ("1200.18", "1400.00", "220.00"), ("0", "2820.18"), ("0", "1200.18")),
    ("2060201", "机构运行", ("2100.00", "0", "0"), ("2100.00", "0"), ("2100.00", "0")),
    ("2069999", "其他科学技术支出", ("1500.00", "0", "0"), ("0", "1500.00"), ("0", "1500.00")),
    ("2080505", "机关事业单位基本养老保险缴费支出", ("2640.00", "0", "0"), ("2640.00", "0"), ("2640.00", "0")),
    ("2101102", "事业单位医疗", ("950.00", "0", "0"), ("950.00", "0"), ("950.00", "0")),
    ("2210201", "住房公积金", ("1050.00", "0", "0"), ("1050.00", "0"), ("1050.00", "0")),
]
NAMES = {"205": "教育支出", "20502": "普通教育", "20599": "其他教育支出", "206": "科学技术支出",
         "20602": "基础研究", "20699": "其他科学技术支出", "208": "社会保障和就业支出",
         "20805": "行政事业单位养老支出", "210": "卫生健康支出", "21011": "行政事业单位医疗",
         "221": "住房保障支出", "22102": "住房改革支出"}
CLASS_ORDINALS = ["一", "二", "三", "四", "五"]
OPENING = D("5000.00")


def fmt(value: Decimal, zero: str = "") -> str:
    return zero if value == 0 else f"{value:,.2f}"


def amount(text: str) -> str | None:
    return None if not text else str(D(text.replace(",", "")))


def _rollup(values) -> list[tuple[str, str, list[Decimal]]]:
    """类, 款 and 项 lines in print order, each with the sums of its 项 values."""
    out: dict[str, list[Decimal]] = {}
    for code, _name, *_ in ITEMS:
        vals = values(code)
        for prefix in (code[:3], code[:5], code):
            acc = out.setdefault(prefix, [D(0)] * len(vals))
            out[prefix] = [a + v for a, v in zip(acc, vals)]
    names = {**NAMES, **{c: n for c, n, *_ in ITEMS}}
    return [(code, names[code], vals) for code, vals in sorted(out.items(), key=lambda kv: (kv[0][:3], kv[0]))]


def _item(code: str):
    return next(i for i in ITEMS if i[0] == code)


def t2_rows():
    def vals(code):
        fiscal, business, other = (D(x) for x in _item(code)[2])
        return [fiscal + business + other, fiscal, business, D(0), other]
    return _rollup(vals)


def t3_rows():
    def vals(code):
        basic, project = (D(x) for x in _item(code)[3])
        return [basic + project, basic, project, D(0)]
    return _rollup(vals)


def t5_rows():
    def vals(code):
        basic, project = (D(x) for x in _item(code)[4])
        return [basic + project, basic, project]
    return _rollup(vals)


def _totals(rows) -> list[Decimal]:
    n = len(rows[0][2])
    return [sum((v[i] for c, _, v in rows if len(c) == 3), D(0)) for i in range(n)]


def t1_lines() -> tuple[list[tuple[str, Decimal | None]], list[tuple[str, Decimal | None]]]:
    income_totals = _totals(t2_rows())
    classes = [(c, n, v) for c, n, v in t3_rows() if len(c) == 3]
    expenditure_total = sum((v[0] for _, _, v in classes), D(0))
    closing = income_totals[0] + OPENING - expenditure_total
    income = [("一、财政拨款收入", income_totals[1]), ("二、事业收入", income_totals[2]),
              ("三、事业单位经营收入", None), ("四、其他收入", income_totals[4]),
              ("本年收入合计", income_totals[0]), ("使用非财政拨款结余", None),
              ("年初结转和结余", OPENING), ("收入总计", income_totals[0] + OPENING)]
    expenditure = [(f"{CLASS_ORDINALS[i]}、{n}", v[0]) for i, (_, n, v) in enumerate(classes)]
    expenditure += [("本年支出合计", expenditure_total), ("结余分配", None), ("年末结转和结余", closing),
                    ("支出总计", expenditure_total + closing)]
    return income, expenditure


def _coded_grid(rows, headers: list[HCell], widths: list[float], total_at: str, zero_cols=()) -> Grid:
    total = _totals(rows)
    body = []
    total_row = [Cell("合计", span=2, align="c")] + [
        Cell(fmt(v, "0.00" if i in zero_cols else ""), align="r") for i, v in enumerate(total)]
    if total_at == "top":
        body.append(total_row)
    for code, name, vals in rows:
        body.append([Cell(code), Cell(name)] + [Cell(fmt(v), align="r") for v in vals])
    if total_at == "bottom":
        body.append(total_row)
    return Grid(widths, headers, body, font_size=9)


def _heading(w: Writer, title: str, name: str) -> None:
    w.text(title, 15, "c", gap=8)
    w.texts([(f"单位名称：{name}", "l"), ("单位：万元", "r")], size=9, gap=4)


def build_university_pdf(out_path: Path, heading_name: str = NAME) -> Path:
    """Write the PDF; `heading_name` prints another name in the 单位名称 lines than on the cover
    (a real defect: a renamed unit keeps its old name in the tables)."""
    out_path = Path(out_path)
    w = Writer(out_path)
    w.space(220)
    w.text(NAME, 24, "c", gap=24)
    w.text(f"{YEAR}年度部门决算", 24, "c")
    w.new_page(PORTRAIT)
    w.text("第二部分 部门决算表", 13, "c", gap=10)
    _heading(w, "表 1：收支决算总表", heading_name)
    income, expenditure = t1_lines()
    header = [HCell(0, 0, "收    入", colspan=2), HCell(0, 2, "支    出", colspan=2),
              HCell(1, 0, "项目"), HCell(1, 1, "决算数"), HCell(1, 2, "项目"), HCell(1, 3, "决算数")]
    n_classes = len(expenditure) - 4
    left = income[:4] + [("", None)] * (n_classes - 4) + income[4:]
    body = [[Cell(li), Cell(fmt(lv) if lv is not None else "", align="r"),
             Cell(ri), Cell(fmt(rv) if rv is not None else "", align="r")]
            for (li, lv), (ri, rv) in zip(left, expenditure)]
    w.grid(Grid([150.0, 80.0, 170.0, 80.0], header, body, font_size=9))

    w.new_page(LANDSCAPE)
    _heading(w, "表 2：收入决算表", heading_name)
    cols = ["本年收入合计", "财政拨款收入", "事业收入", "经营收入", "其他收入"]
    header = [HCell(0, 0, "项目", colspan=2), HCell(1, 0, "科目编码"), HCell(1, 1, "科目名称")]
    header += [HCell(0, 2 + i, c, rowspan=2) for i, c in enumerate(cols)]
    w.grid(_coded_grid(t2_rows(), header, [70.0, 200.0] + [90.0] * 5, "top"))

    w.new_page(LANDSCAPE)
    _heading(w, "表 3：支出决算表", heading_name)
    cols = ["本年支出合计", "基本支出", "项目支出", "经营支出"]
    header = [HCell(0, 0, "项目", colspan=2), HCell(1, 0, "科目编码"), HCell(1, 1, "科目名称")]
    header += [HCell(0, 2 + i, c, rowspan=2) for i, c in enumerate(cols)]
    w.grid(_coded_grid(t3_rows(), header, [70.0, 120.0] + [100.0] * 4, "top", zero_cols=(3,)))

    w.new_page(PORTRAIT)
    _heading(w, "表 4：财政拨款支出决算表", heading_name)
    header = [HCell(0, 0, "项目", colspan=2), HCell(0, 2, "财政拨款支出", colspan=3),
              HCell(1, 0, "科目编码"), HCell(1, 1, "科目名称"), HCell(1, 2, "小计"),
              HCell(1, 3, "基本支出"), HCell(1, 4, "项目支出")]
    w.grid(_coded_grid(t5_rows(), header, [60.0, 150.0, 85.0, 85.0, 85.0], "bottom"))

    w.new_page(PORTRAIT)
    _heading(w, "表 5：国有资产占用情况决算表", heading_name)
    header = [HCell(0, 0, "项目"), HCell(0, 1, "年末数")]
    w.grid(Grid([250.0, 150.0], header, [[Cell("车辆（辆）"), Cell("12", align="r")],
                                         [Cell("单价100万元以上设备（台）"), Cell("35", align="r")]]))
    w.save()
    return out_path


def _coded_cells(table_key, page, rows, columns, total_at, zero_cols=()) -> list[dict]:
    total = _totals(rows)
    printed = [("合计", None, "total", [fmt(v, "0.00" if i in zero_cols else "") for i, v in enumerate(total)])]
    lines = [(name, code, None, [fmt(v) for v in vals]) for code, name, vals in rows]
    ordered = printed + lines if total_at == "top" else lines + printed
    return [{"table_key": table_key, "page": page, "side": None, "code": code, "line_key": line_key,
             "row_label": label, "column_key": column, "amount": amount(text)}
            for label, code, line_key, texts in ordered for column, text in zip(columns, texts)]


_INCOME_KEYS = {"一、财政拨款收入": "fiscal_appropriation", "二、事业收入": "business_income",
                "三、事业单位经营收入": "operating_income", "四、其他收入": "other_income",
                "本年收入合计": "income_total", "使用非财政拨款结余": "use_of_non_appropriation_balance",
                "年初结转和结余": "opening_balance", "收入总计": "grand_total"}
_EXPENDITURE_KEYS = {"本年支出合计": "expenditure_total", "结余分配": "balance_distribution",
                     "年末结转和结余": "closing_balance", "支出总计": "grand_total"}
_CLASS_CODES = {"教育支出": "205", "科学技术支出": "206", "社会保障和就业支出": "208",
                "卫生健康支出": "210", "住房保障支出": "221"}


def university_golden() -> dict:
    """Expected tables and cells of the PDF `build_university_pdf` writes (golden file format)."""
    income, expenditure = t1_lines()
    cells = []
    for label, value in income:
        cells.append({"table_key": "t1_summary", "page": 2, "side": "income", "code": None,
                      "line_key": _INCOME_KEYS[label], "row_label": label, "column_key": "amount",
                      "amount": None if value is None else str(value)})
    for label, value in expenditure:
        name = label.split("、", 1)[-1]
        key, code = (_EXPENDITURE_KEYS[label], None) if label in _EXPENDITURE_KEYS else ("function_class", _CLASS_CODES[name])
        cells.append({"table_key": "t1_summary", "page": 2, "side": "expenditure", "code": code,
                      "line_key": key, "row_label": label, "column_key": "amount",
                      "amount": None if value is None else str(value)})
    cells += _coded_cells("t2_income", 3, t2_rows(),
                          ["total", "fiscal_appropriation", "business_income", "operating_income", "other_income"], "top")
    cells += _coded_cells("t3_expenditure", 4, t3_rows(), ["total", "basic", "project", "operating"], "top",
                          zero_cols=(3,))
    cells += _coded_cells("t5_general_budget_expenditure", 5, t5_rows(), ["total", "basic", "project"], "bottom")
    tables = {key: {"status": "parsed", "first_page": p, "last_page": p, "note": None}
              for key, p in (("t1_summary", 2), ("t2_income", 3), ("t3_expenditure", 4),
                             ("t5_general_budget_expenditure", 5))}
    return {"document": FILE_NAME, "source": {"builder": "tests.fixtures_builders.university.build_university_pdf"},
            "established_by": "tests/fixtures_builders/university.py: cells derived from the printed texts",
            "tables": tables, "cells": cells}


if __name__ == "__main__":  # regenerate tests/golden/university_fixture.json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "golden" / "tools"))
    from build_real import dump

    target = Path(__file__).resolve().parents[1] / "golden" / "university_fixture.json"
    target.write_text(dump(university_golden()), encoding="utf-8")
    print(target)
