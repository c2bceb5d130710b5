"""Which landing files a night has archived already, so the next night does not read them again.

The archive is content-addressed: to know a landing file's document it must hash its bytes. A
landing folder usually keeps what it received, so without this index every night would read,
copy and fsync every file ever landed (O(archive) bytes a night: 2.5 GB at 10,000 documents) to
learn that nothing changed. `<data>/landing_index.json` records, per landing path, the file's
size, modification time, status-change time (ctime, which no tool can set back) and inode as it
was archived, and the document it became. A file found with all four unchanged, whose document is
in the archive, is that document: the night takes it without reading it. Any write, copy over,
rename or `touch` changes one of the four, and the file is read and archived as usual. Losing the
index (a new data folder) only costs one night of reading everything.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from collections.abc import Mapping

from ingest.archive import ArchivedDocument
from ingest.discover import LandedFile

INDEX_NAME = "landing_index.json"
_VERSION = 1


def _identity(landed: LandedFile) -> list[int] | None:
    try:
        st = os.stat(landed.path)
    except OSError:
        return None
    if landed.mtime_ns is not None and (st.st_size, st.st_mtime_ns) != (landed.size_bytes, landed.mtime_ns):
        return None  # changed since it was found: the archive will say so
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class LandingIndex:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / INDEX_NAME
        self._old: dict[str, list] = {}
        self._new: dict[str, list] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") == _VERSION and isinstance(data.get("files"), dict):
                self._old = data["files"]
        except (OSError, ValueError, AttributeError):
            pass

    @staticmethod
    def _key(landed: LandedFile) -> str:
        return os.fsdecode(os.path.abspath(landed.path))

    def known(self, landed: LandedFile, archived: "Mapping[str, ArchivedDocument]") -> str | None:
        """The document of a landing file archived before and unchanged since, or None.
        `archived`: the archive's documents by id; one whose PDF is missing from the archive
        (removed or lost) is not known, so the landing file puts it back."""
        entry = self._old.get(self._key(landed))
        if not entry or len(entry) != 5:
            return None
        doc = archived.get(entry[4])
        if doc is None or not (doc.too_large or (doc.pdf_path is not None and doc.pdf_path.exists())):
            return None
        identity = _identity(landed)
        if identity is None or identity != entry[:4]:
            return None
        self._new[self._key(landed)] = entry
        return entry[4]

    def remember(self, landed: LandedFile, document_id: str) -> None:
        identity = _identity(landed)
        if identity is not None:
            self._new[self._key(landed)] = [*identity, document_id]

    def save(self) -> None:
        """Write the files seen this night (those gone from the landing folder are dropped)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".landing-index-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                # ASCII escapes: a file name of undecodable bytes (GBK on a UTF-8 mount) holds lone
                # surrogates, which UTF-8 cannot write; json reads "\udcxx" back to the same name
                json.dump({"version": _VERSION, "files": self._new}, fh, ensure_ascii=True, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
