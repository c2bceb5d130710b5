"""Sanity checks of a golden file that do not involve the parser (run after building one).

1. Every number printed on a table page (poppler words that look like money) appears in the
   golden for that page as often as it is printed, and vice versa.
2. The accounting identities of docs/domain.md, so that a misplaced column shows up; a printed
   defect of the document (a rounding gap) is reported, not fixed.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pgrid import poppler_words  # noqa: E402

MONEY = re.compile(r"^-?\d{1,3}(,\d{3})*\.\d{2}$|^-?\d+\.\d{2}$")


def numbers_per_page(golden: dict, pdf: str) -> list[str]:
    problems = []
    pages = defaultdict(Counter)
    for c in golden["cells"]:
        if c["amount"] is not None:
            pages[c["page"]][Decimal(c["amount"])] += 1
    for page, expected in sorted(pages.items()):
        printed = Counter(Decimal(w[4].replace(",", "")) for w in poppler_words(pdf, page) if MONEY.match(w[4]))
        if printed != expected:
            problems.append(f"page {page}: printed-only {dict(printed - expected)}, golden-only {dict(expected - printed)}")
    return problems


def identities(golden: dict) -> list[str]:
    out = []
    rows = defaultdict(dict)
    for c in golden["cells"]:
        key = (c["table_key"], c["side"], c["code"], c["line_key"])
        rows[key][c["column_key"]] = Decimal(c["amount"] or 0)
    def col(table, column, pred):
        return sum((v.get(column, 0) for k, v in rows.items() if k[0] == table and pred(k)), Decimal(0))
    for table, parts in (("t2_income", ["fiscal_appropriation", "superior_subsidy", "business_income",
                                        "operating_income", "affiliated_remittance", "other_income"]),
                         ("t3_expenditure", ["basic", "project", "remit_to_superior", "operating",
                                             "subsidy_to_affiliates"]),
                         ("t5_general_budget_expenditure", ["basic", "project"])):
        for k, v in rows.items():
            if k[0] == table and v.get("total", 0) != sum(v.get(p, 0) for p in parts):
                out.append(f"{table} {k[2] or k[3]}: total {v.get('total')} != sum of columns")
        for column in ["total"] + parts:
            classes = col(table, column, lambda k: k[2] is not None and len(k[2]) == 3)
            total = col(table, column, lambda k: k[3] == "total")
            if classes != total:
                out.append(f"{table} {column}: 合计 {total} != sum of 类 {classes}")
    t6 = {k[2] or k[3]: v["amount"] for k, v in rows.items() if k[0] == "t6_basic_expenditure_economic"}
    if t6:
        personnel = sum(t6.get(c, 0) for c in ("301", "303"))
        public = sum(v for c, v in t6.items() if c.isdigit() and len(c) == 3 and c not in ("301", "303"))
        if personnel != t6["personnel_total"] or public != t6["public_total"]:
            out.append(f"t6: 人员 {personnel} vs {t6['personnel_total']}, 公用 {public} vs {t6['public_total']}")
        for c, v in t6.items():
            if c.isdigit() and len(c) == 3:
                kids = sum(x for k, x in t6.items() if k.isdigit() and len(k) == 5 and k.startswith(c))
                if kids != v:
                    out.append(f"t6 {c}: {v} != sum of 款 {kids}")
    for basis in ("budget", "final"):
        v = rows.get(("t7_three_public", None, None, basis))
        if v and (v["total"] != v["outbound"] + v["vehicle_total"] + v["reception"]
                  or v["vehicle_total"] != v["vehicle_purchase"] + v["vehicle_operation"]):
            out.append(f"t7 {basis}: items do not add up")
    for k, v in rows.items():
        if k[0] == "t4_appropriation_summary" and k[1] == "expenditure":
            if v["total"] != v["general_public_budget"] + v["government_fund"] + v["state_capital"]:
                out.append(f"t4 {k}: funds do not add up to 合计")
    return out


if __name__ == "__main__":
    corpus = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
    for path in sys.argv[1:]:
        golden = json.loads(Path(path).read_text(encoding="utf-8"))
        pdf = str(corpus / golden["source"]["corpus"]) if "corpus" in golden["source"] else sys.argv[-1]
        print(path)
        for p in numbers_per_page(golden, pdf) + identities(golden):
            print("  ", p)
