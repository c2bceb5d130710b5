"""Content-addressed, immutable archive of every original file.

`archive/<sha[:2]>/<sha256>.pdf` holds the bytes (written once, atomically, then made
read-only); `archive/<sha[:2]>/<sha256>.json` records the names the file arrived under and when
it was first seen. The same bytes under two names are one document.

The address is the hash of the bytes that were archived, always: the file is hashed as it is
copied into a temporary file beside the archive, which is then renamed to its hash. A landing
file that changes while it is copied (or since it was found) is not archived at all
(`NotArchived`: the night leaves it for the next one and says so).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ingest.discover import MAX_FILE_BYTES, LandedFile

_CHUNK = 1024 * 1024


class NotArchived(Exception):
    """A landing file that was not archived this time (unreadable, or changed while it was read);
    the message says why. Nothing about it is recorded: the next night tries it again."""


@dataclass(frozen=True)
class ArchivedDocument:
    document_id: str
    pdf_path: Path | None  # None when the file was too large to keep
    size_bytes: int
    first_seen_at: str
    file_names: tuple[str, ...]
    too_large: bool = False
    # department/region/year a URL manifest gave at the first download (untrusted, may be empty)
    hints: dict = field(default_factory=dict, compare=False, hash=False)

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


def _recordable(text: str) -> str:
    """A name JSON and UTF-8 can hold: lone surrogates (undecodable bytes) become escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") \
        if any("\ud800" <= c <= "\udfff" for c in text) else text


class _Record:
    """One sidecar in memory, with sets beside its lists so that membership is O(1)."""

    __slots__ = ("data", "names", "urls", "dirty")

    def __init__(self, data: dict):
        self.data = data
        self.names = set(data["file_names"])
        self.urls = set(data.get("source_urls", []))
        self.dirty = False


class Archive:
    def __init__(self, root: Path):
        self.root = root
        self._batch_depth = 0
        self._open: dict[str, _Record] = {}  # sidecars read (or made) during the current batch

    def _paths(self, document_id: str) -> tuple[Path, Path]:
        folder = self.root / document_id[:2]
        return folder / f"{document_id}.pdf", folder / f"{document_id}.json"

    @contextlib.contextmanager
    def batch(self) -> Iterator["Archive"]:
        """Defer sidecar writes to the end of the block: each changed sidecar is written once.

        Archiving N files or URLs with the same bytes then costs O(N): each `add` is a dictionary
        lookup, a set membership test and a list append, and the sidecar (O(N) bytes) is
        serialised and fsynced once at the end. Outside a batch every `add` rewrites and fsyncs
        its sidecar, O(size of the sidecar) each time, which is O(N^2) bytes over N adds of the
        same bytes (5,000 URLs: 72 s). A run killed inside a batch loses only sidecar updates the
        next night makes again (the archive is idempotent): the PDF copies it made stay valid.
        """
        if self._batch_depth == 0:
            self._remove_stale_copies()
        self._batch_depth += 1
        try:
            yield self
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0:
                try:
                    self._flush()
                finally:
                    self._open.clear()

    def _remove_stale_copies(self, older_than_seconds: float = 3600.0) -> None:
        """Temporary copies left by a night killed while copying (never a document: only a
        finished copy is renamed to its hash)."""
        if not self.root.is_dir():
            return
        limit = datetime.now(timezone.utc).timestamp() - older_than_seconds
        for stale in self.root.glob(".incoming-*"):
            with contextlib.suppress(OSError):
                if stale.stat().st_mtime < limit:
                    stale.unlink()

    def _flush(self) -> None:
        for document_id, record in self._open.items():
            if record.dirty:
                payload = json.dumps(record.data, ensure_ascii=False, indent=1).encode("utf-8")
                _atomic_write_bytes(self._paths(document_id)[1], lambda fh: fh.write(payload))
                record.dirty = False

    def _take(self, landed: LandedFile) -> tuple[str, int, Path | None]:
        """(sha256, size, temporary copy or None) of a landing file, hashing the bytes as they
        are copied. Raises NotArchived when the file cannot be read or changes meanwhile."""
        try:
            src = open(landed.path, "rb")
        except OSError as exc:
            raise NotArchived(f"cannot be read ({exc.strerror or exc}); left for the next night") from exc
        with src:
            before = os.fstat(src.fileno())
            if landed.mtime_ns is not None and (before.st_size, before.st_mtime_ns) != (landed.size_bytes, landed.mtime_ns):
                raise NotArchived("changed since it was found (still being written?); left for the next night")
            keep = before.st_size <= MAX_FILE_BYTES
            digest = hashlib.sha256()
            copied = 0
            tmp: Path | None = None
            out = None
            try:
                if keep:
                    self.root.mkdir(parents=True, exist_ok=True)
                    fd, name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
                    tmp, out = Path(name), os.fdopen(fd, "wb")
                while True:
                    try:
                        chunk = src.read(_CHUNK)
                    except OSError as exc:
                        raise NotArchived(f"cannot be read ({exc.strerror or exc}); left for the next night") from exc
                    if not chunk:
                        break
                    digest.update(chunk)
                    copied += len(chunk)
                    if out is not None:
                        out.write(chunk)
                after = os.fstat(src.fileno())
                if copied != before.st_size or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
                    raise NotArchived("changed while it was being archived (still being written?); "
                                      "left for the next night")
                if out is not None:
                    out.flush()
                    os.fsync(out.fileno())
                    out.close()
                    out = None
            except BaseException:
                if out is not None:
                    out.close()
                if tmp is not None:
                    tmp.unlink(missing_ok=True)
                raise
        return digest.hexdigest(), copied, tmp

    def _record(self, document_id: str, meta_path: Path) -> _Record | None:
        record = self._open.get(document_id)
        if record is None:
            data = self._read_meta(meta_path)
            if data is None:
                return None
            record = self._open[document_id] = _Record(data)
        return record

    def add(self, landed: LandedFile, now: datetime | None = None, source_url: str | None = None,
            hints: dict | None = None) -> ArchivedDocument:
        """Archive one landed file (idempotent: known bytes only gain a file name).

        `source_url` and `hints` (department/region/year from a URL manifest) are recorded in
        the sidecar; metadata read from the content always takes precedence over hints. A name
        that was not UTF-8 is recorded decoded, with its original bytes escaped under
        `raw_names`. Raises NotArchived for a file that cannot be read or changes while it is read.
        """
        document_id, size, staged = self._take(landed)
        pdf_path, meta_path = self._paths(document_id)
        too_large = size > MAX_FILE_BYTES
        try:
            if staged is not None and not pdf_path.exists():
                pdf_path.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(staged, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
                os.replace(staged, pdf_path)
        finally:
            if staged is not None:
                staged.unlink(missing_ok=True)
        record = self._record(document_id, meta_path)
        if record is None:
            seen = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%S")
            record = self._open[document_id] = _Record({
                "document_id": document_id, "size_bytes": size, "first_seen_at": seen,
                "file_names": [], "too_large": too_large})
        data = record.data
        name = _recordable(landed.name)
        if name not in record.names:
            record.names.add(name)
            data["file_names"].append(name)
            record.dirty = True
        if landed.raw_name and data.setdefault("raw_names", {}).get(name) != landed.raw_name:
            data["raw_names"][name] = landed.raw_name
            record.dirty = True
        if source_url and source_url not in record.urls:
            record.urls.add(source_url)
            data.setdefault("source_urls", []).append(source_url)
            record.dirty = True
        if hints and not data.get("hints"):
            data["hints"] = {k: v for k, v in hints.items() if v is not None}
            record.dirty = True
        document = self._to_document(data)
        if self._batch_depth == 0:
            self._flush()
            self._open.clear()
        return document

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
            hints=dict(record.get("hints") or {}),
        )

    def get(self, document_id: str) -> ArchivedDocument | None:
        if not re.fullmatch(r"[0-9a-f]{64}", document_id):
            return None  # also keeps partition keys from the UI out of path building
        record = self._read_meta(self._paths(document_id)[1])
        return None if record is None else self._to_document(record)

    def find_prefix(self, prefix: str) -> list[ArchivedDocument]:
        """The documents whose id starts with `prefix` (12 to 64 lowercase hex characters)."""
        if not re.fullmatch(r"[0-9a-f]{12,64}", prefix) or not self.root.exists():
            return []  # also keeps partition keys from the UI out of path building
        out = []
        for meta_path in sorted((self.root / prefix[:2]).glob(f"{prefix}*.json")):
            if re.fullmatch(r"[0-9a-f]{64}", meta_path.stem) and (record := self._read_meta(meta_path)):
                out.append(self._to_document(record))
        return out

    def documents(self) -> list[ArchivedDocument]:
        """Every document ever archived, in document-id order."""
        if not self.root.exists():
            return []
        # os.scandir and plain strings: every sensor tick and every night reads all sidecars, and
        # pathlib's globbing and sorting of Path objects cost more than the reads (10,000
        # documents: 1.6 s -> see docs/throughput.md). Same order and same files as
        # sorted(root.glob("??/*.json")): hidden files (.tmp-*) are not sidecars.
        out = []
        root = os.fspath(self.root)
        folders = sorted(e.name for e in os.scandir(root) if len(e.name) == 2 and not e.name.startswith(".")
                         and e.is_dir())
        for folder in folders:
            base = os.path.join(root, folder)
            for name in sorted(n for n in os.listdir(base) if n.endswith(".json") and not n.startswith(".")):
                try:
                    with open(os.path.join(base, name), encoding="utf-8") as fh:
                        record = json.load(fh)
                except FileNotFoundError:
                    continue
                if record:
                    out.append(self._to_document(record))
        return out

    def relative_path(self, doc: ArchivedDocument, data_dir: Path) -> str | None:
        return None if doc.pdf_path is None else str(doc.pdf_path.relative_to(data_dir))
