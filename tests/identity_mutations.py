"""Helpers of tests/test_identities.py: build a warehouse, break one instance per identity.

A *mutation* changes the raw.* rows (or raw.narrative_figures) of a copy of a built working
warehouse so that one instance that PASSED in the original fails: the first cell of the
instance's `cells` column (its left-hand side, as printed) gets a different amount. Every
mutation adds a distinct power of two (2^7, 2^8, ...), so no two mutations can cancel out
within one instance, and each change is far above any rounding tolerance.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "dbt_project"
TABLE_KEYS = {
    "1": "t1_summary", "2": "t2_income", "3": "t3_expenditure", "4": "t4_appropriation_summary",
    "5": "t5_general_budget_expenditure", "6": "t6_basic_expenditure_economic", "7": "t7_three_public",
    "8": "t8_government_fund", "9": "t9_state_capital",
}
TABLE_REF = re.compile(r"^T(\d) p(\d+) r(\d+) (?:(income|expenditure) )?(\S+) (\S+)=(.*)$")
NARRATIVE_REF = re.compile(r"^narrative p(\d+|\?) #(\d+) ")
OPPOSITE = {"大于": "小于", "高于": "小于", "超过": "小于", "小于": "大于", "低于": "大于",
            "等于": "大于", "持平": "大于", "一致": "大于", "相等": "大于", "相同": "大于"}


@dataclass
class Target:
    identity_id: str
    instance_id: str
    document_id: str
    subject: str
    tables: frozenset[str]  # table keys (and 'narrative') the mutation touches
    how: str = ""


def dbt_run(db: Path, work: Path) -> subprocess.CompletedProcess:
    """Rebuild the residual models (and what they read) over a mutated working file.

    `--full-refresh`: the raw rows were changed behind the staging step, so no document is in
    pipeline.pending_documents and the incremental residual model would keep its rows."""
    exe = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "FW_WORKING_DB": str(db), "DO_NOT_TRACK": "1"}
    return subprocess.run(
        [str(exe), "run", "--full-refresh", "--select", "+int_identity_residuals", "--project-dir", str(PROJECT),
         "--profiles-dir", str(PROJECT), "--target-path", str(work / "target"), "--log-path", str(work / "logs")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=900,
    )


def passed_instances(con: duckdb.DuckDBPyConnection, identity_id: str) -> list[tuple]:
    return con.execute(
        """select instance_id, document_id, subject, cells from quality.expectation_results
           where identity_id = ? and status = 'passed' order by instance_id""",
        [identity_id],
    ).fetchall()


def _first_ref(cells: str | None) -> str:
    return (cells or "").split("; ")[0]


def _touched(cells: str | None) -> frozenset[str]:
    found = set()
    for ref in (cells or "").split("; "):
        if m := TABLE_REF.match(ref):
            found.add(TABLE_KEYS[m.group(1)])
        elif NARRATIVE_REF.match(ref):
            found.add("narrative")
    return frozenset(found)


def _bump_table_cell(con, document_id: str, ref: str, bump: int) -> str:
    m = TABLE_REF.match(ref)
    assert m, ref
    table_no, _page, row, side, row_ref, column, _text = m.groups()
    changed = con.execute(
        """update raw.table_cells set amount = amount + ?, raw_text = raw_text || '+' || ?
           where document_id = ? and table_key = ? and row_index = ? and side is not distinct from ?
             and column_key = ? and coalesce(code, line_key) = ? and amount is not null""",
        [bump, str(bump), document_id, TABLE_KEYS[table_no], int(row), side, column, row_ref],
    ).fetchall()[0][0]
    assert changed == 1, (ref, changed)
    return f"{ref} +{bump}"


def _bump_narrative(con, document_id: str, ref: str, bump: int) -> str:
    index = int(NARRATIVE_REF.match(ref).group(2))
    changed = con.execute(
        "update raw.narrative_figures set value = value + ? where document_id = ? and figure_index = ?",
        [bump, document_id, index],
    ).fetchall()[0][0]
    assert changed == 1, ref
    return f"{ref} +{bump}"


def bumpable(cells: str | None) -> bool:
    """The instance's left-hand side is one printed, non-blank amount."""
    ref = _first_ref(cells)
    if m := TABLE_REF.match(ref):
        return m.group(7) != "blank"
    return bool(NARRATIVE_REF.match(ref))


def break_instance(con, identity_id: str, row: tuple, bump: int) -> Target:
    """Mutate the raw rows so the instance `row` (instance_id, document_id, subject, cells) fails."""
    instance_id, document_id, subject, cells = row
    ref = _first_ref(cells)
    target = Target(identity_id, instance_id, document_id, subject, _touched(cells))
    if identity_id == "cross_t3_t5_total":  # lhs >= rhs: make the T3 合计 smaller than the T5 合计
        m = TABLE_REF.match(ref)
        con.execute(
            """update raw.table_cells set amount = -1, raw_text = '-1'
               where document_id = ? and table_key = 't3_expenditure' and row_index = ? and column_key = 'total'""",
            [document_id, int(m.group(3))],
        )
        target.how = f"{ref} set to -1"
    elif identity_id == "narrative_comparison_word":  # say the opposite of what the figures show
        index = int(NARRATIVE_REF.match(ref).group(2))
        word = con.execute(
            "select comparison_word from raw.narrative_figures where document_id = ? and figure_index = ?",
            [document_id, index],
        ).fetchall()[0][0]
        con.execute(
            "update raw.narrative_figures set comparison_word = ? where document_id = ? and figure_index = ?",
            [OPPOSITE[word], document_id, index],
        )
        target.how = f"{ref}: {word} -> {OPPOSITE[word]}"
    elif TABLE_REF.match(ref):
        target.how = _bump_table_cell(con, document_id, ref, bump)
    else:
        target.how = _bump_narrative(con, document_id, ref, bump)
    return target


def break_document_level(con, identity_id: str, row: tuple) -> Target:
    """complete_*, meta_* and the text checks: a missing table, a wrong year or name in the
    narrative, a placeholder, a typographic defect, a share without its % sign, an empty table
    without its note, a total printed again with other amounts."""
    instance_id, document_id, subject, _cells = row
    department, year = con.execute(
        "select department, fiscal_year from raw.documents where document_id = ?", [document_id]
    ).fetchall()[0]
    if identity_id == "complete_tables_present":
        con.execute("delete from raw.table_cells where document_id = ? and table_key = ?", [document_id, subject])
        con.execute("delete from raw.report_tables where document_id = ? and table_key = ?", [document_id, subject])
        how, touched = f"table {subject} removed", {subject}
    elif identity_id in ("meta_fiscal_year", "meta_department_name"):
        sentence = (f"{department}{year - 3}年度收入支出总计1.00万元。" if identity_id == "meta_fiscal_year"
                    else f"上海市某某测试局{year}年度收入支出总计1.00万元。")
        con.execute(
            """update raw.narrative_figures set sentence = ? where document_id = ?
               and figure_index = (select min(figure_index) from raw.narrative_figures where document_id = ?)""",
            [sentence, document_id, document_id],
        )
        how, touched = f"a narrative sentence now reads {sentence}", {"narrative"}
    elif identity_id == "meta_no_placeholders":
        con.execute(
            """update raw.table_cells set row_label = 'XX局专项补助' where document_id = ? and table_key = 't3_expenditure'
               and row_index = (select max(row_index) from raw.table_cells where document_id = ? and table_key = 't3_expenditure')""",
            [document_id, document_id],
        )
        how, touched = "a T3 row label now reads XX局专项补助", {"t3_expenditure"}
    elif identity_id == "text_typography":
        finding = ("punctuation|p3|支出增加。。主要是" if subject == "punctuation"
                   else "section_number|p20|二、 printed twice in a row: 二、收入决算情况说明")
        con.execute("update raw.documents set text_lint = ? where document_id = ?", [finding, document_id])
        how, touched = f"the text now has {finding}", {"document"}
    elif identity_id == "narrative_percent_sign":
        con.execute(
            """update raw.narrative_figures set unit = null, unit_suspect = true where document_id = ?
               and figure_index = (select min(figure_index) from raw.narrative_figures
                                   where document_id = ? and figure_key = 'share')""",
            [document_id, document_id],
        )
        how, touched = "a share is now printed without its % sign", {"narrative"}
    elif identity_id == "empty_table_note":
        con.execute("update raw.report_tables set note = null where document_id = ? and table_key = ?",
                    [document_id, subject])
        how, touched = f"table {subject} is now printed empty without its note", {subject}
    elif identity_id == "repeated_total_agrees":
        # the total row printed once more, one amount changed: a row of its own, as the parser keeps it
        con.execute(
            """insert into raw.table_cells
               select document_id, table_key, page, row_index + 10000, row_label, code, line_key, side, column_key,
                      raw_text, amount + case when row_number() over (order by column_key) = 1 then 1 else 0 end,
                      x0, top, x1, bottom
               from raw.table_cells
               where document_id = ? and table_key = ? and code is null and line_key = 'total'
               qualify row_index = min(row_index) over ()""",
            [document_id, subject],
        )
        how, touched = f"the 合计 of {subject} printed again with one amount 1.00 higher", {subject}
    else:  # pragma: no cover
        raise AssertionError(identity_id)
    return Target(identity_id, instance_id, document_id, subject, frozenset(touched), how)
