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


def find_title(page_text: str) -> tuple[TableSpec | None, str | None]:
    """The table spec whose title is printed on this page, or an unknown '...表' title.

    Returns (spec, title as printed); (None, title) for a table title we do not know;
    (None, None) when the page has no table title.
    """
    unknown = None
    for line in (page_text or "").splitlines()[:12]:
        text = _normal_line(line)
        if not text or len(text) > 60 or "说明" in text or re.match(r"^第.{1,3}部分", text):
            continue
        for variant, spec in _VARIANTS:
            if text.endswith(variant):
                return spec, squash(line)
        if text.endswith("决算表") and unknown is None:
            unknown = squash(line)
    return None, unknown


def is_narrative_page(page_text: str) -> bool:
    head = squash("\n".join((page_text or "").splitlines()[:6]))
    return any(marker in head for marker in _NARRATIVE)


def empty_table_note(page_text: str) -> str | None:
    for line in (page_text or "").splitlines():
        text = squash(line)
        if "无数据" in text or "无此项" in text or "无相关数据" in text:
            return text
    return None
