"""Write tests/golden/<name>.json for the two real reports from an independent reading of the pages.

Needs poppler-utils (pdftotext). Cell texts come from pgrid.py (poppler words placed in the
ruled grid); which grid column holds which canonical column, and where the data rows start on
each page, is written below BY HAND after reading each page (pgrid.py prints a page's grid).
Line keys come from the small tables in this file, not from the parser's specs.

    .venv/bin/python tests/golden/tools/build_real.py
"""
from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgrid import page_grid  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "tests" / "golden"

with open(ROOT / "dbt_project" / "seeds" / "function_classes.csv", encoding="utf-8") as fh:
    CLASS_CODES = {row["name_zh"]: row["code"] for row in csv.DictReader(fh)}

INCOME = {
    "一般公共预算财政拨款收入": "general_budget_appropriation",
    "政府性基金预算财政拨款收入": "government_fund_appropriation",
    "国有资本经营预算财政拨款收入": "state_capital_appropriation",
    "一般公共预算财政拨款": "general_budget_appropriation",
    "政府性基金预算财政拨款": "government_fund_appropriation",
    "国有资本经营预算财政拨款": "state_capital_appropriation",
    "上级补助收入": "superior_subsidy", "事业收入": "business_income", "经营收入": "operating_income",
    "附属单位上缴收入": "affiliated_remittance", "其他收入": "other_income",
    "本年收入合计": "income_total", "使用非财政拨款结余": "use_of_non_appropriation_balance",
    "使用非财政拨款结余（含专用结余）": "use_of_non_appropriation_balance",
    "年初结转和结余": "opening_balance", "年初财政拨款结转和结余": "opening_balance", "总计": "grand_total",
}
OPENING_FUNDS = {"一般公共预算财政拨款": "opening_general_budget",
                 "政府性基金预算财政拨款": "opening_government_fund",
                 "国有资本经营预算财政拨款": "opening_state_capital"}
EXPENDITURE = {"本年支出合计": "expenditure_total", "结余分配": "balance_distribution",
               "年末结转和结余": "closing_balance", "年末财政拨款结转和结余": "closing_balance",
               "总计": "grand_total"}
ORDINAL = re.compile(r"^[一二三四五六七八九十]+、")


def amount(text: str) -> str | None:
    text = text.replace(",", "")
    return None if text == "" else str(Decimal(text))


def cell(table, page, label, column, text, side=None, code=None, line_key=None):
    return {"table_key": table, "page": page, "side": side, "code": code, "line_key": line_key,
            "row_label": label, "column_key": column, "amount": amount(text)}


def two_sided(pdf, t):
    out, opening = [], False
    for page, first in t["pages"].items():
        g = page_grid(pdf, page)
        for b in range(first, g.n_bands):
            for side, cfg in (("income", t["income"]), ("expenditure", t["expenditure"])):
                label = g.text(b, cfg["label"])
                if not label:
                    continue
                name = ORDINAL.sub("", label)
                code = None
                if side == "income":
                    if opening and name in OPENING_FUNDS:
                        key = OPENING_FUNDS[name]
                    else:
                        key = INCOME[name]
                        opening = key == "opening_balance" and t["key"] == "t4_appropriation_summary"
                elif name in EXPENDITURE:
                    key = EXPENDITURE[name]
                else:
                    key, code = "function_class", CLASS_CODES[name]
                for col, column in cfg["amounts"].items():
                    out.append(cell(t["key"], page, label, column, g.text(b, col), side, code, key))
    return out


def coded(pdf, t):
    out = []
    for page, first in t["pages"].items():
        g = page_grid(pdf, page)
        for b in range(first, g.n_bands):
            code = "".join(g.text(b, c) for c in t["code"] if g.text(b, c).isdigit())
            name = g.text(b, t["name"])
            if not code and name != "合计":
                assert not any(g.text(b, c) for c in t["amounts"]), (page, b)
                continue
            for col, column in t["amounts"].items():
                out.append(cell(t["key"], page, name, column, g.text(b, col),
                                code=code or None, line_key=None if code else "total"))
    return out


def blocks(pdf, t):
    out = []
    totals = {"人员经费合计": "personnel_total", "公用经费合计": "public_total"}
    for page, first in t["pages"].items():
        g = page_grid(pdf, page)
        for b in range(first, g.n_bands):
            for blk in t["blocks"]:
                code = "".join(g.text(b, c) for c in blk["code"])
                name = g.text(b, blk["name"])
                if name in totals:
                    out.append(cell(t["key"], page, name, "amount", g.text(b, blk["amount"]),
                                    line_key=totals[name]))
                elif code:
                    out.append(cell(t["key"], page, name, "amount", g.text(b, blk["amount"]),
                                    code=code, line_key=blk["group"]))
                else:
                    assert not name and not g.text(b, blk["amount"]), (page, b, name)
    return out


def one_row(pdf, t):
    out = []
    for page, band in t["pages"].items():
        g = page_grid(pdf, page)
        for col, (basis, column) in t["columns"].items():
            label = "预算数" if basis == "budget" else "决算数"
            out.append(cell(t["key"], page, label, column, g.text(band, col), line_key=basis))
    return out


READERS = {"two_sided": two_sided, "coded": coded, "blocks": blocks, "one_row": one_row}

T7_ITEMS = ["total", "outbound", "vehicle_total", "vehicle_purchase", "vehicle_operation", "reception"]
# Shanghai T7: every item has a 预算数 | 决算数 pair of columns, items left to right.
T7_PAIRS = {2 * i + k: (basis, item) for i, item in enumerate(T7_ITEMS)
            for k, basis in enumerate(("budget", "final"))}
T2_COLUMNS = ["total", "fiscal_appropriation", "superior_subsidy", "business_income",
              "operating_income", "affiliated_remittance", "other_income"]
T3_COLUMNS = ["total", "basic", "project", "remit_to_superior", "operating", "subsidy_to_affiliates"]

DOCUMENTS = {
    "czj_2024": {
        "corpus": "final/上海市普陀区财政局2024年度部门决算.pdf",
        "tables": [
            {"key": "t1_summary", "kind": "two_sided", "pages": {6: 2, 7: 0},
             "income": {"label": 0, "amounts": {1: "amount"}},
             "expenditure": {"label": 2, "amounts": {3: "amount"}}},
            {"key": "t2_income", "kind": "coded", "pages": {8: 3, 9: 0}, "code": [0, 1, 2], "name": 3,
             "amounts": {4 + i: c for i, c in enumerate(T2_COLUMNS)}},
            {"key": "t3_expenditure", "kind": "coded", "pages": {10: 3, 11: 0}, "code": [0, 1, 2], "name": 3,
             "amounts": {4 + i: c for i, c in enumerate(T3_COLUMNS)}},
            {"key": "t4_appropriation_summary", "kind": "two_sided", "pages": {12: 2, 13: 0, 14: 0},
             "income": {"label": 0, "amounts": {1: "amount"}},
             "expenditure": {"label": 2, "amounts": {3: "total", 4: "general_public_budget",
                                                     5: "government_fund", 6: "state_capital"}}},
            {"key": "t5_general_budget_expenditure", "kind": "coded", "pages": {15: 4}, "code": [0, 1, 2],
             "name": 3, "amounts": {4: "total", 5: "basic", 6: "project"}},
            {"key": "t6_basic_expenditure_economic", "kind": "blocks", "pages": {16: 3, 17: 0},
             "blocks": [{"code": [0, 1], "name": 2, "amount": 3, "group": "personnel"},
                        {"code": [4, 5], "name": 6, "amount": 7, "group": "public"}]},
            {"key": "t7_three_public", "kind": "one_row", "pages": {18: 5}, "columns": T7_PAIRS},
        ],
        "table_info": {
            "t1_summary": (6, 7, "parsed"), "t2_income": (8, 9, "parsed"), "t3_expenditure": (10, 11, "parsed"),
            "t4_appropriation_summary": (12, 14, "parsed"), "t5_general_budget_expenditure": (15, 15, "parsed"),
            "t6_basic_expenditure_economic": (16, 17, "parsed"), "t7_three_public": (18, 18, "parsed"),
            "t8_government_fund": (19, 19, "empty"), "t9_state_capital": (20, 20, "empty"),
        },
    },
    "shgz_2024": {
        "corpus": "final/中共上海市普陀区委社会工作部 2024 年度部门决算.pdf",
        "tables": [
            {"key": "t1_summary", "kind": "two_sided", "pages": {5: 2},
             "income": {"label": 0, "amounts": {1: "amount"}},
             "expenditure": {"label": 2, "amounts": {3: "amount"}}},
            {"key": "t2_income", "kind": "coded", "pages": {6: 2, 7: 0}, "code": [0], "name": 1,
             "amounts": {2 + i: c for i, c in enumerate(T2_COLUMNS)}},
            {"key": "t3_expenditure", "kind": "coded", "pages": {8: 2, 9: 0}, "code": [0], "name": 1,
             "amounts": {2 + i: c for i, c in enumerate(T3_COLUMNS)}},
            {"key": "t4_appropriation_summary", "kind": "two_sided", "pages": {10: 2, 11: 0},
             "income": {"label": 0, "amounts": {1: "amount"}},
             "expenditure": {"label": 2, "amounts": {3: "total", 4: "general_public_budget",
                                                     5: "government_fund", 6: "state_capital"}}},
            {"key": "t5_general_budget_expenditure", "kind": "coded", "pages": {12: 2}, "code": [0],
             "name": 1, "amounts": {2: "total", 3: "basic", 4: "project"}},
            {"key": "t6_basic_expenditure_economic", "kind": "blocks", "pages": {13: 1},
             "blocks": [{"code": [0], "name": 1, "amount": 2, "group": "personnel"},
                        {"code": [3], "name": 4, "amount": 5, "group": "public"}]},
        ],
        "table_info": {
            "t1_summary": (5, 5, "parsed"), "t2_income": (6, 7, "parsed"), "t3_expenditure": (8, 9, "parsed"),
            "t4_appropriation_summary": (10, 11, "parsed"), "t5_general_budget_expenditure": (12, 12, "parsed"),
            "t6_basic_expenditure_economic": (13, 13, "parsed"), "t7_three_public": (14, 14, "empty"),
            "t8_government_fund": (15, 15, "empty"), "t9_state_capital": (16, 16, "empty"),
        },
    },
}


def empty_note(pdf: str, page: int) -> str | None:
    text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), pdf, "-"],
                          capture_output=True, text=True, check=True).stdout
    return next((re.sub(r"\s+", "", ln) for ln in text.splitlines() if "无数据" in ln), None)


def dump(golden: dict) -> str:
    """JSON with one cell per line, so that a diff of a golden file reads cell by cell."""
    head = {k: v for k, v in golden.items() if k != "cells"}
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    cells = ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in golden["cells"])
    return f'{text},\n "cells": [\n{cells}\n ]\n}}\n'


def build(name: str, spec: dict) -> dict:
    pdf = str(CORPUS / spec["corpus"])
    cells = [c for t in spec["tables"] for c in READERS[t["kind"]](pdf, t)]
    tables = {}
    for key, (first, last, status) in spec["table_info"].items():
        tables[key] = {"status": status, "first_page": first, "last_page": last,
                       "note": empty_note(pdf, first) if status == "empty" else None}
    return {"document": Path(spec["corpus"]).name, "source": {"corpus": spec["corpus"]},
            "established_by": "tests/golden/tools/build_real.py (poppler words in the ruled grid, "
                              "column roles set by hand); see tests/golden/README.md",
            "tables": tables, "cells": cells}


if __name__ == "__main__":
    for name, spec in DOCUMENTS.items():
        golden = build(name, spec)
        path = OUT / f"{name}.json"
        path.write_text(dump(golden), encoding="utf-8")
        print(f"{path}: {len(golden['cells'])} cells")
