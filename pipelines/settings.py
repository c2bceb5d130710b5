"""Where the pipeline reads and writes: one resource, configured by the CLI or by environment.

Environment variables (used by `dagster dev` and the schedule):
  FW_LANDING_DIR  landing folder scanned for PDFs          (default: demo_corpus)
  FW_WAREHOUSE    the published warehouse analysts open    (default: var/warehouse.duckdb)
  FW_DATA_DIR     archive, parse cache, working file, docs (default: <warehouse dir>/data)
  FW_MANIFEST     optional CSV of URLs to download (columns: url, department, region, year)
  FW_PARSE_CACHE_URL  where parse results are kept: a folder or an fsspec URL such as
                  s3://bucket/prefix (default: <data dir>/parsed); see docs/scale-out.md
  FW_PARSE_BATCHES  parse steps per run (default: automatic, see pipelines/assets/parse.py)
  FW_PARSE_WORKERS  parser processes per parse step (default: automatic)
  FW_DOWNLOAD_DEADLINE_SECONDS  the whole download of one URL, retries included (default 300)
  FW_LANDING_SETTLE_SECONDS  a landing file must have been left unchanged this long before it is
                  archived; one still changing is left for the next night (default 2)
  FW_DUCKDB_MEMORY_LIMIT  DuckDB's memory_limit inside the dbt build (its profile's
                  config_options; default 2GiB, see DUCKDB_MEMORY_LIMIT)
  FW_DUCKDB_INPROCESS_MEMORY_LIMIT  DuckDB's memory_limit in the orchestrating process's own
                  connections: staging, Great Expectations, reviews, publication (default 1GiB)
  FW_DUCKDB_THREADS  DuckDB's threads in all of them (default 2)
"""
from __future__ import annotations

import os
from pathlib import Path

from dagster import ConfigurableResource
from upath import UPath

from ingest.discover import SETTLE_SECONDS
from ingest.download import DOWNLOAD_DEADLINE_SECONDS
from ingest.workers import storage_root

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# DuckDB's limits for every connection of a night, set deliberately instead of DuckDB's defaults
# (80 % of the machine's memory, one thread per core each). A process of the night must stay
# under 4 GiB at 10,000 documents on a 24 GiB machine shared with other work; DuckDB spills what
# does not fit to `duckdb_temp_dir` (under the data folder) instead of growing.
# - dbt: the buffer pool gets 2 GiB; the dbt process adds its own Python (~0.4-0.6 GiB of
#   manifest and adapter). Peak 2.3 GiB at 3,059 documents, where the pool was full.
# - the orchestrating process (staging, GX, reviews, publication): 1 GiB, because the same
#   process holds Dagster (~0.5 GiB), and on a full validation the frame GX checks (~0.25 GiB a
#   million identity instances) and GX's own work (~0.4 GiB a million) beside DuckDB's temp table
#   of the residuals (0.8 GiB a million, docs/throughput.md); 10,000 documents are ~3.3 million.
# Two threads: the cores of the machine the pipeline is sized for; dbt runs two models at once
# (profiles.yml threads: 2) and both share the one database instance, hence one pool and one
# thread count. dbt_project/profiles.yml falls back to the same values when run by hand.
DUCKDB_MEMORY_LIMIT = "2GiB"
DUCKDB_INPROCESS_MEMORY_LIMIT = "1GiB"
DUCKDB_THREADS = 2


class PipelineSettings(ConfigurableResource):
    landing_dir: str = os.environ.get("FW_LANDING_DIR", str(PROJECT_ROOT / "demo_corpus"))
    warehouse_path: str = os.environ.get("FW_WAREHOUSE", str(PROJECT_ROOT / "var" / "warehouse.duckdb"))
    data_dir: str = os.environ.get("FW_DATA_DIR", "")
    manifest_path: str = os.environ.get("FW_MANIFEST", "")
    parse_cache_url: str = os.environ.get("FW_PARSE_CACHE_URL", "")
    # 0 = automatic (pipelines/assets/parse.py): one parse step per core under the multiprocess
    # executor with one parser process each; one step with a process per core in-process.
    parse_batches: int = int(os.environ.get("FW_PARSE_BATCHES", "0") or 0)
    parse_workers: int = int(os.environ.get("FW_PARSE_WORKERS", "0") or 0)
    parse_timeout_seconds: float = 180.0
    download_deadline_seconds: float = DOWNLOAD_DEADLINE_SECONDS
    landing_settle_seconds: float = SETTLE_SECONDS
    duckdb_memory_limit: str = os.environ.get("FW_DUCKDB_MEMORY_LIMIT", "") or DUCKDB_MEMORY_LIMIT
    duckdb_inprocess_memory_limit: str = (os.environ.get("FW_DUCKDB_INPROCESS_MEMORY_LIMIT", "")
                                          or DUCKDB_INPROCESS_MEMORY_LIMIT)
    duckdb_threads: int = int(os.environ.get("FW_DUCKDB_THREADS", "0") or 0) or DUCKDB_THREADS

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir).resolve()

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path).resolve()

    @property
    def data(self) -> Path:
        return Path(self.data_dir).resolve() if self.data_dir else self.warehouse.parent / "data"

    @property
    def manifest(self) -> Path:
        return Path(self.manifest_path).resolve()

    @property
    def downloads_dir(self) -> Path:
        return self.data / "downloads"

    @property
    def archive_dir(self) -> Path:
        return self.data / "archive"

    @property
    def parsed_dir(self) -> Path | UPath:
        # A UPath when parse_cache_url is a non-local URL; reads and writes go through fsspec.
        return storage_root(self.parse_cache_url) if self.parse_cache_url else self.data / "parsed"

    @property
    def working_db(self) -> Path:
        # Same basename as the published file: dbt-duckdb writes the catalog name (the file's
        # stem) into view definitions.
        return self.data / "work" / self.warehouse.name

    @property
    def data_docs_dir(self) -> Path:
        return self.data / "data_docs"

    @property
    def gx_dir(self) -> Path:
        return self.data / "gx"

    @property
    def duckdb_temp_dir(self) -> Path:
        # where DuckDB spills what does not fit in duckdb_memory_limit (emptied by DuckDB itself)
        return self.data / "work" / "duckdb_tmp"

    def duckdb_config(self) -> dict[str, str]:
        """The config of the DuckDB connections the orchestrating process opens (staging, GX,
        reviews, publication): `duckdb.connect(path, config=...)`."""
        return {"memory_limit": self.duckdb_inprocess_memory_limit, "threads": str(self.duckdb_threads),
                "temp_directory": str(self.duckdb_temp_dir)}

    def duckdb_env(self) -> dict[str, str]:
        """The same limits for the dbt subprocess, read by dbt_project/profiles.yml (`settings`)."""
        return {"FW_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit, "FW_DUCKDB_THREADS": str(self.duckdb_threads),
                "FW_DUCKDB_TEMP_DIR": str(self.duckdb_temp_dir)}

    def ensure_dirs(self) -> None:
        for path in (self.archive_dir, self.parsed_dir, self.working_db.parent, self.warehouse.parent,
                     self.duckdb_temp_dir):
            path.mkdir(parents=True, exist_ok=True)
