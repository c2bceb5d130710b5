"""Real reports of other layouts (国家信访局 2024, 佛山市轨道交通局 2019, 西安市卫生健康委员会（汇总）2022):
every table their 目录 lists found, every amount on a table page read (parse coverage), exact
values read by eye from the printed pages, and a parse error never shown as a document defect.

Values below were read from the pages (PDFium's text layer, checked against the page images).
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal as D

import pytest

from ingest.parse import parse_pdf
from ingest.tables import coverage
from ingest.tables.locate import find_titles, toc_table_keys
from tests.conftest import FOSHAN, XIAN, XINFANG, require_corpus

NINE = ["t1_summary", "t2_income", "t3_expenditure", "t4_appropriation_summary",
        "t5_general_budget_expenditure", "t6_basic_expenditure_economic", "t7_three_public",
        "t8_government_fund", "t9_state_capital"]


@pytest.fixture(scope="module")
def parsed():
    require_corpus()
    return {name: parse_pdf(path, name) for name, path in
            (("xinfang", XINFANG), ("foshan", FOSHAN), ("xian", XIAN))}


def _cell(doc, table, *, code=None, line_key=None, column, side=None):
    found = [c for c in doc.cells if c.table_key == table and c.column_key == column
             and (code is None or c.code == code) and (line_key is None or c.line_key == line_key)
             and (side is None or c.side == side)]
    assert len(found) == 1, (table, code, line_key, column, found)
    return found[0].amount


def test_tables_listed_in_the_toc_are_found_where_printed(parsed):
    pages = {name: {t.table_key: (t.first_page, t.last_page, t.status) for t in doc.tables}
             for name, doc in parsed.items()}
    # 国家信访局: PDFium prints 收入决算表 after its grid on p8; T1 was read as 'unreadable' before
    assert pages["xinfang"]["t1_summary"] == (7, 7, "parsed")
    assert pages["xinfang"]["t2_income"] == (8, 8, "parsed")
    assert parsed["xinfang"].metadata.toc_tables.split(",") == NINE
    # 佛山: eight tables in its 目录 (no 国有资本经营 table), each continuing over pages
    assert parsed["foshan"].metadata.toc_tables.split(",") == NINE[:8]
    assert pages["foshan"]["t8_government_fund"] == (22, 23, "parsed")
    assert "t9_state_capital" not in pages["foshan"]
    # 西安: the 目录 goes on over page 3; T7 titled 财政拨款“三公”经费及会议费、培训费支出决算表
    assert parsed["xian"].metadata.toc_tables.split(",") == [k for k in NINE if k != "t7_three_public"]
    assert pages["xian"]["t7_three_public"] == (161, 161, "parsed")


def test_every_amount_on_a_table_page_is_read(parsed):
    for name, doc in parsed.items():
        for t in doc.tables:
            assert t.unaccounted is None and t.amounts_read == t.amount_tokens, (name, t)
    t2 = next(t for t in parsed["foshan"].tables if t.table_key == "t2_income")
    assert (t2.amount_tokens, t2.amounts_read) == (98, 98)  # the 合计 row printed on p8 and p9, read once


def test_exact_values_of_the_three_reports(parsed):
    x, f, s = parsed["xinfang"], parsed["foshan"], parsed["xian"]
    # 国家信访局 2024: T1 p7, T3 p9, T5 p11, T6 p12, T7 p15
    assert _cell(x, "t1_summary", line_key="income_total", side="income", column="amount") == D("20451.35")
    assert _cell(x, "t1_summary", line_key="expenditure_total", side="expenditure", column="amount") == D("14572.53")
    assert _cell(x, "t1_summary", line_key="grand_total", side="income", column="amount") == D("22066.59")
    assert _cell(x, "t3_expenditure", code="2014001", column="total") == D("6026.13")
    assert _cell(x, "t5_general_budget_expenditure", code="2014001", column="total") == D("5757.63")
    assert _cell(x, "t6_basic_expenditure_economic", line_key="personnel_total", column="amount") == D("7967.72")
    assert _cell(x, "t6_basic_expenditure_economic", line_key="public_total", column="amount") == D("2266.65")
    assert _cell(x, "t7_three_public", line_key="budget", column="total") == D("76.43")
    assert _cell(x, "t7_three_public", line_key="final", column="total") == D("46.21")
    # 佛山市轨道交通局 2019: T1 p6, T3 p10, T5 p15, T6 p20, T7 p21; cover "1 / 2019 年佛山市轨道交通局"
    assert f.metadata.department == "佛山市轨道交通局" and f.metadata.metadata_conflicts is None
    assert _cell(f, "t1_summary", line_key="income_total", side="income", column="amount") == D("1668.14")
    assert _cell(f, "t3_expenditure", code="2080505", column="total") == D("53.45")
    assert _cell(f, "t5_general_budget_expenditure", code="2080505", column="basic") == D("53.45")
    assert _cell(f, "t6_basic_expenditure_economic", line_key="personnel_total", column="amount") == D("649.20")
    assert _cell(f, "t6_basic_expenditure_economic", line_key="public_total", column="amount") == D("97.19")
    assert _cell(f, "t7_three_public", line_key="final", column="total") == D("0.16")
    # 西安市卫生健康委员会（汇总）2022: T1 p146, T3 p150, T5 p154, T6 p158 (人员经费合计 under block 1), T7 p161
    assert _cell(s, "t1_summary", line_key="income_total", side="income", column="amount") == D("2015094.22")
    assert _cell(s, "t1_summary", line_key="grand_total", side="expenditure", column="amount") == D("2480372.70")
    assert _cell(s, "t3_expenditure", code="2010405", column="total") == D("56.00")
    assert _cell(s, "t5_general_budget_expenditure", code="2010405", column="total") == D("56.00")
    assert _cell(s, "t6_basic_expenditure_economic", line_key="personnel_total", column="amount") == D("96513.21")
    assert _cell(s, "t6_basic_expenditure_economic", line_key="public_total", column="amount") == D("2093.08")
    assert _cell(s, "t7_three_public", line_key="budget", column="total") == D("593.46")
    assert _cell(s, "t7_three_public", line_key="final", column="total") == D("587.55")
    assert _cell(s, "t7_three_public", line_key="final", column="meeting") == D("86.81")  # not a 三公 item


def test_narrative_figures_mean_the_table_their_section_explains(parsed):
    figures = parsed["xinfang"].narrative_figures
    by_key = {(f.figure_key, f.value) for f in figures}
    # p17 一、收入支出决算总体情况说明: 一般公共服务（类）支出 10685.56 is T1/T3's (all funds)
    assert ("all_funds_class_expenditure", D("10685.56")) in by_key
    # p23 六、一般公共预算财政拨款基本支出决算情况说明: 基本支出 10234.37 is T5's
    assert ("general_budget_basic_expenditure", D("10234.37")) in by_key
    xian = {(f.figure_key, f.value) for f in parsed["xian"].narrative_figures}
    assert ("government_fund_opening_balance", D("58830.98")) in xian  # p20, section 七 (政府性基金)
    assert ("item_actual", D("151.03")) in xian  # p12 `支出决算 1 5 1 . 0 3万元`, letter-spaced
    assert ("three_public_budget", D("136.48")) in {(f.figure_key, f.value) for f in parsed["xian"].narrative_figures
                                                   if f.subject == "vehicle_purchase"}


def test_title_split_around_a_part_heading_and_wrapped():
    page = "12\n一般公共预算财政拨款\n第二部分 某某局2024年度部门决算表\n基本支出决算表\n单位：万元"
    assert [(s.key, t) for s, t, _ in find_titles(page)] == [
        ("t6_basic_expenditure_economic", "一般公共预算财政拨款基本支出决算表")]
    toc = ["目录\n第二部分 部门决算表 ...... 4 一、收入支出决算总表 ...... 5\n二、收入决算表 ..... 6\n"]
    assert toc_table_keys(toc) == ["t1_summary", "t2_income"]


def test_a_cell_removed_from_a_real_page_makes_the_table_partial(parsed):
    doc = parsed["xinfang"]
    tables = [dataclasses.replace(t, amount_tokens=None, amounts_read=None, unaccounted=None, status="parsed",
                                  note=None) if t.status in ("parsed", "partial") else t for t in doc.tables]
    dropped = next(c for c in doc.cells if c.table_key == "t3_expenditure" and c.code == "2014001"
                   and c.column_key == "total")
    cells = [c for c in doc.cells if c is not dropped]
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(XINFANG))
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    coverage.measure(tables, cells, texts)
    t3 = next(t for t in tables if t.table_key == "t3_expenditure")
    assert t3.status == "partial" and t3.unaccounted == "p9 6,026.13"
    assert "1 amount printed on its pages not read" in t3.note
    assert all(t.status != "partial" for t in tables if t.table_key != "t3_expenditure")


def test_every_cell_knows_its_rectangle_on_the_page(parsed):
    """The text printed inside a cell's recorded rectangle is the cell's text (issue 19's outline)."""
    import pdfplumber

    doc = parsed["xinfang"]
    cells = [c for c in doc.cells if c.table_key in ("t3_expenditure", "t6_basic_expenditure_economic") and c.raw_text]
    assert cells and all(c.bbox is not None for c in doc.cells)
    with pdfplumber.open(XINFANG) as pdf:
        for c in cells:
            inside = pdf.pages[c.page - 1].crop(c.bbox).extract_text() or ""
            assert inside.replace(" ", "").replace("\n", "") == c.raw_text, (c, inside)
