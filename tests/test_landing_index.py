"""The landing index: a landing file archived on an earlier night and unchanged since is known
without reading it; any change to it (bytes, even with size and modification time put back, a
copy over it, a rename) makes the night read it again."""
import os
import shutil

from ingest.archive import Archive
from ingest.discover import discover_landing
from ingest.landing_index import LandingIndex


def _night(landing, data):
    """What the ingest asset does: known files skipped, the others archived and remembered."""
    archive = Archive(data / "archive")
    before = {d.document_id: d for d in archive.documents()}
    index = LandingIndex(data)
    read = []
    with archive.batch():
        for landed in discover_landing(landing):
            if index.known(landed, before) is not None:
                continue
            doc = archive.add(landed)
            index.remember(landed, doc.document_id)
            read.append(landed.name)
    index.save()
    return read, {d.document_id: d.file_names for d in archive.documents()}


def test_unchanged_landing_files_are_not_read_again(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    for name in ("a.pdf", "b.pdf"):
        (landing / name).write_bytes(b"%PDF-1.4\n" + name.encode() + b"\n%%EOF\n")
    read, docs = _night(landing, data)
    assert sorted(read) == ["a.pdf", "b.pdf"] and len(docs) == 2
    read, docs_again = _night(landing, data)
    assert read == [] and docs_again == docs

    # new bytes, same size, modification time put back: ctime tells
    a = landing / "a.pdf"
    st = a.stat()
    a.write_bytes(b"%PDF-1.4\n" + b"x.pdf" + b"\n%%EOF\n")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    read, docs = _night(landing, data)
    assert read == ["a.pdf"] and len(docs) == 3

    # a new name for known bytes is read, and the name recorded
    shutil.copy(landing / "b.pdf", landing / "c.pdf")
    read, docs = _night(landing, data)
    assert read == ["c.pdf"]
    assert any(set(names) == {"b.pdf", "c.pdf"} for names in docs.values())


def test_an_archive_without_the_document_reads_the_file_again(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    (landing / "a.pdf").write_bytes(b"%PDF-1.4\na\n%%EOF\n")
    _night(landing, data)
    shutil.rmtree(data / "archive")  # a new archive, the index of the old one left behind
    read, docs = _night(landing, data)
    assert read == ["a.pdf"] and len(docs) == 1


def test_a_document_whose_pdf_left_the_archive_is_put_back(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    (landing / "a.pdf").write_bytes(b"%PDF-1.4\na\n%%EOF\n")
    _night(landing, data)
    (pdf,) = (data / "archive").glob("*/*.pdf")
    pdf.chmod(0o600)
    pdf.unlink()
    read, _ = _night(landing, data)
    assert read == ["a.pdf"] and pdf.exists()


def test_a_torn_index_is_ignored(tmp_path):
    landing, data = tmp_path / "landing", tmp_path / "data"
    landing.mkdir()
    (landing / "a.pdf").write_bytes(b"%PDF-1.4\na\n%%EOF\n")
    _night(landing, data)
    (data / "landing_index.json").write_text('{"version": 1, "files": {', encoding="utf-8")
    read, _ = _night(landing, data)
    assert read == ["a.pdf"]
