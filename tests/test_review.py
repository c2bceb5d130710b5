"""Steward review across pipeline runs (python -m pipelines review), on the real final accounts.

Run 1 finds the known defect of 上海市普陀区财政局 2024 (T1 类 208 = 326.71, T3 326.72); a steward
decides it; run 2 does not raise it again (decided, shown next to the failure in SQL); the parse
cache is then changed so T1 prints 326.70 and run 3 raises it again (reopened).
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import CZJ, SHGZ, require_corpus

DEFECT = "cross_t1_t3_class|208"


def cli(*argv: str) -> tuple[int, str, str]:
    from pipelines.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def run(landing: Path, warehouse: Path) -> None:
    code, out, err = cli("run", "--create", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "WARNING")
    assert code == 0, out + err


def review_rows(warehouse: Path) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select instance_id, review_state, decision, decided_by, decided_lhs, lhs from quality.failure_reviews"
        ).fetchall()
        open_ids = {r[0] for r in con.execute("select instance_id from quality.open_failures").fetchall()}
    return {r[0]: r[1:] + (r[0] in open_ids,) for r in rows}


def _defect_id(rows: dict) -> str:
    found = [i for i in rows if i.endswith(DEFECT)]
    assert len(found) == 1, rows
    return found[0]


def _change_t1_208(data_dir: Path, new_text: str) -> None:
    """Edit the parse cache of the finance bureau: T1 prints another amount for 类 208."""
    changed = 0
    for path in (data_dir / "parsed").rglob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for cell in doc.get("cells", []):
            if cell["table_key"] == "t1_summary" and cell.get("code") == "208" and cell["side"] == "expenditure":
                cell["amount"], cell["raw_text"] = new_text, new_text
                changed += 1
        if changed:
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            return
    raise AssertionError("T1 208 not found in the parse cache")


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    require_corpus()
    root = tmp_path_factory.mktemp("review")
    landing = root / "landing"
    landing.mkdir()
    for pdf in (CZJ, SHGZ):
        shutil.copy(pdf, landing / pdf.name)
    warehouse = root / "out" / "warehouse.duckdb"
    data_dir = warehouse.parent / "data"
    states = {}

    run(landing, warehouse)
    states["run1"] = review_rows(warehouse)
    states["list1"] = cli("review", "--warehouse", str(warehouse), "list")
    states["list1_after"] = cli("review", "list", "--warehouse", str(warehouse))
    states["no_warehouse"] = cli("review", "list")
    defect = _defect_id(states["run1"])
    from expectations.review_report import short_id

    states["show"] = cli("review", "show", short_id(defect), "--warehouse", str(warehouse), "--out", str(root / "show"))
    states["show_dir"] = root / "show"
    short = defect.split("|")[0][:12] + "|" + DEFECT
    states["decide"] = cli("review", "--warehouse", str(warehouse), "decide", short, "--decision",
                           "confirmed_defect", "--by", "王芳", "--comment", "T1 prints 326.71, T3 326.72 (p6, p10)")
    states["list_after_decide"] = cli("review", "--warehouse", str(warehouse), "list")
    states["list_all"] = cli("review", "--warehouse", str(warehouse), "list", "--all")

    run(landing, warehouse)
    states["run2"] = review_rows(warehouse)
    from expectations.checks import identity_reports

    with duckdb.connect(str(warehouse), read_only=True) as con:
        run_id = con.execute("select max(run_id) from quality.expectation_results").fetchall()[0][0]
    states["reports2"] = {r.identity_id: r for r in identity_reports(warehouse, run_id)}

    _change_t1_208(data_dir, "326.70")
    run(landing, warehouse)
    states["run3"] = review_rows(warehouse)
    states["list3"] = cli("review", "--warehouse", str(warehouse), "list")
    states["export"] = cli("review", "--warehouse", str(warehouse), "export", "--out", str(root / "failures.csv"))
    states["csv"] = list(csv.DictReader(open(root / "failures.csv", encoding="utf-8-sig")))
    return warehouse, data_dir, defect, states


def test_first_run_raises_the_known_defect_as_new(loop):
    _, _, defect, states = loop
    assert states["run1"][defect][:2] == ("new", None)
    code, out, _ = states["list1"]
    assert code == 0 and "[open] " in out and DEFECT in out and "326.71" in out and "326.72" in out
    # the cells involved in words, with their pages: table names and row labels, not T1 p6 r15
    assert "表1 收入支出决算总表 · 第6页 · 支出 八、社会保障和就业支出（208） · 金额 = 326.71" in out
    assert "表3 支出决算表 · 第10页 · 社会保障和就业支出（208） · 合计 = 326.72" in out


def test_short_ids_are_safe_to_type_and_warehouse_goes_after_the_subcommand_too(loop):
    from expectations.review_report import short_id

    _, _, defect, states = loop
    sid = short_id(defect)
    assert len(sid) == 10 and sid.isalnum()
    assert f"[open] {sid} " in states["list1"][1]
    assert states["list1_after"] == states["list1"]
    code, out, err = states["no_warehouse"]
    assert code == 2 and err.count("\n") == 1 and "needs --warehouse" in err


def test_show_renders_the_cited_pages_to_png(loop):
    _, _, defect, states = loop
    code, out, err = states["show"]
    assert code == 0, err
    assert "page 6: " in out and "page 10: " in out and "(1 outlined)" in out
    pngs = sorted(p.name for p in states["show_dir"].glob("*.png"))
    assert len(pngs) == 2 and all((states["show_dir"] / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_decision_is_recorded_outside_the_warehouse_and_hides_the_failure(loop):
    _, data_dir, defect, states = loop
    code, out, _ = states["decide"]
    assert code == 0 and "recorded confirmed_defect" in out
    lines = (data_dir / "reviews" / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    assert (record["instance_id"], record["lhs"], record["rhs"], record["diff"]) == (defect, "326.71", "326.72", "-0.01")
    assert (record["decision"], record["decided_by"]) == ("confirmed_defect", "王芳")
    assert DEFECT not in states["list_after_decide"][1]
    assert f"[decided] " in states["list_all"][1] and "王芳" in states["list_all"][1]


def test_second_run_does_not_raise_it_again(loop):
    _, _, defect, states = loop
    state, decision, by, decided_lhs, lhs, is_open = states["run2"][defect]
    assert (state, decision, by, is_open) == ("decided", "confirmed_defect", "王芳", False)
    assert decided_lhs == lhs
    report = states["reports2"]["cross_t1_t3_class"]
    assert report.failed == 1 and report.open == 0
    assert "confirmed_defect" in report.markdown()


def test_a_changed_value_raises_it_again(loop):
    _, _, defect, states = loop
    state, decision, _, decided_lhs, lhs, is_open = states["run3"][defect]
    assert (state, decision, is_open) == ("reopened", "confirmed_defect", True)
    assert (str(decided_lhs), str(lhs)) == ("326.71", "326.70")
    out = states["list3"][1]
    assert "[reopened] " in out and "values changed since the decision" in out


def test_export_lists_open_and_decided_failures(loop):
    _, _, defect, states = loop
    assert states["export"][0] == 0
    rows = {r["instance_id"]: r for r in states["csv"]}
    assert rows[defect]["review_state"] == "reopened" and rows[defect]["decision"] == "confirmed_defect"
    assert rows[defect]["lhs"] == "326.70" and rows[defect]["decided_lhs"] == "326.71"
    assert all(r["review_state"] in ("new", "decided", "reopened") for r in rows.values())


@pytest.mark.parametrize("argv, message", [
    (["decide", "ffff|cross_t1_t3_class|208", "--decision", "confirmed_defect", "--by", "王芳", "--comment", "x"],
     "unknown instance id"),
    (["decide", "{defect}", "--decision", "looks_fine", "--by", "王芳", "--comment", "x"], "decision must be one of"),
    (["decide", "{passed}", "--decision", "not_applicable", "--by", "王芳", "--comment", "x"], "only failures are decided"),
    (["decide", "{defect}", "--decision", "parser_error", "--by", " ", "--comment", "x"], "--by must name"),
])
def test_expected_problems_are_one_line_errors(loop, argv, message):
    warehouse, _, defect, _ = loop
    with duckdb.connect(str(warehouse), read_only=True) as con:
        passed = con.execute(
            "select instance_id from quality.expectation_results where status = 'passed' limit 1").fetchall()[0][0]
    argv = [a.format(defect=defect, passed=passed) for a in argv]
    code, out, err = cli("review", "--warehouse", str(warehouse), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err and "Traceback" not in err


def test_missing_warehouse_is_a_one_line_error(tmp_path):
    code, out, err = cli("review", "--warehouse", str(tmp_path / "none.duckdb"), "list")
    assert code == 2 and err.count("\n") == 1 and "not found" in err
