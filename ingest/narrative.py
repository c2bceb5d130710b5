"""Figures stated in the narrative (情况说明): each with its page, section and sentence.

A pure function over the page texts parse.py already extracted (`extract_text(y_tolerance=5)`):
1. find the narrative: from the 第三部分 heading that is followed by prose (not the one in the
   table of contents) to 第四部分 / 名词解释 / 附件;
2. join its lines into blocks between section headings (一、… and （一）…), squashing whitespace,
   so `1511.89` / `万元` split over two lines (or over a page break) reads as one figure; page
   numbers (`5`, `- 5 -`, `第5页 共20页`, `5/20`) and running headers or footers (a line printed
   at the top or bottom of several pages) are dropped, so they never split a sentence or a name;
3. cut blocks into sentences at 。 and read every number that carries a unit (万元, 元, %, 辆,
   台（套）...) with the words since the previous number (ingest.narrative_rules says what they
   mean); a 年初预算/决算 pair takes its item from the 类/款/项 sentence before it.

Values are kept exactly as printed, in the printed unit. A 元 figure whose sentence states its
siblings in 万元, or whose value is stated elsewhere in 万元, is flagged `unit_suspect` (the
published `115.53元` meaning 万元); a share or rate printed without its % sign gets unit None and
the flag. Nothing is corrected. Words the rules do not know make the number skipped, never an
error: `extract_narrative` does not raise, whatever the text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ingest import narrative_rules as rules
from ingest.narrative_state import Hit, Ref, State, classify
from ingest.records import NarrativeFigure

MAX_SENTENCE = 4000  # longer "sentences" are not prose (a text layer without punctuation)
_HEADING1 = re.compile(r"^[一二三四五六七八九十]{1,3}[、.．]")
_HEADING2 = re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]")
_PART = re.compile(r"^\s*第\s*[一二三四五六七八九十]\s*部\s*分")
_END = re.compile(r"^(?:第[四五六七八九十]部分|名词解释|附件\d*[：:]?$|附表\d*[：:]?$)")
_PAGE_NO = re.compile(
    r"^[-—－–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[,，/／]?\s*(?:共\s*)?\d{1,4}(?:\s*页)?)?[-—－–\s]*$")
# A line at the top or bottom of at least this many pages is a running header or footer.
_RUNNING_MIN_PAGES = 3
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
# a numbered sub-heading read as a sentence: `2．公务用车购置费支出情况说明。`
_TOPIC = re.compile(r"^\d{1,2}[．.、][^，,\d]{2,40}(?:情况说明|说明)[。]?$")
_TOKEN = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(万元|亿元|元(?![/每])|%|％|辆|台（套）|台\(套\)|台套|台|个|人次|人|家|项|分|次)?"
    r"((?:（含）|\(含\)|及)?以[上下])?")
_BARE_BEFORE = re.compile(r"(?:占|的|增长|下降|降低|上升)$")
_BARE_AFTER = re.compile(r"^(?:$|[，,。；;、）)])")


def extract_narrative(page_texts: list[str]) -> list[NarrativeFigure]:
    """The figures the 情况说明 states, in reading order; [] when there is no narrative."""
    try:
        return _extract(page_texts)
    except Exception:  # noqa: BLE001 - a bad text must never fail the parse of the tables
        return []


def _extract(page_texts) -> list[NarrativeFigure]:
    lines = _lines(page_texts)
    start, end = _region(lines)
    state, out = State(), []
    block = _Block()
    for page, text in lines[start:end]:
        heading = _heading(text)
        if heading is None:
            block.add(text, page)
            continue
        level, title, rest = heading
        _read_block(block, state, out)
        block = _Block()
        state.new_heading(level, title)
        if rest:
            block.add(rest, page)
    _read_block(block, state, out)
    return _finish(out)


def _lines(page_texts) -> list[tuple[int, str]]:
    """(page, line) for every line, without page numbers and running headers or footers.

    A running header or footer is a line printed first or last on at least `_RUNNING_MIN_PAGES`
    pages (a trailing page number ignored, so `某局2024年度部门决算 第5页` repeats; a line stating
    figures never counts, however often a template repeats its words): kept in the text, it would be
    read into the sentence that continues over the page break (`行政运行` read as
    `行某局2024年度部门决算政运行`)."""
    pages = []
    for text in page_texts or []:
        page_lines = [ln.strip() for ln in (text if isinstance(text, str) else "").splitlines()]
        pages.append([ln for ln in page_lines if ln])
    edges: dict[str, int] = {}
    for page_lines in pages:
        for key in {_edge_key(page_lines[0]), _edge_key(page_lines[-1])} if page_lines else ():
            if key is not None:
                edges[key] = edges.get(key, 0) + 1
    running = {key for key, n in edges.items() if n >= _RUNNING_MIN_PAGES}
    out = []
    for page_no, page_lines in enumerate(pages, start=1):
        for i, line in enumerate(page_lines):
            at_edge = i == 0 or i == len(page_lines) - 1
            if at_edge and (_PAGE_NO.match(line) or _edge_key(line) in running):
                continue
            out.append((page_no, line))
    return out


_TRAILING_PAGE_NO = re.compile(r"(?:第?\d{1,4}页?(?:[,，/／]?共?\d{1,4}页?)?|[-—－–]\d{1,4}[-—－–])$")
# a line stating figures is text, however often a template repeats its wording
_FIGURES = re.compile(r"\d[.,]\d|[%％]|万元")


def _edge_key(line: str) -> str | None:
    """A top or bottom line as a running header or footer would repeat it: whitespace squashed and
    a trailing page number dropped (`某局2024年度部门决算 第5页`); None for a line stating figures."""
    text = _squash(line)
    if _FIGURES.search(text) or len(text) > 60:
        return None
    return _TRAILING_PAGE_NO.sub("", text) or None


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _prose_follows(lines, i: int) -> bool:
    """A sentence follows before the next part heading (a table of contents has none)."""
    for _, text in lines[i + 1:i + 6]:
        if _PART.match(text):
            return False
        if len(text) > 15 and ("，" in text or "。" in text):
            return True
    return False


def _region(lines) -> tuple[int, int]:
    """Start after the 第三部分 heading followed by prose; end at 第四部分/名词解释/附件."""
    start = None
    for i, (_, text) in enumerate(lines):
        if "第三部分" in text and len(text) <= 60 and _prose_follows(lines, i):
            start = i + 1
            break
    if start is None:
        start = next((i for i, (_, t) in enumerate(lines)
                      if "收入支出决算总体情况" in _squash(t) and _prose_follows(lines, i)), 0)
    for j in range(start, len(lines)):
        text = _squash(lines[j][1])
        if len(text) <= 40 and _END.match(text):
            return start, j
    return start, len(lines)


def _heading(line: str) -> tuple[int, str, str] | None:
    """(level, heading, text after it on the same line) for 一、… (1) and （一）… (2) headings."""
    text = _squash(line)
    level = 1 if _HEADING1.match(text) else 2 if _HEADING2.match(text) else 0
    if not level:
        return None
    if len(text) <= 40 and "，" not in text and "," not in text:
        return level, text, ""
    head, dot, rest = text.partition("。")
    if dot and len(head) <= 40 and "，" not in head and ("情况" in head or "说明" in head):
        return level, head + dot, rest
    return None


@dataclass
class _Block:
    """Text between two headings, whitespace squashed, with the page of every character."""

    chars: list[str] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)

    def add(self, line: str, page: int) -> None:
        line = _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)
        space = bool(self.chars)  # a line break is whitespace
        for ch in line:
            if ch.isspace():
                space = bool(self.chars)
                continue
            if space and _ascii_alnum(self.chars[-1]) and _ascii_alnum(ch):
                self.chars.append(" ")  # keep `VOCs 0.46t` and `2 3` apart; drop all other spaces
                self.pages.append(page)
            space = False
            self.chars.append(ch)
            self.pages.append(page)


# An amount printed letter-spaced, one character at a time (西安: `支出决算 1 5 1 . 0 3万元`): a
# run of single digits and separators with a decimal point is one number.
_LETTER_SPACED = re.compile(r"(?<![\d.,])\d(?: [\d,])* \.(?: \d)+(?![\d.,])")


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _read_block(block: _Block, state: State, out: list[dict]) -> None:
    text = "".join(block.chars)
    for m in _SENTENCE.finditer(text):
        sentence = m.group(0)
        if len(sentence) > MAX_SENTENCE:
            continue
        try:
            _read_sentence(sentence, block.pages[m.start():m.end()], state, out)
        except Exception:  # noqa: BLE001 - an unreadable sentence is skipped, never fatal
            continue


def _tokens(sentence: str):
    """(match, value, unit) for every number with a unit, or a bare share (`占50.7；`)."""
    for m in _TOKEN.finditer(sentence):
        number, unit, threshold = m.group(1), m.group(2), m.group(3)
        if threshold:  # 单价100万元（含）以上设备: part of the words, not a figure
            continue
        if unit is None and not (_BARE_BEFORE.search(sentence[max(0, m.start() - 2):m.start()])
                                 and _BARE_AFTER.match(sentence[m.end():m.end() + 1])):
            continue
        whole, _, frac = number.replace(",", "").partition(".")
        if len(whole) > 14 or len(frac) > 4:  # would not fit DECIMAL(18,4) exactly
            continue
        try:
            value = Decimal(number.replace(",", ""))
        except InvalidOperation:
            continue
        yield m, value, ("%" if unit == "％" else unit)


def _read_sentence(sentence: str, pages: list[int], state: State, out: list[dict]) -> None:
    if _TOPIC.match(sentence):
        state.new_topic(sentence)
        return
    head = rules.ITEM_HEAD.search(sentence) if ("类）" in sentence or "类)" in sentence) else None
    if head:
        state.new_item(head.group(1), head.group(2), head.group(3))
    state.new_sentence()
    prev: Hit | None = None
    prev_end = head.end() if head else 0
    for m, value, unit in _tokens(sentence):
        if m.start() < prev_end:
            continue
        label = sentence[prev_end:m.start()]
        hit = classify(label, rules.clause_of(label), unit, prev, state)
        prev_end = m.end()
        record = {"page": pages[m.start()], "sentence": sentence, "value": value, "unit": unit,
                  "raw_text": m.group(0), "hit": hit, "section": state.section,
                  "subsection": state.subsection}
        out.append(record)
        if hit is not None:
            state.record(hit, len(out) - 1)
        prev = hit
    for m in rules.COMPARISON.finditer(sentence):
        scope_words = rules.clause_of(sentence[:m.start()])
        for index in state.pair_figures(scope_words):
            if out[index]["hit"].comparison_word is None:
                out[index]["hit"].comparison_word = m.group(1) or m.group(2)


# A figure means the table its section explains: 基本支出 or a 类's expenditure stated under
# 一般公共预算财政拨款(基本)支出决算情况说明 is the appropriation figure (T5), under 收入支出决算总体情况
# or 支出决算情况说明 the all-funds figure (T1/T3). 国家信访局 states both, with other amounts.
_APPROPRIATION_SECTION = ("财政拨款",)
# Balances stated in a fund's own section are that fund's (T8 / T9), not the whole appropriation's
# (T4) or the department's (T1): 西安's 七、政府性基金预算财政拨款收入支出决算情况说明.
_FUND_SECTIONS = (("政府性基金", "government_fund"), ("国有资本经营", "state_capital"))
_FUND_SCOPED = {
    "opening_balance": "opening_balance", "appropriation_opening_balance": "opening_balance",
    "closing_balance": "closing_balance", "appropriation_closing_balance": "closing_balance",
}
_SCOPED_KEYS = {
    # figure key: (key in an appropriation section, key elsewhere)
    "basic_expenditure": ("general_budget_basic_expenditure", "basic_expenditure"),
    "project_expenditure": ("general_budget_project_expenditure", "project_expenditure"),
    "class_expenditure": ("class_expenditure", "all_funds_class_expenditure"),
}


def _scoped_key(key: str, section: str | None) -> str:
    if not section:
        return key
    if key in _FUND_SCOPED:
        for word, fund in _FUND_SECTIONS:
            if word in section:
                return f"{fund}_{_FUND_SCOPED[key]}"
    if key not in _SCOPED_KEYS:
        return key
    appropriation, elsewhere = _SCOPED_KEYS[key]
    return appropriation if any(w in section for w in _APPROPRIATION_SECTION) else elsewhere


def _finish(out: list[dict]) -> list[NarrativeFigure]:
    """Build the records: classified numbers only, with the unit-suspect flag."""
    in_wan = {r["value"] for r in out if r["unit"] == "万元"}
    wan_sentences = {id(r["sentence"]) for r in out if r["unit"] == "万元"}
    figures = []
    for r in out:
        hit: Hit | None = r["hit"]
        if hit is None:
            continue
        suspect = r["unit"] is None or (
            r["unit"] == "元" and (r["value"] in in_wan or id(r["sentence"]) in wan_sentences))
        about: Ref | None = hit.about
        names = about.names if about else hit.names
        figures.append(NarrativeFigure(
            page=r["page"], section=r["section"], subsection=r["subsection"], sentence=r["sentence"],
            figure_key=_scoped_key(hit.key, r["section"]),
            subject=_scoped_key(about.as_subject(), r["section"]) if about else hit.subject,
            value=r["value"], unit=r["unit"], unit_suspect=suspect, raw_text=r["raw_text"],
            class_name=names[0], kuan_name=names[1], item_name=names[2], class_code=names[3],
            comparison_word=hit.comparison_word, relative_to=hit.relative_to,
        ))
    return figures
