"""Document metadata read from the content (cover and headings), never from the file name."""
from __future__ import annotations

import re
from collections import Counter

from ingest.records import DocumentMetadata
from ingest.text import squash

_YEAR = re.compile(r"(20\d{2})\s*年")
_PAGE_NUMBER = re.compile(r"\s*[-—]?\s*\d{1,3}\s*[-—]?\s*")
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
    # a page number printed on its own line (佛山: "1" above the title) is not part of the name
    lines = [line for line in (cover_text or "").splitlines() if not _PAGE_NUMBER.fullmatch(line)]
    text = squash("\n".join(lines))
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


# What follows the name on the same heading line: 2024年度, 金额单位：万元, 公开01表.
_HEADING_TAIL = re.compile(r"(?:20\d{2}年度?|(?:金额)?单位[:：]|[（(]?公开\d+表).*$")
_UNITS = {"万元", "元", "千元", "亿元"}


def heading_departments(page_texts: list[str]) -> Counter:
    """Department names printed above the tables (部门：…, 单位名称：…), with their counts.

    `单位：万元` is a unit line, not a department.
    """
    found: Counter = Counter()
    for text in page_texts:
        for line in (text or "").splitlines():
            m = _DEPT_LINE.match(squash(line))
            if not m:
                continue
            name = _HEADING_TAIL.sub("", m.group(1))
            if name and name not in _UNITS:
                found[name] += 1
    return found


def main_unit(page_texts: list[str]) -> str | None:
    units = Counter(u for text in page_texts for u in _UNIT.findall(text or ""))
    return units.most_common(1)[0][0] if units else None


# "2021年度" alone on its line, or "…2024年度部门决算(表/情况说明)": a heading, not a sentence.
# A comparison (比2023年度决算数增加, 与2023年度相比) names another year, not the document's: the
# heading must end with the kind word (or 表 / 情况说明) and not follow 比/与/较/同.
_HEADING_YEAR = re.compile(
    r"^(20\d{2})年度$|(?<![比与较同])(20\d{2})年度?(?:部门|单位)?决算(?:表|报表|情况说明|公开)?$")


def heading_years(page_texts: list[str]) -> Counter:
    """Fiscal years printed in short heading lines after the cover (section titles, captions).

    Long lines are sentences ("与2023年度相比…") and are left out.
    """
    found: Counter = Counter()
    for text in page_texts[1:]:
        for line in (text or "").splitlines():
            short = squash(line)
            if len(short) <= 40 and "相比" not in short and "上年" not in short:
                for alone, titled in _HEADING_YEAR.findall(short):
                    found[int(alone or titled)] += 1
    return found


def year_conflict(cover_year: int | None, years: Counter) -> str | None:
    others = [y for y in years if y != cover_year]
    if cover_year is None or not others:
        return None
    listed = ", ".join(f"{y} ({years[y]}x)" for y in sorted(others))
    return f"fiscal_year: cover {cover_year} vs headings {listed}"


def metadata_conflicts(cover_department: str | None, headings: Counter) -> str | None:
    """Describe where cover and headings disagree on the department (None when they agree).

    Published documents do get this wrong (a predecessor's name left in a heading); the
    pipeline records it for the steward instead of picking one name silently.
    """
    conflicts = []
    names = [name for name, _ in headings.most_common()]
    if cover_department and names and any(name != cover_department for name in names):
        others = ", ".join(f"'{n}' ({headings[n]}x)" for n in names if n != cover_department)
        conflicts.append(f"department: cover '{cover_department}' vs headings {others}")
    elif len(names) > 1:
        listed = ", ".join(f"'{n}' ({headings[n]}x)" for n in names)
        conflicts.append(f"department: headings name {len(names)} departments: {listed}")
    return "; ".join(conflicts) or None


def read_metadata(page_texts: list[str]) -> DocumentMetadata:
    cover = "\n".join(page_texts[:1])
    dept, year, kind = cover_department_and_year(cover)
    headings = heading_departments(page_texts)
    if not dept:
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
        department_in_headings=headings.most_common(1)[0][0] if headings else None,
        metadata_conflicts="; ".join(
            c for c in (metadata_conflicts(dept, headings), year_conflict(year, heading_years(page_texts))) if c
        ) or None,
    )
