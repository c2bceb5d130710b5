"""Find candidate PDFs in a landing folder.

File names are untrusted: they are only ever read and recorded, never used to build a path
inside the pipeline's own folders (the archive is addressed by content hash).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 200 * 1024 * 1024  # a departmental report is a few MB; larger is not one


@dataclass(frozen=True)
class LandedFile:
    path: Path
    name: str
    size_bytes: int


def discover_landing(landing_dir: Path) -> list[LandedFile]:
    """Every regular `*.pdf` file (any case) below the landing folder, in a stable order.

    Symbolic links are not followed: a link could point anywhere on the machine.
    """
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder does not exist: {landing_dir}")
    found: list[LandedFile] = []
    for root, dirs, files in os.walk(landing_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(files):
            path = Path(root) / name
            if not name.lower().endswith(".pdf") or path.is_symlink() or not path.is_file():
                continue
            found.append(LandedFile(path=path, name=name, size_bytes=path.stat().st_size))
    return found
