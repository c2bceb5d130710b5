"""Every cell of every table of the golden documents (tests/golden/) is read exactly.

The goldens were established without the parser (tests/golden/README.md); this is the pytest
twin of `make accuracy`: 100% per document and table, and the located tables' status, pages and
本表无数据 notes as in the golden.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from ingest.accuracy import CORPUS, TABLE_KEYS, load_goldens, score_golden, table_status_problems

GOLDENS = dict(load_goldens())


@lru_cache(maxsize=None)
def _scored(name: str, workdir: str):
    golden = GOLDENS[name]
    if "corpus" in golden["source"] and not (CORPUS / golden["source"]["corpus"]).exists():
        pytest.skip(f"real corpus not found at {CORPUS}")
    return score_golden(golden, Path(workdir))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("golden_pdfs"))


def test_goldens_cover_the_real_reports_and_zhuzhou():
    assert {"czj_2024", "shgz_2024", "zhuzhou_2021", "university_fixture"} <= set(GOLDENS)
    for name in ("czj_2024", "shgz_2024", "zhuzhou_2021"):
        assert len(GOLDENS[name]["cells"]) > 500, name
        assert set(GOLDENS[name]["tables"]) == set(TABLE_KEYS), name


@pytest.mark.parametrize("table_key", TABLE_KEYS)
@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_every_cell_is_read_exactly(name, table_key, workdir):
    _, scores = _scored(name, workdir)
    score = scores.get(table_key)
    if score is None:  # no cells on either side: empty in the golden, or absent from the layout
        assert GOLDENS[name]["tables"].get(table_key, {"status": "empty"})["status"] == "empty"
        return
    assert score.problems == []
    assert (score.found, score.wrong, score.extra) == (score.expected, 0, 0)


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_tables_located_with_status_pages_and_notes(name, workdir):
    doc, _ = _scored(name, workdir)
    assert table_status_problems(GOLDENS[name], doc) == []
