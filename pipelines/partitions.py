"""One Dagster partition per document, added as documents are archived.

A partition key is what an operator reads in the UI's partition list, so it says which report it
is: `<label>~<short id>`, e.g. `株洲市工业和信息化局2021年度部门决算~3f9a0c12be47`.

* The label comes from the URL manifest's hints (`<department>_<year>`) when the document was
  downloaded with them, else from the first file name it arrived under (without `.pdf`). Both
  are untrusted: the label keeps letters and digits of any script (Chinese included, NFKC
  normalised) and `- _ . ( )`; everything else (control and format characters, `/`, `|`, `,`,
  `[`, `]`, `~`, spaces, lone surrogates of a non-UTF-8 name) becomes `_`, runs of `_` and of `.`
  collapse (Dagster rejects "..." and control characters in a key, and "|", "," "[", "]" in
  multi-partition keys), and it is cut to LABEL_MAX characters (`document` when nothing is left).
* The short id is the start of the document's SHA-256: 12 hex characters, longer for documents
  whose first 12 are shared with another archived document (as many as tell them apart), so the
  short id alone finds the document in the archive (`document_for_key`).

The key is computed from the archive, never stored: a sidecar that gains manifest hints, or a new
document sharing a 12-character prefix, changes a document's key. `sync_partitions` (every ingest
run, and the sensor when it finds a pending document without a partition) deletes the keys that
no longer belong to an archived document (also the 64-character keys of instances made before
keys were readable) and adds the missing ones; the ingest then reports the parse-cache results of
re-keyed documents as materializations, so partition status agrees with the sensor.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from dagster import DagsterInstance, DynamicPartitionsDefinition

from ingest.archive import Archive, ArchivedDocument

document_partitions = DynamicPartitionsDefinition(name="document")

SEPARATOR = "~"
SHORT_ID = 12
LABEL_MAX = 48
_LABEL_KEEP = frozenset("-_.()")


def sanitize_label(text: str) -> str:
    """A readable, bounded, Dagster-safe label from untrusted text."""
    text = unicodedata.normalize("NFKC", text or "")
    kept = "".join(ch if (ch.isalnum() and ch.isprintable()) or ch in _LABEL_KEEP else "_" for ch in text)
    kept = re.sub(r"\.{2,}", ".", re.sub(r"_{2,}", "_", kept)).strip("_.-")
    return kept[:LABEL_MAX].rstrip("_.-") or "document"


def document_label(doc: ArchivedDocument) -> str:
    hints = doc.hints or {}
    department = str(hints.get("department") or "").strip()
    if department:
        year = str(hints.get("year") or "").strip()
        return sanitize_label(f"{department}_{year}" if year else department)
    name = doc.file_name
    if name.lower().endswith(".pdf"):
        name = name[:-4]
    return sanitize_label(name)


def _short_id_lengths(document_ids: Iterable[str]) -> dict[str, int]:
    """For each id, the shortest prefix (at least SHORT_ID) no other id starts with."""
    ids = sorted(set(document_ids))

    def common(a: str, b: str) -> int:
        n = 0
        while n < len(a) and a[n] == b[n]:
            n += 1
        return n

    out = {}
    for i, doc_id in enumerate(ids):
        shared = max(common(doc_id, ids[i - 1]) if i else 0, common(doc_id, ids[i + 1]) if i + 1 < len(ids) else 0)
        out[doc_id] = min(len(doc_id), max(SHORT_ID, shared + 1))
    return out


def partition_keys(docs: Iterable[ArchivedDocument]) -> dict[str, str]:
    """document_id -> partition key, for every document of `docs` (the whole archive: the short
    ids are as long as the archive needs), in arrival order (first_seen_at, then id)."""
    docs = sorted(docs, key=lambda d: (d.first_seen_at, d.document_id))
    lengths = _short_id_lengths(d.document_id for d in docs)
    return {d.document_id: f"{document_label(d)}{SEPARATOR}{d.document_id[:lengths[d.document_id]]}" for d in docs}


def short_id(key: str) -> str:
    """The short id a partition key ends with ('' for a key that is not one of ours)."""
    tail = key.rpartition(SEPARATOR)[2]
    return tail if re.fullmatch(r"[0-9a-f]{12,64}", tail) else ""


def document_for_key(archive: Archive, key: str) -> ArchivedDocument | None:
    """The archived document a partition key names, by its short id (the label is for people):
    None when no document or more than one starts with it. A bare 64-character id (the keys of
    instances made before keys were readable) names its document too."""
    found = archive.find_prefix(short_id(key) or (key if re.fullmatch(r"[0-9a-f]{64}", key) else ""))
    return found[0] if len(found) == 1 else None


def sync_partitions(instance: DagsterInstance, docs: list[ArchivedDocument]) -> tuple[list[str], list[str]]:
    """Make the instance's `document` partitions exactly the archive's keys: delete the stale ones,
    add the missing ones in arrival order. Returns (added, deleted)."""
    wanted = list(partition_keys(docs).values())
    known = instance.get_dynamic_partitions(document_partitions.name)
    wanted_set, known_set = set(wanted), set(known)
    deleted = [k for k in known if k not in wanted_set]
    for key in deleted:
        instance.delete_dynamic_partition(document_partitions.name, key)
    added = [k for k in wanted if k not in known_set]
    if added:
        instance.add_dynamic_partitions(document_partitions.name, added)
    return added, deleted
