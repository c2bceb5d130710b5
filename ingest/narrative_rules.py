"""Word rules of the narrative extractor: what the words before a number say the number is.

A *label* is the text between the previous number of a sentence and this one; its *clause* is the
part after the last ，；：、 (the words that name the figure: `其中：基本支出` -> `基本支出`). Rules
are tried most specific first, so 财政拨款收入总计含年初财政拨款结转和结余 is a balance, not a total.
Every function here returns None when the words say nothing it knows: the caller skips the number.
"""
from __future__ import annotations

import re

_CLAUSE_SPLIT = re.compile(r"[，,；;：:、]")
_LEADING = "（(“”\"'‘’【[ "

# (pattern on the clause, figure_key): order matters, first match wins.
LINE_RULES: list[tuple[re.Pattern, str]] = [(re.compile(p), k) for p, k in [
    (r"财政拨款.{0,30}年初.{0,30}结转和?结余", "appropriation_opening_balance"),
    (r"财政拨款.{0,30}年末.{0,30}结转和?结余", "appropriation_closing_balance"),
    (r"年初结转和?结余", "opening_balance"),
    (r"年末结转和?结余", "closing_balance"),
    (r"财政拨款收入支出总计|财政拨款收支总计", "appropriation_total_income_expenditure"),
    (r"收入支出总计|收支总计", "total_income_expenditure"),
    (r"本年收入合计", "income_total"),
    (r"本年支出合计|整体支出", "expenditure_total"),
    (r"政府性基金预算?财政拨款收入", "government_fund_income"),
    (r"国有资本经营预算?财政拨款收入", "state_capital_income"),
    (r"一般公共预算财政拨款收入", "general_budget_appropriation_income"),
    (r"财政拨款收入", "fiscal_appropriation_income"),
    (r"上级补助收入", "superior_subsidy"),
    (r"事业收入", "business_income"),
    (r"经营收入", "operating_income"),
    (r"附属单位上缴收入", "affiliated_remittance"),
    (r"使用非财政拨款结余", "use_of_non_appropriation_balance"),
    (r"其他收入", "other_income"),
    (r"一般公共预算财政拨款基本支出", "general_budget_basic_expenditure"),
    (r"一般公共预算财政拨款项目支出", "general_budget_project_expenditure"),
    (r"机关运行经费", "agency_operating_expenses"),
    (r"人员经费", "personnel_expenditure"),
    (r"公用经费", "public_expenditure"),
    (r"上缴上级支出", "remit_to_superior"),
    (r"对附属单位补助支出", "subsidy_to_affiliates"),
    (r"经营支出", "operating_expenditure"),
    (r"基本支出", "basic_expenditure"),
    (r"项目支出", "project_expenditure"),
]]

CHANGE_WORDS = re.compile(r"增加|减少|增长|下降|降低|上升|减幅|增幅")
_YOY_HINT = re.compile(r"相比|上年|上一年|同比|比\d{4}年")
_GENERAL_BUDGET = "一般公共预算财政拨款支出"
# 一般公共服务（类）支出 / 一般公共服务支出（类）, the name after the last delimiter
_CLASS = re.compile(r"([\u4e00-\u9fff]{1,30}?)(支出)?[（(]类[）)](支出)?$")
# 1、社会保障和就业支出（类）行政事业单位养老支出（款）行政单位离退休（项）
# a name may hold a bracketed part that is not a level marker: 政府办公厅（室）及相关机构事务
_NAME = r"(?:[^（()）。，；]|[（(](?![类款项][）)])[^（()）。，；]{1,8}[）)])"
ITEM_HEAD = re.compile(
    rf"([\u4e00-\u9fff]{{1,30}})[（(]类[）)]({_NAME}{{1,40}}?)[（(]款[）)](?:({_NAME}{{1,40}}?)[（(]项[）)])?")
COMPARISON = re.compile(
    r"决算数?(?:略|明显)?(大于|小于|等于|高于|低于|超过)(?:全年|年初|调整后?)?预算数?"
    r"|决算数?与(?:全年|年初|调整后?)?预算数?(?:基本)?(持平|一致|相等|相同|相当)")


def clause_of(label: str) -> str:
    text = label.replace("收、支", "收支").replace("收入、支出", "收入支出")
    return _CLAUSE_SPLIT.split(text)[-1].lstrip(_LEADING)


# The line name ends the clause (`一般公共预算基本支出会议费` is a 会议费, not 基本支出).
_LINE_END = re.compile(r"(?:支出)?(?:数|金额)?(?:为|是|共计?|达|合计)?$")


def line_key(clause: str) -> str | None:
    stem = _LINE_END.sub("", clause) if clause else clause
    for pattern, key in LINE_RULES:
        m = pattern.search(stem) or pattern.search(clause)
        if m and (m.end() == len(stem) or m.end() == len(clause)):
            return key
    return None


def class_name(clause: str) -> str | None:
    """`一般公共服务（类）支出` -> `一般公共服务支出` (the name as printed, without the marker)."""
    m = _CLASS.search(clause)
    if not m:
        return None
    return m.group(1) + ("支出" if (m.group(2) or m.group(3)) else "")


def three_public_item(clause: str) -> str | None:
    """Item key of the 三公 seed (three_public_items.csv) the words name, if any."""
    if "因公出国" in clause:
        return "outbound"
    if "公务接待" in clause:
        return "reception"
    if "公务用车" in clause:
        if "购置" in clause and "运行" in clause:
            return "vehicle_total"
        if "购置" in clause:
            return "vehicle_purchase"
        if "运行" in clause:
            return "vehicle_operation"
        return None
    if "三公" in clause:
        return "total"
    return None


def mentions_general_budget(clause: str) -> bool:
    return _GENERAL_BUDGET in clause


def pair_kind(clause: str) -> str | None:
    """budget (年初预算 / 预算), adjusted_budget (全年预算), actual (决算) or None."""
    text = clause.replace("一般公共预算", "")
    if "全年预算" in text or "调整预算" in text or "调整后预算" in text:
        return "adjusted_budget"
    if "决算" in text:
        return "actual"
    if "预算" in text:
        return "budget"
    return None


def change_word(clause: str) -> str | None:
    found = CHANGE_WORDS.findall(clause)
    return found[-1] if found else None


def change_kind(label: str, clause: str) -> str | None:
    """budget_change (比年初预算数增加), yoy_change (与上年相比减少) or None (say nothing)."""
    if "预算" in clause.replace("一般公共预算", ""):
        return "budget_change"
    if _YOY_HINT.search(label):
        return "yoy_change"
    return None


def change_subject(clause: str) -> str | None:
    """The line a change is about when the clause names it (`一般公共预算财政拨款支出减少`)."""
    words = CHANGE_WORDS.sub("", _YOY_HINT.sub("", clause))
    if mentions_general_budget(words):
        return "general_budget_expenditure"
    return line_key(words)


def procurement_key(label: str, clause: str) -> str | None:
    """政府采购: total and its parts; awards to and reservations for small enterprises."""
    who = "small_micro" if "小微企业" in label else ("sme" if "中小企业" in label else None)
    if who:
        if "中标" in label or "成交" in label:
            if "其他政府采购项目" in label:
                return f"procurement_{who}_awarded_other"
            return f"procurement_{who}_awarded_reserved" if "预留" in label else f"procurement_{who}_awarded"
        if "预留" in label:
            return f"procurement_{who}_reserved"
        if "授予" in label or "合同" in label:
            return f"procurement_{who}_awarded"
        return None
    for word, key in (("货物", "procurement_goods"), ("工程", "procurement_works"), ("服务", "procurement_services")):
        if word in clause:
            return key
    if "采购" in clause and ("总额" in clause or "金额" in clause or "支出" in clause):
        return "procurement_total"
    return None


def share_base(clause: str) -> str | None:
    """`占本年支出合计的` -> `本年支出合计`; None when the share names no whole."""
    m = re.search(r"占(.{1,40}?)的?$", clause)
    if not m:
        return None
    base = m.group(1).rstrip("的")
    return base or None


def vehicle_type(clause: str) -> str | None:
    """`机要通信用车` for a count of one vehicle type; None for the total (共有车辆, 保有量)."""
    if "车辆" in clause or "保有量" in clause:
        return None
    m = re.search(r"([\u4e00-\u9fff]{0,20}用车)$", clause)
    return m.group(1) if m else None
