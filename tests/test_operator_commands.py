"""Operator commands: `status` after a run, and `run --reparse` of one document."""
from __future__ import annotations

import contextlib
import io

import duckdb

from pipelines.cli import main


def _cli(args: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def test_status_then_reparse_one_document(real_landing, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    code, _ = _cli(["run", "--create", "--landing", str(real_landing), "--warehouse", str(warehouse), "--log-level", "ERROR"])
    assert code == 0
    code, status = _cli(["status", "--warehouse", str(warehouse)])
    assert code == 0
    assert "succeeded" in status and "4 documents parsed" in status
    assert "documents : 2 loaded" in status and "2 quarantined" in status
    assert "blank template" in status
    assert "pending   : 0 archived documents not parsed yet, 0 URLs to retry" in status

    with duckdb.connect(str(warehouse), read_only=True) as con:
        doc_id = con.execute(
            "select document_id from raw.documents where department = '上海市普陀区财政局'").fetchall()[0][0]
        before = con.execute("select count(*) from raw.table_cells").fetchall()[0][0]
    code, _ = _cli(["run", "--create", "--landing", str(real_landing), "--warehouse", str(warehouse), "--log-level", "ERROR",
                    "--reparse", doc_id])
    assert code == 0
    code, status = _cli(["status", "--warehouse", str(warehouse)])
    assert "1 documents parsed" in status  # only the named document was parsed again
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.table_cells").fetchall()[0][0] == before
