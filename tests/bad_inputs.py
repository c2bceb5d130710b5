"""Builders of bad input files (made at test time; nothing binary is committed)."""
from __future__ import annotations

import io
import random
import zlib
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))


def encrypted_pdf(path: Path) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4, encrypt="secret", invariant=1)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 750, "上海市普陀区某局2024年度部门决算")
    c.showPage()
    c.save()
    return path


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    rng = random.Random(7)
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for _ in range(pages):
        img = Image.new("L", (200, 280), 255)
        img.putdata([rng.choice((0, 255)) if rng.random() < 0.05 else 255 for _ in range(200 * 280)])
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        buf.seek(0)
        c.drawImage(ImageReader(buf), 40, 40, width=500, height=740)
        c.showPage()
    c.save()
    return path


def many_pages_pdf(path: Path, pages: int = 1000) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    for n in range(pages):
        c.drawString(72, 750, f"page {n + 1}")
        c.showPage()
    c.save()
    return path


def decompression_bomb_pdf(path: Path, inflated_mib: int = 1024) -> Path:
    """A one-page PDF whose content stream inflates to `inflated_mib` MiB of spaces."""
    comp = zlib.compressobj(1)
    chunk = b" " * (1024 * 1024)
    stream = b"".join(comp.compress(chunk) for _ in range(inflated_mib)) + comp.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    path.write_bytes(out.getvalue())
    return path


def marked_pdf(path: Path, marker: str) -> Path:
    """A small valid PDF carrying a fault marker for tests/faults.py."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.drawString(72, 750, marker)
    c.setTitle(marker)
    c.showPage()
    c.save()
    data = path.read_bytes()
    path.write_bytes(data + f"\n% {marker}\n".encode())
    return path


def rotated_pdf(source: Path, path: Path, mode: str) -> Path:
    """`source` with every page turned, as PDF producers and scanners make them:

    * ``sideways_under_rotate``: content drawn turned 90° counter-clockwise, `/Rotate 90`, so a
      viewer shows it upright;
    * ``rotate_only``: upright content with `/Rotate 90` (a viewer shows it sideways);
    * ``sideways_text``: content drawn turned, no `/Rotate` (text runs up the page).
    """
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium_c

    pdf = pypdfium2.PdfDocument(str(source))
    for index in range(len(pdf)):
        page = pdf[index]
        width, height = page.get_size()
        if mode in ("sideways_under_rotate", "sideways_text"):
            matrix = pdfium_c.FS_MATRIX(0, 1, -1, 0, height, 0)  # (x, y) -> (height - y, x)
            assert pdfium_c.FPDFPage_TransFormWithClip(page, ctypes.byref(matrix), None)
            page.set_mediabox(0, 0, height, width)
            page.set_cropbox(0, 0, height, width)
        if mode in ("sideways_under_rotate", "rotate_only"):
            page.set_rotation(90)
        page.close()
    pdf.save(str(path))
    pdf.close()
    return path


def xref_offsets_off(source: Path, path: Path, by: int = 7) -> Path:
    """`source` with every offset of its cross-reference table off by `by` bytes."""
    import re

    data = source.read_bytes()
    path.write_bytes(re.sub(rb"(\d{10})( \d{5} n)", lambda m: b"%010d" % (int(m.group(1)) + by) + m.group(2), data))
    return path
