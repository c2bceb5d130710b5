"""Page text for every page, fast: PDFium's text layer instead of pdfminer's layout analysis.

Titles, metadata and the narrative need the text of every page, but only table pages need
pdfplumber's character geometry. PDFium reads a page's text in about 1.5 ms against about 50 ms
for pdfplumber's `extract_text()`, and it keeps digits set in another font on their line
(pdfplumber needs `y_tolerance=5` for that). When PDFium cannot read a file, the caller falls
back to pdfplumber for every page.

While it reads a page's text it also samples the angle of its characters and reads the page's
/Rotate: `upright_turns` names the pages whose text is not upright in the page's own coordinates
(sideways text, or a /Rotate that pdfminer applies to upright text), which ingest/readable.py
rewrites upright before the tables are read.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c

from ingest.tables.pdfium_objects import UnsupportedPage, page_objects


def upright_turn(rotation: int, angle: int | None) -> int | None:
    """The turn (degrees counter-clockwise) ingest/readable.py gives a page of this /Rotate and
    text angle (`PdfiumPages._text_angle`), 0 when only its /Rotate is dropped; None when the page
    is left as it is (upright text without /Rotate, or no text). The review site's page images
    (pipelines/review_site/pages.py) map the parser's rectangles back to the page through it."""
    if angle is None or not (angle or rotation % 360):
        return None
    return angle


class PageTextError(Exception):
    pass


class PdfiumPages:
    """One PDF opened in PDFium: the text of every page, and a table page's characters and
    ruling lines for pdfplumber's table finder (see ingest/tables/pdfium_objects.py)."""

    _ANGLE_SAMPLES = 48  # characters sampled per page for the text direction

    def __init__(self, path: Path):
        self._path = str(path)
        try:
            self._pdf = pypdfium2.PdfDocument(self._path)
        except pypdfium2.PdfiumError as exc:
            raise PageTextError(str(exc)) from exc
        self._texts: list[str] | None = None
        self._orientation: list[tuple[int, int | None]] = []  # (/Rotate, text angle) per page

    def __len__(self) -> int:
        return len(self._pdf)

    def texts(self) -> list[str]:
        """The text of every page (read once, then kept)."""
        if self._texts is None:
            texts, orientation = [], []
            for index in range(len(self._pdf)):
                page = self._pdf[index]
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                    orientation.append((page.get_rotation(), self._text_angle(textpage)))
                finally:
                    textpage.close()
                    page.close()
                texts.append(text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", ""))
            self._texts, self._orientation = texts, orientation
        return list(self._texts)

    @classmethod
    def _text_angle(cls, textpage) -> int | None:
        """The angle (0, 90, 180, 270, as PDFium measures it) of most of the page's characters,
        from a sample spread over the page; None without text or without a clear majority."""
        count = pdfium_c.FPDFText_CountChars(textpage)
        if count <= 0:
            return None
        angles: Counter[int] = Counter()
        for index in range(0, count, max(1, count // cls._ANGLE_SAMPLES)):
            if pdfium_c.FPDFText_GetUnicode(textpage, index) <= 32:
                continue
            radians = pdfium_c.FPDFText_GetCharAngle(textpage, index)
            if radians >= 0:
                angles[round(math.degrees(radians) / 90) % 4 * 90] += 1
        if not angles:
            return None
        angle, n = angles.most_common(1)[0]
        return angle if n * 2 > sum(angles.values()) else None

    def upright_turns(self) -> dict[int, int]:
        """{page index: degrees to turn its content counter-clockwise} for every page whose text
        is not upright in its own coordinates or that carries a /Rotate (0 then: only /Rotate is
        dropped). Pages without text are left alone. Reads the texts if not read yet."""
        self.texts()
        return {index: turn for index, (rotation, angle) in enumerate(self._orientation)
                if (turn := upright_turn(rotation, angle)) is not None}

    def table_objects(self, index: int) -> dict[str, list[dict]] | None:
        """pdfplumber-style `char` and `curve` objects of a page; None when pdfminer must read it."""
        page = self._pdf[index]
        try:
            return page_objects(page, index, lambda: pypdfium2.PdfDocument(self._path))
        except UnsupportedPage:
            return None
        finally:
            page.close()

    def close(self) -> None:
        self._pdf.close()

    def __enter__(self) -> "PdfiumPages":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

