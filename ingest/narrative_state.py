"""Reading context of the narrative and the classification of one number from its words.

The context answers what a bare `支出决算为266.46万元` or `减少33.1%` is about: the 类/款/项 item
(or 三公 line, or 一般公共预算财政拨款支出) whose 年初预算/决算 pair is being stated, and the topic
of the sentence for 与上年相比. Headings reset it, so a pair never leaks into the next section.
"""
from __future__ import annotations

from dataclasses import dataclass

from ingest import narrative_rules as rules

NO_NAMES: tuple = (None, None, None, None)  # class name, 款 name, 项 name, 3-digit class code
MONEY = ("万元", "元", "亿元")
CHANGES = ("yoy_change", "budget_change")
ITEM_KEYS = {"budget": "item_budget", "adjusted_budget": "item_adjusted_budget", "actual": "item_actual"}
GENERAL_KEYS = {"budget": "general_budget_initial_budget", "adjusted_budget": "general_budget_adjusted_budget",
                "actual": "general_budget_expenditure"}
THREE_KEYS = {"budget": "three_public_budget", "adjusted_budget": "three_public_budget",
              "actual": "three_public_actual"}


def class_code(name: str | None) -> str | None:
    """3-digit function class code of a printed 类 name, from the dbt seed; None if unknown."""
    if not name:
        return None
    try:
        from ingest.codes import function_class_code

        # 住房保障（类）: the narrative may drop the 支出 the classification name ends with
        return function_class_code(name) or (None if name.endswith("支出") else function_class_code(name + "支出"))
    except Exception:  # noqa: BLE001 - a missing seed file only loses the code
        return None


@dataclass(frozen=True)
class Ref:
    """What a derived figure (share, change, completion rate) is about."""

    key: str
    subject: str | None = None
    names: tuple = NO_NAMES

    def as_subject(self) -> str:
        return self.key if not self.subject else f"{self.key}.{self.subject}"


@dataclass
class Hit:
    """The meaning of one number: its figure_key and what it is about."""

    key: str
    subject: str | None = None
    names: tuple = NO_NAMES
    about: Ref | None = None
    comparison_word: str | None = None
    relative_to: str | None = None
    pair: tuple | None = None  # scope of a 预算/决算 pair figure
    kind: str | None = None  # budget | adjusted_budget | actual

    @property
    def derived(self) -> bool:
        return self.about is not None

    def ref(self) -> Ref:
        return Ref(self.key, self.subject, self.names)


@dataclass
class Pair:
    """A line whose 年初预算 and 决算 are stated: an item, a 三公 line, the general budget."""

    scope: tuple
    keys: dict
    subject: str | None
    names: tuple

    def hit(self, kind: str) -> Hit:
        return Hit(self.keys[kind], self.subject, self.names, pair=self.scope, kind=kind)

    def actual(self) -> Ref:
        return Ref(self.keys["actual"], self.subject, self.names)


class State:
    def __init__(self) -> None:
        self.section, self.subsection, self.items = "", None, 0
        self._reset()

    def _reset(self) -> None:
        self.pair: Pair | None = None
        self.pairs: dict[tuple, Pair] = {}
        self.pair_figs: dict[tuple, list[int]] = {}
        self.topic: Ref | None = None
        self.topic_set = False

    def new_heading(self, level: int, title: str) -> None:
        if level == 1:
            self.section, self.subsection = title, None
        else:
            self.subsection = title
        self._reset()

    def new_topic(self, title: str) -> None:
        """A numbered sub-heading inside a subsection (`2．公务用车购置费支出情况说明。`): what came
        before it no longer continues; a 三公 item it names is what the next figures are about."""
        self._reset()
        item = rules.three_public_item(title)
        if item:
            self.use(Pair(("three_public", item), THREE_KEYS, item, NO_NAMES))

    def heading_text(self) -> str:
        return self.section + (self.subsection or "")

    def new_item(self, class_name: str, kuan: str | None, item: str | None) -> None:
        self.items += 1
        self.use(Pair(("item", self.items), ITEM_KEYS, None, (class_name, kuan, item, class_code(class_name))))

    def use(self, pair: Pair) -> Pair:
        self.pair = self.pairs.setdefault(pair.scope, pair)
        return self.pair

    def new_sentence(self) -> None:
        self.topic_set = False

    def record(self, hit: Hit, index: int) -> None:
        if hit.pair:
            self.pair_figs.setdefault(hit.pair, []).append(index)
        if not hit.derived and not self.topic_set:
            self.topic, self.topic_set = hit.ref(), True

    def topic_ref(self) -> Ref | None:
        return self.pair.actual() if self.pair else self.topic

    def pair_figures(self, scope_words: str) -> list[int]:
        """Figures a 决算数大于/小于/等于预算数 statement is about (the named line, else the current pair)."""
        item = rules.three_public_item(scope_words)
        if item and ("three_public", item) in self.pairs:
            scope = ("three_public", item)
        elif rules.mentions_general_budget(scope_words) and ("general_budget",) in self.pairs:
            scope = ("general_budget",)
        elif self.pair is not None:
            scope = self.pair.scope
        else:
            return []
        return list(self.pair_figs.get(scope, []))


def classify(label: str, clause: str, unit: str | None, prev: Hit | None, st: State) -> Hit | None:
    """The meaning of a number from the words before it; None when they say nothing known."""
    if unit in ("%", None):
        return _rate(label, clause, prev, st)
    if unit in MONEY:
        return _amount(label, clause, prev, st)
    if unit == "辆":
        return Hit("vehicles", rules.vehicle_type(clause))
    if unit.startswith("台"):
        return Hit("equipment", clause or None)
    return None


def _rate(label: str, clause: str, prev: Hit | None, st: State) -> Hit | None:
    if "占" in clause:
        if prev is None or prev.derived:
            return None  # a share of an unread number: its subject is unknown
        return Hit("share", about=prev.ref(), relative_to=rules.share_base(clause))
    if "完成" in clause and "预算" in clause:
        return Hit("completion_rate", about=st.pair.actual()) if st.pair else None
    if rules.change_word(clause):
        return _change(label, clause, prev, st)
    return None


def _change(label: str, clause: str, prev: Hit | None, st: State) -> Hit | None:
    word = rules.change_word(clause)
    kind = rules.change_kind(label, clause)
    if kind is None:
        if prev is not None and prev.key in CHANGES:  # `减少2522.62万元，减少33.1%`
            return Hit(prev.key, about=prev.about, comparison_word=word)
        return None
    subject = rules.change_subject(clause)
    about = Ref(subject) if subject else st.topic_ref()
    return Hit(kind, about=about, comparison_word=word) if about else None


def _amount(label: str, clause: str, prev: Hit | None, st: State) -> Hit | None:
    if rules.change_word(clause):
        hit = _change(label, clause, prev, st)
        if hit:
            return hit
    name = rules.class_name(clause)
    if name:
        return Hit("class_expenditure", names=(name, None, None, class_code(name)))
    item = rules.three_public_item(clause)
    if item:
        kind = rules.pair_kind(clause)
        if kind is None and prev is not None and prev.pair and prev.pair[0] == "three_public":
            kind = prev.kind  # `决算为40.64万元，其中：公务用车购置费0万元`
        if kind is None:
            return None
        return st.use(Pair(("three_public", item), THREE_KEYS, item, NO_NAMES)).hit(kind)
    if "采购" in label or "采购" in st.heading_text():
        key = rules.procurement_key(label, clause)
        if key:
            return Hit(key)
    if rules.mentions_general_budget(clause):
        kind = rules.pair_kind(clause) or "actual"
        return st.use(Pair(("general_budget",), GENERAL_KEYS, None, NO_NAMES)).hit(kind)
    if clause.rstrip("为是") == "支出" and prev is not None and prev.key == "government_fund_income":
        return Hit("government_fund_expenditure")
    key = rules.line_key(clause)
    if key:
        return Hit(key)
    kind = rules.pair_kind(clause)
    if kind and st.pair is not None:
        return st.pair.hit(kind)
    return None
