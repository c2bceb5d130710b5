"""Internally consistent amounts for one fictitious department and fiscal year.

Every amount is held as an integer number of fen of 万元 (0.01 万元) so that all sums are exact;
`money()` turns one into a two-place Decimal at the edge (formatting, truth JSON). No float is ever
used for an amount, so the same seed gives the same numbers on every platform.

How the books balance (all identities of docs/domain.md hold by construction):
- each function item (项) carries general-budget (g_*), government-fund (f_*) and other-source (o_*)
  basic/project expenditure; T3 = g + f + o, T5 = g, T8 = f;
- general appropriation income G = T5 total + closing - opening general balance;
  fund income F = fund expenditure (no fund balances);
- other income O (上级补助/事业/其他收入) plus the non-appropriation opening balance and
  使用非财政拨款结余, minus 结余分配, pays the other-source expenditure; the rest is carried forward;
- T2 spreads each income over the items that spend it (the general balance change goes to the
  largest item), so T2 合计 = 本年收入合计;
- T6 splits T5 基本支出 into economic codes, tying 30108/30109/30110/30113/... to the matching
  social-security items, and the 三公 finals to 30212/30217/30231.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable

from demo import catalog

INCOME_SOURCES = ["superior_subsidy", "business_income", "other_income"]
T2_COLUMNS = ["total", "fiscal_appropriation", "superior_subsidy", "business_income",
              "operating_income", "affiliated_remittance", "other_income"]
THREE_PUBLIC_KEYS = ["total", "outbound", "vehicle_total", "vehicle_purchase",
                     "vehicle_operation", "reception"]


def money(fen: int) -> Decimal:
    """Integer fen -> Decimal with exactly two places (e.g. 294625 -> Decimal('2946.25'))."""
    return Decimal(fen).scaleb(-2)


def pct(part: int, whole: int, places: int = 2) -> Decimal:
    """Share in percent, rounded half up (what finance staff do by hand)."""
    if whole == 0:
        return Decimal(0).quantize(Decimal(1).scaleb(-places))
    q = Decimal(1).scaleb(-places)
    return (Decimal(part) * 100 / Decimal(whole)).quantize(q, rounding="ROUND_HALF_UP")


def scaled(rng: random.Random, base: int, lo: int, hi: int) -> int:
    """base * a random percentage in [lo, hi], plus random fen so numbers don't look round."""
    return base * rng.randint(lo, hi) // 100 + rng.randint(0, 99)


def split_int(total: int, weights: list[int]) -> list[int]:
    """Split total into parts proportional to weights; parts sum exactly to total."""
    w = sum(weights)
    if w == 0:
        return [0] * len(weights)
    parts = [total * x // w for x in weights]
    parts[weights.index(max(weights))] += total - sum(parts)
    return parts


@dataclass
class Item:
    code: str
    name: str
    kind: str
    g_basic: int = 0
    g_project: int = 0
    f_project: int = 0
    o_basic: int = 0
    o_project: int = 0
    budget: int = 0                      # 年初预算 of the general part (narrative only)
    income: dict[str, int] = field(default_factory=dict)   # T2 columns except total

    @property
    def basic(self) -> int:
        return self.g_basic + self.o_basic

    @property
    def project(self) -> int:
        return self.g_project + self.f_project + self.o_project

    @property
    def total(self) -> int:
        return self.basic + self.project

    @property
    def g_total(self) -> int:
        return self.g_basic + self.g_project


@dataclass
class Accounts:
    region: str
    short: str
    year: int
    items: list[Item]
    income: dict[str, int]               # T1 income line_key -> fen
    use_of_balance: int                  # 使用非财政拨款结余
    opening: dict[str, int]              # general / fund / other
    closing: dict[str, int]
    distribution: int                    # 结余分配
    econ: dict[str, int]                 # T6 economic code -> fen (3- and 5-digit)
    three_public: dict[str, dict[str, int]]   # budget/final -> THREE_PUBLIC_KEYS
    subunits: list[str]

    @property
    def department(self) -> str:
        return self.region + self.short

    @property
    def income_total(self) -> int:
        return sum(self.income.values())

    @property
    def expenditure_total(self) -> int:
        return sum(i.total for i in self.items)

    @property
    def basic_total(self) -> int:
        return sum(i.basic for i in self.items)

    @property
    def project_total(self) -> int:
        return sum(i.project for i in self.items)

    @property
    def opening_balance(self) -> int:
        return sum(self.opening.values())

    @property
    def closing_balance(self) -> int:
        return sum(self.closing.values())

    @property
    def grand_total(self) -> int:
        return self.income_total + self.use_of_balance + self.opening_balance

    @property
    def general_items(self) -> list[Item]:
        return [i for i in self.items if i.g_total]

    @property
    def fund_items(self) -> list[Item]:
        return [i for i in self.items if i.f_project]

    @property
    def t5_total(self) -> int:
        return sum(i.g_total for i in self.items)

    @property
    def t5_basic(self) -> int:
        return sum(i.g_basic for i in self.items)

    @property
    def fund_total(self) -> int:
        return sum(i.f_project for i in self.items)

    @property
    def appropriation_grand_total(self) -> int:
        """T4 总计: appropriations received plus opening appropriation balances."""
        return (self.income["general_budget_appropriation"] + self.income["government_fund_appropriation"]
                + self.opening["general"] + self.opening["fund"])

    @property
    def personnel_total(self) -> int:
        return self.econ.get("301", 0) + self.econ.get("303", 0)

    @property
    def public_total(self) -> int:
        return sum(self.econ.get(c, 0) for c in ("302", "307", "310", "399"))

    def class_total(self, cls: str, value: Callable[[Item], int]) -> int:
        return sum(value(i) for i in self.items if i.code.startswith(cls))


def rollup(items: Iterable[Item], values: Callable[[Item], tuple[int, ...]]
           ) -> list[tuple[str, tuple[int, ...]]]:
    """Rows (code, values) for 类, 款 and 项 in print order; parents are sums of children.

    Items whose values are all zero are left out (and so are parents left empty).
    """
    kept = [(i.code, values(i)) for i in sorted(items, key=lambda i: i.code)]
    kept = [(c, v) for c, v in kept if any(v)]
    out: list[tuple[str, tuple[int, ...]]] = []
    for cls in sorted({c[:3] for c, _ in kept}):
        in_cls = [(c, v) for c, v in kept if c[:3] == cls]
        out.append((cls, _sum(v for _, v in in_cls)))
        for kuan in sorted({c[:5] for c, _ in in_cls}):
            in_kuan = [(c, v) for c, v in in_cls if c[:5] == kuan]
            out.append((kuan, _sum(v for _, v in in_kuan)))
            out.extend(in_kuan)
    return out


def _sum(rows: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    rows = list(rows)
    return tuple(sum(col) for col in zip(*rows))


# ---------------------------------------------------------------- profile (stable across years)

@dataclass(frozen=True)
class Profile:
    """What does not change between two years of one department: its lines and their scale."""
    region: str
    short: str
    seed: int
    base: dict                 # code -> (basic fen, project fen) of the general part
    fund: dict                 # code -> project fen (government fund)
    other_items: tuple         # codes that also spend other-source money
    other_sources: dict        # source -> base fen
    subunits: tuple


def make_profile(region: str, short: str, items: list[str], seed: int, long: bool = False) -> Profile:
    """Choose the department's function items (2 to 5 类) and their base amounts."""
    rng = random.Random(f"profile|{seed}|{region}|{short}")
    has_fund = rng.randint(0, 99) < 20
    k = 5 if long else rng.randint(2, 5)
    if has_fund:
        k = min(k, 4)
    admin, others = items[0], items[1:]
    chosen = [admin] + (others if long else rng.sample(others, rng.randint(1, len(others))))
    classes = {c[:3] for c in chosen}
    for cls in ("208", "221", "210"):       # staff-related classes, while room is left
        if cls in classes or len(classes) < k:
            pool = catalog.COMMON_ITEMS[cls]
            chosen.append(pool[0])
            chosen += [c for c in pool[1:] if long or rng.randint(0, 99) < 40]
            classes.add(cls)
    extras = [c for c in catalog.EXTRA_ITEMS if c[:3] not in classes]
    if len(classes) < k and extras:
        chosen.append(rng.choice(extras))
    chosen = sorted(set(chosen))

    scale = rng.choice([1, 1, 1, 2, 3, 5]) if not long else 2
    admin_basic = rng.randint(60_00, 1800_00) * scale
    base = {c: _base_amount(rng, c, admin_basic) for c in chosen}
    fund = {}
    if has_fund:
        fund[rng.choice(catalog.FUND_ITEMS)] = scaled(rng, admin_basic, 5, 30)
    other_items: tuple = ()
    other_sources: dict = {}
    if rng.randint(0, 99) < 40:
        spenders = [c for c in chosen if catalog.ITEMS[c][1] in ("admin", "basic", "mixed", "project")]
        other_items = tuple(sorted(rng.sample(spenders, min(len(spenders), rng.randint(1, 2)))))
        for src in rng.sample(INCOME_SOURCES, rng.randint(1, 2)):
            other_sources[src] = scaled(rng, admin_basic, 1, 12)
    n_sub = rng.randint(0, 3)
    subunits = tuple(f"{region}{short[:-1] if short.endswith('局') else short}{s}"
                     for s in ["事务中心", "信息中心", "综合服务中心"][:n_sub])
    return Profile(region, short, seed, base, fund, other_items, other_sources, subunits)


_SOCIAL_SHARE = {   # % of the admin basic amount
    "2080501": (3, 20), "2080502": (1, 5), "2080505": (9, 12), "2080506": (4, 6),
    "2080599": (1, 3), "2101101": (5, 8), "2101102": (1, 3), "2101103": (2, 4),
    "2101199": (1, 2), "2210201": (8, 12), "2210202": (1, 3), "2210203": (4, 9),
}


def _base_amount(rng: random.Random, code: str, admin_basic: int) -> tuple[int, int]:
    kind = catalog.ITEMS[code][1]
    if kind == "admin":
        project = scaled(rng, admin_basic, 1, 6) if rng.randint(0, 99) < 35 else 0
        return admin_basic + rng.randint(0, 99), project
    if kind == "basic":
        return scaled(rng, admin_basic, 10, 40), 0
    if kind == "project":
        return 0, scaled(rng, admin_basic, 3, 60)
    if kind == "mixed":
        return scaled(rng, admin_basic, 5, 25), scaled(rng, admin_basic, 5, 40)
    lo, hi = _SOCIAL_SHARE[code]
    return scaled(rng, admin_basic, lo, hi), 0


# ---------------------------------------------------------------- one fiscal year

def build_accounts(p: Profile, year: int) -> Accounts:
    """The department's books for one year: the profile's lines with year-specific noise."""
    rng = random.Random(f"year|{p.seed}|{p.region}|{p.short}|{year}")
    items: list[Item] = []
    for code, (b, pr) in p.base.items():
        name, kind = catalog.ITEMS[code]
        it = Item(code, name, kind,
                  g_basic=b * rng.randint(92, 110) // 100 if b else 0,
                  g_project=pr * rng.randint(75, 130) // 100 if pr else 0)
        if it.g_total == 0:
            it.g_basic = 100
        it.budget = _budget(rng, it)
        items.append(it)
    for code, pr in p.fund.items():
        name, kind = catalog.ITEMS[code]
        items.append(Item(code, name, kind, f_project=pr * rng.randint(80, 120) // 100))
    items.sort(key=lambda i: i.code)
    by_code = {i.code: i for i in items}

    t5_total = sum(i.g_total for i in items)
    opening = {"general": _maybe(rng, t5_total, 0, 8), "fund": 0, "other": 0}
    closing = {"general": _maybe(rng, t5_total, 0, 8), "fund": 0, "other": 0}
    largest = max(items, key=lambda i: i.g_total)
    delta = closing["general"] - opening["general"]
    if largest.g_total + delta <= 0:            # keep the T2 line of the largest item positive
        closing["general"] = opening["general"]
        delta = 0

    income = {k: 0 for k in ("general_budget_appropriation", "government_fund_appropriation",
                             "state_capital_appropriation", "superior_subsidy", "business_income",
                             "operating_income", "affiliated_remittance", "other_income")}
    fund_total = sum(i.f_project for i in items)
    income["general_budget_appropriation"] = t5_total + delta
    income["government_fund_appropriation"] = fund_total
    for it in items:
        it.income = {k: 0 for k in T2_COLUMNS[1:]}
        it.income["fiscal_appropriation"] = it.g_total + it.f_project + (delta if it is largest else 0)

    use_of_balance = distribution = 0
    if p.other_sources:
        for src, b in p.other_sources.items():
            income[src] = b * rng.randint(85, 115) // 100 + rng.randint(1, 99)
        other_in = sum(income[s] for s in INCOME_SOURCES)
        opening["other"] = _maybe(rng, other_in, 10, 80)
        if rng.randint(0, 99) < 20:
            use_of_balance = scaled(rng, other_in, 5, 20)
        if rng.randint(0, 99) < 10:
            distribution = scaled(rng, other_in, 1, 8)
        available = opening["other"] + other_in + use_of_balance - distribution
        spent = available * rng.randint(60, 100) // 100
        closing["other"] = available - spent
        spenders = [by_code[c] for c in p.other_items]
        for it, part in zip(spenders, split_int(spent, [3 + n for n in range(len(spenders))])):
            if it.kind in ("admin", "basic") or (it.kind == "mixed" and rng.randint(0, 1)):
                it.o_basic = part
            else:
                it.o_project = part
        for src in INCOME_SOURCES:
            for it, part in zip(spenders, split_int(income[src], [it.o_basic + it.o_project + 1
                                                                  for it in spenders])):
                it.income[src] = part

    three_public = _three_public(rng, items)
    econ = _economic(rng, items, three_public)
    return Accounts(p.region, p.short, year, items, income, use_of_balance, opening, closing,
                    distribution, econ, three_public, list(p.subunits))


def _maybe(rng: random.Random, base: int, lo: int, hi: int) -> int:
    """A balance: zero in about a third of the cases."""
    return 0 if rng.randint(0, 99) < 30 else scaled(rng, base, lo, hi)


def _budget(rng: random.Random, it: Item) -> int:
    r = rng.randint(0, 99)
    if r < 20:
        return it.g_total
    if it.kind == "project" and r < 35:
        return 0                                   # added during the year (追加)
    return it.g_total * rng.randint(75, 125) // 100 // 100 * 100   # budgets are whole 万元


def _three_public(rng: random.Random, items: list[Item]) -> dict[str, dict[str, int]]:
    budget = dict.fromkeys(THREE_PUBLIC_KEYS, 0)
    final = dict.fromkeys(THREE_PUBLIC_KEYS, 0)
    if rng.randint(0, 99) >= 10:                   # 10% of departments have no 三公 spending
        ref = sum(i.g_basic for i in items if i.kind in ("admin", "basic", "mixed")) // 5
        if rng.randint(0, 99) < 25:
            budget["outbound"] = max(100, ref * rng.randint(1, 3) // 100 // 100 * 100)
        if rng.randint(0, 99) < 20:
            budget["vehicle_purchase"] = rng.randint(15, 30) * 100
        budget["vehicle_operation"] = max(50, ref * rng.randint(2, 6) // 100 // 10 * 10)
        budget["reception"] = max(50, ref * rng.randint(1, 3) // 100 // 10 * 10)
        final["outbound"] = budget["outbound"] * rng.randint(0, 100) // 100
        final["vehicle_purchase"] = budget["vehicle_purchase"] * rng.randint(85, 100) // 100
        final["vehicle_operation"] = budget["vehicle_operation"] * rng.randint(70, 100) // 100
        final["reception"] = budget["reception"] * rng.randint(40, 100) // 100
    for d in (budget, final):
        d["vehicle_total"] = d["vehicle_purchase"] + d["vehicle_operation"]
        d["total"] = d["outbound"] + d["vehicle_total"] + d["reception"]
    return {"budget": budget, "final": final}


_PERSONNEL_REST = [("30101", 15), ("30102", 30), ("30103", 10), ("30107", 20), ("30112", 1),
                   ("30199", 5), ("30106", 2), ("30114", 1), ("30305", 1), ("30304", 1), ("30309", 1)]
_PUBLIC_REST = [("30201", 10), ("30202", 2), ("30205", 1), ("30206", 4), ("30207", 3),
                ("30209", 10), ("30211", 4), ("30213", 3), ("30215", 1), ("30216", 1),
                ("30226", 5), ("30227", 5), ("30228", 6), ("30229", 5), ("30239", 8),
                ("30299", 8), ("31002", 3), ("31007", 2)]


def _economic(rng: random.Random, items: list[Item], tp: dict[str, dict[str, int]]) -> dict[str, int]:
    """T6: split the general basic expenditure into personnel and public economic codes."""
    g = {i.code: i.g_basic for i in items}
    operational = sum(i.g_basic for i in items if i.kind != "social")
    public = operational * rng.randint(12, 30) // 100
    personnel = sum(g.values()) - public
    e: dict[str, int] = {c: 0 for c in catalog.ECONOMIC if len(c) == 5}
    e["30108"] = g.get("2080505", 0)
    e["30109"] = g.get("2080506", 0)
    e["30110"] = g.get("2101101", 0) + g.get("2101102", 0)
    e["30111"] = g.get("2101103", 0)
    e["30113"] = g.get("2210201", 0)
    retire = g.get("2080501", 0) + g.get("2080502", 0)
    e["30301"] = retire * rng.randint(0, 15) // 100
    e["30302"] = retire - e["30301"]
    e["30399"] = g.get("2210203", 0) + g.get("2210202", 0) + g.get("2080599", 0) + g.get("2101199", 0)
    rest = personnel - sum(e.values())
    assert rest > 0, "personnel remainder must be positive"
    weights = [w * rng.randint(50, 150) if (w >= 5 or rng.randint(0, 1)) else 0 for _, w in _PERSONNEL_REST]
    for (code, _), part in zip(_PERSONNEL_REST, split_int(rest, weights)):
        e[code] += part

    fin = tp["final"]
    e["30212"] = fin["outbound"] * rng.randint(50, 100) // 100
    e["30217"] = fin["reception"] * rng.randint(50, 100) // 100
    e["30231"] = fin["vehicle_operation"] * rng.randint(60, 100) // 100
    linked = e["30212"] + e["30217"] + e["30231"]
    assert public >= linked, "三公 spending must fit in 公用经费"
    weights = [w * rng.randint(50, 150) if (w >= 5 or rng.randint(0, 2)) else 0 for _, w in _PUBLIC_REST]
    for (code, _), part in zip(_PUBLIC_REST, split_int(public - linked, weights)):
        e[code] += part
    for cls in ("301", "302", "303", "307", "310", "399"):
        e[cls] = sum(v for c, v in e.items() if len(c) == 5 and c.startswith(cls))
    return e
