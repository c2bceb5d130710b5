"""What the last ingest could not take, kept for the operator: `<data_dir>/intake.json`.

The ingest asset writes it on every run (atomically); the CLI's summary and `status` print it.
It holds the landing files left for the next night (still being written, unreadable), the
folders that were not scanned although they hold PDFs (names starting with `_` or `.`), the
manifest rows rejected (with their line) and a manifest that could not be used at all. Nothing
the night skipped goes unsaid.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pipelines.safe_text import printable

INTAKE_FILE = "intake.json"


@dataclass
class IntakeNotes:
    left_for_next_night: list[tuple[str, str]] = field(default_factory=list)  # (file name, why)
    folders_not_scanned: list[tuple[str, int]] = field(default_factory=list)  # (folder, PDFs in it)
    manifest_rejected: list[str] = field(default_factory=list)  # one line per row, naming it
    manifest_error: str = ""


def write_intake(data_dir: Path, notes: IntakeNotes) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(asdict(notes), ensure_ascii=False, indent=1)
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".intake-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
        os.replace(tmp, data_dir / INTAKE_FILE)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_intake(data_dir: Path) -> IntakeNotes:
    path = data_dir / INTAKE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return IntakeNotes(
            left_for_next_night=[tuple(x) for x in data.get("left_for_next_night", [])],
            folders_not_scanned=[tuple(x) for x in data.get("folders_not_scanned", [])],
            manifest_rejected=list(data.get("manifest_rejected", [])),
            manifest_error=str(data.get("manifest_error", "")),
        )
    except (OSError, ValueError, TypeError, AttributeError):
        return IntakeNotes()


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def intake_lines(notes: IntakeNotes) -> list[str]:
    """Summary lines (indented like the rest of the run summary); none when nothing was skipped."""
    lines: list[str] = []
    if notes.left_for_next_night or notes.folders_not_scanned:
        parts = []
        if notes.left_for_next_night:
            parts.append(f"{_count(len(notes.left_for_next_night), 'file')} left for the next night")
        if notes.folders_not_scanned:
            parts.append(f"{_count(len(notes.folders_not_scanned), 'folder')} not scanned")
        lines.append(f"  landing   : {', '.join(parts)}")
        lines += [f"    left {printable(name)}: {printable(why)}" for name, why in notes.left_for_next_night]
        lines += [f"    not scanned {printable(folder)} ({pdfs} PDFs): folders whose names start with _ or . "
                  "are skipped; move the files out of it to load them" for folder, pdfs in notes.folders_not_scanned]
    if notes.manifest_error or notes.manifest_rejected:
        if notes.manifest_error:
            lines.append(f"  manifest  : not used: {printable(notes.manifest_error)}")
        else:
            lines.append(f"  manifest  : {_count(len(notes.manifest_rejected), 'row')} rejected")
        lines += [f"    {printable(line)}" for line in notes.manifest_rejected]
    return lines
