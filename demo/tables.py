"""The nine 部门决算 tables: printed grid and ground truth, built from the same cell texts.

Each builder returns a `TableOut` holding the grid to draw and the truth rows. Truth amounts are
derived from the printed text itself (`truth()`), so the truth can never disagree with the PDF:
a blank cell is null, `2,946.25` is "2946.25".
"""

from __future__ import annotations

from demo import catalog
from demo.layout import LANDSCAPE, PORTRAIT, Cell, Grid, HCell
from demo.numbers import T2_COLUMNS, THREE_PUBLIC_KEYS, Accounts, Item, rollup
from demo.table_cells import Layout, TableOut, amount, code_table_header, code_width, fit, function_rows


NOTES = {
    "t1_summary": "注：本表反映部门本年度的总收支和年末结转结余情况。",
    "t2_income": "注：本表反映部门本年度取得的各项收入情况。",
    "t3_expenditure": "注：本表反映部门本年度各项支出情况。",
    "t4_appropriation_summary": "注：本表反映部门本年度一般公共预算财政拨款、政府性基金预算财政拨款和国有资本经营预算财政拨款的总收支和年末结转结余情况。",
    "t5_general_budget_expenditure": "注：本表反映部门本年度一般公共预算财政拨款支出情况。",
    "t6_basic_expenditure_economic": "注：本表反映部门本年度一般公共预算财政拨款基本支出明细情况。",
    "t7_three_public": "注：本表反映部门本年度“三公”经费支出预决算情况。其中，预算数为“三公”经费全年预算数，反映按规定程序调整后的预算数；决算数是包括当年一般公共预算财政拨款和以前年度结转资金安排的实际支出。",
    "t8_government_fund": "注：本表反映部门本年度政府性基金预算财政拨款收入、支出及结转和结余情况。",
    "t9_state_capital": "注：本表反映部门本年度国有资本经营预算财政拨款支出情况。",
}


# ------------------------------------------------------------------ T1 收入支出决算总表

T1_INCOME = [
    ("general_budget_appropriation", "一般公共预算财政拨款收入"),
    ("government_fund_appropriation", "政府性基金预算财政拨款收入"),
    ("state_capital_appropriation", "国有资本经营预算财政拨款收入"),
    ("superior_subsidy", "上级补助收入"), ("business_income", "事业收入"),
    ("operating_income", "经营收入"), ("affiliated_remittance", "附属单位上缴收入"),
    ("other_income", "其他收入"),
]


def class_label(i: int, name: str) -> str:
    return f"{catalog.CHINESE_ORDINALS[i]}、{name}"


def t1_summary(acc: Accounts, lay: Layout) -> TableOut:
    hunan = lay.style == "hunan"
    side_w = [165.0, 28.0, 64.5] if hunan else [190.0, 67.5]
    widths = side_w + side_w
    n = len(side_w)
    header = [HCell(0, 0, "收入", colspan=n), HCell(0, n, "支出", colspan=n)]
    sub = ["项目", "行次", "金额"] if hunan else ["项目", "决算数"]
    header += [HCell(1, i, t) for i, t in enumerate(sub)] + [HCell(1, n + i, t) for i, t in enumerate(sub)]
    if hunan:
        header += [HCell(2, 0, "栏次"), HCell(2, 1, ""), HCell(2, 2, "1"),
                   HCell(2, 3, "栏次"), HCell(2, 4, ""), HCell(2, 5, "2")]
    body: list[list[Cell]] = []
    truth_rows: list[dict] = []

    def half(side: str, label: str, key: str | None, fen: int | None, line_no: int, code=None):
        cells = [Cell(label)]
        if hunan:
            cells.append(Cell(str(line_no), align="c"))
        if key is None:
            cells.append(Cell(align="r"))
            return cells
        cell, tv = amount(fen, lay)
        cells.append(cell)
        t = {"side": side, "line_key": key, "code": code, "name": label, "amount": tv}
        if hunan:
            t["line_no"] = line_no
        truth_rows.append(t)
        return cells

    classes = catalog.T1_CLASSES
    for i, (code, name) in enumerate(classes):
        if i < len(T1_INCOME):
            key, label = T1_INCOME[i]
            left = half("income", class_label(i, label), key, acc.income[key], i + 1)
        else:
            left = half("income", "", None, None, i + 1)
        fen = acc.class_total(code, lambda it: it.total)
        right = half("expenditure", class_label(i, name), "function_class", fen, len(classes) + 6 + i,
                     code=code)
        body.append(left + right)
    n_in = len(classes)
    ex0 = n_in + 6 + n_in                       # first line number after the classes (hunan)
    use_label = "使用非财政拨款结余" if hunan else "使用非财政拨款结余（含专用结余）"
    tail = [
        (("本年收入合计", "income_total", acc.income_total),
         ("本年支出合计", "expenditure_total", acc.expenditure_total)),
        ((use_label, "use_of_non_appropriation_balance", acc.use_of_balance),
         ("结余分配", "balance_distribution", acc.distribution)),
        (("年初结转和结余", "opening_balance", acc.opening_balance),
         ("年末结转和结余", "closing_balance", acc.closing_balance)),
    ]
    if hunan:
        tail.append(None)
    tail.append((("总计", "grand_total", acc.grand_total), ("总计", "grand_total", acc.grand_total)))
    for j, pair in enumerate(tail):
        if pair is None:
            body.append(half("income", "", None, None, n_in + 1 + j) +
                        half("expenditure", "", None, None, ex0 + j))
            continue
        (ll, lk, lv), (rl, rk, rv) = pair
        body.append(half("income", ll, lk, lv, n_in + 1 + j) + half("expenditure", rl, rk, rv, ex0 + j))
    return TableOut("t1_summary", "收入支出决算总表", Grid(widths, header, body, font_size=9),
                    truth_rows, [NOTES["t1_summary"]], label="公开01表" if hunan else None)


# ------------------------------------------------------------------ T2 / T3 / T5 (function code)

T2_HEADERS = ["本年收入合计", "财政拨款收入", "上级补助收入", "事业收入", "经营收入",
              "附属单位上缴收入", "其他收入"]
T3_KEYS = ["total", "basic", "project", "remit_to_superior", "operating", "subsidy_to_affiliates"]
T3_HEADERS = ["本年支出合计", "基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出"]


def t2_income(acc: Accounts, lay: Layout) -> TableOut:
    cols = T2_COLUMNS[1:]

    def vals(it: Item) -> tuple[int, ...]:
        v = tuple(it.income.get(c, 0) for c in cols)
        return (sum(v),) + v

    lines = rollup(acc.items, vals)
    total = tuple(sum(v[k] for c, v in lines if len(c) == 3) for k in range(len(T2_COLUMNS)))
    header, h = code_table_header(lay, T2_HEADERS)
    body, rows = function_rows(lines, total, T2_COLUMNS, lay)
    widths = fit(code_width(lay) + [0.0] + [80.0] * 7, LANDSCAPE[0] - 80, len(code_width(lay)))
    return TableOut("t2_income", "收入决算表", Grid(widths, header, body, font_size=9, header_rows=h),
                    rows, [NOTES["t2_income"]], label=_label(lay, 2), orientation=LANDSCAPE)


def t3_expenditure(acc: Accounts, lay: Layout) -> TableOut:
    lines = rollup(acc.items, lambda it: (it.total, it.basic, it.project, 0, 0, 0))
    total = (acc.expenditure_total, acc.basic_total, acc.project_total, 0, 0, 0)
    header, h = code_table_header(lay, T3_HEADERS)
    body, rows = function_rows(lines, total, T3_KEYS, lay)
    widths = fit(code_width(lay) + [0.0] + [88.0] * 6, LANDSCAPE[0] - 80, len(code_width(lay)))
    return TableOut("t3_expenditure", "支出决算表", Grid(widths, header, body, font_size=9, header_rows=h),
                    rows, [NOTES["t3_expenditure"]], label=_label(lay, 3), orientation=LANDSCAPE)


def t5_general(acc: Accounts, lay: Layout) -> TableOut:
    lines = rollup(acc.items, lambda it: (it.g_total, it.g_basic, it.g_project))
    total = (acc.t5_total, acc.t5_basic, acc.t5_total - acc.t5_basic)
    values = [("本年支出", ["小计", "基本支出", "项目支出"])] if lay.style == "hunan" \
        else ["合计", "基本支出", "项目支出"]
    header, h = code_table_header(lay, values)
    body, rows = function_rows(lines, total, ["total", "basic", "project"], lay, total_at=lay.t5_total)
    rest = (PORTRAIT[0] - 80 - sum(code_width(lay)) - 118.0) / 3
    widths = code_width(lay) + [118.0, rest, rest, rest]
    return TableOut("t5_general_budget_expenditure", "一般公共预算财政拨款支出决算表",
                    Grid(widths, header, body, font_size=9, header_rows=h), rows,
                    [NOTES["t5_general_budget_expenditure"]], label=_label(lay, 5))


def _label(lay: Layout, n: int) -> str | None:
    return f"公开{n:02d}表" if lay.style == "hunan" else None


# ------------------------------------------------------------------ T4 财政拨款收入支出决算总表

def t4_appropriation(acc: Accounts, lay: Layout) -> TableOut:
    hunan = lay.style == "hunan"
    if hunan:
        widths = [170.0, 32.0, 80.0, 170.0, 32.0, 70.0, 70.0, 70.0, 68.0]
        header = [HCell(0, 0, "收入", colspan=3), HCell(0, 3, "支出", colspan=6)]
        sub = ["项目", "行次", "金额", "项目", "行次", "合计", "一般公共预算财政拨款",
               "政府性基金预算财政拨款", "国有资本经营预算财政拨款"]
        header += [HCell(1, i, t) for i, t in enumerate(sub)]
        header += [HCell(2, i, t) for i, t in enumerate(["栏次", "", "1", "栏次", "", "2", "3", "4", "5"])]
    else:
        widths = [190.0, 90.0, 190.0, 73.0, 73.0, 73.0, 73.0]
        header = [HCell(0, 0, "收入", colspan=2), HCell(0, 2, "支出", colspan=5)]
        sub = ["项目", "决算数", "项目", "合计", "一般公共预算财政拨款", "政府性基金预算财政拨款",
               "国有资本经营预算财政拨款"]
        header += [HCell(1, i, t) for i, t in enumerate(sub)]
    body: list[list[Cell]] = []
    rows: list[dict] = []

    def left(label: str, key: str | None, fen: int, no: int) -> list[Cell]:
        cells = [Cell(label)] + ([Cell(str(no), align="c")] if hunan else [])
        if key is None:
            return cells + [Cell()]
        cell, tv = amount(fen, lay)
        t = {"side": "income", "line_key": key, "code": None, "name": label, "amount": tv}
        if hunan:
            t["line_no"] = no
        rows.append(t)
        return cells + [cell]

    def right(label: str, key: str | None, vals: tuple[int, int, int, int], no: int, code=None):
        cells = [Cell(label)] + ([Cell(str(no), align="c")] if hunan else [])
        if key is None:
            return cells + [Cell(), Cell(), Cell(), Cell()]
        t = {"side": "expenditure", "line_key": key, "code": code, "name": label}
        if hunan:
            t["line_no"] = no
        for k, v in zip(["total", "general_public_budget", "government_fund", "state_capital"], vals):
            cell, t[k] = amount(v, lay)
            cells.append(cell)
        rows.append(t)
        return cells

    g_in = acc.income["general_budget_appropriation"]
    f_in = acc.income["government_fund_appropriation"]
    income_lines = [("一、一般公共预算财政拨款", "general_budget_appropriation", g_in),
                    ("二、政府性基金预算财政拨款", "government_fund_appropriation", f_in),
                    ("三、国有资本经营预算财政拨款", "state_capital_appropriation", 0)]
    n = len(catalog.T1_CLASSES)
    e0 = n + 7                                 # first expenditure line number (hunan): 33
    for i, (code, name) in enumerate(catalog.T1_CLASSES):
        if i < 3:
            lft = left(*income_lines[i], i + 1)
        else:
            lft = left("", None, 0, i + 1)
        g = acc.class_total(code, lambda it: it.g_total)
        f = acc.class_total(code, lambda it: it.f_project)
        body.append(lft + right(class_label(i, name), "function_class", (g + f, g, f, 0), e0 + i, code))
    exp_total = acc.t5_total + acc.fund_total
    closing = acc.closing["general"] + acc.closing["fund"]
    opening = acc.opening["general"] + acc.opening["fund"]
    grand = acc.appropriation_grand_total
    blank = ("", None, (0, 0, 0, 0))
    tail = [
        (("本年收入合计", "income_total", g_in + f_in),
         ("本年支出合计", "expenditure_total", (exp_total, acc.t5_total, acc.fund_total, 0))),
        (("年初财政拨款结转和结余", "opening_balance", opening),
         ("年末财政拨款结转和结余", "closing_balance",
          (closing, acc.closing["general"], acc.closing["fund"], 0))),
        (("一般公共预算财政拨款", "opening_general_budget", acc.opening["general"]), blank),
        (("政府性基金预算财政拨款", "opening_government_fund", acc.opening["fund"]), blank),
        (("国有资本经营预算财政拨款", "opening_state_capital", 0), blank),
        (("总计", "grand_total", grand),
         ("总计", "grand_total", (grand, acc.t5_total + acc.closing["general"],
                                acc.fund_total + acc.closing["fund"], 0))),
    ]
    for j, (lft, rgt) in enumerate(tail):
        body.append(left(*lft, n + 1 + j) + right(*rgt, e0 + n + j))
    return TableOut("t4_appropriation_summary", "财政拨款收入支出决算总表",
                    Grid(widths, header, body, font_size=9), rows,
                    [NOTES["t4_appropriation_summary"]], label=_label(lay, 4), orientation=LANDSCAPE)


# ------------------------------------------------------------------ T6 基本支出 (economic codes)

def _econ_list(classes: list[str]) -> list[str]:
    out: list[str] = []
    for cls in classes:
        out += [cls] + catalog.econ_children(cls)
    return out


def t6_basic(acc: Accounts, lay: Layout) -> TableOut:
    hunan = lay.style == "hunan"
    split = lay.code == "split"
    if hunan:
        groups = [("personnel", _econ_list(["301", "303"])), ("public", _econ_list(["302"])),
                  ("public", _econ_list(["307", "310", "399"]))]
        gw = [18.0, 18.0, 0.0, 40.0] if split else [34.0, 0.0, 40.0]
        size = 7.5
    else:
        groups = [("personnel", _econ_list(["301", "303"])), ("public", _econ_list(["302", "310"]))]
        gw = [26.0, 22.0, 0.0, 62.5] if split else [44.0, 0.0, 62.5]
        size = 8.5
    gw = fit(gw, (PORTRAIT[0] - 80) / len(groups), len(gw) - 2)
    widths = gw * len(groups)
    k = len(gw)
    header: list[HCell] = []
    r0 = 0
    if hunan:
        header += [HCell(0, 0, "人员经费", colspan=k), HCell(0, k, "公用经费", colspan=k * (len(groups) - 1))]
        r0 = 1
    for g in range(len(groups)):
        c = g * k
        if split:
            header += [HCell(r0, c, "经济分类科目编码" if not hunan else "科目编码", colspan=2),
                       HCell(r0, c + 2, "科目名称", rowspan=2), HCell(r0, c + 3, "决算数", rowspan=2),
                       HCell(r0 + 1, c, "类"), HCell(r0 + 1, c + 1, "款")]
        else:
            header += [HCell(r0, c, "经济分类科目编码" if not hunan else "科目编码"),
                       HCell(r0, c + 1, "科目名称"), HCell(r0, c + 2, "决算数")]
    zero = "0.00" if lay.zeros else ""
    body: list[list[Cell]] = []
    rows: list[dict] = []
    depth = max(len(codes) for _, codes in groups)
    for i in range(depth):
        row: list[Cell] = []
        for group, codes in groups:
            if i >= len(codes):
                row += [Cell() for _ in range(k)]
                continue
            code = codes[i]
            if split:
                row += [Cell(code[:3], align="c"), Cell(code[3:], align="c")]
            else:
                row.append(Cell(code))
            cell, tv = amount(acc.econ.get(code, 0), lay, zero)
            row += [Cell(catalog.ECONOMIC[code]), cell]
            rows.append({"group": group, "code": code, "line_key": None,
                         "name": catalog.ECONOMIC[code], "amount": tv})
        body.append(row)
    foot: list[Cell] = [Cell("人员经费合计", span=k - 1, align="c")]
    cell, p_tv = amount(acc.personnel_total, lay, zero)
    foot.append(cell)
    foot.append(Cell("公用经费合计", span=k * (len(groups) - 1) - 1, align="c"))
    cell, q_tv = amount(acc.public_total, lay, zero)
    foot.append(cell)
    body.append(foot)
    rows += [{"group": "personnel", "code": None, "line_key": "personnel_total", "name": "人员经费合计",
              "amount": p_tv},
             {"group": "public", "code": None, "line_key": "public_total", "name": "公用经费合计",
              "amount": q_tv}]
    title = "一般公共预算财政拨款基本支出决算明细表" if hunan else "一般公共预算财政拨款基本支出决算表"
    return TableOut("t6_basic_expenditure_economic", title,
                    Grid(widths, header, body, font_size=size, min_height=14.0), rows,
                    [NOTES["t6_basic_expenditure_economic"]], label=_label(lay, 6))


# ------------------------------------------------------------------ T7 三公

T7_HEADERS = ["合计", "因公出国（境）费", "公务用车购置及运行费", "小计", "公务用车购置费",
              "公务用车运行费", "公务接待费"]


def t7_three_public(acc: Accounts, lay: Layout) -> TableOut:
    tp = acc.three_public
    widths = [(LANDSCAPE[0] - 80) / 12] * 12
    if lay.style == "hunan":
        header = [HCell(0, 0, "预算数", colspan=6), HCell(0, 6, "决算数", colspan=6)]
        for b in (0, 6):
            header += [HCell(1, b, "合计", rowspan=2), HCell(1, b + 1, "因公出国（境）费", rowspan=2),
                       HCell(1, b + 2, "公务用车购置及运行费", colspan=3),
                       HCell(1, b + 5, "公务接待费", rowspan=2),
                       HCell(2, b + 2, "小计"), HCell(2, b + 3, "公务用车购置费"),
                       HCell(2, b + 4, "公务用车运行费")]
        header += [HCell(3, i, str(i + 1)) for i in range(12)]
        order = [("budget", k) for k in THREE_PUBLIC_KEYS] + [("final", k) for k in THREE_PUBLIC_KEYS]
    else:
        header = [HCell(0, 0, "财政拨款“三公”经费", colspan=12),
                  HCell(1, 0, "合计", colspan=2, rowspan=2),
                  HCell(1, 2, "因公出国（境）费", colspan=2, rowspan=2),
                  HCell(1, 4, "公务用车购置及运行费", colspan=6),
                  HCell(1, 10, "公务接待费", colspan=2, rowspan=2),
                  HCell(2, 4, "小计", colspan=2), HCell(2, 6, "公务用车购置费", colspan=2),
                  HCell(2, 8, "公务用车运行费", colspan=2)]
        header += [HCell(3, i, "预算数" if i % 2 == 0 else "决算数") for i in range(12)]
        order = [(basis, k) for k in THREE_PUBLIC_KEYS for basis in ("budget", "final")]
    row: list[Cell] = []
    values: dict[str, dict] = {"budget": {"basis": "budget"}, "final": {"basis": "final"}}
    for basis, key in order:
        cell, tv = amount(tp[basis][key], lay)
        row.append(cell)
        values[basis][key] = tv
    empty = tp["budget"]["total"] == 0 and tp["final"]["total"] == 0
    dept = acc.department
    notes = [NOTES["t7_three_public"]]
    empty_note = None
    if empty:
        empty_note = f"说明：{dept}本年度没有财政拨款“三公”经费支出，故本表无数据。"
        notes.append(empty_note)
    title = "一般公共预算财政拨款“三公”经费支出决算表" if lay.style == "hunan" else "财政拨款“三公”经费支出决算表"
    return TableOut("t7_three_public", title, Grid(widths, header, [row], font_size=8),
                    [] if empty else [values["budget"], values["final"]], notes,
                    label=_label(lay, 7), orientation=LANDSCAPE,
                    status="empty" if empty else "parsed", empty_note=empty_note)


# ------------------------------------------------------------------ T8 / T9

T8_KEYS = ["opening_balance", "income", "expenditure_total", "basic", "project", "closing_balance"]


def t8_government_fund(acc: Accounts, lay: Layout) -> TableOut:
    values = ["年初结转和结余", "本年收入", ("本年支出", ["小计", "基本支出", "项目支出"]), "年末结转和结余"]
    header, h = code_table_header(lay, values)
    fund = acc.fund_items
    n_code = len(code_width(lay))
    widths = fit(code_width(lay) + [0.0] + [92.0] * 6, LANDSCAPE[0] - 80, n_code)
    notes = [NOTES["t8_government_fund"]]
    if fund:
        lines = rollup(fund, lambda it: (0, it.f_project, it.f_project, 0, it.f_project, 0))
        total = (0, acc.fund_total, acc.fund_total, 0, acc.fund_total, 0)
        body, rows = function_rows(lines, total, T8_KEYS, lay)
        return TableOut("t8_government_fund", "政府性基金预算财政拨款收入支出决算表",
                        Grid(widths, header, body, font_size=9, header_rows=h), rows, notes,
                        label=_label(lay, 8), orientation=LANDSCAPE)
    note = "本单位没有政府性基金收入，也没有使用政府性基金安排的支出，故本表无数据。"
    body = _empty_rows(lay, n_code, 6)
    return TableOut("t8_government_fund", "政府性基金预算财政拨款收入支出决算表",
                    Grid(widths, header, body, font_size=9, header_rows=h), [], notes + [note],
                    label=_label(lay, 8), orientation=LANDSCAPE, status="empty", empty_note=note)


def t9_state_capital(acc: Accounts, lay: Layout) -> TableOut:
    n_code = len(code_width(lay))
    if lay.style == "hunan":
        values = [("本年支出", ["合计", "基本支出", "项目支出"])]
        title = "国有资本经营预算财政拨款支出决算表"
        widths = fit(code_width(lay) + [0.0] + [150.0] * 3, LANDSCAPE[0] - 80, n_code)
    else:
        values = ["年初结转和结余", "本年收入", ("本年支出", ["小计", "基本支出", "项目支出"]), "年末结转和结余"]
        title = "国有资本经营预算财政拨款收入支出决算表"
        widths = fit(code_width(lay) + [0.0] + [92.0] * 6, LANDSCAPE[0] - 80, n_code)
    header, h = code_table_header(lay, values)
    note = "本单位没有使用国有资本经营预算安排的支出，故本表无数据。"
    body = _empty_rows(lay, n_code, len(widths) - n_code - 1)
    return TableOut("t9_state_capital", title, Grid(widths, header, body, font_size=9, header_rows=h),
                    [], [NOTES["t9_state_capital"], note], label=_label(lay, 9),
                    orientation=LANDSCAPE, status="empty", empty_note=note)


def _empty_rows(lay: Layout, n_code: int, n_values: int) -> list[list[Cell]]:
    """合计 row without amounts; Shanghai-style documents also print a few blank grid rows."""
    total = [Cell("合计", span=n_code + 1, align="c")] + [Cell() for _ in range(n_values)]
    blank = [Cell() for _ in range(n_code + 1 + n_values)]
    return [total] + ([list(blank) for _ in range(3)] if lay.style == "shanghai" else [])


BUILDERS = [t1_summary, t2_income, t3_expenditure, t4_appropriation, t5_general, t6_basic,
            t7_three_public, t8_government_fund, t9_state_capital]


def build_tables(acc: Accounts, lay: Layout) -> list[TableOut]:
    return [b(acc, lay) for b in BUILDERS]
