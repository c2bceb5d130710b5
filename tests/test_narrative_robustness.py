"""The narrative extractors never raise, whatever the text; their records survive the parse cache
and load into raw.narrative_figures / raw.performance_indicators with exact DECIMAL values."""
from __future__ import annotations

import dataclasses
import json
import random
from decimal import Decimal as D

import duckdb
import pytest

from demo.zhuzhou import SEED, build_zhuzhou_pdf
from ingest.narrative import extract_narrative
from ingest.parse import parse_pdf
from ingest.performance import extract_performance_indicators
from ingest.records import ParsedDocument
from ingest.staging_narrative import load_narrative_tables


@pytest.fixture(scope="module")
def zhuzhou(tmp_path_factory):
    return parse_pdf(build_zhuzhou_pdf(tmp_path_factory.mktemp("zz") / "zhuzhou.pdf"), "zz")


GARBAGE = [
    "", "。", "占", "占%", "第三部分\n一、收入支出决算总体情况说明\n" + "，" * 30, "万元" * 1000,
    "1" * 5000 + "万元", "9" * 30 + ".123456789万元，占" + "8" * 40 + "%", "年初预算为万元，支出决算为元",
    "（类）（款）（项）" * 200, "社会保障和就业支出（类）" + "事" * 5000 + "（款）" + "项" * 5000 + "（项）",
    "\x00\ufffd\u202e\ud7ff" * 100, "一、" * 3000, "决算数大于预算数" * 500, "1,2,3,4.5.6万元%%%辆台（套）以上",
    "占" + "的" * 10000 + "5", "公务用车购置费" * 300 + "12万元",
]


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_text_never_raises(text):
    assert isinstance(extract_narrative([text, text]), list)
    assert isinstance(extract_performance_indicators([text]), list)


def test_random_text_and_bad_inputs_never_raise():
    rng = random.Random(7)
    alphabet = "0123456789.,%％万元辆台（）()类款项占的增加减少与上年相比年初预算决算大于小于等于。，；：、\n 一二三四五第三部分情况说明绩效自评表总分"
    seed = SEED.read_text(encoding="utf-8")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        start = rng.randint(0, len(seed))
        mixed = seed[start:start + rng.randint(0, 4000)] + text
        assert isinstance(extract_narrative([text, mixed]), list)
        assert isinstance(extract_performance_indicators([mixed, text]), list)
    for bad in (None, [], [None], [123, b"bytes", ""], ["\n" * 10000]):
        assert extract_narrative(bad) == []
        assert extract_performance_indicators(bad) == []


def test_cache_round_trip_and_staging_tables(zhuzhou, tmp_path):
    rows = extract_performance_indicators([SEED.read_text(encoding="utf-8")])
    doc = dataclasses.replace(zhuzhou, performance_indicators=rows)
    data = doc.to_json_dict()
    assert data["narrative_figures"][0]["value"] == "5107.53"  # Decimals travel as strings
    back = ParsedDocument.from_json_dict(json.loads(json.dumps(data, ensure_ascii=False)))
    assert (back.narrative_figures, back.performance_indicators) == (doc.narrative_figures, rows)
    new, old = tmp_path / "new.json", tmp_path / "old.json"
    new.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    legacy = {k: v for k, v in data.items() if k not in ("narrative_figures", "performance_indicators")}
    old.write_text(json.dumps({**legacy, "document_id": "old"}, ensure_ascii=False), encoding="utf-8")
    con = duckdb.connect()
    load_narrative_tables(con, [str(new), str(old)])
    assert con.execute("select count(*), count(distinct document_id) from raw.narrative_figures").fetchall() == [
        (len(doc.narrative_figures), 1)]
    suspect = con.execute(
        """select figure_index, page, value, unit, typeof(value) from raw.narrative_figures
           where unit_suspect and figure_key = 'item_actual'""").fetchall()
    index = 1 + next(i for i, f in enumerate(doc.narrative_figures) if f.figure_key == "item_actual" and f.unit_suspect)
    assert suspect == [(index, 18, D("115.53"), "元", "DECIMAL(18,4)")]
    assert con.execute("select sum(value) from raw.narrative_figures where unit = '%'").fetchone()[0] == sum(
        f.value for f in doc.narrative_figures if f.unit == "%")
    assert con.execute(
        "select indicator, target, actual, weight, score from raw.performance_indicators where row_index = 1"
    ).fetchall() == [("规模工业增长率", "≥8.5%", "11.7%", D("6"), D("6"))]
    load_narrative_tables(con, [])  # no loaded documents: empty tables, rebuilt
    assert con.execute("select count(*) from raw.narrative_figures").fetchone()[0] == 0


# An item name broken by the page break, with the page furniture printed between its halves: a
# running header (the department and year at the top of every page) and a `第 5 页 共 20 页`
# footer. Neither may become part of the name (it was read as `行某某局2024年度部门决算政运行`).
_RUNNING_HEADER = "某某局2024年度部门决算"


@pytest.mark.parametrize("footer", ["第 {n} 页 共 20 页", "- {n} -", "{n}/20", "第{n}页，共20页", "{n}"])
def test_an_item_name_continued_on_the_next_page(footer):
    from ingest.narrative import extract_narrative

    pages = [
        f"{_RUNNING_HEADER}\n第三部分 2024年度部门决算情况说明\n一、收入支出决算总体情况说明\n"
        f"本年收入合计100.00万元。\n{footer.format(n=4)}",
        f"{_RUNNING_HEADER}\n八、一般公共预算财政拨款支出决算情况说明\n"
        f"1.一般公共服务（类）政府办公厅（室）及相关机构事务（款）行\n{footer.format(n=5)}",
        f"{_RUNNING_HEADER}\n政运行（项）。年初预算为100.00万元，支出决算为120.50万元。\n{footer.format(n=6)}",
    ]
    items = [(f.figure_key, f.class_name, f.kuan_name, f.item_name, str(f.value), f.page)
             for f in extract_narrative(pages) if f.figure_key.startswith("item_")]
    assert items == [
        ("item_budget", "一般公共服务", "政府办公厅（室）及相关机构事务", "行政运行", "100.00", 3),
        ("item_actual", "一般公共服务", "政府办公厅（室）及相关机构事务", "行政运行", "120.50", 3),
    ]

