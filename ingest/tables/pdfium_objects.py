"""A page's characters and ruling lines read by PDFium, in the shape pdfplumber's table finder reads.

Profiling a table page showed 80 % of pdfplumber's time in pdfminer interpreting the content
stream in pure Python (about 120 ms a page), and only 20 % in the table finder and the cell text.
PDFium (C++) reads the same characters and paths in a few milliseconds. This module turns them
into pdfplumber's object dictionaries (`char` with pdfminer's box convention, `curve` with the
path points) and hands them to pdfplumber's own `TableFinder`, so the table algorithm, its
tolerances and the cell text assembly stay pdfplumber's.

Everything here is page geometry in PDF points (floats, as pdfplumber's own objects are); no
amount is read from these numbers: cell texts become Decimal amounts later (ingest/text.py).

PDFium's text page skips one-character text objects without a glyph box (non-embedded CJK fonts
on a machine without CJK fonts); their characters are read by pdfminer from a copy of the page
that holds only them. Anything else unusual (rotated or vertical text, unreadable glyphs, Bézier
segments that may draw ruling, no characters at all) raises UnsupportedPage and the caller uses
pdfplumber's pdfminer path for that page; `tests/test_pdfium_tables.py` checks both paths give
identical tables on every table page of the corpus.
"""
from __future__ import annotations

import ctypes
import io
from collections.abc import Callable

import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_c

_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_MAX_FORM_DEPTH = 8


class UnsupportedPage(Exception):
    """The page has something this reader does not reproduce exactly: use pdfminer instead."""


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    """The matrix applying `inner` first, then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _object_matrix(obj) -> _Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(m)):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _path_curves(obj, matrix: _Matrix, height: float, out: list[dict]) -> None:
    """One pdfplumber `curve` per subpath; `h` (close) repeats the subpath's first point."""
    a, b, c, d, e, f = matrix
    x, y = ctypes.c_float(), ctypes.c_float()
    subpath: list[tuple[float, float]] = []

    def flush() -> None:
        if len(subpath) >= 2:
            out.append(_curve(list(subpath), height))
        subpath.clear()

    for i in range(pdfium_c.FPDFPath_CountSegments(obj)):
        seg = pdfium_c.FPDFPath_GetPathSegment(obj, i)
        kind = pdfium_c.FPDFPathSegment_GetType(seg)
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            raise UnsupportedPage("Bézier path segment")
        pdfium_c.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y))
        px, py = x.value, y.value
        point = (a * px + c * py + e, height - (b * px + d * py + f))
        if kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            flush()
        subpath.append(point)
        if pdfium_c.FPDFPathSegment_GetClose(seg) and subpath and subpath[-1] != subpath[0]:
            subpath.append(subpath[0])
    flush()


def _curve(points: list[tuple[float, float]], height: float) -> dict:
    xs = [p[0] for p in points]
    tops = [p[1] for p in points]
    x0, x1, top, bottom = min(xs), max(xs), min(tops), max(tops)
    return {"object_type": "curve", "pts": points, "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "doctop": top, "y0": height - bottom, "y1": height - top,
            "width": x1 - x0, "height": bottom - top}


def _walk_objects(container, count_fn, get_fn, matrix: _Matrix, height: float, out: list[dict],
                  depth: int) -> None:
    for i in range(count_fn(container)):
        obj = get_fn(container, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            _path_curves(obj, _compose(_object_matrix(obj), matrix), height, out)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            if depth >= _MAX_FORM_DEPTH:
                raise UnsupportedPage("form XObjects nested too deep")
            _walk_objects(obj, pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject,
                          _compose(_object_matrix(obj), matrix), height, out, depth + 1)


def _has_no_width(obj) -> bool:
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    pdfium_c.FPDFPageObj_GetBounds(obj, ctypes.byref(left), ctypes.byref(bottom), ctypes.byref(right), ctypes.byref(top))
    return abs(right.value - left.value) < 0.01


def _dropped_text_objects(page: pypdfium2.PdfPage) -> list[int]:
    """Indices of the page's text objects PDFium's text page skips: a box without width (a
    one-character object in a font without glyph outlines, e.g. a non-embedded CJK font on a
    machine without CJK fonts). pdfminer keeps them."""
    dropped = []
    for i in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
        obj = pdfium_c.FPDFPage_GetObject(page.raw, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT and _has_no_width(obj):
            dropped.append(i)
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and _form_has_dropped_text(obj, 0):
            raise UnsupportedPage("text object without width inside a form XObject")
    return dropped


def _form_has_dropped_text(form, depth: int) -> bool:
    for i in range(pdfium_c.FPDFFormObj_CountObjects(form)):
        obj = pdfium_c.FPDFFormObj_GetObject(form, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT and _has_no_width(obj):
            return True
        if kind == pdfium_c.FPDF_PAGEOBJ_FORM and (depth >= _MAX_FORM_DEPTH or _form_has_dropped_text(obj, depth + 1)):
            return True
    return False


def _recover_dropped_chars(source: Callable[[], pypdfium2.PdfDocument], index: int, dropped: list[int]) -> list[dict]:
    """The characters of the text objects PDFium's text page skips, read by pdfminer from a copy
    of the page that holds only those objects (PDFium writes its content stream anew): a few
    operators to interpret instead of the whole page, with pdfminer's own character boxes."""
    keep = set(dropped)
    src = source()
    single = pypdfium2.PdfDocument.new()
    try:
        single.import_pages(src, [index])
        page = single[0]
        for i in reversed(range(pdfium_c.FPDFPage_CountObjects(page.raw))):
            if i not in keep:
                obj = pdfium_c.FPDFPage_GetObject(page.raw, i)
                if pdfium_c.FPDFPage_RemoveObject(page.raw, obj):
                    pdfium_c.FPDFPageObj_Destroy(obj)
        if not pdfium_c.FPDFPage_GenerateContent(page.raw):
            raise UnsupportedPage("PDFium could not rewrite the page")
        buffer = io.BytesIO()
        single.save(buffer)
    finally:
        single.close()
        src.close()
    with pdfplumber.open(io.BytesIO(buffer.getvalue())) as pdf:
        chars = pdf.pages[0].chars
    if not chars or any(not c.get("upright", True) for c in chars):
        raise UnsupportedPage("dropped text objects not recovered")
    return [dict(c) for c in chars]


def _chars(page: pypdfium2.PdfPage, height: float) -> list[dict]:
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        box = pdfium_c.FS_RECTF()
        matrix = pdfium_c.FS_MATRIX()
        ox, oy = ctypes.c_double(), ctypes.c_double()
        width = ctypes.c_float()
        widths: dict[tuple[int, int, float], float] = {}
        chars = []
        for i in range(pdfium_c.FPDFText_CountChars(raw)):
            if pdfium_c.FPDFText_IsGenerated(raw, i):
                continue  # spaces and line breaks PDFium inserts; pdfminer has no such chars
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            if code in (0xFFFE, 0xFFFF) or pdfium_c.FPDFText_HasUnicodeMapError(raw, i) == 1:
                raise UnsupportedPage("glyph without a Unicode mapping")
            if code in (0x0D, 0x0A, 0x02):
                continue
            pdfium_c.FPDFText_GetMatrix(raw, i, ctypes.byref(matrix))
            if abs(matrix.b) > 1e-6 or abs(matrix.c) > 1e-6 or matrix.a <= 0 or matrix.d <= 0:
                raise UnsupportedPage("rotated or mirrored text")
            font_size = pdfium_c.FPDFText_GetFontSize(raw, i)
            size = font_size * matrix.d  # pdfminer's size: the rendered height of the em square
            pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(box))
            pdfium_c.FPDFText_GetCharOrigin(raw, i, ctypes.byref(ox), ctypes.byref(oy))
            font = pdfium_c.FPDFTextObj_GetFont(pdfium_c.FPDFText_GetTextObject(raw, i))
            key = (ctypes.cast(font, ctypes.c_void_p).value or 0, code, font_size)
            advance = widths.get(key)
            if advance is None:
                if not pdfium_c.FPDFFont_GetGlyphWidth(font, code, font_size, ctypes.byref(width)):
                    raise UnsupportedPage("glyph width unknown")
                advance = widths[key] = width.value
            x0 = ox.value
            x1 = x0 + advance * matrix.a  # pdfminer's box: the advance width, not the glyph
            y0 = box.bottom
            y1 = y0 + size
            top = height - y1
            chars.append({"object_type": "char", "text": chr(code), "upright": True, "size": size,
                          "x0": x0, "x1": x1, "y0": y0, "y1": y1, "top": top, "bottom": height - y0,
                          "doctop": top, "width": x1 - x0, "height": size})
        return chars
    finally:
        textpage.close()


def page_objects(page: pypdfium2.PdfPage, index: int = 0,
                 source: Callable[[], pypdfium2.PdfDocument] | None = None) -> dict[str, list[dict]]:
    """pdfplumber-style objects of one page (`char`, `curve`); raises UnsupportedPage.

    `source` opens the document again (a separate copy to cut the page out of) when some text
    objects must be read by pdfminer; without it such a page is unsupported."""
    if page.get_rotation() != 0:
        raise UnsupportedPage("rotated page")
    left, bottom, right, top = page.get_mediabox()
    if left != 0 or bottom != 0:
        raise UnsupportedPage("media box not at the origin")
    height = top - bottom
    curves: list[dict] = []
    _walk_objects(page.raw, pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, _IDENTITY,
                  height, curves, 0)
    dropped = _dropped_text_objects(page)
    if dropped and source is None:
        raise UnsupportedPage("text object without width (PDFium would drop it)")
    chars = _chars(page, height)
    if dropped:
        chars += _recover_dropped_chars(source, index, dropped)
    if not chars:
        raise UnsupportedPage("no characters")
    return {"char": chars, "curve": curves}
