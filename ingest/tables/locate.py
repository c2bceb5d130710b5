"""Locate tables by their printed title, whatever the numbering (公开01表, 表 1：, none)."""
from __future__ import annotations

import re

from ingest.tables.specs import ALL_SPECS, TableSpec
from ingest.text import squash

_QUOTES = re.compile(r"[\"“”＂'‘’]")
_PREFIX = re.compile(r"^(?:附表|表)?\s*\d+[：:.、]?|^[一二三四五六七八九十]+、")
_LABEL = re.compile(r"[（(]?公开\d+表[）)]?")
_NARRATIVE = ("情况说明", "第三部分", "名词解释")

# Longest variant first, so 一般公共预算财政拨款支出决算表 wins over 支出决算表.
_VARIANTS: list[tuple[str, TableSpec]] = sorted(
    ((_QUOTES.sub("", t), spec) for spec in ALL_SPECS for t in spec.titles),
    key=lambda item: -len(item[0]),
)


def _normal_line(line: str) -> str:
    text = _QUOTES.sub("", squash(line))
    text = _LABEL.sub("", text)
    return _PREFIX.sub("", text)


# A heading line around a title that is not part of it: a part heading, a unit or department line,
# a 公开NN表 label, a page number. PDFium's line order can put one before, after or inside a title.
_INTERLUDE = re.compile(r"^(?:第.{1,3}部分.*|(?:金额)?单位[:：].*|(?:编制)?部门[:：].*|[（(]?公开\d+表[）)]?|\d{1,3}|表\d+)$")
# Words that make a line a sentence or a list entry, never a printed title.
_SENTENCE = re.compile(r"[，。；,;]|\.{3,}|…")
_MAX_PREFIX = 24  # 国家信访局2024年度: what may precede a title on its line


def _title_match(text: str) -> TableSpec | None:
    for variant, spec in _VARIANTS:
        if text.endswith(variant) and len(text) - len(variant) <= _MAX_PREFIX:
            return spec
    return None


def _candidate(line: str) -> str | None:
    text = _normal_line(line)
    if not text or len(text) > 60 or "说明" in text or _SENTENCE.search(text) or re.match(r"^第.{1,3}部分", text):
        return None
    return text


def find_titles(page_text: str) -> list[tuple[TableSpec | None, str, int]]:
    """Every table title printed on a page: (spec, title as printed, line index), in line order.

    A title may be anywhere on the page (PDFium puts some after the table's text), wrapped over
    two lines, or split around a part heading, unit line or label printed inside it; each spec
    is reported once. An unknown '...决算表'/'...预算表' title gives (None, title, line).
    """
    lines = [squash(line) for line in (page_text or "").splitlines()]
    found: list[tuple[TableSpec | None, str, int]] = []
    seen: set[str] = set()
    used: set[int] = set()
    for i, line in enumerate(lines):
        if i in used:
            continue
        text = _candidate(line)
        if text is None:
            continue
        spec = _title_match(text)
        title, parts = line, [i]
        if spec is None:
            # a title wrapped onto the next line, or split around an interlude line; never two
            # entries of a list (the second starts with its own enumeration or is a title itself)
            for gap in (1, 2):
                j = i + gap
                if j >= len(lines) or (gap == 2 and not _INTERLUDE.match(lines[i + 1])):
                    continue
                if _PREFIX.match(lines[j]):
                    continue
                alone = _title_match(_normal_line(lines[j]))
                joined = _candidate(line + lines[j])
                # the second line alone may end like a shorter title (基本支出决算表 ends with
                # 支出决算表): the join counts only when it names another, longer title
                both = _title_match(joined) if joined else None
                if both is not None and both is not alone:
                    spec, title, parts = both, line + lines[j], [i, j]
                    break
        if spec is not None:
            if spec.key not in seen:
                seen.add(spec.key)
                found.append((spec, title, i))
            used.update(parts)
        elif text.endswith(("决算表", "预算表")) and len(text) <= 40:
            found.append((None, line, i))
    return found


def find_title(page_text: str) -> tuple[TableSpec | None, str | None]:
    """The first table spec whose title is printed on this page, or an unknown '...表' title.

    Returns (spec, title as printed); (None, title) for a table title we do not know;
    (None, None) when the page has no table title.
    """
    titles = find_titles(page_text)
    known = [(spec, title) for spec, title, _ in titles if spec is not None]
    if known:
        return known[0]
    return (None, titles[0][1]) if titles else (None, None)


_TOC_HEAD = re.compile(r"^目录$")
_AMOUNT = re.compile(r"\d\.\d\d(?!\d)")


def is_toc_page(page_text: str) -> bool:
    """A 目录 page: its titles are entries of a list, not tables."""
    return any(_TOC_HEAD.match(squash(line)) for line in (page_text or "").splitlines()[:4])
_TOC_ENTRY_TAIL = re.compile(r"[.．·…\s]*\d*$")


def toc_table_keys(page_texts: list[str], max_pages: int = 6) -> list[str] | None:
    """The standard tables the document's own 目录 (table of contents) lists, in order.

    None when no 目录 page listing tables is found among the first pages: completeness is then
    judged against the variant's table set. Entries carry dot leaders and page numbers
    (`三、支出决算表 ........ 7`) and two may share a line.
    """
    for start, text in enumerate(page_texts[:max_pages]):
        if not is_toc_page(text):
            continue
        # the 目录 may go on over the next page (without its heading), which carries no amount
        pages = [text] + [t for t in page_texts[start + 1:start + 2] if not _AMOUNT.search(t or "")]
        lines = [squash(line) for page in pages for line in (page or "").splitlines()]
        keys: list[str] = []
        for line in lines:
            # two entries on one line: split after a page number that ends an entry
            for entry in re.split(r"(?<=\d)(?=[一二三四五六七八九十]+、|表\d|附表)", line):
                entry = _TOC_ENTRY_TAIL.sub("", _QUOTES.sub("", entry))
                entry = _PREFIX.sub("", _LABEL.sub("", entry))
                if not entry or "说明" in entry or re.match(r"^第.{1,3}部分", entry):
                    continue
                spec = _title_match(entry)
                if spec is not None and spec.key not in keys:
                    keys.append(spec.key)
        if keys:
            return keys
    return None


def is_narrative_page(page_text: str) -> bool:
    head = squash("\n".join((page_text or "").splitlines()[:6]))
    return any(marker in head for marker in _NARRATIVE)


def empty_table_note(page_text: str) -> str | None:
    for line in (page_text or "").splitlines():
        text = squash(line)
        if "无数据" in text or "无此项" in text or "无相关数据" in text:
            return text
    return None
