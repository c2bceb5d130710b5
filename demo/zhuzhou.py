"""Rebuild the real 株洲市工业和信息化局 2021年度部门决算 as a PDF from its extracted text.

The original PDF is not available; `fixtures/zhuzhou_2021_seed.txt` is its text, with table rows
tab-separated. We redraw the nine tables with exactly the seed's rows and cell texts (公开0N表
labels, 行次/栏次, the 三公 预算数/决算数 blocks, the 本表无数据 notes, even the two-line 人员经费合计
footer of T6) and the narrative parts 一 to 四. Only the header rows get hand-written cell merges,
because the extracted text cannot say which header cells were merged. 第五部分 (the 绩效自评 annex
and its self-assessment table) is left out.

The truth JSON is read from the same seed rows, so it holds the published values, including the
document's own inconsistencies (e.g. the narrative's "收、支总计 5107.53" against T1 总计 6109.48).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from demo import catalog
from demo.layout import LANDSCAPE, PORTRAIT, Cell, Grid, HCell, Writer
from demo.numbers import T2_COLUMNS
from demo.table_cells import truth
from demo.tables import T3_KEYS

SEED = Path(__file__).parent / "fixtures" / "zhuzhou_2021_seed.txt"
DEPARTMENT = "株洲市工业和信息化局"
REGION = "湖南省株洲市"
YEAR = 2021
FILE_NAME = f"{DEPARTMENT}{YEAR}年度部门决算.pdf"

TITLES = [
    ("t1_summary", "收入支出决算总表"),
    ("t2_income", "收入决算表"),
    ("t3_expenditure", "支出决算表"),
    ("t4_appropriation_summary", "财政拨款收入支出决算总表"),
    ("t5_general_budget_expenditure", "一般公共预算财政拨款支出决算表"),
    ("t6_basic_expenditure_economic", "一般公共预算财政拨款基本支出决算明细表"),
    ("t7_three_public", "一般公共预算财政拨款“三公”经费支出决算表"),
    ("t8_government_fund", "政府性基金预算财政拨款收入支出决算表"),
    ("t9_state_capital", "国有资本经营预算财政拨款支出决算表"),
]

LW = LANDSCAPE[0] - 80          # usable widths
PW = PORTRAIT[0] - 80

# per table: column widths, orientation, number of seed header rows, merged header cells
# (row, col, rowspan, colspan). Positions not covered by a merge are drawn as single cells.
SPECS: dict[str, dict] = {
    "t1_summary": dict(widths=[165, 28, 64.5] * 2, orient=PORTRAIT, head=3,
                       merges=[(0, 0, 1, 3), (0, 3, 1, 3)]),
    "t2_income": dict(widths=[62, 170] + [(LW - 232) / 7] * 7, orient=LANDSCAPE, head=3,
                      merges=[(0, 0, 1, 2)] + [(0, c, 2, 1) for c in range(2, 9)]),
    "t3_expenditure": dict(widths=[62, 190] + [(LW - 252) / 6] * 6, orient=LANDSCAPE, head=3,
                           merges=[(0, 0, 1, 2)] + [(0, c, 2, 1) for c in range(2, 8)]),
    "t4_appropriation_summary": dict(widths=[170, 32, 80, 170, 32, 70, 70, 70, 68], orient=LANDSCAPE,
                                     head=3, merges=[(0, 0, 1, 3), (0, 3, 1, 6)]),
    "t5_general_budget_expenditure": dict(widths=[62, 150] + [(PW - 212) / 3] * 3, orient=PORTRAIT,
                                          head=3, merges=[(0, 0, 1, 2), (0, 2, 1, 3)]),
    "t6_basic_expenditure_economic": dict(widths=[38, PW / 3 - 80, 42] * 3, orient=PORTRAIT, head=2,
                                          merges=[(0, 0, 1, 3), (0, 3, 1, 6)], size=7.5),
    "t7_three_public": dict(widths=[LW / 12] * 12, orient=LANDSCAPE, head=3, merges=None, size=8),
    "t8_government_fund": dict(widths=[90, 150] + [(LW - 240) / 6] * 6, orient=LANDSCAPE, head=2,
                               merges=[(0, c, 2, 1) for c in (0, 1, 2, 3, 7)] + [(0, 4, 1, 3)]),
    "t9_state_capital": dict(widths=[90, 222] + [(LW - 312) / 3] * 3, orient=LANDSCAPE, head=2,
                             merges=[(0, 0, 1, 2), (0, 2, 1, 3)]),
}


@dataclass
class SeedTable:
    key: str
    title: str
    meta: list[str] = field(default_factory=list)      # 部门/公开NN表/单位/年度 lines, in order
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Seed:
    contents: list[str]
    overview: list[str]
    tables: list[SeedTable]
    narrative: list[str]


def load_seed(path: Path = SEED) -> Seed:
    """Split the seed text into 目录, 第一部分, the nine tables and 第三/四部分."""
    lines = [ln.rstrip("\n") for ln in path.read_text(encoding="utf-8").split("\n")]
    starts = [i for i, ln in enumerate(lines) if re.fullmatch(r"第[一二三四五]部分", ln.strip())]
    part1, part2, part3, part5 = starts[0], starts[1], starts[2], starts[4]
    contents_start = lines.index("目录")
    contents = [ln.strip() for ln in lines[contents_start + 1:part1] if ln.strip()]
    overview = [ln.strip() for ln in lines[part1:part2] if ln.strip()]
    narrative = [ln.strip() for ln in lines[part3:part5] if ln.strip()]

    tables: list[SeedTable] = []
    pending = list(TITLES)
    for ln in lines[part2 + 1:part3]:
        text = ln.strip()
        if not text:
            continue
        if pending and text == pending[0][1]:
            tables.append(SeedTable(*pending.pop(0)))
        elif not tables:
            continue                                    # "部门决算表" heading
        elif "\t" in ln:
            tables[-1].rows.append(ln.split("\t"))
        elif tables[-1].rows:
            tables[-1].notes.append(text)
        else:
            tables[-1].meta.append(text)
    assert not pending, f"titles not found in seed: {pending}"
    for t in tables:
        n = len(SPECS[t.key]["widths"])
        fixed = []
        for r in t.rows:
            assert all(not c for c in r[n:]), (t.key, r)
            fixed.append((r + [""] * n)[:n])
        t.rows = fixed
    return Seed(contents, overview, tables, narrative)


def _align(text: str) -> str:
    if re.fullmatch(r"-?[\d,]+\.\d+", text):
        return "r"
    if re.fullmatch(r"\d{1,2}", text):
        return "c"
    return "l"


def seed_grid(t: SeedTable) -> Grid:
    spec = SPECS[t.key]
    n = len(spec["widths"])
    if spec["merges"] is None:                 # T7: header rebuilt by hand, data rows from the seed
        header = _three_public_header()
        body_rows = t.rows[spec["head"]:]
    else:
        header = []
        covered: set[tuple[int, int]] = set()
        for r, c, rs, cs in spec["merges"]:
            header.append(HCell(r, c, t.rows[r][c], rowspan=rs, colspan=cs))
            covered |= {(r + i, c + j) for i in range(rs) for j in range(cs)}
        for r in range(spec["head"]):
            header += [HCell(r, c, t.rows[r][c]) for c in range(n) if (r, c) not in covered]
        body_rows = t.rows[spec["head"]:]
    body = [[Cell(txt, align=_align(txt)) for txt in row] for row in body_rows]
    return Grid([float(w) for w in spec["widths"]], header, body, font_size=spec.get("size", 8.5))


def _three_public_header() -> list[HCell]:
    cells = []
    for b, label in ((0, "预算数"), (6, "决算数")):
        cells += [HCell(0, b, label, colspan=6),
                  HCell(1, b, "合计", rowspan=2), HCell(1, b + 1, "因公出国(境)费", rowspan=2),
                  HCell(1, b + 2, "公务用车购置及运行费", colspan=3),
                  HCell(1, b + 5, "公务接待费", rowspan=2),
                  HCell(2, b + 2, "小计"), HCell(2, b + 3, "公务用车购置费"), HCell(2, b + 4, "公务用车运行费")]
    return cells


def _write_lines(w: Writer, lines: list[str]) -> None:
    for text in lines:
        if re.fullmatch(r"第[一二三四五]部分", text) or text.endswith("情况说明") and text.startswith("20"):
            w.text(text, 15, "c", gap=10)
        elif re.match(r"^[一二三四五六七八九十]+、", text) and len(text) <= 30:
            w.text(text, 12, gap=8)
        elif re.match(r"^（[一二三四五六七八九十]+）", text) and len(text) <= 30:
            w.text(text, 11, gap=8)
        else:
            w.paragraph(text, 10.5)


def build_zhuzhou_pdf(out_path: Path) -> Path:
    """Write the rebuilt 株洲 report to out_path (deterministic bytes); returns out_path."""
    render_zhuzhou(Path(out_path))
    return Path(out_path)


def render_zhuzhou(out_path: Path) -> tuple[dict[str, tuple[int, int]], int]:
    """Write the PDF; return the (first, last) page of each table and the page count."""
    seed = load_seed()
    w = Writer(out_path)
    w.space(220)
    w.text(DEPARTMENT, 24, "c", gap=24)
    w.text(f"{YEAR}年度部门决算", 24, "c")
    w.new_page()
    w.text("目录", 16, "c", gap=14)
    for line in seed.contents:
        w.text(line.lstrip("- "), 10.5, gap=5)
    w.new_page()
    _write_lines(w, seed.overview)
    pages: dict[str, tuple[int, int]] = {}
    for i, t in enumerate(seed.tables):
        spec = SPECS[t.key]
        w.new_page(spec["orient"])
        if i == 0:
            w.text("第二部分 部门决算表", 13, "c", gap=10)
        w.text(t.title, 15, "c", gap=8)
        for m in t.meta:
            align = "r" if m.startswith(("公开", "金额单位")) else ("c" if m.endswith("年度") else "l")
            w.text(m, 9, align, gap=3)
        pages[t.key] = w.grid(seed_grid(t))
        w.space(4)
        for note in t.notes:
            w.paragraph(note, 9, indent=False, gap=1)
    w.new_page(PORTRAIT)
    _write_lines(w, seed.narrative)
    return pages, w.save()


# ------------------------------------------------------------------ truth from the seed

_T1_INCOME = {"一般公共预算财政拨款收入": "general_budget_appropriation",
              "政府性基金预算财政拨款收入": "government_fund_appropriation",
              "国有资本经营预算财政拨款收入": "state_capital_appropriation",
              "上级补助收入": "superior_subsidy", "事业收入": "business_income",
              "经营收入": "operating_income", "附属单位上缴收入": "affiliated_remittance",
              "其他收入": "other_income", "本年收入合计": "income_total",
              "使用非财政拨款结余": "use_of_non_appropriation_balance",
              "年初结转和结余": "opening_balance", "总计": "grand_total"}
_T1_EXP = {"本年支出合计": "expenditure_total", "结余分配": "balance_distribution",
           "年末结转和结余": "closing_balance", "总计": "grand_total"}
_T4_INCOME = {"一、一般公共预算财政拨款": "general_budget_appropriation",
              "二、政府性基金预算财政拨款": "government_fund_appropriation",
              "三、国有资本经营预算财政拨款": "state_capital_appropriation",
              "本年收入合计": "income_total", "年初财政拨款结转和结余": "opening_balance",
              "一般公共预算财政拨款": "opening_general_budget",
              "政府性基金预算财政拨款": "opening_government_fund",
              "国有资本经营预算财政拨款": "opening_state_capital", "总计": "grand_total"}
_T4_EXP = {"本年支出合计": "expenditure_total", "年末财政拨款结转和结余": "closing_balance",
           "总计": "grand_total"}
_CLASS_BY_NAME = {name: code for code, name in catalog.T1_CLASSES}


def _strip_ordinal(label: str) -> str:
    return re.sub(r"^[一二三四五六七八九十]+、", "", label)


def _expenditure_line(label: str, fixed: dict[str, str]) -> tuple[str | None, str | None]:
    if label in fixed:
        return fixed[label], None
    code = _CLASS_BY_NAME.get(_strip_ordinal(label))
    return ("function_class", code) if code else (None, None)


def _t1_rows(rows: list[list[str]]) -> list[dict]:
    out = []
    for r in rows:
        if r[0]:
            key = _T1_INCOME[_strip_ordinal(r[0])]
            out.append({"side": "income", "line_key": key, "code": None, "name": r[0],
                        "amount": truth(r[2]), "line_no": int(r[1])})
        if r[3]:
            key, code = _expenditure_line(r[3], _T1_EXP)
            out.append({"side": "expenditure", "line_key": key, "code": code, "name": r[3],
                        "amount": truth(r[5]), "line_no": int(r[4])})
    return out


def _t4_rows(rows: list[list[str]]) -> list[dict]:
    out = []
    for r in rows:
        if r[0]:
            out.append({"side": "income", "line_key": _T4_INCOME[r[0]], "code": None, "name": r[0],
                        "amount": truth(r[2]), "line_no": int(r[1])})
        if r[3]:
            key, code = _expenditure_line(r[3], _T4_EXP)
            t = {"side": "expenditure", "line_key": key, "code": code, "name": r[3], "line_no": int(r[4])}
            for k, v in zip(["total", "general_public_budget", "government_fund", "state_capital"], r[5:9]):
                t[k] = truth(v)
            out.append(t)
    return out


def _function_rows(rows: list[list[str]], keys: list[str]) -> list[dict]:
    out = []
    for r in rows:
        is_total = "合计" in (r[0], r[1])
        t = {"code": None if is_total else r[0], "line_key": "total" if is_total else None,
             "name": "合计" if is_total else r[1]}
        t.update({k: truth(v) for k, v in zip(keys, r[2:])})
        out.append(t)
    return out


def _t6_rows(rows: list[list[str]]) -> list[dict]:
    out = []
    footer = [r for r in rows if r[0] == "人员经费合计" or (not r[0] and not r[1] and r[2])]
    for r in rows:
        if r in footer:
            continue
        for g, group in enumerate(("personnel", "public", "public")):
            code, name, amount = r[3 * g:3 * g + 3]
            if code:
                out.append({"group": group, "code": code, "line_key": None, "name": name,
                            "amount": truth(amount)})
    amounts = footer[-1]
    out += [{"group": "personnel", "code": None, "line_key": "personnel_total", "name": "人员经费合计",
             "amount": truth(amounts[2])},
            {"group": "public", "code": None, "line_key": "public_total", "name": "公用经费合计",
             "amount": truth(amounts[8])}]
    return out


def _t7_rows(rows: list[list[str]]) -> list[dict]:
    data = rows[-1]
    keys = ["total", "outbound", "vehicle_total", "vehicle_purchase", "vehicle_operation", "reception"]
    return [{"basis": "budget", **{k: truth(v) for k, v in zip(keys, data[:6])}},
            {"basis": "final", **{k: truth(v) for k, v in zip(keys, data[6:12])}}]


def zhuzhou_truth(pages: dict[str, tuple[int, int]] | None = None, page_count: int | None = None) -> dict:
    """Truth JSON of the rebuilt document, values exactly as printed in the seed."""
    seed = load_seed()
    by_key = {t.key: t for t in seed.tables}
    body = {k: t.rows[SPECS[k]["head"]:] for k, t in by_key.items()}
    tables = {
        "t1_summary": _t1_rows(body["t1_summary"]),
        "t2_income": _function_rows(body["t2_income"], T2_COLUMNS),
        "t3_expenditure": _function_rows(body["t3_expenditure"], T3_KEYS),
        "t4_appropriation_summary": _t4_rows(body["t4_appropriation_summary"]),
        "t5_general_budget_expenditure": _function_rows(body["t5_general_budget_expenditure"],
                                                        ["total", "basic", "project"]),
        "t6_basic_expenditure_economic": _t6_rows(body["t6_basic_expenditure_economic"]),
        "t7_three_public": _t7_rows(body["t7_three_public"]),
        "t8_government_fund": [],
        "t9_state_capital": [],
    }
    info = {}
    for key, t in by_key.items():
        empty = key in ("t8_government_fund", "t9_state_capital")
        note = next((n for n in t.notes if "无数据" in n), None)
        label = next((m for m in t.meta if m.startswith("公开")), None)
        unit = next((m for m in t.meta if "单位" in m), None)
        first, last = (pages or {}).get(key, (None, None))
        info[key] = {"title": t.title, "label": label, "unit_text": unit, "first_page": first,
                     "last_page": last, "status": "empty" if empty else "parsed", "note": note,
                     "row_count": len(tables[key]),
                     "orientation": "landscape" if SPECS[key]["orient"] == LANDSCAPE else "portrait"}
    return {
        "file": FILE_NAME, "report_kind": "final_accounts", "department": DEPARTMENT,
        "department_short": "工业和信息化局", "region": REGION, "fiscal_year": YEAR, "unit": "万元",
        "page_count": page_count,
        "layout": {"code": "single", "style": "hunan", "thousands": True, "zeros": False, "t5_total": "top"},
        "source": "rebuilt from demo/fixtures/zhuzhou_2021_seed.txt (real published text)",
        "table_info": info, "tables": tables,
    }
