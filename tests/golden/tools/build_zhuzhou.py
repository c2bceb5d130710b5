"""Write tests/golden/zhuzhou_2021.json from the seed text (demo/fixtures/zhuzhou_2021_seed.txt).

Values and labels come straight from the seed's tab-separated table rows (read here, not with
demo.zhuzhou or the parser). The page of each row is found in the rebuilt PDF with poppler
(`pdftotext -bbox`): the first occurrence of the row's code (or label, or amount) at or after
the previous row's position. Needs poppler-utils.

    .venv/bin/python tests/golden/tools/build_zhuzhou.py
"""
from __future__ import annotations

import csv
import re
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_real import EXPENDITURE, INCOME, OPENING_FUNDS, ORDINAL, T2_COLUMNS, T3_COLUMNS, T7_ITEMS, dump  # noqa: E402
from pgrid import poppler_words  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "demo" / "fixtures" / "zhuzhou_2021_seed.txt"
OUT = ROOT / "tests" / "golden" / "zhuzhou_2021.json"
TITLES = [
    ("t1_summary", "收入支出决算总表"), ("t2_income", "收入决算表"), ("t3_expenditure", "支出决算表"),
    ("t4_appropriation_summary", "财政拨款收入支出决算总表"),
    ("t5_general_budget_expenditure", "一般公共预算财政拨款支出决算表"),
    ("t6_basic_expenditure_economic", "一般公共预算财政拨款基本支出决算明细表"),
    ("t7_three_public", "一般公共预算财政拨款“三公”经费支出决算表"),
    ("t8_government_fund", "政府性基金预算财政拨款收入支出决算表"),
    ("t9_state_capital", "国有资本经营预算财政拨款支出决算表"),
]
with open(ROOT / "dbt_project" / "seeds" / "function_classes.csv", encoding="utf-8") as fh:
    CLASS_CODES = {row["name_zh"]: row["code"] for row in csv.DictReader(fh)}


def amount(text: str) -> str | None:
    text = text.strip().replace(",", "")
    return None if not text else str(Decimal(text))


def seed_tables() -> dict[str, dict]:
    """Rows (tab-separated lines) and notes of the nine tables in 第二部分 of the seed."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    start = lines.index("第二部分")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "第三部分")
    tables, current, pending = {}, None, list(TITLES)
    for ln in lines[start:end]:
        if pending and ln.strip() == pending[0][1]:
            current = pending.pop(0)[0]
            tables[current] = {"rows": [], "notes": []}
        elif current and "\t" in ln:
            tables[current]["rows"].append(ln.split("\t"))
        elif current and "无数据" in ln:
            tables[current]["notes"].append(ln.strip())
    return tables


class Pages:
    """Find rows in the rebuilt PDF in reading order: (page, y) only moves forward."""

    def __init__(self, pdf: str, n_pages: int):
        self.words = {p: sorted(((w[1] + w[3]) / 2, w[0], w[4]) for w in poppler_words(pdf, p))
                      for p in range(1, n_pages + 1)}
        self.cursor = (1, 0.0)

    def seek_title(self, title: str) -> int:
        for p in range(self.cursor[0], len(self.words) + 1):
            for y, _, text in self.words[p]:
                if (p, y) >= self.cursor and text == title:
                    self.cursor = (p, y)
                    return p
        raise LookupError(title)

    def find(self, token: str) -> int:
        for p in range(self.cursor[0], len(self.words) + 1):
            for y, _, text in self.words[p]:
                if (p, y) > self.cursor and text == token:
                    self.cursor = (p, y - 0.01)  # the same row may be asked for again
                    return p
        raise LookupError(token)


def cell(table, page, label, column, text, side=None, code=None, line_key=None):
    return {"table_key": table, "page": page, "side": side, "code": code, "line_key": line_key,
            "row_label": label, "column_key": column, "amount": amount(text)}


def build(pdf: str, n_pages: int) -> dict:
    seed, pages, cells, info = seed_tables(), Pages(pdf, n_pages), [], {}
    for key, title in TITLES:
        first = pages.seek_title(title)
        rows = seed[key]["rows"]
        if key in ("t1_summary", "t4_appropriation_summary"):
            opening = False
            for r in rows[3:]:
                if not r[0] and not r[3]:
                    continue  # a row of line numbers only
                page = pages.find(r[0] or r[3])
                if r[0]:
                    name = ORDINAL.sub("", r[0])
                    if opening and name in OPENING_FUNDS:
                        line = OPENING_FUNDS[name]
                    else:
                        line = INCOME[name]
                        opening = key == "t4_appropriation_summary" and line == "opening_balance"
                    cells.append(cell(key, page, r[0], "amount", r[2], "income", None, line))
                if r[3]:
                    name = ORDINAL.sub("", r[3])
                    line, code = (EXPENDITURE[name], None) if name in EXPENDITURE else ("function_class", CLASS_CODES[name])
                    columns = ["amount"] if key == "t1_summary" else ["total", "general_public_budget",
                                                                        "government_fund", "state_capital"]
                    for column, text in zip(columns, r[5:]):
                        cells.append(cell(key, page, r[3], column, text, "expenditure", code, line))
        elif key in ("t2_income", "t3_expenditure", "t5_general_budget_expenditure"):
            columns = {"t2_income": T2_COLUMNS, "t3_expenditure": T3_COLUMNS,
                       "t5_general_budget_expenditure": ["total", "basic", "project"]}[key]
            for r in rows[3:]:
                total = "合计" in (r[0], r[1])
                page = pages.find("合计" if total else r[0])
                for column, text in zip(columns, r[2:]):
                    cells.append(cell(key, page, "合计" if total else r[1], column, text,
                                      code=None if total else r[0], line_key="total" if total else None))
        elif key == "t6_basic_expenditure_economic":
            groups = ("personnel", "public", "public")  # 人员经费 | 公用经费 (two blocks)
            body = [r for r in rows[2:] if r[0] != "人员经费合计"]
            for r in body[:-1]:
                page = pages.find(next(c for c in r if c))
                for g, group in enumerate(groups):
                    code, name, text = r[3 * g:3 * g + 3]
                    if code:
                        cells.append(cell(key, page, name, "amount", text, code=code, line_key=group))
            footer = body[-1]  # the amounts of the 人员经费合计 | 公用经费合计 row printed below it
            page = pages.find(footer[2])
            cells.append(cell(key, page, "人员经费合计", "amount", footer[2], line_key="personnel_total"))
            cells.append(cell(key, page, "公用经费合计", "amount", footer[8], line_key="public_total"))
        elif key == "t7_three_public":
            data = rows[-1]
            for b, (basis, label) in enumerate((("budget", "预算数"), ("final", "决算数"))):
                for column, text in zip(T7_ITEMS, data[6 * b:6 * b + 6]):
                    cells.append(cell(key, first, label, column, text, line_key=basis))
        notes = seed[key]["notes"]
        info[key] = {"status": "empty" if notes else "parsed", "first_page": first,
                     "last_page": max([c["page"] for c in cells if c["table_key"] == key] or [first]),
                     "note": re.sub(r"\s+", "", notes[0]) if notes else None}
    return {"document": "株洲市工业和信息化局2021年度部门决算.pdf",
            "source": {"builder": "demo.zhuzhou.build_zhuzhou_pdf",
                       "seed": "demo/fixtures/zhuzhou_2021_seed.txt"},
            "established_by": "tests/golden/tools/build_zhuzhou.py (values and labels from the seed text, "
                              "pages located with poppler); see tests/golden/README.md",
            "tables": info, "cells": cells}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    import subprocess

    from demo.zhuzhou import build_zhuzhou_pdf

    with tempfile.TemporaryDirectory() as tmp:
        pdf = str(build_zhuzhou_pdf(Path(tmp) / "zz.pdf"))
        info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
        n_pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
        golden = build(pdf, n_pages)
    OUT.write_text(dump(golden), encoding="utf-8")
    print(f"{OUT}: {len(golden['cells'])} cells")
