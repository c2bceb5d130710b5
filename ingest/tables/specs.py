"""One spec per table family: title variants, header aliases -> canonical columns, line aliases.

Adding a region's variant means adding aliases here, not writing a new loop. All texts are
normalised (no whitespace) before they are compared.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CODED = "coded"  # rows keyed by a classification code (类/款/项 or one code column)
TWO_SIDED = "two_sided"  # income lines on the left, expenditure lines on the right


@dataclass(frozen=True)
class TableSpec:
    key: str
    titles: tuple[str, ...]
    layout: str
    # column_key -> header aliases; a column matches when its header text ends with an alias.
    columns: dict[str, tuple[str, ...]]
    # two-sided tables: side -> {label alias: line_key}
    line_aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    # whether the expenditure side lists function classes by name (T1, T4)
    class_lines: bool = False
    parsed: bool = True  # False: located and recorded, parser for this family not written yet


_INCOME_LINES = {
    "一般公共预算财政拨款收入": "general_budget_appropriation",
    "一般公共预算财政拨款": "general_budget_appropriation",
    "政府性基金预算财政拨款收入": "government_fund_appropriation",
    "政府性基金预算财政拨款": "government_fund_appropriation",
    "国有资本经营预算财政拨款收入": "state_capital_appropriation",
    "国有资本经营预算财政拨款": "state_capital_appropriation",
    "上级补助收入": "superior_subsidy",
    "事业收入": "business_income",
    "经营收入": "operating_income",
    "附属单位上缴收入": "affiliated_remittance",
    "其他收入": "other_income",
    "本年收入合计": "income_total",
    "使用非财政拨款结余": "use_of_non_appropriation_balance",
    "使用非财政拨款结余（含专用结余）": "use_of_non_appropriation_balance",
    "年初结转和结余": "opening_balance",
    "年初财政拨款结转和结余": "opening_balance",
    "总计": "grand_total",
}
_EXPENDITURE_LINES = {
    "本年支出合计": "expenditure_total",
    "结余分配": "balance_distribution",
    "年末结转和结余": "closing_balance",
    "年末财政拨款结转和结余": "closing_balance",
    "总计": "grand_total",
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
    class_lines=True,
    parsed=False,
)

T5_GENERAL_BUDGET_EXPENDITURE = TableSpec(
    key="t5_general_budget_expenditure",
    titles=("一般公共预算财政拨款支出决算表", "财政拨款支出决算表"),
    layout=CODED,
    columns={"total": ("小计", "合计", "本年支出合计"), "basic": ("基本支出",), "project": ("项目支出",)},
)

T6_BASIC_ECONOMIC = TableSpec(
    key="t6_basic_expenditure_economic",
    titles=("一般公共预算财政拨款基本支出决算表", "一般公共预算财政拨款基本支出决算明细表"),
    layout=CODED,
    columns={},
    parsed=False,
)

T7_THREE_PUBLIC = TableSpec(
    key="t7_three_public",
    titles=("财政拨款“三公”经费支出决算表", "一般公共预算财政拨款“三公”经费支出决算表", "“三公”经费支出决算表"),
    layout=CODED,
    columns={},
    parsed=False,
)

T8_GOVERNMENT_FUND = TableSpec(
    key="t8_government_fund",
    titles=("政府性基金预算财政拨款收入支出决算表", "政府性基金预算财政拨款支出决算表"),
    layout=CODED,
    columns={},
    parsed=False,
)

T9_STATE_CAPITAL = TableSpec(
    key="t9_state_capital",
    titles=("国有资本经营预算财政拨款收入支出决算表", "国有资本经营预算财政拨款支出决算表"),
    layout=CODED,
    columns={},
    parsed=False,
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
