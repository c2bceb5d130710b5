"""Prose of a generated document: 部门概况 and the 情况说明 that restates the tables' totals.

`explanation()` returns the paragraphs and the facts they state (the same numbers, as 2-place
strings) so the truth JSON can say what a narrative-vs-table check should find.
"""

from __future__ import annotations

from demo import catalog, glossary
from demo.numbers import Accounts, money, pct
from demo.table_cells import Layout

Paragraph = tuple[str, str]          # (kind, text): kind is h1 / h2 / h3 / p


def num(fen: int, lay: Layout) -> str:
    """An amount as written in prose: no separators; Hunan-style text drops trailing zeros."""
    v = money(fen)
    if lay.style == "hunan":
        s = f"{v:f}".rstrip("0").rstrip(".") if "." in f"{v:f}" else f"{v:f}"
        return s or "0"
    return f"{v:.2f}"


def share(part: int, whole: int, lay: Layout) -> str:
    return f"{pct(part, whole, 1 if lay.style == 'hunan' else 2)}%"


def field_of(short: str) -> str:
    for suffix in ("委员会", "管理局", "事务局", "分局", "办公室", "局", "馆"):
        if short.endswith(suffix) and len(short) > len(suffix):
            return short[: -len(suffix)]
    return short


def overview(acc: Accounts) -> list[Paragraph]:
    f = field_of(acc.short)
    out: list[Paragraph] = [("h1", f"第一部分 {acc.department}概况"), ("h2", "一、主要职能")]
    for i, s in enumerate(catalog.DUTY_SENTENCES):
        out.append(("p", f"（{catalog.CHINESE_ORDINALS[i]}）" + s.format(field=f)))
    out += [("h2", "二、部门决算单位构成"),
            ("p", f"从预算单位构成看，{acc.department}部门决算包括：{acc.department}本级决算"
                  f"{'、下属行政事业单位决算' if acc.subunits else ''}。纳入{acc.department}"
                  f"{acc.year}年度部门决算编制范围的单位包括：")]
    return out


def _change(cur: int, prev: int, lay: Layout) -> str:
    diff = cur - prev
    if diff == 0:
        return "持平"
    word, rate = ("增加", "增长") if diff > 0 else ("减少", "下降")
    return f"{word}{num(abs(diff), lay)}万元，{rate}{share(abs(diff), prev, lay) if prev else '100%'}"


def _relation(final: int, budget: int) -> str:
    return "大于" if final > budget else ("小于" if final < budget else "等于")


def explanation(acc: Accounts, prev: Accounts, lay: Layout) -> tuple[list[Paragraph], dict]:
    d, y = acc.department, acc.year
    n = lambda fen: num(fen, lay)          # noqa: E731
    s = lambda a, b: share(a, b, lay)      # noqa: E731
    out: list[Paragraph] = [("h1", f"第三部分 {d}{y}年度部门决算情况说明")]

    out += [("h2", "一、收入支出决算总体情况说明"),
            ("p", f"{d}{y}年度收入、支出总计{n(acc.grand_total)}万元。与{y - 1}年度相比，收入、支出总计"
                  f"{_change(acc.grand_total, prev.grand_total, lay)}。主要原因是：人员变动及项目支出安排调整。")]

    approp = acc.income["general_budget_appropriation"] + acc.income["government_fund_appropriation"]
    parts = [f"财政拨款收入{n(approp)}万元，占{s(approp, acc.income_total)}"]
    for key, label in (("superior_subsidy", "上级补助收入"), ("business_income", "事业收入"),
                       ("other_income", "其他收入")):
        if acc.income[key]:
            parts.append(f"{label}{n(acc.income[key])}万元，占{s(acc.income[key], acc.income_total)}")
    out += [("h2", "二、收入决算情况说明"),
            ("p", f"本年收入合计{n(acc.income_total)}万元，其中：" + "；".join(parts) + "。")]

    e = acc.expenditure_total
    out += [("h2", "三、支出决算情况说明"),
            ("p", f"本年支出合计{n(e)}万元，其中：基本支出{n(acc.basic_total)}万元，占{s(acc.basic_total, e)}；"
                  f"项目支出{n(acc.project_total)}万元，占{s(acc.project_total, e)}。")]

    out += [("h2", "四、财政拨款收入支出决算总体情况说明"),
            ("p", f"{d}{y}年度财政拨款收入支出总计{n(acc.appropriation_grand_total)}万元。与{y - 1}年度相比，"
                  f"财政拨款收入支出总计{_change(acc.appropriation_grand_total, prev.appropriation_grand_total, lay)}。")]

    t5 = acc.t5_total
    out += [("h2", "五、一般公共预算财政拨款支出决算情况说明"),
            ("h3", "（一）一般公共预算财政拨款支出决算总体情况"),
            ("p", f"{y}年度一般公共预算财政拨款支出{n(t5)}万元，占本年支出合计的{s(t5, e)}。与{y - 1}年度相比，"
                  f"一般公共预算财政拨款支出{_change(t5, prev.t5_total, lay)}。"),
            ("h3", "（二）一般公共预算财政拨款支出决算结构情况")]
    classes = sorted({i.code[:3] for i in acc.general_items})
    structure = [f"{catalog.CLASS_NAMES[c].removesuffix('支出')}（类）支出"
                 f"{n(acc.class_total(c, lambda it: it.g_total))}万元，"
                 f"占{s(acc.class_total(c, lambda it: it.g_total), t5)}" for c in classes]
    out.append(("p", f"{y}年度一般公共预算财政拨款支出{n(t5)}万元，主要用于以下方面：" + "；".join(structure) + "。"))

    budget_total = sum(i.budget for i in acc.general_items)
    out += [("h3", "（三）一般公共预算财政拨款支出决算具体情况"),
            ("p", f"{y}年度一般公共预算财政拨款支出年初预算为{n(budget_total)}万元，支出决算为{n(t5)}万元，"
                  f"完成年初预算的{s(t5, budget_total)}。其中：")]
    item_facts = []
    for k, it in enumerate(acc.general_items, 1):
        path = (f"{catalog.CLASS_NAMES[it.code[:3]]}（类）{catalog.KUAN_NAMES[it.code[:5]]}（款）"
                f"{it.name}（项）")
        rel = _relation(it.g_total, it.budget)
        text = f"年初预算为{n(it.budget)}万元，支出决算为{n(it.g_total)}万元"
        if it.budget:
            text += f"，完成年初预算的{s(it.g_total, it.budget)}"
        if rel == "等于":
            text += "，决算数等于年初预算数。"
        else:
            why = "年中追加相关经费" if rel == "大于" else "厉行节约，压减一般性支出"
            text += f"，决算数{rel}年初预算数的主要原因是：{why}。"
        out += [("p", f"{k}、{path}。"), ("p", text)]
        item_facts.append({"code": it.code, "budget": str(money(it.budget)), "final": str(money(it.g_total)),
                           "relation": rel})

    out += [("h2", "六、一般公共预算财政拨款基本支出决算情况说明"),
            ("p", f"{y}年度一般公共预算财政拨款基本支出{n(acc.t5_basic)}万元，其中：人员经费"
                  f"{n(acc.personnel_total)}万元，主要包括：基本工资、津贴补贴、奖金、绩效工资、机关事业单位基本养老保险缴费、"
                  f"职业年金缴费、职工基本医疗保险缴费、住房公积金、退休费等；公用经费{n(acc.public_total)}万元，"
                  f"主要包括：办公费、印刷费、水电费、邮电费、物业管理费、差旅费、维修（护）费、会议费、培训费、"
                  f"公务接待费、工会经费、福利费、公务用车运行维护费、其他交通费用、办公设备购置等。")]

    tb, tf = acc.three_public["budget"], acc.three_public["final"]
    out.append(("h2", "七、财政拨款“三公”经费支出决算情况说明"))
    if tb["total"] == 0 and tf["total"] == 0:
        out.append(("p", f"{d}本年度没有财政拨款“三公”经费支出。"))
    else:
        text = f"{y}年度“三公”经费财政拨款支出预算为{n(tb['total'])}万元，支出决算为{n(tf['total'])}万元"
        if tb["total"]:
            text += f"，完成预算的{s(tf['total'], tb['total'])}"
        out.append(("p", text + "。其中："))
        for key, label in (("outbound", "因公出国（境）费"), ("vehicle_purchase", "公务用车购置费"),
                           ("vehicle_operation", "公务用车运行维护费"), ("reception", "公务接待费")):
            out.append(("p", f"{label}支出预算为{n(tb[key])}万元，支出决算为{n(tf[key])}万元，"
                             f"决算数{_relation(tf[key], tb[key])}预算数。"))

    out.append(("h2", "八、政府性基金预算财政拨款收入支出决算情况说明"))
    if acc.fund_total:
        out.append(("p", f"{y}年度政府性基金预算财政拨款收入{n(acc.income['government_fund_appropriation'])}万元，"
                         f"支出{n(acc.fund_total)}万元，全部为项目支出。"))
    else:
        out.append(("p", "本单位没有政府性基金收入，也没有使用政府性基金安排的支出。"))
    out += [("h2", "九、国有资本经营预算财政拨款收入支出决算情况说明"),
            ("p", "本单位没有使用国有资本经营预算安排的支出。"),
            ("h2", "十、机关运行经费支出说明"),
            ("p", f"{y}年度机关运行经费支出{n(acc.public_total)}万元。")]
    out += glossary.PERFORMANCE
    out.append(("h1", "第四部分 名词解释"))
    out += [("p", f"{catalog.CHINESE_ORDINALS[i]}、{term}") for i, term in enumerate(glossary.GLOSSARY)]

    m = lambda fen: str(money(fen))        # noqa: E731
    facts = {
        "grand_total": m(acc.grand_total), "income_total": m(acc.income_total),
        "appropriation_income": m(approp), "expenditure_total": m(e),
        "basic": m(acc.basic_total), "basic_share": str(pct(acc.basic_total, e, 1 if lay.style == "hunan" else 2)),
        "project": m(acc.project_total),
        "project_share": str(pct(acc.project_total, e, 1 if lay.style == "hunan" else 2)),
        "appropriation_grand_total": m(acc.appropriation_grand_total),
        "general_budget_expenditure": m(t5), "general_budget_initial_budget": m(budget_total),
        "personnel": m(acc.personnel_total), "public": m(acc.public_total),
        "three_public_budget": m(tb["total"]), "three_public_final": m(tf["total"]),
        "previous_year_grand_total": m(prev.grand_total), "items": item_facts,
    }
    return out, facts
