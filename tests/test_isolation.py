"""Each document is parsed in a worker with a time and a memory limit: a hang, a crash, an
out-of-memory, a parser bug or a decompression bomb quarantines that document only."""
from __future__ import annotations

import shutil

from ingest.archive import Archive
from ingest.discover import discover_landing
from ingest.workers import ParseLimits, parse_documents, read_cached
from tests.bad_inputs import decompression_bomb_pdf, marked_pdf
from tests.conftest import CZJ, require_corpus
from tests.faults import parse_with_faults


def test_faults_are_contained(tmp_path):
    require_corpus()
    landing = tmp_path / "landing"
    landing.mkdir()
    for marker in ("FAULT:HANG", "FAULT:CRASH", "FAULT:OOM", "FAULT:BUG"):
        marked_pdf(landing / f"{marker[6:].lower()}.pdf", marker)
    decompression_bomb_pdf(landing / "bomb.pdf", inflated_mib=1024)
    shutil.copy(CZJ, landing / "good.pdf")
    archive = Archive(tmp_path / "archive")
    for landed in discover_landing(landing):
        archive.add(landed)
    names = {d.document_id: d.file_name for d in archive.documents()}
    limits = ParseLimits(timeout_seconds=15, memory_bytes=1024**3, workers=2)
    results = parse_documents(archive.documents(), tmp_path / "parsed", limits, parse_fn=parse_with_faults)
    outcome = {names[r.document_id]: (r.status, r.metadata.report_kind) for r in results}
    assert outcome == {
        "hang.pdf": ("quarantined", "timeout"),
        "crash.pdf": ("quarantined", "crashed"),
        "oom.pdf": ("quarantined", "too_large"),
        "bug.pdf": ("quarantined", "parser_error"),
        "bomb.pdf": ("quarantined", "crashed"),  # PDFium aborts when the inflated stream hits the cap
        "good.pdf": ("loaded", "final_accounts"),
    }
    reasons = {names[r.document_id]: r.quarantine_reason for r in results}
    assert "15 s" in reasons["hang.pdf"] and "died" in reasons["crash.pdf"]
    # results are cached: a second pass parses nothing (the hang is not paid again)
    again = parse_documents(archive.documents(), tmp_path / "parsed", limits, parse_fn=parse_with_faults,
                            on_done=lambda r, from_cache: None if from_cache else (_ for _ in ()).throw(AssertionError))
    assert [r.document_id for r in again] == [r.document_id for r in results]
    assert read_cached(tmp_path / "parsed", next(i for i, n in names.items() if n == "good.pdf")).status == "loaded"
