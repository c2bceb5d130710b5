"""Rows of the 部门整体支出绩效自评表 (annex to some narratives), read from the page text.

Kept simple on purpose: after the table's header (…三级指标 / 指标值…), a row is a line that ends
with two plain numbers, 分值 and 得分, optionally followed by a remark (偏差原因). What precedes
them, without the 一级/二级指标 labels, is indicator, target (年度指标值) and actual (实际完成值),
as printed. The 总分 line is kept as an indicator named 总分. Lines that do not have that shape
(wrapped cells, 资金情况 rows) are skipped; `extract_performance_indicators` never raises.
"""
from __future__ import annotations

import re
from decimal import Decimal

from ingest.records import PerformanceIndicator

_TITLE = re.compile(r"整体支出绩效自评(?:情况)?表")
_HEADER = ("三级指标", "指标值")
_NUMBER = re.compile(r"^\d{1,6}(?:\.\d{1,4})?$")
_LEVEL1 = re.compile(r"^(?:产出|效益|满意度|成本)?指标$|^(?:产出|效益|满意度|成本)$|^[（(]\d+分[）)]$")
_LEVEL2 = re.compile(r"(?:数量|质量|时效|成本|经济效益|社会效益|生态效益|可持续影响|服务对象满意度)指标$")
_VALUE = re.compile(r"[\d%％≥≤<>＞＜]")


def extract_performance_indicators(page_texts: list[str]) -> list[PerformanceIndicator]:
    try:
        return _extract(page_texts)
    except Exception:  # noqa: BLE001 - the annex is optional; never fail the document for it
        return []


def _extract(page_texts) -> list[PerformanceIndicator]:
    lines = [(page, line.strip()) for page, text in enumerate(page_texts or [], start=1)
             for line in (text if isinstance(text, str) else "").splitlines() if line.strip()]
    titles = [i for i, (_, line) in enumerate(lines)
              if _TITLE.search(line) and len(line) <= 60 and not line.startswith("详见")]
    if not titles:
        return []
    start = titles[0]
    header = next((i for i in range(start, min(start + 40, len(lines)))
                   if any(word in re.sub(r"\s+", "", lines[i][1]) for word in _HEADER)), None)
    title = re.sub(r"\s+", "", lines[max(i for i in titles if header is None or i < header)][1])
    rows, category = [], None
    for page, line in lines[(header if header is not None else start) + 1:]:
        if re.sub(r"\s+", "", line).startswith("备注"):
            break
        tokens = line.split()
        for token in tokens:
            if _LEVEL2.search(token):
                category = token
        row = _row(tokens, page, title, category)
        if row is not None:
            rows.append(row)
            if row.indicator == "总分":
                break
    return rows


def _row(tokens: list[str], page: int, title: str, category: str | None) -> PerformanceIndicator | None:
    pairs = [j for j in range(len(tokens) - 1) if _NUMBER.match(tokens[j]) and _NUMBER.match(tokens[j + 1])]
    if not pairs:
        return None
    if tokens[0].startswith("总分"):
        j = pairs[0]
        return PerformanceIndicator(page, title, None, "总分", None, None, Decimal(tokens[j]),
                                    Decimal(tokens[j + 1]), " ".join(tokens[j + 2:]) or None)
    j = pairs[-1]
    words = [t for t in tokens[:j] if not _LEVEL1.match(t) and not _LEVEL2.search(t)]
    if len(words) < 2:
        return None
    if len(words) == 3:
        indicator, target, actual = words
    else:
        k = next((i for i in range(1, len(words)) if _VALUE.search(words[i])), 1)
        indicator, target, actual = "".join(words[:k]), words[k], " ".join(words[k + 1:]) or None
    return PerformanceIndicator(page, title, category, indicator, target, actual, Decimal(tokens[j]),
                                Decimal(tokens[j + 1]), " ".join(tokens[j + 2:]) or None)
