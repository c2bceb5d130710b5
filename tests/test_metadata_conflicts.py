"""Cover and headings that disagree on the fiscal year are recorded, not silently resolved."""
from __future__ import annotations

from ingest.metadata import read_metadata
from ingest.parse import parse_pdf
from tests.conftest import CZJ, require_corpus


def test_year_on_cover_and_headings_disagree():
    pages = [
        "上海市普陀区某局\n2024年度部门决算",
        "第二部分 上海市普陀区某局2023年度部门决算表\n收入支出决算总表\n单位：万元",
        "上海市普陀区某局2024年度部门决算情况说明\n与2023年度相比，支出减少1.00万元。",
    ]
    meta = read_metadata(pages)
    assert meta.fiscal_year == 2024  # the cover decides, the disagreement is kept
    assert meta.metadata_conflicts == "fiscal_year: cover 2024 vs headings 2023 (1x)"


def test_consistent_real_report_has_no_conflict():
    require_corpus()
    doc = parse_pdf(CZJ, "czj")
    assert doc.metadata.fiscal_year == 2024 and doc.metadata.metadata_conflicts is None


def test_a_part_heading_naming_another_department_or_level_is_a_conflict():
    cover = "上海市普陀区财政局\n2024年度部门决算"
    other = read_metadata([cover, "第二部分 上海市普陀区审计局2024年度部门决算表\n收入支出决算总表"])
    assert other.metadata_conflicts == "department: cover '上海市普陀区财政局' vs headings '上海市普陀区审计局' (1x)"
    level = read_metadata([cover, "第三部分 上海市2024年度部门决算情况说明"])
    assert level.metadata_conflicts == "department: cover '上海市普陀区财政局' vs headings '上海市' (1x)"
    same = read_metadata([cover, "第二部分 上海市普陀区财政局2024年度部门决算表",
                          "纳入上海市普陀区审计局2024年度部门决算", "比2023年度决算数增加1.00万元"])
    assert same.metadata_conflicts is None  # a wrapped sentence and a comparison are not headings


def test_a_placeholder_anywhere_in_the_text_is_found():
    meta = read_metadata(["某区财政局\n2024年度部门决算", "一、部门职责\n负责XX工作的统筹协调。"])
    assert meta.placeholders == "p2 '一、部门职责负责XX工作的统筹协调。'"
    assert read_metadata(["某区财政局\n2024年度部门决算", "VOCs排放0.46t，PM2.5下降"]).placeholders is None
