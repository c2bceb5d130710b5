"""Document metadata read from the content (cover and headings), never from the file name."""
from __future__ import annotations

import re
from collections import Counter

from ingest.records import DocumentMetadata
from ingest.text import squash

_YEAR = re.compile(r"(20\d{2})\s*年")
_YEAR_ANY = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_UNIT = re.compile(r"单位[:：]\s*(万元|元)")
_DEPT_LINE = re.compile(r"^(?:部门|单位|单位名称|预算主管部门)[:：](.+)$")
_REGION = re.compile(
    r"^((?:[^省市区县]{2,8}(?:省|自治区))?(?:[^省市区县]{2,8}市)?(?:[^省市区县]{1,8}(?:区|县|市))?)"
)


def cover_department_and_year(cover_text: str) -> tuple[str | None, int | None, str]:
    """Department name, fiscal year and the kind word from the cover page.

    Covers print the year in another font, so it may land on its own line before or after the
    title ("上海市普陀区财政局 / 年度部门决算 / 2024"); everything is squashed first.
    """
    text = squash(cover_text)
    years = [int(y) for y in _YEAR_ANY.findall(text)]
    year = years[0] if years else None
    kind = "final_accounts" if "决算" in text else ("budget" if "预算" in text else "unknown")
    without_year = re.sub(r"20\d{2}年?度?", "", text)
    without_year = re.sub(r"^年度", "", without_year)
    dept = None
    m = re.search(r"(?:预算主管部门|单位名称)[:：](.+?)(?:$|\d)", without_year)
    if m:
        dept = m.group(1)
    else:
        head = re.split(r"年?度?(?:部门|单位)?(?:决算|预算)", without_year, maxsplit=1)[0]
        head = re.sub(r"年度$", "", head)
        dept = head or None
    return dept, year, kind


def region_of(department: str | None) -> str | None:
    """The administrative prefix of a department name (上海市普陀区, 株洲市, 江苏省)."""
    if not department:
        return None
    name = re.sub(r"^中共", "", department)
    m = _REGION.match(name)
    region = m.group(1) if m else ""
    # "区委" / "市委" are party committees, not a further region level.
    return region or None


def heading_departments(page_texts: list[str]) -> Counter:
    found: Counter = Counter()
    for text in page_texts:
        for line in (text or "").splitlines():
            m = _DEPT_LINE.match(squash(line))
            if m:
                found[m.group(1)] += 1
    return found


def main_unit(page_texts: list[str]) -> str | None:
    units = Counter(u for text in page_texts for u in _UNIT.findall(text or ""))
    return units.most_common(1)[0][0] if units else None


def read_metadata(page_texts: list[str]) -> DocumentMetadata:
    cover = "\n".join(page_texts[:1])
    dept, year, kind = cover_department_and_year(cover)
    if not dept:
        headings = heading_departments(page_texts)
        dept = headings.most_common(1)[0][0] if headings else None
    if year is None:
        for text in page_texts[:5]:
            m = _YEAR.search(text or "")
            if m:
                year = int(m.group(1))
                break
    return DocumentMetadata(
        department=dept,
        region=region_of(dept),
        fiscal_year=year,
        report_kind=kind,
        unit=main_unit(page_texts),
        page_count=len(page_texts),
    )
