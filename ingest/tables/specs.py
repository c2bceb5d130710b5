"""One spec per table family: title variants, header aliases -> canonical columns, line aliases.

Adding a region's variant means adding aliases here, not writing a new loop. All texts are
normalised (no whitespace, ASCII parentheses) before they are compared.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CODED = "coded"  # rows keyed by a classification code (类/款/项 or one code column)
TWO_SIDED = "two_sided"  # income lines on the left, expenditure lines on the right

_TOTALS = {"合计": "total", "总计": "total"}


@dataclass(frozen=True)
class TableSpec:
    key: str
    titles: tuple[str, ...]
    layout: str
    # column_key -> header aliases; a column matches when its header text ends with an alias.
    columns: dict[str, tuple[str, ...]]
    # two-sided tables: side -> {label alias: line_key}
    line_aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    # two-sided tables: lines printed under a parent line (年初财政拨款结转和结余 -> its funds):
    # parent line_key -> {label alias: line_key}; active until a line outside the map is read.
    sub_lines: dict[str, dict[str, str]] = field(default_factory=dict)
    # whether the expenditure side lists function classes by name (T1, T4)
    class_lines: bool = False
    # coded tables: labels of rows without a code -> line_key (合计, 人员经费合计, ...)
    total_lines: dict[str, str] = field(default_factory=lambda: dict(_TOTALS))
    # coded tables printed as blocks side by side (T6: 人员经费 | 公用经费): every amount column
    # closes a block of code, name and amount columns.
    blocks: bool = False
    # blocks: group header -> line_key given to the coded rows below it; without such a header
    # the economic class decides (codes.economic_group)
    block_groups: dict[str, str] = field(default_factory=dict)
    # one printed row holds several output rows (T7: 预算数 and 决算数): line_key -> header words
    # found in the column header; the word is removed before the column alias is matched.
    row_splits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # coded tables: labels of data rows without a code that are not totals -> line_key (T7 printed
    # with one row per basis: 预算数 / 决算数)
    row_lines: dict[str, str] = field(default_factory=dict)
    parsed: bool = True  # False: located and recorded, parser for this family not written yet


_INCOME_LINES = {
    "一般公共预算财政拨款收入": "general_budget_appropriation",
    "一般公共预算财政拨款": "general_budget_appropriation",
    "政府性基金预算财政拨款收入": "government_fund_appropriation",
    "政府性基金预算财政拨款": "government_fund_appropriation",
    "国有资本经营预算财政拨款收入": "state_capital_appropriation",
    "国有资本经营预算财政拨款": "state_capital_appropriation",
    "财政拨款收入": "fiscal_appropriation",  # 高等学校 收支决算总表: all funds in one line
    "财政拨款": "fiscal_appropriation",
    "上级补助收入": "superior_subsidy",
    "事业收入": "business_income",
    "经营收入": "operating_income",
    "事业单位经营收入": "operating_income",
    "附属单位上缴收入": "affiliated_remittance",
    "其他收入": "other_income",
    "本年收入合计": "income_total",
    "使用非财政拨款结余": "use_of_non_appropriation_balance",
    "使用非财政拨款结余(含专用结余)": "use_of_non_appropriation_balance",
    "年初结转和结余": "opening_balance",
    "上年结转": "opening_balance",
    "年初财政拨款结转和结余": "opening_balance",
    "总计": "grand_total",
    "收入总计": "grand_total",
}
_EXPENDITURE_LINES = {
    "本年支出合计": "expenditure_total",
    "结余分配": "balance_distribution",
    "年末结转和结余": "closing_balance",
    "结转下年": "closing_balance",
    "年末财政拨款结转和结余": "closing_balance",
    "总计": "grand_total",
    "支出总计": "grand_total",
}
# T4: the funds printed under 年初/年末财政拨款结转和结余 (line keys as in the demo truth)
_FUND_SUB_LINES = {
    "opening_balance": {
        "一般公共预算财政拨款": "opening_general_budget",
        "政府性基金预算财政拨款": "opening_government_fund",
        "国有资本经营预算财政拨款": "opening_state_capital",
    },
    "closing_balance": {
        "一般公共预算财政拨款": "closing_general_budget",
        "政府性基金预算财政拨款": "closing_government_fund",
        "国有资本经营预算财政拨款": "closing_state_capital",
    },
}

T1_SUMMARY = TableSpec(
    key="t1_summary",
    titles=("收入支出决算总表", "收支决算总表"),
    layout=TWO_SIDED,
    columns={"amount": ("决算数", "金额", "本年数")},
    line_aliases={"income": _INCOME_LINES, "expenditure": _EXPENDITURE_LINES},
    class_lines=True,
)

T2_INCOME = TableSpec(
    key="t2_income",
    titles=("收入决算表",),
    layout=CODED,
    columns={
        "total": ("本年收入合计", "收入合计"),
        "fiscal_appropriation": ("财政拨款收入",),
        "superior_subsidy": ("上级补助收入",),
        "business_income": ("事业收入",),
        "operating_income": ("经营收入",),
        "affiliated_remittance": ("附属单位上缴收入",),
        "other_income": ("其他收入",),
    },
)

T3_EXPENDITURE = TableSpec(
    key="t3_expenditure",
    titles=("支出决算表",),
    layout=CODED,
    columns={
        "total": ("本年支出合计", "支出合计"),
        "basic": ("基本支出",),
        "project": ("项目支出",),
        "remit_to_superior": ("上缴上级支出",),
        "operating": ("经营支出",),
        "subsidy_to_affiliates": ("对附属单位补助支出",),
    },
)

T4_APPROPRIATION_SUMMARY = TableSpec(
    key="t4_appropriation_summary",
    titles=("财政拨款收入支出决算总表", "财政拨款收支决算总表"),
    layout=TWO_SIDED,
    columns={
        "total": ("合计", "小计"),
        "general_public_budget": ("一般公共预算财政拨款", "一般公共预算"),
        "government_fund": ("政府性基金预算财政拨款", "政府性基金预算"),
        "state_capital": ("国有资本经营预算财政拨款", "国有资本经营预算"),
        "amount": ("决算数", "金额"),
    },
    line_aliases={"income": _INCOME_LINES, "expenditure": _EXPENDITURE_LINES},
    sub_lines=_FUND_SUB_LINES,
    class_lines=True,
)

T5_GENERAL_BUDGET_EXPENDITURE = TableSpec(
    key="t5_general_budget_expenditure",
    titles=("一般公共预算财政拨款支出决算表", "财政拨款支出决算表"),
    layout=CODED,
    columns={
        "total": ("小计", "合计", "本年支出合计", "财政拨款支出"),
        "basic": ("基本支出",),
        "project": ("项目支出",),
    },
)

T6_BASIC_ECONOMIC = TableSpec(
    key="t6_basic_expenditure_economic",
    titles=("一般公共预算财政拨款基本支出决算表", "一般公共预算财政拨款基本支出决算明细表"),
    layout=CODED,
    columns={"amount": ("决算数", "金额", "本年数")},
    total_lines={"人员经费合计": "personnel_total", "公用经费合计": "public_total"},
    blocks=True,
    block_groups={"人员经费": "personnel", "公用经费": "public"},
)

T7_THREE_PUBLIC = TableSpec(
    key="t7_three_public",
    titles=("财政拨款“三公”经费支出决算表", "一般公共预算财政拨款“三公”经费支出决算表", "“三公”经费支出决算表",
            "“三公”经费及会议费、培训费支出决算表", "“三公”经费及会议费培训费支出决算表"),
    layout=CODED,
    columns={
        "total": ("合计", "“三公”经费小计", "三公经费小计", "小计"),
        # printed beside the 三公 columns in some regions (西安): not part of the 三公 total
        "meeting": ("会议费",),
        "training": ("培训费",),
        "outbound": ("因公出国(境)费", "因公出国(境)费用"),
        "vehicle_total": (
            "公务用车购置及运行费", "公务用车购置及运行费小计",
            "公务用车购置及运行维护费", "公务用车购置及运行维护费小计",
        ),
        "vehicle_purchase": ("公务用车购置费",),
        "vehicle_operation": ("公务用车运行费", "公务用车运行维护费"),
        "reception": ("公务接待费",),
    },
    row_splits={"budget": ("预算数",), "final": ("决算数",)},
    # transposed layout (西安): one row per basis, labelled 预算数 / 决算数, the items as columns
    row_lines={"预算数": "budget", "决算数": "final"},
)

_FUND_COLUMNS = {
    "opening_balance": ("年初结转和结余",),
    "income": ("本年收入",),
    "expenditure_total": ("本年支出小计", "本年支出合计", "小计", "合计", "本年支出"),
    "basic": ("基本支出",),
    "project": ("项目支出",),
    "closing_balance": ("年末结转和结余",),
}

T8_GOVERNMENT_FUND = TableSpec(
    key="t8_government_fund",
    titles=("政府性基金预算财政拨款收入支出决算表", "政府性基金预算财政拨款支出决算表"),
    layout=CODED,
    columns=_FUND_COLUMNS,
)

T9_STATE_CAPITAL = TableSpec(
    key="t9_state_capital",
    titles=("国有资本经营预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表"),
    layout=CODED,
    columns=_FUND_COLUMNS,
)

ALL_SPECS: tuple[TableSpec, ...] = (
    T1_SUMMARY,
    T2_INCOME,
    T3_EXPENDITURE,
    T4_APPROPRIATION_SUMMARY,
    T5_GENERAL_BUDGET_EXPENDITURE,
    T6_BASIC_ECONOMIC,
    T7_THREE_PUBLIC,
    T8_GOVERNMENT_FUND,
    T9_STATE_CAPITAL,
)

# Header cells that are never amounts (row/column numbering).
NUMBERING_HEADERS = ("行次", "栏次")
# Header words of code and name columns: such a column is never an amount column.
LABEL_HEADERS = ("编码", "代码", "科目名称")
