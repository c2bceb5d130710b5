"""Shared fixtures: the real corpus (../shared/corpus) and one pipeline run over it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
FINAL = CORPUS / "final"
BUDGET = CORPUS / "budget"
CZJ = FINAL / "上海市普陀区财政局2024年度部门决算.pdf"
SHGZ = FINAL / "中共上海市普陀区委社会工作部 2024 年度部门决算.pdf"
TEMPLATE = FINAL / "附件2：部门决算模板.pdf"


def require_corpus() -> None:
    if not CZJ.exists():
        pytest.skip(f"real corpus not found at {CORPUS} (tests read the published PDFs from there)")


@pytest.fixture(scope="session")
def real_landing(tmp_path_factory) -> Path:
    """A landing folder with the real final accounts, the template and one budget."""
    require_corpus()
    landing = tmp_path_factory.mktemp("landing")
    for pdf in sorted(FINAL.glob("*.pdf")):
        shutil.copy(pdf, landing / pdf.name)
    shutil.copy(sorted(BUDGET.glob("*.pdf"))[0], landing / "budget.pdf")
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
