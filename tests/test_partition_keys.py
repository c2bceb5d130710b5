"""Readable partition keys (issue 20): `<label>~<short id>` from the file name or the manifest's
hints, safe for Dagster whatever the file is called, mapped back to the archived document by its
short id, lengthened where two documents share 12 hex characters; an instance made before keys
were readable is migrated by the next ingest."""
from __future__ import annotations

import json
import re

from dagster import DagsterInstance

from ingest.archive import Archive, ArchivedDocument
from ingest.discover import LandedFile
from pipelines.partitions import (
    LABEL_MAX,
    document_for_key,
    document_partitions,
    partition_keys,
    sanitize_label,
    short_id,
    sync_partitions,
)

DAGSTER_FORBIDDEN = ["...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0", "|", ",", "[", "]"]


def _land(archive: Archive, tmp_path, name: str, content: bytes, **kw) -> ArchivedDocument:
    path = tmp_path / f"f{abs(hash(content))}.pdf"
    path.write_bytes(content)
    return archive.add(LandedFile(path=path, name=name, size_bytes=len(content)), **kw)


def test_keys_are_readable_and_map_back_to_the_document(tmp_path):
    archive = Archive(tmp_path / "archive")
    zhuzhou = _land(archive, tmp_path, "株洲市工业和信息化局2021年度部门决算.pdf", b"%PDF-1.4 a")
    hinted = _land(archive, tmp_path, "P020240601.pdf", b"%PDF-1.4 b", source_url="https://x/P020240601.pdf",
                   hints={"department": "湖南省株洲市农业农村局", "region": None, "year": 2024})
    keys = partition_keys(archive.documents())
    assert keys[zhuzhou.document_id] == f"株洲市工业和信息化局2021年度部门决算~{zhuzhou.document_id[:12]}"
    assert keys[hinted.document_id] == f"湖南省株洲市农业农村局_2024~{hinted.document_id[:12]}"
    for doc_id, key in keys.items():
        assert document_for_key(archive, key).document_id == doc_id
        assert short_id(key) == doc_id[:12]
    # the old keys (64-character ids) and bare short ids name their document too; nothing else does
    assert document_for_key(archive, zhuzhou.document_id).document_id == zhuzhou.document_id
    assert document_for_key(archive, zhuzhou.document_id[:12]).document_id == zhuzhou.document_id
    for bad in ("", "株洲", "x~0000000000000", "../../etc~" + "0" * 12, zhuzhou.document_id[:11]):
        assert document_for_key(archive, bad) is None


def test_untrusted_file_names_give_safe_bounded_labels():
    names = ["a\nb\rc\td\x00e\x1b[2J.pdf", "x/../../y|z,w[1].pdf", "‮evil‭gpj.pdf", "...", "",
             "报告" * 100, "a" + "\udcb2\udcbf" + "b.pdf", "spaces   and~tilde  .PDF", "（全角）２０２１"]
    for name in names:
        label = sanitize_label(name)
        assert label and len(label) <= LABEL_MAX
        assert not any(bad in label for bad in DAGSTER_FORBIDDEN + ["/", "~", " ", "\u202e", "\x1b"]), (name, label)
        assert label.isprintable()
    assert sanitize_label("x/../../y|z,w[1].pdf") == "x_._._y_z_w_1_.pdf"
    assert sanitize_label("（全角）２０２１") == "(全角)2021"
    assert sanitize_label("...") == "document"
    # a key is accepted by Dagster (its own validation of a dynamic partition key)
    with DagsterInstance.ephemeral() as instance:
        docs = [ArchivedDocument(f"{i:064x}", None, 1, "2025-01-01T00:00:00", (n or "x",)) for i, n in enumerate(names)]
        instance.add_dynamic_partitions(document_partitions.name, list(partition_keys(docs).values()))


def test_a_shared_12_character_prefix_lengthens_both_short_ids(tmp_path):
    root = tmp_path / "archive"
    ids = ["abcdef012345" + "6" * 52, "abcdef012345" + "7" * 52, "abcdef01234f" + "0" * 52]
    for i, doc_id in enumerate(ids):  # sidecars as the archive writes them
        (root / doc_id[:2]).mkdir(parents=True, exist_ok=True)
        (root / doc_id[:2] / f"{doc_id}.json").write_text(json.dumps({
            "document_id": doc_id, "size_bytes": 1, "first_seen_at": f"2025-01-0{i + 1}T00:00:00",
            "file_names": [f"r{i}.pdf"], "too_large": False}), encoding="utf-8")
    archive = Archive(root)
    keys = partition_keys(archive.documents())
    assert [keys[i] for i in ids] == ["r0~abcdef0123456", "r1~abcdef0123457", "r2~abcdef01234f"]
    assert len(set(keys.values())) == 3
    for doc_id, key in keys.items():
        assert document_for_key(archive, key).document_id == doc_id
    assert document_for_key(archive, "r0~abcdef012345") is None  # ambiguous: two documents


def test_an_instance_with_the_old_keys_is_migrated(tmp_path):
    archive = Archive(tmp_path / "archive")
    docs = [_land(archive, tmp_path, f"部门{i}决算.pdf", f"%PDF-1.4 {i}".encode()) for i in range(3)]
    (tmp_path / "home").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "home")) as instance:
        old = [d.document_id for d in docs]
        instance.add_dynamic_partitions(document_partitions.name, old)
        added, deleted = sync_partitions(instance, archive.documents())
        assert sorted(deleted) == sorted(old)
        keys = instance.get_dynamic_partitions(document_partitions.name)
        assert keys == added == list(partition_keys(archive.documents()).values())
        assert all(re.fullmatch(r"部门\d决算~[0-9a-f]{12}", k) for k in keys)
        assert sync_partitions(instance, archive.documents()) == ([], [])  # idempotent
        first = partition_keys(archive.documents())[docs[0].document_id]
        # a manifest later gives hints: the document is re-keyed, its old key removed
        _land(archive, tmp_path, "部门0决算.pdf", b"%PDF-1.4 0", hints={"department": "某局", "year": 2023})
        added, deleted = sync_partitions(instance, archive.documents())
        assert deleted == [first] and added == [f"某局_2023~{docs[0].document_id[:12]}"]
