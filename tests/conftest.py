"""Shared fixtures: the real corpus (../shared/corpus) and one pipeline run over it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
FINAL = CORPUS / "final"
BUDGET = CORPUS / "budget"
CZJ = FINAL / "上海市普陀区财政局2024年度部门决算.pdf"
SHGZ = FINAL / "中共上海市普陀区委社会工作部 2024 年度部门决算.pdf"
TEMPLATE = FINAL / "附件2：部门决算模板.pdf"
XINFANG = FINAL / "国家信访局_2024_部门决算.pdf"
FOSHAN = FINAL / "佛山市轨道交通局_2019_部门决算.pdf"
XIAN = FINAL / "西安市卫生健康委员会（汇总）_2022_部门决算.pdf"
# The budget the final-accounts fixtures carry along (a document of another kind in the folder).
A_BUDGET = BUDGET / "上海市中医文献馆_2026_单位预算.pdf"
# The documents the shared real-run fixture loads. Every test names the documents it reads, so a
# report added to ../shared/corpus never changes what an existing test sees.
REAL_RUN_DOCUMENTS = (CZJ, SHGZ, TEMPLATE)


def require_corpus() -> None:
    if not CZJ.exists():
        pytest.skip(f"real corpus not found at {CORPUS} (tests read the published PDFs from there)")


@pytest.fixture(scope="session")
def real_landing(tmp_path_factory) -> Path:
    """A landing folder with the two Shanghai final accounts, the template and one budget."""
    require_corpus()
    landing = tmp_path_factory.mktemp("landing")
    for pdf in REAL_RUN_DOCUMENTS:
        shutil.copy(pdf, landing / pdf.name)
    shutil.copy(A_BUDGET, landing / "budget.pdf")
    return landing


@pytest.fixture(scope="session")
def real_run(real_landing, tmp_path_factory):
    """One CLI run over the real landing folder: (exit code, stdout, warehouse path)."""
    import contextlib
    import io

    from pipelines.cli import main

    out_dir = tmp_path_factory.mktemp("run")
    warehouse = out_dir / "warehouse.duckdb"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["run", "--landing", str(real_landing), "--warehouse", str(warehouse), "--log-level", "WARNING"])
    return code, stdout.getvalue(), warehouse


@pytest.fixture(scope="session")
def duckdb1_python(tmp_path_factory) -> Path:
    """A Python with DuckDB 1.1.3 (the oldest 1.x that reads every table and view of the file),
    in a scratch venv made once per session (FW_DUCKDB1_PYTHON names one instead); skips the
    test when the wheel cannot be installed."""
    env_python = os.environ.get("FW_DUCKDB1_PYTHON")
    if env_python:
        return Path(env_python)
    venv = tmp_path_factory.mktemp("duckdb1") / "venv"
    uv = Path(sys.executable).parent / "uv"
    try:
        if uv.exists():
            subprocess.run([str(uv), "venv", "-q", str(venv)], check=True, capture_output=True, timeout=120)
            subprocess.run([str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                            "duckdb==1.1.3"], check=True, capture_output=True, timeout=300)
        else:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
            subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "duckdb==1.1.3"], check=True,
                           capture_output=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not install duckdb==1.1.3 into a scratch venv: {exc}")
    return venv / "bin" / "python"
