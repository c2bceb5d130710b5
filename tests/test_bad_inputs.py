"""The nightly run over a landing folder full of bad inputs: each is quarantined with a clear
reason, the good report is loaded once, and the run completes (exit code 0)."""
from __future__ import annotations

import contextlib
import io
import shutil

import duckdb
import pytest

from pipelines.cli import main
from tests.bad_inputs import encrypted_pdf, many_pages_pdf, scanned_pdf
from tests.conftest import A_BUDGET, CZJ, TEMPLATE, require_corpus



@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    require_corpus()
    landing = tmp_path_factory.mktemp("bad_landing")
    (landing / "empty.pdf").write_bytes(b"")
    (landing / "truncated.pdf").write_bytes(CZJ.read_bytes()[:40_000])
    (landing / "index.html.pdf").write_text("<html><body>404 Not Found</body></html>")
    encrypted_pdf(landing / "encrypted.pdf")
    scanned_pdf(landing / "scanned.pdf")
    many_pages_pdf(landing / "thousand pages.pdf")
    shutil.copy(TEMPLATE, landing / "模板.pdf")
    shutil.copy(A_BUDGET, landing / "budget 2025.pdf")
    shutil.copy(CZJ, landing / "财政局 2024.pdf")
    shutil.copy(CZJ, landing / "财政局'; drop table raw.documents; --.pdf")
    nested = landing / "sub dir" / "weird .."
    nested.mkdir(parents=True)
    shutil.copy(CZJ, nested / ("长" * 80 + ".pdf"))
    warehouse = tmp_path_factory.mktemp("bad_out") / "warehouse.duckdb"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", "--landing", str(landing), "--warehouse", str(warehouse), "--log-level", "ERROR"])
    return code, out.getvalue(), warehouse


def test_run_completes(bad_run):
    code, out, _ = bad_run
    assert code == 0, out
    assert "documents : 9 (1 loaded, 8 quarantined)" in out


def test_each_bad_input_has_its_reason(bad_run):
    _, _, warehouse = bad_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = dict((name, (status, kind, reason)) for name, status, kind, reason in con.execute(
            "select file_name, status, report_kind, quarantine_reason from raw.documents").fetchall())
    expected_kinds = {
        "empty.pdf": "empty", "truncated.pdf": "corrupt", "index.html.pdf": "corrupt",
        "encrypted.pdf": "encrypted", "scanned.pdf": "scanned", "thousand pages.pdf": "too_large",
        "模板.pdf": "template", "budget 2025.pdf": "budget",
    }
    for name, kind in expected_kinds.items():
        status, got_kind, reason = rows[name]
        assert (status, got_kind) == ("quarantined", kind), (name, rows[name])
        assert reason and len(reason) < 200
    assert "password" in rows["encrypted.pdf"][2] and "OCR" in rows["scanned.pdf"][2]


def test_same_bytes_under_three_names_is_one_loaded_document(bad_run):
    _, _, warehouse = bad_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        loaded = con.execute("select file_names, department from raw.documents where status = 'loaded'").fetchall()
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema='raw'").fetchall()}
    assert len(loaded) == 1
    names, department = loaded[0]
    assert department == "上海市普陀区财政局"
    assert set(names.split(" | ")) == {"财政局 2024.pdf", "财政局'; drop table raw.documents; --.pdf", "长" * 80 + ".pdf"}
    assert "documents" in tables  # the name was data, not SQL


def test_cli_errors_are_one_line_without_traceback(tmp_path, capsys):
    code = main(["run", "--landing", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "w.duckdb")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err and "Traceback" not in err
    code = main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "is a folder" in err
    code = main(["run", "--landing", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"), "--reparse", "../x"])
    assert code == 2 and "--reparse" in capsys.readouterr().err
