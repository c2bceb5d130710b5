"""The real PDFs of ../shared/corpus repeated with distinct bytes, for the bench.

The archive is content-addressed (ingest/archive.py): the same bytes twice are one document. Each
copy is therefore rewritten by qpdf (pikepdf) with its own trailer /ID and a /FWBenchCopy entry in
its document information; pages, content streams and fonts are kept as they are, so the parser
sees the same layouts. Copy 0 is the original file, byte for byte. Built once per repeat count
under the bench's work folder (kept until its source files change).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

FOLDERS = ("final", "budget")


def distinct_copy(source: Path, target: Path, n: int) -> None:
    """Write `source` to `target` as copy `n` (n >= 1): the same pages, different bytes."""
    import pikepdf

    ident = hashlib.md5(f"{source.name}\0{n}".encode()).digest()
    with pikepdf.open(source) as pdf:
        pdf.docinfo["/FWBenchCopy"] = str(n)
        old = pdf.trailer.get("/ID")
        first = bytes(old[0]) if old is not None and len(old) else ident
        pdf.trailer.ID = pikepdf.Array([pikepdf.String(first), pikepdf.String(ident)])
        # static_id keeps the /ID set here (qpdf would otherwise make its own from the time)
        pdf.save(target, static_id=True)


def _sources(real_root: Path) -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((real_root / folder).glob("*.pdf"))]


def build_real_corpus(real_root: Path, out: Path, repeat: int) -> list[Path]:
    """`repeat` copies of every PDF under real_root/{final,budget} into `out`; returns their paths."""
    sources = _sources(real_root)
    if not sources:
        raise SystemExit(f"no real PDFs under {real_root}/{{{','.join(FOLDERS)}}}")
    stamp = hashlib.sha256("\n".join(f"{p.name}\0{p.stat().st_size}" for p in sources).encode()).hexdigest()[:16]
    complete = out / ".complete"
    if complete.exists() and complete.read_text(encoding="utf-8").strip() == stamp:
        return sorted(out.glob("*.pdf"))
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    paths = []
    for i, source in enumerate(sources):
        folder = source.parent.name
        for n in range(repeat):
            target = out / f"{folder}-{i:02d}-copy{n:02d}-{source.name}"
            if n == 0:
                shutil.copyfile(source, target)
            else:
                distinct_copy(source, target, n)
            paths.append(target)
    complete.write_text(stamp + "\n", encoding="utf-8")
    return paths
