"""The demo-corpus generator: composition, determinism, numbers that balance, and tables that
pdfplumber's default extract_tables() reads back exactly as the truth JSON says."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest

from demo.generate import generate_corpus
from demo.zhuzhou import build_zhuzhou_pdf

ROOT = Path(__file__).resolve().parents[1]
ZHUZHOU = "株洲市工业和信息化局2021年度部门决算.pdf"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_corpus")
    start = time.perf_counter()
    paths = generate_corpus(out, count=24, seed=2024)
    elapsed = time.perf_counter() - start
    truths = {p.name: json.loads((out / "_truth" / f"{p.stem}.json").read_text(encoding="utf-8"))
              for p in paths}
    return out, paths, truths, elapsed


def D(text: str | None) -> Decimal | None:
    return None if text in (None, "") else Decimal(text.replace(",", ""))


def norm(text: str | None) -> str:
    return re.sub(r"\s", "", text or "")


# ------------------------------------------------------------------ composition

def test_corpus_composition(corpus):
    out, paths, truths, elapsed = corpus
    assert len(paths) == 24 and sorted(out.glob("*.pdf")) == sorted(paths)
    assert len(list((out / "_truth").glob("*.json"))) == 24
    assert ZHUZHOU in truths
    generated = [t for name, t in truths.items() if name != ZHUZHOU]
    departments = {t["department"] for t in truths.values()}
    assert len(departments) >= 20
    assert len({t["region"] for t in truths.values()}) >= 2
    assert {"上海市普陀区", "湖南省株洲市", "江苏省南京市", "四川省成都市"} <= {t["region"] for t in generated}
    assert {t["fiscal_year"] for t in generated} == {2023, 2024}
    by_dept = defaultdict(set)
    for t in generated:
        by_dept[t["department"]].add(t["fiscal_year"])
    assert any(years == {2023, 2024} for years in by_dept.values())
    combos = {(t["layout"]["code"], t["layout"]["style"], t["layout"]["thousands"]) for t in generated}
    assert len(combos) == 8, combos
    for t in truths.values():
        assert t["file"].endswith(f"{t['fiscal_year']}年度部门决算.pdf")
        assert t["unit"] == "万元"
        assert set(t["tables"]) == {"t1_summary", "t2_income", "t3_expenditure", "t4_appropriation_summary",
                                    "t5_general_budget_expenditure", "t6_basic_expenditure_economic",
                                    "t7_three_public", "t8_government_fund", "t9_state_capital"}
    for t in generated:
        n_classes = len({r["code"] for r in t["tables"]["t3_expenditure"] if r["code"] and len(r["code"]) == 3})
        assert 2 <= n_classes <= 5
    assert any(t["table_info"]["t3_expenditure"]["last_page"] > t["table_info"]["t3_expenditure"]["first_page"]
               for t in generated), "no T3 runs over two pages"
    assert elapsed < 30, f"24 documents took {elapsed:.1f}s"


def test_same_department_both_years_differs(corpus):
    _, _, truths, _ = corpus
    by_dept = defaultdict(list)
    for t in truths.values():
        by_dept[t["department"]].append(t)
    pair = next(ts for ts in by_dept.values() if len(ts) == 2)
    a, b = (next(r["amount"] for r in t["tables"]["t1_summary"] if r["line_key"] == "income_total") for t in pair)
    assert a != b


# ------------------------------------------------------------------ determinism

def test_deterministic_bytes(corpus, tmp_path):
    out, paths, _, _ = corpus
    again = generate_corpus(tmp_path / "again", count=24, seed=2024)
    assert [p.name for p in again] == [p.name for p in paths]
    for p in paths:
        assert (tmp_path / "again" / p.name).read_bytes() == p.read_bytes(), p.name
        truth = f"_truth/{p.stem}.json"
        assert (tmp_path / "again" / truth).read_bytes() == (out / truth).read_bytes()
    other = generate_corpus(tmp_path / "other", count=24, seed=7)
    assert {p.name for p in other} != {p.name for p in paths}     # another seed, another corpus


def test_build_zhuzhou_pdf_alone(corpus, tmp_path):
    out, _, _, _ = corpus
    path = build_zhuzhou_pdf(tmp_path / "zz.pdf")
    assert path.read_bytes() == (out / ZHUZHOU).read_bytes()


def test_deterministic_across_processes(corpus, tmp_path):
    """A fresh interpreter with another hash seed writes the same bytes (no set-order leaks)."""
    out, paths, _, _ = corpus
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-m", "demo.generate", "--out", str(tmp_path / "cli"), "--count", "24",
                    "--seed", "2024"], cwd=ROOT, env=env, check=True, capture_output=True)
    cli = sorted((tmp_path / "cli").glob("*.pdf"))
    assert len(cli) == 24
    for p in cli:
        assert p.read_bytes() == (out / p.name).read_bytes(), p.name


# ------------------------------------------------------------------ identities (truth JSON)

def _amounts(rows, key="amount"):
    return {(r.get("side"), r["line_key"], r["code"]): D(r[key]) or Decimal(0) for r in rows}


def _coded(rows, col):
    return {r["code"] or "total": D(r[col]) or Decimal(0) for r in rows}


def _rollup_ok(values: dict[str, Decimal]) -> None:
    codes = [c for c in values if c != "total"]
    for c in codes:
        children = [x for x in codes if len(x) == len(c) + 2 and x.startswith(c)]
        if children:
            assert values[c] == sum(values[x] for x in children), c
    assert values["total"] == sum(values[c] for c in codes if len(c) == 3)


def test_identities_hold(corpus):
    _, _, truths, _ = corpus
    for name, t in truths.items():
        if name == ZHUZHOU:
            continue
        tb = t["tables"]
        t1 = _amounts(tb["t1_summary"])
        inc = [v for (s, k, _), v in t1.items() if s == "income" and k not in
               ("income_total", "use_of_non_appropriation_balance", "opening_balance", "grand_total")]
        assert sum(inc) == t1[("income", "income_total", None)], name
        classes = {c: v for (s, k, c), v in t1.items() if k == "function_class"}
        assert sum(classes.values()) == t1[("expenditure", "expenditure_total", None)]
        assert t1[("income", "grand_total", None)] == (t1[("income", "income_total", None)]
                                                       + t1[("income", "use_of_non_appropriation_balance", None)]
                                                       + t1[("income", "opening_balance", None)])
        assert t1[("expenditure", "grand_total", None)] == (t1[("expenditure", "expenditure_total", None)]
                                                            + t1[("expenditure", "balance_distribution", None)]
                                                            + t1[("expenditure", "closing_balance", None)])
        assert t1[("income", "grand_total", None)] == t1[("expenditure", "grand_total", None)]

        for key, cols, parts in (("t2_income", None, None), ("t3_expenditure", "total", ["basic", "project"]),
                                 ("t5_general_budget_expenditure", "total", ["basic", "project"])):
            rows = tb[key]
            cols_all = [k for k in rows[0] if k not in ("code", "line_key", "name")]
            for col in cols_all:
                _rollup_ok(_coded(rows, col))
            for r in rows:
                assert D(r["total"]) == sum((D(r[c]) or Decimal(0)) for c in cols_all[1:]), (name, key, r)
        t3 = _coded(tb["t3_expenditure"], "total")
        assert {c: v for c, v in t3.items() if len(c) == 3} == {c: v for c, v in classes.items() if v}
        assert t3["total"] == t1[("expenditure", "expenditure_total", None)]
        assert _coded(tb["t2_income"], "total")["total"] == t1[("income", "income_total", None)]
        t5 = _coded(tb["t5_general_budget_expenditure"], "total")
        assert t3["total"] >= t5["total"]

        t4 = tb["t4_appropriation_summary"]
        g_by_class = {r["code"]: D(r["general_public_budget"]) for r in t4
                      if r["line_key"] == "function_class" and r["general_public_budget"]}
        assert g_by_class == {c: v for c, v in t5.items() if len(c) == 3}
        t4i = {r["line_key"]: D(r["amount"]) or Decimal(0) for r in t4 if r["side"] == "income"}
        t4e = {r["line_key"]: D(r["total"]) or Decimal(0) for r in t4
               if r["side"] == "expenditure" and r["line_key"] != "function_class"}
        assert t4i["grand_total"] == t4i["income_total"] + t4i["opening_balance"] == t4e["grand_total"]
        assert t4e["grand_total"] == t4e["expenditure_total"] + t4e["closing_balance"]

        t6 = {(r["line_key"] or r["code"]): D(r["amount"]) or Decimal(0) for r in tb["t6_basic_expenditure_economic"]}
        t5_basic = _coded(tb["t5_general_budget_expenditure"], "basic")["total"]
        assert t6["personnel_total"] + t6["public_total"] == t5_basic
        assert t6["personnel_total"] == t6["301"] + t6["303"]
        assert t6["public_total"] == t6["302"] + t6.get("307", 0) + t6["310"] + t6.get("399", 0)
        for cls in ("301", "302", "303", "310"):
            assert t6[cls] == sum(v for c, v in t6.items() if len(c) == 5 and c.startswith(cls))

        for r in tb["t7_three_public"]:
            v = {k: D(x) or Decimal(0) for k, x in r.items() if k != "basis"}
            assert v["total"] == v["outbound"] + v["vehicle_total"] + v["reception"]
            assert v["vehicle_total"] == v["vehicle_purchase"] + v["vehicle_operation"]
        assert (tb["t8_government_fund"] == []) == (t["table_info"]["t8_government_fund"]["status"] == "empty")
        assert t["table_info"]["t9_state_capital"]["status"] == "empty"


# ------------------------------------------------------------------ read back with pdfplumber

def _extract(pdf_path: Path, info: dict) -> list[list[str | None]]:
    """All grid rows of one table (over its pages), as pdfplumber's default extract_tables gives them."""
    rows: list[list[str | None]] = []
    with pdfplumber.open(pdf_path) as pdf:
        first = pdf.pages[info["first_page"] - 1]
        assert norm(info["title"]) in norm(first.extract_text())
        assert norm(info["unit_text"]) in norm(first.extract_text())
        for n in range(info["first_page"], info["last_page"] + 1):
            tables = pdf.pages[n - 1].extract_tables()
            assert len(tables) == 1, (pdf_path.name, n, len(tables))
            rows += tables[0]
    return rows


def _read_t1(rows) -> list[dict]:
    half = len(rows[0]) // 2
    out = []
    for r in rows:
        for side, cells in (("income", r[:half]), ("expenditure", r[half:])):
            label = norm(cells[0])
            if not label or label in ("收入", "支出", "项目", "栏次"):
                continue
            t = {"side": side, "name": label, "amount": D(cells[-1])}
            if half == 3:
                t["line_no"] = int(cells[1])
            out.append(t)
    return out


def _read_coded(rows, n_values: int) -> list[dict]:
    """Data rows of a function-code table, single code column or 类|款|项 columns."""
    out = []
    for r in rows:
        first = norm(r[0])
        split = len(r) - n_values == 4
        if first == "合计" or (not first and norm(r[1]) == "合计"):
            code, name = None, "合计"
        elif first.isdigit():
            code = "".join(norm(c) for c in r[:3]) if split else first
            name = norm(r[3] if split else r[1])
        else:
            continue                      # header and 栏次 rows
        out.append({"code": code, "name": name, "values": [D(c) for c in r[-n_values:]]})
    return out


def _check_t1(pdf: Path, truth: dict) -> None:
    got = _read_t1(_extract(pdf, truth["table_info"]["t1_summary"]))
    want = truth["tables"]["t1_summary"]
    assert [(g["side"], g["name"]) for g in got] == [(w["side"], norm(w["name"])) for w in want]
    for g, w in zip(got, want):
        assert g["amount"] == D(w["amount"]), (pdf.name, w)
        if "line_no" in w:
            assert g["line_no"] == w["line_no"]


def _check_t3(pdf: Path, truth: dict) -> None:
    keys = ["total", "basic", "project", "remit_to_superior", "operating", "subsidy_to_affiliates"]
    got = _read_coded(_extract(pdf, truth["table_info"]["t3_expenditure"]), len(keys))
    want = truth["tables"]["t3_expenditure"]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g["code"] == w["code"] and g["name"] == norm(w["name"]), (pdf.name, g, w)
        assert g["values"] == [D(w[k]) for k in keys], (pdf.name, w)


def _pick(truths, **layout):
    return sorted(name for name, t in truths.items() if name != ZHUZHOU
                  and all(t["layout"][k] == v for k, v in layout.items()))


@pytest.mark.parametrize("layout", [dict(code="single", style="shanghai"), dict(code="split", style="shanghai"),
                                    dict(code="single", style="hunan"), dict(code="split", style="hunan")])
def test_t1_t3_read_back(corpus, layout):
    out, _, truths, _ = corpus
    name = _pick(truths, **layout)[0]
    _check_t1(out / name, truths[name])
    _check_t3(out / name, truths[name])


def test_multi_page_t3_read_back(corpus):
    out, _, truths, _ = corpus
    name = next(n for n, t in sorted(truths.items()) if n != ZHUZHOU
                and t["table_info"]["t3_expenditure"]["last_page"] > t["table_info"]["t3_expenditure"]["first_page"])
    _check_t3(out / name, truths[name])
    with pdfplumber.open(out / name) as pdf:   # the continuation page starts with data, not headers
        info = truths[name]["table_info"]["t3_expenditure"]
        cont = pdf.pages[info["last_page"] - 1].extract_tables()[0]
        assert norm(cont[0][0]).isdigit()


def test_zhuzhou_read_back(corpus):
    out, _, truths, _ = corpus
    truth = truths[ZHUZHOU]
    t1 = {(r["side"], r["line_key"]): r["amount"] for r in truth["tables"]["t1_summary"] if r["line_key"] != "function_class"}
    assert t1[("income", "income_total")] == "5107.53"
    assert t1[("income", "opening_balance")] == "1001.95"
    assert t1[("income", "grand_total")] == t1[("expenditure", "grand_total")] == "6109.48"
    row = next(r for r in truth["tables"]["t3_expenditure"] if r["code"] == "2150501")
    assert (row["name"], row["total"], row["basic"], row["project"]) == ("行政运行", "1942.21", "1931.01", "11.20")
    assert len(truth["tables"]["t3_expenditure"]) == 36
    _check_t1(out / ZHUZHOU, truth)
    _check_t3(out / ZHUZHOU, truth)
    with pdfplumber.open(out / ZHUZHOU) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
    for expected in ("公开01表", "公开09表", "2021年度部门决算", "本年支出合计 5107.53 万元，其中：基本支出 2590.81 万元",
                     "因本单位没有政府性基金收入，也没有使用政府性基金安排的支出，故本表无数据。"):
        assert expected in text, expected


def test_narrative_restates_totals(corpus):
    out, _, truths, _ = corpus
    name = _pick(truths, style="shanghai")[0]
    facts = truths[name]["narrative"]
    with pdfplumber.open(out / name) as pdf:
        text = norm("".join(p.extract_text() or "" for p in pdf.pages))
    text = text[text.index("第三部分"):]  # the 情况说明, after the tables
    assert "第四部分名词解释" in text and "“三公”经费：指部门用财政拨款安排的" in text
    assert f"本年收入合计{facts['income_total']}万元" in text
    assert (f"本年支出合计{facts['expenditure_total']}万元，其中：基本支出{facts['basic']}万元，"
            f"占{facts['basic_share']}%；项目支出{facts['project']}万元，占{facts['project_share']}%") in text
