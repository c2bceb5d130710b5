"""The analysts' file is always available: a nightly run never locks a reader out.

DuckDB allows one writer and no other process beside it, even read-only. The run builds into a
working file and replaces the published file by one atomic rename (pipelines/assets/publish.py),
so a reader that holds the published file open is never in the way, keeps its view of the old
data, and sees the new data when it reconnects. A failed run leaves the last publication
byte-identical. Every run here is the real CLI in a subprocess (`python -m pipelines run`).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from demo.generate import generate_corpus
from tests.conftest import PROJECT_ROOT

RUN_TIMEOUT = 600

# A second process: opens the published file read-only, keeps the connection open and queries it
# every 0.2 s until told to stop; then reconnects once and queries again. One JSON line per query.
READER = textwrap.dedent(
    """
    import json, os, sys, time
    import duckdb

    path, stop_file, log_file = sys.argv[1:4]
    QUERY = "select (select count(*) from raw.documents), (select count(*) from marts.dim_document), " \\
            "(select coalesce(sum(total_wan), 0) from marts.fct_expenditure_by_function)"

    def log(record):
        with open(log_file, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\\n")

    con = duckdb.connect(path, read_only=True)
    log({"event": "connected", "t": time.time(), "inode": os.stat(path).st_ino})
    while not os.path.exists(stop_file):
        try:
            documents, dim, total = con.execute(QUERY).fetchall()[0]
            log({"event": "query", "t": time.time(), "documents": documents, "dim": dim, "total": str(total)})
        except Exception as exc:  # the test asserts there is none
            log({"event": "error", "t": time.time(), "error": repr(exc)})
        time.sleep(0.2)
    con.close()
    try:
        con = duckdb.connect(path, read_only=True)
        documents, dim, total = con.execute(QUERY).fetchall()[0]
        log({"event": "reconnected", "t": time.time(), "documents": documents, "dim": dim, "total": str(total)})
        con.close()
    except Exception as exc:
        log({"event": "error", "t": time.time(), "error": repr(exc)})
    """
)


def _cli(landing: Path, warehouse: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines", "run", "--landing", str(landing), "--warehouse", str(warehouse),
            "--log-level", "ERROR"]


def _run(landing: Path, warehouse: Path) -> subprocess.CompletedProcess:
    return subprocess.run(_cli(landing, warehouse), cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _documents(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from raw.documents").fetchall()[0][0]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("publication_corpus")
    return sorted(generate_corpus(out, count=5, seed=11))


@pytest.fixture(scope="module")
def published(corpus, tmp_path_factory) -> tuple[Path, Path]:
    """First run: a landing folder with two PDFs, published. Returns (landing, warehouse)."""
    landing = tmp_path_factory.mktemp("publication_landing")
    for pdf in corpus[:2]:
        shutil.copy(pdf, landing / pdf.name)
    warehouse = tmp_path_factory.mktemp("publication_out") / "warehouse.duckdb"
    result = _run(landing, warehouse)
    assert result.returncode == 0, result.stderr[-3000:]
    assert warehouse.exists() and _documents(warehouse) == 2
    return landing, warehouse


def test_reader_is_never_locked_out_and_sees_old_then_new_data(published, corpus, tmp_path):
    landing, warehouse = published
    stop_file, log_file = tmp_path / "stop", tmp_path / "reader.jsonl"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse), str(stop_file), str(log_file)],
                              cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and (not log_file.exists() or '"query"' not in log_file.read_text()):
            assert reader.poll() is None, reader.communicate()[1]
            time.sleep(0.1)
        assert '"query"' in log_file.read_text(), "the reader never managed a first query"
        old_inode = os.stat(warehouse).st_ino

        shutil.copy(corpus[2], landing / corpus[2].name)  # the second run has one more PDF
        run_started = time.time()
        result = _run(landing, warehouse)
        run_finished = time.time()
        assert result.returncode == 0, result.stderr[-3000:]
        assert os.stat(warehouse).st_ino != old_inode  # a new file was renamed into place

        time.sleep(1.0)  # the reader keeps querying its open connection after the publication
        assert reader.poll() is None, reader.communicate()[1]
        stop_file.touch()
        _, stderr = reader.communicate(timeout=60)
        assert reader.returncode == 0, stderr
    finally:
        if reader.poll() is None:
            reader.kill()

    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    errors = [r for r in records if r["event"] == "error"]
    assert errors == []
    queries = [r for r in records if r["event"] == "query"]
    during = [r for r in queries if run_started <= r["t"] <= run_finished]
    after = [r for r in queries if r["t"] > run_finished]
    # the reader queried throughout the whole run, every 0.2 s, and afterwards
    assert queries[0]["t"] < run_started and after
    assert len(during) >= (run_finished - run_started) / 0.2 * 0.5
    # while connected it saw the old data only, consistently
    assert {(r["documents"], r["dim"], r["total"]) for r in queries} == {
        (queries[0]["documents"], queries[0]["dim"], queries[0]["total"])}
    assert queries[0]["documents"] == 2
    # after reconnecting it sees the new publication
    reconnected = [r for r in records if r["event"] == "reconnected"]
    assert len(reconnected) == 1 and reconnected[0]["documents"] == 3
    assert reconnected[0]["total"] != queries[0]["total"]
    assert _documents(warehouse) == 3
    assert not list(warehouse.parent.glob(f".{warehouse.name}.publishing*"))


def test_published_file_holds_everything_the_working_file_has(published):
    _, warehouse = published
    working = warehouse.parent / "data" / "work" / warehouse.name
    # Everything but the pipeline's own bookkeeping (schema `pipeline`), which is not published.
    query = """select table_schema, table_name, table_type from information_schema.tables
               where table_catalog = current_database() and table_schema <> 'pipeline' order by all"""
    columns = """select table_schema, table_name, column_name, data_type from information_schema.columns
                 where table_catalog = current_database() and table_schema <> 'pipeline' order by all"""
    with duckdb.connect(str(working), read_only=True) as w, duckdb.connect(str(warehouse), read_only=True) as p:
        assert p.execute(query).fetchall() == w.execute(query).fetchall()
        assert p.execute(columns).fetchall() == w.execute(columns).fetchall()
        for schema, table, _ in w.execute(query).fetchall():
            sql = f'select * from "{schema}"."{table}" order by all'
            assert p.execute(sql).fetchall() == w.execute(sql).fetchall(), (schema, table)
        assert p.execute("select count(*) from information_schema.schemata where schema_name = 'pipeline'"
                         ).fetchall() == [(0,)]
        assert w.execute("select count(*) from pipeline.pending_documents").fetchall() == [(0,)]


def test_published_file_opens_in_duckdb_1x(published, duckdb1_python):
    _, warehouse = published
    python = duckdb1_python
    script = textwrap.dedent(
        """
        import json, sys, duckdb
        con = duckdb.connect(sys.argv[1], read_only=True)
        rows = con.execute("select table_schema, table_name from information_schema.tables "
                           "where table_catalog = current_database() order by all").fetchall()
        counts = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in rows}
        total = con.execute("select sum(total_wan) from marts.fct_expenditure_by_function").fetchall()[0][0]
        print(json.dumps({"version": duckdb.__version__, "counts": counts, "total": str(total)}))
        """
    )
    result = subprocess.run([str(python), "-c", script, str(warehouse)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    old = json.loads(result.stdout)
    assert old["version"].startswith("1.")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select table_schema, table_name from information_schema.tables "
                           "where table_catalog = current_database() order by all").fetchall()
        counts = {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchall()[0][0] for s, t in rows}
        total = con.execute("select sum(total_wan) from marts.fct_expenditure_by_function").fetchall()[0][0]
    assert old["counts"] == counts and "staging.stg_table_cells" in counts and "marts.dim_document" in counts
    assert old["total"] == str(total)


def _run_with_patch(landing: Path, warehouse: Path, patch: str) -> subprocess.CompletedProcess:
    """The CLI in a subprocess, after `patch` (Python source) ran in that process."""
    code = "\n".join([
        "import sys",
        patch,
        "from pipelines.cli import main",
        f"sys.exit(main(['run', '--landing', {str(landing)!r}, '--warehouse', {str(warehouse)!r}, "
        "'--log-level', 'ERROR']))",
    ])
    return subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def _assert_untouched(warehouse: Path, before: tuple[str, os.stat_result], result: subprocess.CompletedProcess):
    digest, stat = before
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-3000:]
    assert "unchanged" in result.stderr
    assert _sha256(warehouse) == digest
    after = os.stat(warehouse)
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    assert not list(warehouse.parent.glob(f".{warehouse.name}.publishing*"))
    with duckdb.connect(str(warehouse), read_only=True) as con:  # still a complete warehouse
        assert con.execute("select count(*) from marts.dim_document").fetchall()[0][0] >= 2


def test_failed_step_leaves_the_publication_byte_identical(published, corpus):
    landing, warehouse = published
    before = (_sha256(warehouse), os.stat(warehouse))
    shutil.copy(corpus[3], landing / corpus[3].name)
    # The validation step (after dbt rebuilt the working file, before publishing) raises.
    result = _run_with_patch(landing, warehouse, textwrap.dedent(
        """
        import expectations.runner
        def _fail(*args, **kwargs):
            raise RuntimeError("injected failure in the validation step")
        expectations.runner.run_validations = _fail
        """))
    _assert_untouched(warehouse, before, result)
    assert "injected failure" in result.stderr


def test_failed_dbt_build_leaves_the_publication_byte_identical(published, corpus, tmp_path):
    landing, warehouse = published
    before = (_sha256(warehouse), os.stat(warehouse))
    shutil.copy(corpus[4], landing / corpus[4].name)
    # dbt runs on a broken copy of the project: a mart reads a table that does not exist.
    broken = tmp_path / "dbt_project"
    shutil.copytree(PROJECT_ROOT / "dbt_project", broken, ignore=shutil.ignore_patterns("target", "logs"))
    (broken / "models" / "marts" / "dim_region.sql").write_text("select * from raw.no_such_table\n")
    real_dbt = Path(sys.executable).parent / "dbt"
    wrapper = tmp_path / "dbt"
    wrapper.write_text(f'#!/bin/sh\ncd "{broken}" && DBT_PROJECT_DIR="{broken}" exec "{real_dbt}" "$@"\n')
    wrapper.chmod(0o755)
    result = _run_with_patch(landing, warehouse,
                             f"import pipelines.definitions\npipelines.definitions.DBT_EXECUTABLE = {str(wrapper)!r}")
    _assert_untouched(warehouse, before, result)
    assert "warehouse_models" in result.stderr
