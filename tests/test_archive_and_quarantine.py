"""Archive identity (content hash), immutability, and quarantine of files that are not reports."""
from __future__ import annotations

import os
import stat

from ingest.archive import Archive, sha256_of
from ingest.discover import discover_landing
from ingest.parse import parse_pdf
from tests.conftest import CZJ, require_corpus


def test_same_bytes_under_two_names_are_one_document(tmp_path):
    require_corpus()
    landing = tmp_path / "landing"
    (landing / "sub").mkdir(parents=True)
    data = CZJ.read_bytes()
    (landing / "a.pdf").write_bytes(data)
    (landing / "sub" / "b; drop table x.PDF").write_bytes(data)
    (landing / "notes.txt").write_text("not a pdf")
    archive = Archive(tmp_path / "archive")
    for landed in discover_landing(landing):
        archive.add(landed)
    docs = archive.documents()
    assert len(docs) == 1
    doc = docs[0]
    assert doc.document_id == sha256_of(CZJ)
    assert doc.file_names == ("a.pdf", "b; drop table x.PDF")
    assert doc.pdf_path.read_bytes() == data
    assert not os.stat(doc.pdf_path).st_mode & stat.S_IWUSR  # read-only copy
    first_seen = doc.first_seen_at
    # a re-run changes nothing
    for landed in discover_landing(landing):
        archive.add(landed)
    assert archive.documents() == docs and archive.documents()[0].first_seen_at == first_seen


def test_empty_file_is_quarantined(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    doc = parse_pdf(path, "x")
    assert doc.status == "quarantined" and doc.metadata.report_kind == "empty"
    assert "empty file" in doc.quarantine_reason


def test_non_pdf_named_pdf_is_quarantined(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_text("<html>404 not found</html>")
    doc = parse_pdf(path, "x")
    assert doc.status == "quarantined" and doc.metadata.report_kind == "corrupt"
    assert "not a readable PDF" in doc.quarantine_reason


def test_truncated_pdf_is_quarantined_or_parsed_without_crash(tmp_path):
    require_corpus()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(CZJ.read_bytes()[:40_000])
    doc = parse_pdf(path, "x")
    assert doc.status == "quarantined"
    assert doc.quarantine_reason
