"""Page images of the archived originals, with a failure's cells outlined and its sentence marked.

A page is rendered once per scale with pypdfium2 from the archived PDF and kept as
``<data_dir>/review_cache/<document_id>/<page>-<scale>.png``; a failure's marks are drawn with
Pillow on a copy, kept beside it as ``<page>-<scale>-<marks hash>.png`` (the hash covers every
rectangle and text marked, so another night's positions make another file). A document id is
the SHA-256 of the file's bytes: a cached page never goes stale.

Marks:
* a table cell: its rectangle as the parser recorded it (``raw.table_cells`` x0, top, x1,
  bottom; PDF points, top-left origin, pdfplumber's convention), outlined in red, with the
  entry's number beside it;
* a narrative figure (no rectangle is recorded): the sentence is found on the page in PDFium's
  text layer (whitespace ignored, full-width forms folded) and shaded yellow, and the figure as
  printed inside it is outlined in orange; when the sentence is not found, the figure is looked
  up alone with ``PdfTextPage.search``.

PDFium is not thread-safe: every call into it holds one lock.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CELL_COLOUR = (230, 0, 0)
FIGURE_COLOUR = (255, 140, 0)
LABEL_BACKGROUND = (20, 50, 120)
SENTENCE_SHADE = (255, 230, 0, 90)
DEFAULT_SCALE = 2.0
#: Goes into a marked page's cache name: raise it when where marks land changes.
MARKS_VERSION = 2
_PDFIUM = threading.Lock()


@dataclass(frozen=True)
class Mark:
    """One thing to mark on a page: a cell rectangle, or a narrative figure to find."""
    number: int
    box: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom (PDF points)
    sentence: str | None = None
    text: str | None = None  # the figure as printed (narrative)

    def key(self) -> list:
        return [self.number, list(self.box) if self.box else None, self.sentence, self.text]


@dataclass
class RenderedPage:
    path: Path
    width: int
    height: int
    scale: float
    boxes: list[tuple[int, tuple[int, int, int, int]]] = field(default_factory=list)  # (number, pixel box)
    found_all: bool = True  # every narrative mark was found on the page


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _scale_name(scale: float) -> str:
    return f"{scale:g}"


Affine = tuple[float, float, float, float, float, float]  # (a, b, c, d, e, f): x' = a x + c y + e, y' = b x + d y + f


def _affine_apply(m: Affine, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _affine_inverse(m: Affine) -> Affine:
    a, b, c, d, e, f = m
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    return ia, ib, ic, id_, -(ia * e + ic * f), -(ib * e + id_ * f)


@dataclass(frozen=True)
class PageFrame:
    """Where a rectangle lands on the rendered image of one page.

    The parser records a cell's rectangle (x0, top, x1, bottom; top-left origin) in the page as it
    READ it: a page with a /Rotate or sideways text is read from an upright copy
    (ingest/readable.py turns its content by `pagetext.upright_turn` and drops /Rotate), so its
    rectangles are in that copy's coordinates, not in the original's, and PDFium renders the
    original as a viewer shows it (its /Rotate applied, its crop box). ``to_user`` maps the
    parser's frame back to the original page's user space (the inverse of the turn); ``to_pixels``
    maps user space to the rendered image, taken from PDFium's own FPDF_PageToDevice.
    """
    parser_box: tuple[float, float, float, float]  # the page's media box as the parser read it
    to_user: Affine
    to_pixels: Affine

    @classmethod
    def of(cls, page, textpage, size: tuple[int, int]) -> "PageFrame":
        import ctypes

        import pypdfium2.raw as pdfium_c

        from ingest.pagetext import PdfiumPages, upright_turn
        from ingest.readable import _apply, _turn_matrix

        media = tuple(page.get_mediabox())
        turn = upright_turn(page.get_rotation(), PdfiumPages._text_angle(textpage))
        turned = _turn_matrix(turn % 360, media) if turn is not None else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        # a 16 times larger device gives the map to 1/16 pixel (FPDF_PageToDevice answers integers)
        width, height, fine = size[0], size[1], 16

        def device(x: float, y: float) -> tuple[float, float]:
            dx, dy = ctypes.c_int(), ctypes.c_int()
            pdfium_c.FPDF_PageToDevice(page, 0, 0, width * fine, height * fine, 0, x, y,
                                       ctypes.byref(dx), ctypes.byref(dy))
            return dx.value / fine, dy.value / fine

        (ox, oy), (xx, xy), (yx, yy) = device(0, 0), device(1000, 0), device(0, 1000)
        pixels = ((xx - ox) / 1000, (xy - oy) / 1000, (yx - ox) / 1000, (yy - oy) / 1000, ox, oy)
        return cls(_apply(turned, media), _affine_inverse(turned), pixels)

    def _rect(self, corners: list[tuple[float, float]]) -> tuple[int, int, int, int]:
        points = [_affine_apply(self.to_pixels, x, y) for x, y in corners]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        return round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys))

    def cell_pixels(self, box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
        """A rectangle the parser recorded (x0, top, x1, bottom in its frame) on the image."""
        x0, top, x1, bottom = box
        left, _, _, upper = self.parser_box
        return self._rect([_affine_apply(self.to_user, left + x, upper - y) for x in (x0, x1) for y in (top, bottom)])

    def user_pixels(self, rect: tuple[float, float, float, float], page_top: float) -> tuple[int, int, int, int]:
        """A rectangle of the original's text layer (x0, page_top - y1, x1, page_top - y0) on the image."""
        x0, top, x1, bottom = rect
        return self._rect([(x, page_top - y) for x in (x0, x1) for y in (top, bottom)])


def _fold(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def _squash(text: str) -> tuple[str, list[int]]:
    """The text without whitespace, full-width forms folded, and each kept character's index."""
    kept, where = [], []
    for index, char in enumerate(text):
        if char.isspace():
            continue
        kept.append(_fold(char))
        where.append(index)
    return "".join(kept), where


def _line_rects(textpage, indices: list[int], page_height: float) -> list[tuple[float, float, float, float]]:
    """Rectangles (x0, top, x1, bottom; top-left origin) covering the characters, one per line."""
    rects: list[list[float]] = []
    for index in indices:
        left, bottom, right, top = textpage.get_charbox(index)
        if right <= left or top <= bottom:
            continue
        y0, y1 = page_height - top, page_height - bottom
        if rects:
            last = rects[-1]
            middle = (y0 + y1) / 2
            if last[1] <= middle <= last[3] and left >= last[0] - 2:
                last[0], last[1] = min(last[0], left), min(last[1], y0)
                last[2], last[3] = max(last[2], right), max(last[3], y1)
                continue
        rects.append([left, y0, right, y1])
    return [tuple(r) for r in rects]


def find_narrative(textpage, page_height: float, sentence: str | None, figure: str | None):
    """(sentence rectangles, figure rectangles) on a page, top-left origin, PDF points."""
    count = textpage.count_chars()
    text = textpage.get_text_range(0, count) if count else ""
    squashed, where = _squash(text if len(text) == count else "")
    sentence_sq = _squash(sentence or "")[0]
    figure_sq = _squash(figure or "")[0]
    sentence_rects: list = []
    figure_rects: list = []
    start = end = -1
    if squashed and sentence_sq:
        start = squashed.find(sentence_sq)
        if start >= 0:
            end = start + len(sentence_sq)
        else:  # the sentence as extracted may differ at its ends: its longest found prefix
            for length in (40, 24, 12):
                if len(sentence_sq) >= length and (start := squashed.find(sentence_sq[:length])) >= 0:
                    end = start + len(sentence_sq)
                    break
            else:
                start = -1
    if start >= 0:
        end = min(end, len(squashed))
        sentence_rects = _line_rects(textpage, where[start:end], page_height)
    if squashed and figure_sq:
        at = squashed.find(figure_sq, max(start, 0), end if end > 0 else None) if start >= 0 else -1
        if at < 0 and start >= 0:
            at = squashed.find(figure_sq, start)
        if at >= 0:
            figure_rects = _line_rects(textpage, where[at:at + len(figure_sq)], page_height)
    if not figure_rects and figure:
        searcher = textpage.search(figure.strip(), match_case=True)
        try:
            found = searcher.get_next()
            if found:
                first, length = found
                figure_rects = _line_rects(textpage, list(range(first, first + length)), page_height)
        finally:
            searcher.close()
    return sentence_rects, figure_rects


def archived_pdf(data_dir: Path, archive_path: str) -> Path:
    """The archived original of a document: `archive_path` (from the warehouse) must name a file
    inside <data_dir>/archive, so no row can make the site read another file."""
    archive = (Path(data_dir) / "archive").resolve()
    path = (Path(data_dir) / archive_path).resolve()
    if archive not in path.parents or not path.is_file():
        raise FileNotFoundError(f"archived original not found: {archive_path}")
    return path


def _render_base(pdf_path: Path, page_number: int, scale: float, target: Path):
    """Render one page (1-based) to PNG at `target`; returns (PIL image, page height, offsets)."""
    import pypdfium2

    with _PDFIUM:
        pdf = pypdfium2.PdfDocument(str(pdf_path))
        try:
            if not 1 <= page_number <= len(pdf):
                raise FileNotFoundError(f"page {page_number} not in the document ({len(pdf)} pages)")
            page = pdf[page_number - 1]
            try:
                image = page.render(scale=scale, may_draw_forms=False).to_pil().convert("RGB")
            finally:
                page.close()
        finally:
            pdf.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    _atomic_write(target, buffer.getvalue())
    return image


def render_page(pdf_path: Path, cache_dir: Path, document_id: str, page_number: int,
                marks: list[Mark] = (), scale: float = DEFAULT_SCALE) -> RenderedPage:
    """The page image with `marks` drawn, from the cache when it is there."""
    from PIL import Image, ImageDraw

    folder = Path(cache_dir) / document_id
    base_path = folder / f"{page_number}-{_scale_name(scale)}.png"
    if not marks:
        if base_path.is_file():
            with Image.open(base_path) as image:
                return RenderedPage(base_path, image.width, image.height, scale)
        image = _render_base(pdf_path, page_number, scale, base_path)
        return RenderedPage(base_path, image.width, image.height, scale)
    # MARKS_VERSION: a marked page drawn by an older mapping (before PageFrame) is not served again
    digest = hashlib.sha256(json.dumps([MARKS_VERSION, [m.key() for m in marks]],
                                       ensure_ascii=False).encode()).hexdigest()[:16]
    marked_path = folder / f"{page_number}-{_scale_name(scale)}-{digest}.png"
    meta_path = marked_path.with_suffix(".json")
    if marked_path.is_file() and meta_path.is_file():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return RenderedPage(marked_path, meta["width"], meta["height"], scale,
                            [(n, tuple(b)) for n, b in meta["boxes"]], meta["found_all"])
    if base_path.is_file():
        image = Image.open(base_path).convert("RGB")
    else:
        image = _render_base(pdf_path, page_number, scale, base_path)

    import pypdfium2

    narrative = [m for m in marks if m.box is None]
    found: dict[int, tuple[list, list]] = {}
    with _PDFIUM:
        pdf = pypdfium2.PdfDocument(str(pdf_path))
        try:
            page = pdf[page_number - 1]
            try:
                page_top = page.get_mediabox()[3]
                textpage = page.get_textpage()
                try:
                    frame = PageFrame.of(page, textpage, image.size)
                    for mark in narrative:
                        found[mark.number] = find_narrative(textpage, page_top, mark.sentence, mark.text)
                finally:
                    textpage.close()
            finally:
                page.close()
        finally:
            pdf.close()

    def pixels(rect) -> tuple[int, int, int, int]:  # the text layer's rectangles (narrative)
        return frame.user_pixels(rect, page_top)

    width = max(2, round(2 * scale))
    shade = Image.new("RGBA", image.size, (0, 0, 0, 0))
    shade_draw = ImageDraw.Draw(shade)
    for sentence_rects, _ in found.values():
        for rect in sentence_rects:
            x0, y0, x1, y1 = pixels(rect)
            shade_draw.rectangle((x0 - 2, y0 - 2, x1 + 2, y1 + 2), fill=SENTENCE_SHADE)
    if found:
        image = Image.alpha_composite(image.convert("RGBA"), shade).convert("RGB")
    draw = ImageDraw.Draw(image)
    boxes: list[tuple[int, tuple[int, int, int, int]]] = []
    labelled: list[tuple[int, tuple[int, int, int, int], tuple[int, int, int]]] = []
    for mark in marks:
        if mark.box is not None:
            labelled.append((mark.number, frame.cell_pixels(mark.box), CELL_COLOUR))
        else:
            for rect in found.get(mark.number, ([], []))[1]:
                x0, y0, x1, y1 = pixels(rect)
                labelled.append((mark.number, (x0 - 3, y0 - 3, x1 + 3, y1 + 3), FIGURE_COLOUR))
    for number, (x0, y0, x1, y1), colour in labelled:
        draw.rectangle((x0 - width, y0 - width, x1 + width - 1, y1 + width - 1), outline=colour, width=width)
        boxes.append((number, (x0, y0, x1, y1)))
        label = str(number)
        size = round(9 * scale)
        lx1, ly0 = x0 - width - 1, y0 - width
        lx0 = max(0, lx1 - size * len(label) // 2 - size // 2)
        draw.rectangle((lx0, ly0, lx1, ly0 + size), fill=LABEL_BACKGROUND)
        draw.text((lx0 + 2, ly0), label, fill=(255, 255, 255), font_size=size - 2)
    found_all = all(found.get(m.number, ([], []))[1] for m in narrative)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    _atomic_write(marked_path, buffer.getvalue())
    _atomic_write(meta_path, json.dumps({"width": image.width, "height": image.height, "boxes": boxes,
                                         "found_all": found_all}).encode())
    return RenderedPage(marked_path, image.width, image.height, scale, boxes, found_all)
