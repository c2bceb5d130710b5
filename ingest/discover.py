"""Find candidate PDFs in a landing folder.

File names are untrusted: they are only ever read and recorded, never used to build a path
inside the pipeline's own folders (the archive is addressed by content hash). A name that is not
valid UTF-8 (GBK bytes from a Windows share or a zip file) is recorded decoded as GBK, with its
original bytes escaped beside it (`LandedFile.raw_name`), never as the lone surrogates Python
reads it as, which no JSON or UTF-8 file can hold.

Folders whose names start with `_` or `.` are not scanned (`_truth`, `.git`, `__MACOSX`, an
operator's `_old`): the ones that hold PDFs are reported, never skipped silently.

A file still being written (a copy or a download into the landing folder in progress) is not
taken: `settle` watches the files modified in the last few seconds until that window has passed,
and leaves one that changed meanwhile for the next night.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 200 * 1024 * 1024  # a departmental report is a few MB; larger is not one
# A landing file must have kept its size and modification time this long before it is taken.
SETTLE_SECONDS = float(os.environ.get("FW_LANDING_SETTLE_SECONDS", "2") or 0)
_MAX_COUNTED = 10_000  # PDFs counted in a folder that is not scanned (the count is only reported)


@dataclass(frozen=True)
class LandedFile:
    path: Path
    name: str
    size_bytes: int
    mtime_ns: int | None = None  # as found; the archive refuses a file that changed since
    raw_name: str | None = None  # the name's bytes, escaped (\xb2...), when they are not UTF-8


@dataclass(frozen=True)
class SkippedFolder:
    folder: str  # relative to the landing folder
    pdfs: int


def readable_name(name: str) -> tuple[str, str | None]:
    """(name to record, escaped original bytes or None) for a name as `os.listdir` returns it.

    A UTF-8 name is returned as it is. Other bytes (Python hands them over as lone surrogates)
    are decoded as GB 18030 (a superset of GBK), else as UTF-8 with replacement characters; the
    original bytes are then kept escaped, e.g. '\\xb2\\xc6\\xd5\\xfe.pdf'.
    """
    raw = os.fsencode(name)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    escaped = raw.decode("ascii", "backslashreplace")
    try:
        return raw.decode("gb18030"), escaped
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), escaped


def _count_pdfs(folder: str) -> int:
    count = 0
    for _, _, files in os.walk(folder, followlinks=False):
        count += sum(1 for f in files if f.lower().endswith(".pdf"))
        if count >= _MAX_COUNTED:
            break
    return count


def discover_landing(landing_dir: Path, skipped: list[SkippedFolder] | None = None) -> list[LandedFile]:
    """Every regular `*.pdf` file (any case) below the landing folder, in a stable order.

    Symbolic links are not followed: a link could point anywhere on the machine. Folders whose
    names start with `_` or `.` are not scanned; those holding PDFs are appended to `skipped`.
    """
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder does not exist: {landing_dir}")
    found: list[LandedFile] = []
    for root, dirs, files in os.walk(landing_dir, followlinks=False):
        kept = sorted(d for d in dirs if not d.startswith((".", "_")))
        if skipped is not None:
            for d in sorted(set(dirs) - set(kept)):
                path = os.path.join(root, d)
                if not os.path.islink(path) and (pdfs := _count_pdfs(path)):
                    skipped.append(SkippedFolder(readable_name(os.path.relpath(path, landing_dir))[0], pdfs))
        dirs[:] = kept
        for name in sorted(files):
            path = Path(root) / name
            if not name.lower().endswith(".pdf") or path.is_symlink() or not path.is_file():
                continue
            st = path.stat()
            shown, raw = readable_name(name)
            found.append(LandedFile(path=path, name=shown, size_bytes=st.st_size, mtime_ns=st.st_mtime_ns,
                                    raw_name=raw))
    return found


def settle(files: list[LandedFile], seconds: float = SETTLE_SECONDS,
           sleep=time.sleep) -> tuple[list[LandedFile], list[tuple[LandedFile, str]]]:
    """(files to take, [(file, why) left for the next night]).

    A file not modified for `seconds` is taken at once. The others are watched until `seconds`
    have passed since their last change (one wait for all of them, at most `seconds`); one whose
    size or modification time changed meanwhile, or that is gone, is left for the next night.
    """
    if seconds <= 0:
        return list(files), []
    now_ns = time.time_ns()
    window_ns = int(seconds * 1e9)
    young = [f for f in files if f.mtime_ns is not None and now_ns - f.mtime_ns < window_ns]
    if not young:
        return list(files), []
    newest = max(f.mtime_ns for f in young)
    sleep(min(seconds, max(0.0, (newest + window_ns - now_ns) / 1e9)))
    left: dict[Path, str] = {}
    for f in young:
        try:
            st = os.stat(f.path)
        except OSError as exc:
            left[f.path] = f"it could not be read again ({exc.strerror}); left for the next night"
            continue
        if (st.st_size, st.st_mtime_ns) != (f.size_bytes, f.mtime_ns):
            left[f.path] = (f"still being written (its size or modification time changed in the last "
                            f"{seconds:g} s); left for the next night")
    taken = [f for f in files if f.path not in left]
    return taken, [(f, left[f.path]) for f in files if f.path in left]
