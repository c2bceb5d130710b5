"""A copy of a PDF that both PDF libraries read the same way, when the original is not one.

The parser reads page text with PDFium and tables with pdfplumber (pdfminer). Two kinds of PDF
that a viewer shows perfectly well defeat that:

* **Rotated pages.** A page whose content is drawn sideways and carries `/Rotate 90` is upright
  in a viewer, but its characters are sideways in the page's own coordinates, where PDFium reads
  text (no table title is found: "not a report"); a page of upright text with a `/Rotate`, or
  text set sideways on the page, gives pdfminer sideways characters, so no table has a row
  ("no amounts"). `rewrite` turns each such page's content so that its text is upright in the
  page's coordinates and drops `/Rotate`: both libraries then see upright text.
* **A damaged cross-reference table.** With its offsets off, pdfminer finds no page (or fewer),
  while PDFium rebuilds the table and reads them all. PDFium's saved copy has a fresh table.

The copy is made only for such a document, in a temporary file that lives for the parse; the
document keeps its identity (the archived original's hash) and pages keep their numbers.
"""
from __future__ import annotations

import ctypes
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c


def _turn_matrix(turn: int, box: tuple[float, float, float, float]) -> tuple[float, ...]:
    """The matrix (a, b, c, d, e, f) turning content `turn` degrees counter-clockwise, the turned
    `box` (left, bottom, right, top) landing with its lower-left corner at the origin."""
    x0, y0, x1, y1 = box
    if turn == 90:
        return (0, 1, -1, 0, y1, -x0)
    if turn == 180:
        return (-1, 0, 0, -1, x1, y1)
    if turn == 270:
        return (0, -1, 1, 0, -y0, x1)
    return (1, 0, 0, 1, -x0, -y0)


def _apply(matrix: tuple[float, ...], box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    a, b, c, d, e, f = matrix
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (box[0], box[2]) for y in (box[1], box[3])]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    return min(xs), min(ys), max(xs), max(ys)


def rewrite(source: Path, target: Path, turns: dict[int, int]) -> None:
    """Save `source` to `target` with PDFium (which writes a fresh cross-reference table), each
    page of `turns` turned by its angle (counter-clockwise) and its /Rotate dropped."""
    pdf = pypdfium2.PdfDocument(str(source))
    try:
        for index, turn in sorted(turns.items()):
            page = pdf[index]
            try:
                mediabox, cropbox = page.get_mediabox(), page.get_cropbox()
                matrix = _turn_matrix(turn % 360, mediabox)
                if turn % 360 or mediabox[:2] != (0, 0):
                    fs_matrix = pdfium_c.FS_MATRIX(*matrix)
                    if not pdfium_c.FPDFPage_TransFormWithClip(page, ctypes.byref(fs_matrix), None):
                        continue  # PDFium could not turn this page: it stays as it was
                    page.set_mediabox(*_apply(matrix, mediabox))
                    page.set_cropbox(*_apply(matrix, cropbox))
                page.set_rotation(0)
            finally:
                page.close()
        pdf.save(str(target))
    finally:
        pdf.close()
