"""Figures of the narrative (情况说明) and rows of the 绩效自评表, read from the page texts.

Expected values are read by eye from the published text (Putuo 财政局 2024, pages 21-24) and from
the 株洲 2021 seed (its 第三部分, rebuilt as a PDF on pages 17-20); generated demo documents are
checked against the `narrative` section of their truth JSON.
"""
from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pdfplumber
import pytest

from demo.generate import generate_corpus
from demo.zhuzhou import SEED, build_zhuzhou_pdf
from ingest.narrative import extract_narrative
from ingest.parse import parse_pdf
from ingest.performance import extract_performance_indicators
from tests.conftest import CZJ, require_corpus


@pytest.fixture(scope="module")
def czj():
    require_corpus()
    return parse_pdf(CZJ, "czj")


@pytest.fixture(scope="module")
def zhuzhou(tmp_path_factory):
    pdf = build_zhuzhou_pdf(tmp_path_factory.mktemp("zz") / "zhuzhou.pdf")
    return parse_pdf(pdf, "zz")


def _find(figures, key, subject=None, **names):
    return [f for f in figures if f.figure_key == key and f.subject == subject
            and all(getattr(f, k) == v for k, v in names.items())]


def _one(figures, key, subject=None, **names):
    found = _find(figures, key, subject, **names)
    assert len(found) == 1, (key, subject, names, found)
    return found[0]


def _facts(figures, section_prefix):
    return [(f.figure_key, f.subject, f.value, f.unit, f.page, f.comparison_word)
            for f in figures if f.section.startswith(section_prefix)]


def test_czj_totals_shares_and_changes(czj):
    figs = czj.narrative_figures
    assert _facts(figs, "一、") == [
        ("total_income_expenditure", None, D("2995.39"), "万元", 21, None),
        ("yoy_change", "total_income_expenditure", D("56.95"), "万元", 21, "减少"),
        ("yoy_change", "total_income_expenditure", D("1.87"), "%", 21, "下降")]
    assert _facts(figs, "二、") == [
        ("income_total", None, D("2946.25"), "万元", 21, None),
        ("fiscal_appropriation_income", None, D("2940.05"), "万元", 21, None),
        ("share", "fiscal_appropriation_income", D("99.79"), "%", 21, None),
        ("other_income", None, D("6.2"), "万元", 21, None),
        ("share", "other_income", D("0.21"), "%", 21, None)]
    assert _facts(figs, "三、") == [
        ("expenditure_total", None, D("2940.05"), "万元", 21, None),
        ("basic_expenditure", None, D("2336.91"), "万元", 21, None),
        ("share", "basic_expenditure", D("79.49"), "%", 21, None),
        ("project_expenditure", None, D("603.14"), "万元", 21, None),
        ("share", "project_expenditure", D("20.51"), "%", 21, None)]
    # the published text states 财政拨款收入支出总计 0.3万元 (T4 says otherwise): kept as stated
    assert _facts(figs, "四、") == [("appropriation_total_income_expenditure", None, D("0.3"), "万元", 21, None)]
    share = _one(figs, "share", "general_budget_expenditure")
    assert (share.value, share.relative_to) == (D("100.00"), "本年支出合计")
    housing = _one(figs, "class_expenditure", class_name="住房保障支出")
    assert (housing.value, housing.class_code, housing.page) == (D("445.69"), "221", 21)
    assert _one(figs, "share", "class_expenditure", class_name="住房保障支出").value == D("15.16")


def test_czj_items_budget_and_final(czj):
    figs = czj.narrative_figures
    assert _one(figs, "general_budget_initial_budget").value == D("2993.92")
    assert _one(figs, "completion_rate", "general_budget_expenditure").value == D("98.20")
    budget = _one(figs, "item_budget", item_name="行政运行")
    final = _one(figs, "item_actual", item_name="行政运行")
    # 1511.89 is printed on page 22 with 万 at the line end and 元 on the next line
    assert (budget.value, final.value, final.unit, final.page) == (D("1560.05"), D("1511.89"), "万元", 22)
    assert (final.class_name, final.kuan_name, final.class_code) == ("一般公共服务支出", "财政事务", "201")
    assert budget.comparison_word == final.comparison_word == "小于"  # stated in the next sentence
    assert "年初预算为1560.05万元，支出决算为1511.89万元。" in final.sentence
    assert len(_find(figs, "item_budget")) == len(_find(figs, "item_actual")) == 11
    assert _one(figs, "item_actual", item_name="购房补贴").comparison_word == "持平"
    assert _one(figs, "item_budget", item_name="机关事业单位基本养老保险缴费支出").value == D("161.62")


def test_czj_three_public_operation_procurement_assets(czj):
    figs = czj.narrative_figures
    total_b, total_a = _one(figs, "three_public_budget", "total"), _one(figs, "three_public_actual", "total")
    assert (total_b.value, total_a.value, total_a.page) == (D("0.95"), D("0.00"), 23)
    assert total_b.comparison_word == total_a.comparison_word == "小于"
    assert _one(figs, "three_public_actual", "reception").value == D("0.00")
    assert _one(figs, "completion_rate", "three_public_actual.vehicle_total").value == D("0")
    assert _one(figs, "agency_operating_expenses").value == D("184.65")
    assert [(f.value, f.unit, f.comparison_word) for f in _find(figs, "yoy_change", "agency_operating_expenses")] == [
        (D("2.55"), "万元", "增加"), (D("1.40"), "%", "增长")]
    assert [(f.figure_key, f.value, f.page) for f in figs if f.figure_key.startswith("procurement_")][:4] == [
        ("procurement_total", D("251.25"), 24), ("procurement_goods", D("4.79"), 24),
        ("procurement_works", D("0"), 24), ("procurement_services", D("246.47"), 24)]
    assert _one(figs, "vehicles").value == D("0")
    assert len(_find(figs, "vehicles", "机要通信用车")) == 1
    equipment = _one(figs, "equipment", "单价100万元（含）以上设备（不含车辆）")
    assert (equipment.value, equipment.unit) == (D("2"), "台（套）")  # 100万元 is a threshold, not a figure
    assert not any(f.unit_suspect for f in figs)
    assert czj.performance_indicators == []


def test_zhuzhou_totals_and_shares(zhuzhou):
    figs = zhuzhou.narrative_figures
    assert {f.page for f in figs} == {17, 18, 19, 20}
    assert (_one(figs, "income_total").value, _one(figs, "income_total").page) == (D("5107.53"), 17)
    assert _one(figs, "basic_expenditure", section="三、支出决算情况说明").value == D("2590.81")
    assert _one(figs, "share", "basic_expenditure").value == D("50.7")
    assert _one(figs, "project_expenditure", section="三、支出决算情况说明").value == D("2516.72")
    assert _one(figs, "share", "project_expenditure").value == D("49.3")
    assert _one(figs, "share", "fiscal_appropriation_income").value == D("100")
    assert [(f.value, f.unit) for f in _find(figs, "yoy_change", "total_income_expenditure")] == [
        (D("2522.62"), "万元"), (D("33.1"), "%")]
    resources = _one(figs, "class_expenditure", class_name="资源勘探工业信息等支出")
    assert (resources.value, resources.class_code) == (D("3359.46"), "215")
    # 支出总计含年末结转和结余 1001.95 元: 元 where the same figure is stated in 万元 before
    closing = _one(figs, "closing_balance")
    assert (closing.value, closing.unit, closing.unit_suspect, closing.page) == (D("1001.95"), "元", True, 17)
    assert _one(figs, "opening_balance").unit_suspect is False
    assert _one(figs, "share", "personnel_expenditure").relative_to == "基本支出"


def test_zhuzhou_items(zhuzhou):
    figs = zhuzhou.narrative_figures
    names = dict(class_name="社会保障和就业支出", kuan_name="行政事业单位养老支出", item_name="行政单位离退休")
    budget, final = _one(figs, "item_budget", **names), _one(figs, "item_actual", **names)
    assert (budget.value, final.value, final.comparison_word, final.page, final.class_code) == (
        D("233.37"), D("266.46"), "大于", 17, "208")
    assert _one(figs, "completion_rate", "item_actual", **names).value == D("114.2")
    pension = dict(item_name="机关事业单位基本养老保险缴费支出")
    budget, final = _one(figs, "item_budget", **pension), _one(figs, "item_actual", **pension)
    assert (budget.value, budget.unit, budget.unit_suspect) == (D("115.53"), "万元", False)
    assert (final.value, final.unit, final.unit_suspect, final.page) == (D("115.53"), "元", True, 18)
    assert len(_find(figs, "item_budget")) == 16
    medical = dict(item_name="行政单位医疗")
    assert (_one(figs, "item_actual", **medical).value, _one(figs, "item_actual", **medical).comparison_word) == (
        D("71.48"), "小于")


def test_zhuzhou_three_public_and_other_statements(zhuzhou):
    figs = [f for f in zhuzhou.narrative_figures if f.subsection and f.subsection.startswith("（一）“三公”")]
    budget, final = _one(figs, "three_public_budget", "total"), _one(figs, "three_public_actual", "total")
    assert (budget.value, budget.unit, budget.unit_suspect) == (D("60.64"), "元", True)  # printed 60.64 元
    assert (final.value, final.unit, final.comparison_word, final.page) == (D("52.18"), "万元", "小于", 19)
    expected = {"outbound": ("0", "0"), "reception": ("20", "11.55"), "vehicle_purchase": ("0", "0"),
                "vehicle_operation": ("40.64", "40.64")}
    for item, (b, a) in expected.items():
        assert (_one(figs, "three_public_budget", item).value, _one(figs, "three_public_actual", item).value) == (
            D(b), D(a)), item
    reception_changes = _find(figs, "yoy_change", "three_public_actual.reception")
    assert [(f.value, f.unit, f.comparison_word) for f in reception_changes] == [
        (D("0.45"), "万元", "减少"), (D("3.8"), "%", "减少")]
    all_figs = zhuzhou.narrative_figures
    assert _one(all_figs, "share", "three_public_actual.vehicle_total").value == D("77.9")
    assert _one(all_figs, "agency_operating_expenses").value == D("545.28")
    assert _one(all_figs, "budget_change", "agency_operating_expenses", unit="万元").value == D("3.06")
    assert _one(all_figs, "yoy_change", "agency_operating_expenses", unit="万元").value == D("422.93")
    assert _one(all_figs, "procurement_total").value == D("1749.75")
    assert _one(all_figs, "share", "procurement_sme_awarded").value == D("66.3")
    assets = [(f.figure_key, f.subject, f.value) for f in all_figs if f.section.startswith("十二、")]
    assert assets == [("vehicles", None, D("9")), ("vehicles", "机要通信用车", D("3")),
                      ("vehicles", "执法执勤用车", D("2")), ("vehicles", "特种专业技术用车", D("4")),
                      ("equipment", "单位价值50万元以上通用设备", D("9")),
                      ("equipment", "单位价值100万元以上专用设备", D("0"))]
    assert not _find(all_figs, "basic_expenditure", section="十一、一般性支出情况说明")  # 会议费 is not 基本支出
    assert sum(f.unit_suspect for f in all_figs) == 3


def test_seed_text_gives_the_same_figures_as_the_rebuilt_pdf(zhuzhou):
    from_seed = extract_narrative([SEED.read_text(encoding="utf-8")])
    key = lambda f: (f.figure_key, f.subject, f.value, f.unit, f.unit_suspect, f.item_name, f.sentence)  # noqa: E731
    assert [key(f) for f in from_seed] == [key(f) for f in zhuzhou.narrative_figures]


def test_performance_self_assessment_table_from_the_seed():
    rows = extract_performance_indicators([SEED.read_text(encoding="utf-8")])
    assert len(rows) == 16
    first = rows[0]
    assert (first.table_title, first.category, first.indicator, first.target, first.actual, first.weight,
            first.score) == ("2021年度部门整体支出绩效自评表", "数量指标", "规模工业增长率", "≥8.5%", "11.7%", D("6"), D("6"))
    invest = next(r for r in rows if r.indicator == "工业投资增长率")
    assert (invest.target, invest.actual, invest.score) == ("16%", "15.4%", D("5"))
    assert invest.note.startswith("原因：经济下行压力大")
    park = next(r for r in rows if r.indicator == "园区技工贸收入")
    assert (park.category, park.target, park.actual) == ("经济效益指标", "4000亿元", "4602亿元")
    assert (rows[-1].indicator, rows[-1].weight, rows[-1].score, rows[-1].note) == ("总分", D("100"), D("98"), "等级：优")
    assert sum(r.weight for r in rows[:-1]) == D("90")


def _truth_names(truth: dict) -> dict[str, str]:
    return {row["code"]: row["name"] for row in truth["tables"]["t5_general_budget_expenditure"] if row["code"]}


def _demo_problems(pdf: Path) -> list[str]:
    truth = json.loads((pdf.parent / "_truth" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
    with pdfplumber.open(pdf) as doc:
        figs = extract_narrative([p.extract_text(y_tolerance=5) or "" for p in doc.pages])
    n, problems = truth["narrative"], []

    def check(label, found, expected):
        if [f.value for f in found][:1] != [D(expected)]:
            problems.append(f"{label}: expected {expected}, got {[str(f.value) for f in found]}")

    for key, fact in [("total_income_expenditure", "grand_total"), ("income_total", "income_total"),
                      ("fiscal_appropriation_income", "appropriation_income"),
                      ("expenditure_total", "expenditure_total"), ("basic_expenditure", "basic"),
                      ("project_expenditure", "project"),
                      ("appropriation_total_income_expenditure", "appropriation_grand_total"),
                      ("general_budget_expenditure", "general_budget_expenditure"),
                      ("general_budget_initial_budget", "general_budget_initial_budget"),
                      ("personnel_expenditure", "personnel"), ("public_expenditure", "public")]:
        check(key, _find(figs, key), n[fact])
    check("basic share", _find(figs, "share", "basic_expenditure"), n["basic_share"])
    check("project share", _find(figs, "share", "project_expenditure"), n["project_share"])
    if D(n["three_public_budget"]) or D(n["three_public_final"]):
        check("三公 budget", _find(figs, "three_public_budget", "total"), n["three_public_budget"])
        check("三公 final", _find(figs, "three_public_actual", "total"), n["three_public_final"])
    change = abs(D(n["grand_total"]) - D(n["previous_year_grand_total"]))
    if change:
        check("yoy", _find(figs, "yoy_change", "total_income_expenditure", unit="万元"), str(change))
    names = _truth_names(truth)
    for item in n["items"]:
        code = item["code"]
        where = dict(class_name=names[code[:3]], kuan_name=names[code[:5]], item_name=names[code])
        budget, final = _find(figs, "item_budget", **where), _find(figs, "item_actual", **where)
        check(f"{code} budget", budget, item["budget"])
        check(f"{code} final", final, item["final"])
        if [f.comparison_word for f in budget + final] != [item["relation"]] * 2:
            problems.append(f"{code}: relation {item['relation']}, got {[f.comparison_word for f in budget + final]}")
        if final and final[0].class_code != code[:3]:
            problems.append(f"{code}: class code {final[0].class_code}")
    if len(_find(figs, "item_budget")) != len(n["items"]):
        problems.append(f"{len(_find(figs, 'item_budget'))} item budgets for {len(n['items'])} items")
    problems += [f"unexpected suspect unit: {f.sentence}" for f in figs if f.unit_suspect]
    return problems


def test_demo_documents_match_their_truth(tmp_path):
    generate_corpus(tmp_path, count=9, seed=2024)
    pdfs = [p for p in sorted(tmp_path.glob("*.pdf")) if "株洲市工业和信息化局" not in p.name]
    assert len(pdfs) == 8  # one full cycle of code x style x thousands layouts
    problems = {p.name: _demo_problems(p) for p in pdfs}
    assert {k: v for k, v in problems.items() if v} == {}
