"""DuckDB's memory_limit, threads and spill folder come from pipelines/settings.py, for dbt (its
profile's config_options) and for the orchestrating process's own connections."""
import json
import os
import re
import subprocess

import duckdb

from pipelines.dbt import DBT_EXECUTABLE, DBT_PROJECT_DIR
from pipelines.settings import DUCKDB_MEMORY_LIMIT, DUCKDB_THREADS, PipelineSettings
from pipelines.working_file import connect_working


def _settings(tmp_path, **kw):
    return PipelineSettings(landing_dir=str(tmp_path / "landing"), warehouse_path=str(tmp_path / "w.duckdb"), **kw)


def test_profile_falls_back_to_the_settings_defaults():
    profile = (DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")
    assert re.search(r"memory_limit: \"\{\{ env_var\('FW_DUCKDB_MEMORY_LIMIT', '" + re.escape(DUCKDB_MEMORY_LIMIT), profile)
    assert re.search(r"threads: \"\{\{ env_var\('FW_DUCKDB_THREADS', '" + str(DUCKDB_THREADS), profile)
    # config_options (duckdb.connect), not settings (SET on every cursor: DuckDB refuses to set
    # temp_directory again after a spill)
    assert "config_options:" in profile and "\n      settings:" not in profile


def test_own_connections_get_the_limits_and_spill_under_the_data_folder(tmp_path):
    settings = _settings(tmp_path, duckdb_inprocess_memory_limit="700MiB", duckdb_threads=1)
    with connect_working(settings.working_db, settings.duckdb_config()) as con:
        limit, threads, temp = con.execute("select current_setting('memory_limit'), current_setting('threads'), "
                                           "current_setting('temp_directory')").fetchone()
    assert limit.startswith("700") and threads == 1
    assert temp == str(settings.duckdb_temp_dir) and settings.duckdb_temp_dir.is_relative_to(settings.data)


def test_dbt_runs_with_the_settings_limits(tmp_path):
    settings = _settings(tmp_path, duckdb_memory_limit="1500MiB", duckdb_threads=1)
    settings.ensure_dirs()
    env = {**os.environ, **settings.duckdb_env(), "FW_WORKING_DB": str(settings.working_db), "DO_NOT_TRACK": "1"}
    out = subprocess.run(
        [DBT_EXECUTABLE, "show", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--output", "json", "--inline",
         "select current_setting('memory_limit') as m, current_setting('threads') as t, "
         "current_setting('temp_directory') as d"],
        env=env, capture_output=True, text=True, check=True).stdout
    row = json.loads(out[out.index("{"):])["show"][0]
    assert row == {"m": "1.4 GiB", "t": 1, "d": str(settings.duckdb_temp_dir)}
    duckdb.connect(str(settings.working_db)).close()  # the file dbt opened is a DuckDB file
