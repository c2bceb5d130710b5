"""National classification codes: reference names from the dbt seeds (one source of truth)."""
from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
_CODE = re.compile(r"\d{3}(?:\d{2}){0,2}")


@lru_cache(maxsize=None)
def function_class_codes_by_name() -> dict[str, str]:
    """Map a 类 name as printed in 总表 (e.g. 一般公共服务支出) to its 3-digit code."""
    with open(SEEDS_DIR / "function_classes.csv", encoding="utf-8") as fh:
        return {row["name_zh"]: row["code"] for row in csv.DictReader(fh)}


def function_class_code(label: str) -> str | None:
    names = function_class_codes_by_name()
    if label in names:
        return names[label]
    stripped = re.sub(r"[（(]类[）)]", "", label)
    return names.get(stripped)


def is_code(token: str) -> bool:
    """A function (3/5/7 digits) or economic (3/5 digits) code."""
    return bool(_CODE.fullmatch(token))


def code_level(code: str) -> str:
    return {3: "类", 5: "款", 7: "项"}[len(code)]


# 人员经费 are wages (301) and transfers to individuals (303); every other economic class is 公用经费.
_PERSONNEL_CLASSES = frozenset({"301", "303"})


def economic_group(code: str) -> str:
    """`personnel` (人员经费) or `public` (公用经费) for an economic code of any level."""
    return "personnel" if code[:3] in _PERSONNEL_CLASSES else "public"
