"""The demo generator's truth JSON (demo/README.md) as golden cells (ingest/accuracy.py format).

The truth rows carry their values per column; every value becomes one expected cell. The truth
has no page per cell, so pages are checked per table (first/last page) instead.
"""
from __future__ import annotations

_META = {"side", "line_key", "code", "name", "group", "basis", "line_no"}


def truth_cells(truth: dict) -> list[dict]:
    cells = []
    for table_key, rows in truth["tables"].items():
        for row in rows:
            line_key = row.get("line_key")
            if table_key == "t6_basic_expenditure_economic" and row.get("code"):
                line_key = row["group"]  # coded T6 rows carry their block (人员经费/公用经费)
            if table_key == "t7_three_public":
                line_key = row["basis"]
            for column, value in row.items():
                if column in _META:
                    continue
                cells.append({
                    "table_key": table_key, "page": None, "side": row.get("side"),
                    "code": row.get("code"), "line_key": line_key,
                    "row_label": row.get("name"), "column_key": column, "amount": value,
                })
    return cells


def truth_tables(truth: dict) -> dict[str, dict]:
    return {
        key: {"status": info["status"], "first_page": info["first_page"], "last_page": info["last_page"]}
        for key, info in truth["table_info"].items()
    }
