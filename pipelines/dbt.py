"""The dbt project as Dagster sees it; the manifest is (re)built here when it is missing or stale.

`@dbt_assets` needs `target/manifest.json` at import time and `prepare_if_dev()` only runs under
`dagster dev`, so the CLI, the tests and the schedule all rely on `ensure_manifest()`.
"""
from __future__ import annotations

import importlib.metadata
import os
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging import version

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

# The dbt of this interpreter's environment, whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_source_mtime() -> float:
    newest = 0.0
    for sub in ("models", "macros", "seeds", "tests"):
        for path in (DBT_PROJECT_DIR / sub).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (DBT_PROJECT_DIR / name).stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    manifest = dbt_project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    from dbt.cli.main import dbtRunner

    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("FW_WORKING_DB", str(DBT_PROJECT_DIR / "target" / "parse_only.duckdb"))
    result = dbtRunner().invoke(
        ["parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    )
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return manifest


class WarehouseDbtCliResource(DbtCliResource):
    """`DbtCliResource` without two start-up costs dagster-dbt (0.29) pays before every command.

    - It opens a dbt adapter in the orchestrating process, only to serve `fetch_row_counts()` /
      `fetch_column_metadata()`, which this project does not use: 2.5-3.5 s of every warehouse
      run. The invocation accepts no adapter (its default).
    - It runs `dbt --version` in a subprocess to tell dbt-core from the Fusion engine: a whole dbt
      start, about 1.9 s, before the build can start. The executable is this environment's dbt
      (`DBT_EXECUTABLE`), so its version is the installed dbt-core's.
    dagster-dbt is pinned, and tests run the real dbt build through this resource.
    """

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 (dagster-dbt's signature)
        return None

    @cached_property
    def _cli_version(self) -> version.Version:
        if self.dbt_executable == DBT_EXECUTABLE:
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version
