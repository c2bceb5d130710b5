"""Typographic defects of a published report's text: repeated punctuation and duplicated section
numbers. Low-severity findings for stewards (identity `text_typography`), read from the page texts
the parser already has; the document is loaded whatever they say.

    lint(page_texts) -> "punctuation|p5|…支出。。主要…; section_number|p7|三、 after 三、"
"""
from __future__ import annotations

import re

from ingest.text import squash

# 。。 ，， ；； ：： 、、 (an ellipsis …… or a dot leader is not repeated punctuation)
_REPEATED = re.compile(r"([。，；：、！？])\1+")
_SECTION = re.compile(r"^([一二三四五六七八九十]{1,3})、")
_PART = re.compile(r"^第[一二三四五六七八九十]{1,2}部分")
_TOC = re.compile(r"^目录$")
MAX_FINDINGS = 20


def lint(page_texts: list[str], table_pages: set[int] = frozenset()) -> str | None:
    """`kind|page|where` findings joined by '; ' (None when the text has none). Table pages
    (their rows are numbered 一、二、 on both sides) and the 目录 are not prose."""
    found: list[str] = []
    last: str | None = None  # the last level-1 section number of the current part
    for page, text in enumerate(page_texts, start=1):
        lines = [squash(line) for line in (text or "").splitlines()]
        if page in table_pages or any(_TOC.match(line) for line in lines[:4]):
            continue  # a 目录 repeats every heading by design
        for line in lines:
            for m in _REPEATED.finditer(line):
                found.append(f"punctuation|p{page}|{line[max(0, m.start() - 10):m.end() + 6]}")
            if _PART.match(line):
                last = None
                continue
            heading = _SECTION.match(line)
            if heading and len(line) <= 40 and "，" not in line:
                if heading.group(1) == last:
                    found.append(f"section_number|p{page}|{heading.group(1)}、 printed twice in a row: {line}")
                last = heading.group(1)
    return "; ".join(found[:MAX_FINDINGS]) or None
