"""Content-addressed, immutable archive of every original file.

`archive/<sha[:2]>/<sha256>.pdf` holds the bytes (written once, atomically, then made
read-only); `archive/<sha[:2]>/<sha256>.json` records the names the file arrived under and when
it was first seen. The same bytes under two names are one document.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ingest.discover import MAX_FILE_BYTES, LandedFile

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchivedDocument:
    document_id: str
    pdf_path: Path | None  # None when the file was too large to keep
    size_bytes: int
    first_seen_at: str
    file_names: tuple[str, ...]
    too_large: bool = False

    @property
    def file_name(self) -> str:
        return self.file_names[0]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write_bytes(target: Path, write) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Archive:
    def __init__(self, root: Path):
        self.root = root

    def _paths(self, document_id: str) -> tuple[Path, Path]:
        folder = self.root / document_id[:2]
        return folder / f"{document_id}.pdf", folder / f"{document_id}.json"

    def add(self, landed: LandedFile, now: datetime | None = None, source_url: str | None = None,
            hints: dict | None = None) -> ArchivedDocument:
        """Archive one landed file (idempotent: known bytes only gain a file name).

        `source_url` and `hints` (department/region/year from a URL manifest) are recorded in
        the sidecar; metadata read from the content always takes precedence over hints.
        """
        document_id = sha256_of(landed.path)
        pdf_path, meta_path = self._paths(document_id)
        too_large = landed.size_bytes > MAX_FILE_BYTES
        if not too_large and not pdf_path.exists():
            with open(landed.path, "rb") as src:
                _atomic_write_bytes(pdf_path, lambda dst: shutil.copyfileobj(src, dst, _CHUNK))
            os.chmod(pdf_path, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        record = self._read_meta(meta_path)
        if record is None:
            seen = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S")
            record = {"document_id": document_id, "size_bytes": landed.size_bytes,
                      "first_seen_at": seen, "file_names": [], "too_large": too_large}
        changed = landed.name not in record["file_names"]
        if changed:
            record["file_names"].append(landed.name)
        if source_url and source_url not in record.setdefault("source_urls", []):
            record["source_urls"].append(source_url)
            changed = True
        if hints and not record.get("hints"):
            record["hints"] = {k: v for k, v in hints.items() if v is not None}
            changed = True
        if changed:
            payload = json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8")
            _atomic_write_bytes(meta_path, lambda fh: fh.write(payload))
        return self._to_document(record)

    def _read_meta(self, meta_path: Path) -> dict | None:
        if not meta_path.exists():
            return None
        return json.loads(meta_path.read_text(encoding="utf-8"))

    def _to_document(self, record: dict) -> ArchivedDocument:
        pdf_path, _ = self._paths(record["document_id"])
        return ArchivedDocument(
            document_id=record["document_id"],
            pdf_path=None if record.get("too_large") else pdf_path,
            size_bytes=record["size_bytes"],
            first_seen_at=record["first_seen_at"],
            file_names=tuple(record["file_names"]),
            too_large=bool(record.get("too_large")),
        )

    def get(self, document_id: str) -> ArchivedDocument | None:
        if not re.fullmatch(r"[0-9a-f]{64}", document_id):
            return None  # also keeps partition keys from the UI out of path building
        record = self._read_meta(self._paths(document_id)[1])
        return None if record is None else self._to_document(record)

    def documents(self) -> list[ArchivedDocument]:
        """Every document ever archived, in document-id order."""
        if not self.root.exists():
            return []
        out = []
        for meta_path in sorted(self.root.glob("??/*.json")):
            record = self._read_meta(meta_path)
            if record:
                out.append(self._to_document(record))
        return out

    def relative_path(self, doc: ArchivedDocument, data_dir: Path) -> str | None:
        return None if doc.pdf_path is None else str(doc.pdf_path.relative_to(data_dir))
