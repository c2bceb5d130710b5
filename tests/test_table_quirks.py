"""Each layout quirk of docs/domain.md, shown on the real page where it occurs (or on the rebuilt
株洲 report), plus grid-level cases the real pages do not show with data.

Values were read on the rendered pages; the full cell-by-cell proof is tests/test_table_accuracy.py.
"""
from __future__ import annotations

from decimal import Decimal as D

import pytest

from demo.zhuzhou import build_zhuzhou_pdf
from ingest.parse import parse_pdf
from ingest.tables.grid import read_table_page
from ingest.tables.header import build_column_map, header_columns
from ingest.tables.specs import T3_EXPENDITURE, T6_BASIC_ECONOMIC, T7_THREE_PUBLIC, T8_GOVERNMENT_FUND
from tests.conftest import CZJ, SHGZ, require_corpus


@pytest.fixture(scope="module")
def czj():
    require_corpus()
    return parse_pdf(CZJ, "czj")


@pytest.fixture(scope="module")
def shgz():
    require_corpus()
    return parse_pdf(SHGZ, "shgz")


@pytest.fixture(scope="module")
def zz(tmp_path_factory):
    return parse_pdf(build_zhuzhou_pdf(tmp_path_factory.mktemp("zz") / "zz.pdf"), "zz")


def _cells(doc, table, **match):
    return [c for c in doc.cells if c.table_key == table and all(getattr(c, k) == v for k, v in match.items())]


def _one(doc, table, **match):
    found = _cells(doc, table, **match)
    assert len(found) == 1, found
    return found[0]


def _table(doc, key):
    return next(t for t in doc.tables if t.table_key == key)


def test_total_row_at_top_and_at_bottom(czj):
    t3_total = _one(czj, "t3_expenditure", line_key="total", column_key="total")
    t5_total = _one(czj, "t5_general_budget_expenditure", line_key="total", column_key="total")
    assert t3_total.row_index == 0  # 支出决算表 prints 合计 first (page 10)
    assert t5_total.row_index == max(c.row_index for c in _cells(czj, "t5_general_budget_expenditure"))  # page 15: last
    assert (t3_total.amount, t5_total.amount) == (D("2940.05"), D("2940.05"))


def test_header_row_stuck_to_the_total_row(czj, shgz):
    # CZJ page 8: the 类 | 款 | 项 header cells share the grid row of 合计
    total = {c.column_key: c.amount for c in _cells(czj, "t2_income", line_key="total")}
    assert total["total"] == D("2946.25") and total["other_income"] == D("6.20")
    assert _one(czj, "t2_income", line_key="total", column_key="total").row_label == "合计"
    # SHGZ page 15: 合计 | 基本支出 | 项目支出 (under 本年支出) printed on the 合计 row of an empty table
    assert _table(shgz, "t8_government_fund").status == "empty"


def test_stuck_sub_headers_on_a_total_row_with_amounts():
    """The SHGZ T8 layout with data: the sub-headers of 本年支出 sit on the 合计 row."""
    rows = [
        ["项目", None, "年初结转和\n结余", "本年收入", "本年支出", None, None, "年末结转和\n结余"],
        ["功能分类\n科目编码", "科目名称", None, None, None, None, None, None],
        ["合计", None, "1.00", "2.00", "合计", "基本支出", "项目支出", "0.50"],
        ["229", "其他支出", "1.00", "2.00", "2.50", "", "2.50", "0.50"],
    ]
    cmap, pending = read_table_page(rows, T8_GOVERNMENT_FUND, 1, None)
    assert sorted(cmap.amount_columns.values()) == sorted(
        ["opening_balance", "income", "expenditure_total", "basic", "project", "closing_balance"])
    assert pending[0].line_key == "total" and pending[0].amounts["opening_balance"] == "1.00"
    assert pending[0].amounts["expenditure_total"] == ""  # the header word is not an amount
    assert pending[1].code == "229" and pending[1].amounts["project"] == "2.50"


def test_wrapped_names(czj, shgz):
    assert _one(czj, "t3_expenditure", code="2080505", column_key="total").row_label == "机关事业单位基本养老保险缴费支出"
    assert _one(shgz, "t5_general_budget_expenditure", code="2080505", column_key="total").row_label == \
        "机关事业单位基本养老保险缴费支出"  # three lines in a narrow cell (page 12)
    assert _one(czj, "t4_appropriation_summary", side="income", line_key="government_fund_appropriation").row_label == \
        "二、政府性基金预算财政拨款"


def test_name_wrapped_onto_its_own_grid_row():
    rows = [["项目", None, "本年支出合计", "基本支出"], ["科目编码", "科目名称", None, None],
            ["2080505", "机关事业单位基本养老保险", "6.18", "6.18"], ["", "缴费支出", "", ""]]
    _, pending = read_table_page(rows, T3_EXPENDITURE, 1, None)
    assert [(p.code, p.label) for p in pending] == [("2080505", "机关事业单位基本养老保险缴费支出")]


def test_letter_spaced_labels(czj):
    assert _one(czj, "t6_basic_expenditure_economic", code="30212").row_label == "因公出国（境）费用"  # page 16
    assert _one(czj, "t6_basic_expenditure_economic", code="30231").row_label == "公务用车运行维护费"  # page 17


def test_continuation_pages_without_headers(czj):
    pages = {c.code: c.page for c in _cells(czj, "t6_basic_expenditure_economic") if c.code}
    assert pages["30304"] == 16 and pages["30305"] == 17 and pages["31099"] == 17
    assert _one(czj, "t4_appropriation_summary", side="income", line_key="grand_total").page == 13


def test_blank_grid_page_inside_a_table(czj):
    t4 = _table(czj, "t4_appropriation_summary")
    assert (t4.first_page, t4.last_page, t4.status) == (12, 14, "parsed")  # page 14: one empty grid row
    assert not _cells(czj, "t4_appropriation_summary", page=14)


def test_blank_grid_page_keeps_the_column_map():
    first = [["项目", None, "本年支出合计"], ["科目编码", "科目名称", None], ["201", "一般公共服务支出", "1.00"]]
    cmap, _ = read_table_page(first, T3_EXPENDITURE, 1, None)
    again, pending = read_table_page([["", "", "", ""]], T3_EXPENDITURE, 2, cmap)
    assert again is cmap and pending == []


def test_thousands_separators_and_plain_numbers(czj, shgz):
    c = _one(czj, "t3_expenditure", code="2010601", column_key="total")
    assert (c.raw_text, c.amount) == ("1,511.89", D("1511.89"))
    c = _one(shgz, "t3_expenditure", code="2013901", column_key="total")
    assert (c.raw_text, c.amount) == ("51.32", D("51.32"))


def test_blank_is_null_and_zero_is_zero(czj, shgz):
    blank = _one(czj, "t6_basic_expenditure_economic", code="30103")  # 奖金, blank on page 16
    assert (blank.raw_text, blank.amount) == ("", None)
    zero = _one(shgz, "t6_basic_expenditure_economic", code="30103")  # 奖金, 0.00 on page 13
    assert (zero.raw_text, zero.amount) == ("0.00", D("0.00"))


def test_t4_fund_sub_lines_under_opening_balance(czj):
    t4 = {(c.side, c.line_key): c.amount for c in _cells(czj, "t4_appropriation_summary", column_key="amount")}
    assert t4[("income", "general_budget_appropriation")] == D("2940.05")
    assert t4[("income", "opening_balance")] == D("21.63")
    assert t4[("income", "opening_general_budget")] == D("21.63")  # 一、一般公共预算财政拨款 under 年初
    assert t4[("income", "opening_government_fund")] is None
    closing = {c.column_key: c.amount for c in _cells(czj, "t4_appropriation_summary", line_key="closing_balance")}
    assert closing == {"total": D("21.63"), "general_public_budget": D("21.63"), "government_fund": None,
                       "state_capital": None}


def test_t6_blocks_groups_and_totals(czj, zz):
    groups = {c.code: c.line_key for c in _cells(czj, "t6_basic_expenditure_economic") if c.code}
    assert groups["30101"] == "personnel" and groups["303"] == "personnel" and groups["310"] == "public"
    totals = {c.line_key: c.amount for c in _cells(czj, "t6_basic_expenditure_economic", code=None)}
    assert totals == {"personnel_total": D("2152.26"), "public_total": D("184.65")}
    # 株洲: three blocks (人员经费 | 公用经费 over two), totals' labels and amounts on two grid rows
    zt = {c.line_key: c.amount for c in _cells(zz, "t6_basic_expenditure_economic", code=None)}
    assert zt == {"personnel_total": D("2045.53"), "public_total": D("545.28")}
    assert _one(zz, "t6_basic_expenditure_economic", code="399").line_key == "public"  # third block


def test_t7_pairs_and_blocks(czj, zz):
    pairs = {(c.line_key, c.column_key): c.amount for c in _cells(czj, "t7_three_public")}  # 预算数|决算数 per item
    assert pairs[("budget", "total")] == D("0.95") and pairs[("budget", "reception")] == D("0.95")
    assert pairs[("final", "total")] is None and len(pairs) == 12
    blocks = {(c.line_key, c.column_key): c.amount for c in _cells(zz, "t7_three_public")}  # 预算数 block, 决算数 block
    assert blocks[("budget", "total")] == D("60.64") and blocks[("final", "reception")] == D("11.55")
    assert blocks[("final", "vehicle_total")] == D("40.64") and blocks[("budget", "vehicle_purchase")] is None


def test_t7_letter_spaced_and_ascii_parenthesis_headers():
    rows = [["预 算 数", None, "决 算 数", None], ["合 计", "因公出国 (境)费", "合计", "因 公 出 国 （ 境 ） 费"],
            ["1.00", "0.50", "0.80", "0.30"]]
    _, pending = read_table_page(rows, T7_THREE_PUBLIC, 1, None)
    assert {(p.line_key, k): v for p in pending for k, v in p.amounts.items()} == {
        ("budget", "total"): "1.00", ("budget", "outbound"): "0.50",
        ("final", "total"): "0.80", ("final", "outbound"): "0.30"}


def test_empty_tables_with_notes(shgz, czj):
    for key in ("t7_three_public", "t8_government_fund", "t9_state_capital"):
        t = _table(shgz, key)
        assert t.status == "empty" and "本表无数据" in t.note and not _cells(shgz, key)
    assert _table(czj, "t8_government_fund").note == "注：上海市普陀区财政局无政府性基金预算财政拨款支出，故本表无数据。"


def test_merged_header_cells_spread_over_the_columns_they_cover():
    rows = [["预算数", None, None, "决算数", None, None],
            ["合计", "公务用车购置及运行费", None, "合计", "公务用车购置及运行费", None],
            [None, "小计", "公务用车购置费", None, "小计", "公务用车购置费"]]
    texts = [c.text for c in header_columns(rows, 6)]
    assert texts == ["预算数合计", "预算数公务用车购置及运行费小计", "预算数公务用车购置及运行费公务用车购置费",
                     "决算数合计", "决算数公务用车购置及运行费小计", "决算数公务用车购置及运行费公务用车购置费"]
    cmap = build_column_map(rows, T7_THREE_PUBLIC, 6)
    assert cmap.split_of == {0: "budget", 1: "budget", 2: "budget", 3: "final", 4: "final", 5: "final"}


def test_t6_block_group_from_header():
    rows = [["人员经费", None, None, "公用经费", None, None, None, None, None],
            ["科目编码", "科目名称", "决算数", "科目编码", "科目名称", "决算数", "科目编码", "科目名称", "决算数"]]
    cmap = build_column_map(rows, T6_BASIC_ECONOMIC, 9)
    assert [list(b) for b in cmap.blocks] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert cmap.block_group == {0: "personnel", 1: "public", 2: "public"}


def _read(rows, spec):
    _, pending = read_table_page(rows, spec, 3, None)
    return pending


def test_an_of_which_column_is_a_part_of_its_left_column_never_a_component():
    rows = [
        ["科目编码", "科目名称", "本年支出合计", "基本支出", "其中：人员经费", "项目支出"],
        ["205", "教育支出", "300.00", "200.00", "150.00", "100.00"],
    ]
    (row,) = _read(rows, T3_EXPENDITURE)
    assert row.amounts == {"total": "300.00", "basic": "200.00", "basic_of_which": "150.00", "project": "100.00"}


def test_a_group_headed_of_which_spanning_the_components_is_not_an_of_which_column():
    rows = [
        ["科目编码", "科目名称", "本年支出合计", "其中", None],
        [None, None, None, "基本支出", "项目支出"],
        ["205", "教育支出", "300.00", "200.00", "100.00"],
    ]
    (row,) = _read(rows, T3_EXPENDITURE)
    assert row.amounts == {"total": "300.00", "basic": "200.00", "project": "100.00"}


def test_an_of_which_row_is_kept_apart_from_the_rows_a_total_sums():
    rows = [
        ["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"],
        ["205", "教育支出", "300.00", "200.00", "100.00"],
        ["", "其中：培训支出", "50.00", "50.00", ""],
    ]
    first, of_which = _read(rows, T3_EXPENDITURE)
    assert (first.code, of_which.code, of_which.line_key) == ("205", None, "of_which")


def test_a_name_and_an_amount_in_one_cell_are_split():
    rows = [
        ["科目编码", "科目名称", "本年支出合计", "基本支出", "项目支出"],
        ["205", "教育支出12,345.67", "", "12,345.67", ""],
    ]
    (row,) = _read(rows, T3_EXPENDITURE)
    assert (row.label, row.amounts["total"], row.amounts["basic"]) == ("教育支出", "12,345.67", "12,345.67")
