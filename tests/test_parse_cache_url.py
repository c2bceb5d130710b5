"""The parse cache addressed by URL: a folder (default), `file://`, or any fsspec URL (`memory://` here;
`s3://bucket/prefix` in a multi-machine deployment, see docs/scale-out.md)."""
from __future__ import annotations

import uuid
from pathlib import Path

import duckdb
import fsspec
import pytest

from ingest.archive import Archive
from ingest.discover import discover_landing
from ingest.staging import load_staging
from ingest.workers import ParseLimits, cache_path, is_local, parse_documents, read_cached, storage_root
from pipelines.settings import PipelineSettings

RAW_TABLES = ("documents", "report_tables", "table_cells")


def test_storage_root_of_folders_and_urls(tmp_path):
    assert storage_root(str(tmp_path / "parsed")) == tmp_path / "parsed"
    assert storage_root(f"file://{tmp_path}/parsed") == tmp_path / "parsed"  # local: read in place
    for url in ("memory://fw/parsed", "s3://bucket/prefix/parsed"):
        root = storage_root(url)
        assert not is_local(root) and str(root) == url


def test_settings_parse_cache_url(tmp_path):
    default = PipelineSettings(warehouse_path=str(tmp_path / "w.duckdb"), parse_cache_url="")
    assert default.parsed_dir == tmp_path / "data" / "parsed"
    remote = PipelineSettings(warehouse_path=str(tmp_path / "w.duckdb"), parse_cache_url="memory://fw/parsed")
    assert str(remote.parsed_dir) == "memory://fw/parsed"


@pytest.fixture
def memory_root():
    url = f"memory://fw-test-{uuid.uuid4().hex[:8]}/parsed"
    yield storage_root(url)
    fs = fsspec.filesystem("memory")
    fs.rm(url.removeprefix("memory://").split("/")[0], recursive=True)


def _staged(db: Path, data_dir: Path, archived, parsed, parsed_root) -> dict[str, list]:
    with duckdb.connect(str(db)) as con:
        load_staging(con, archived, parsed, data_dir, parsed_root)
        return {t: con.execute(f"select * from raw.{t} order by all").fetchall() for t in RAW_TABLES}


def test_memory_url_cache_parses_caches_and_stages_like_a_folder(tmp_path, memory_root):
    from demo.generate import generate_corpus

    generate_corpus(tmp_path / "landing", count=2, seed=3)
    archive = Archive(tmp_path / "archive")
    docs = [archive.add(f) for f in discover_landing(tmp_path / "landing")]
    limits = ParseLimits(workers=2)

    local = parse_documents(docs, tmp_path / "parsed", limits)
    remote = parse_documents(docs, memory_root, limits)
    assert [r.document_id for r in remote] == [r.document_id for r in local]
    assert all(r.status == "loaded" for r in remote)
    for doc in docs:  # written through fsspec, read back through fsspec
        path = cache_path(memory_root, doc.document_id)
        assert str(path).startswith("memory://") and path.exists()
        assert read_cached(memory_root, doc.document_id).cells == read_cached(tmp_path / "parsed", doc.document_id).cells

    from_cache = []
    parse_documents(docs, memory_root, limits, on_done=lambda r, cached: from_cache.append(cached))
    assert from_cache == [True] * len(docs)  # a re-run parses nothing: the URL cache is hit

    copies = tmp_path / "work" / "parse_cache_copy"
    from_folder = _staged(tmp_path / "a.duckdb", tmp_path, docs, local, tmp_path / "parsed")
    assert not copies.exists()  # a folder cache is read in place
    from_url = _staged(tmp_path / "b.duckdb", tmp_path, docs, remote, memory_root)
    assert len(from_folder["table_cells"]) > 100
    assert from_url == from_folder
    # DuckDB read local copies of the remote results (it cannot read memory:// itself)
    assert sorted(p.name for p in copies.iterdir()) == sorted(f"{d.document_id}.json" for d in docs)
