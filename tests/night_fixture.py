"""One real night from the command line (`python -m pipelines run`, a subprocess as cron runs it)
over a small demo corpus, shared by the tests of the console, the Dagster instance and the
warehouse's own descriptions. Import `cli_night` into a test module to use it."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.generate import generate_corpus

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BROKEN_NAME = "broken-upload.pdf"


@dataclass
class Night:
    landing: Path
    warehouse: Path
    code: int
    stdout: str
    stderr: str
    wall_seconds: float

    @property
    def data(self) -> Path:
        return self.warehouse.parent / "data"

    @property
    def dagster_home(self) -> Path:
        return self.data / "dagster_home"


def env_without_dagster_home() -> dict[str, str]:
    """The environment of a cron job that sets nothing: the CLI picks its Dagster home itself."""
    return {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}


def run_cli(*args: str, timeout: float = 900) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pipelines", *args], cwd=PROJECT_ROOT, env=env_without_dagster_home(),
                          capture_output=True, text=True, timeout=timeout)
    return proc, time.monotonic() - started


@pytest.fixture(scope="session")
def cli_night(tmp_path_factory) -> Night:
    root = tmp_path_factory.mktemp("cli_night")
    landing = root / "landing"
    generate_corpus(landing, count=3, seed=2020)  # the rebuilt 株洲 2021 report and two demo reports
    (landing / BROKEN_NAME).write_bytes(b"%PDF-1.4\nthis upload was cut short")  # quarantined
    warehouse = root / "out" / "warehouse.duckdb"  # its folder does not exist yet: --create
    proc, wall = run_cli("run", "--create", "--landing", str(landing), "--warehouse", str(warehouse))
    return Night(landing, warehouse, proc.returncode, proc.stdout, proc.stderr, wall)
