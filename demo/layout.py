"""Drawing primitives: text lines, wrapped paragraphs and ruled grid tables on a reportlab canvas.

Tables are drawn cell by cell as stroked rectangles, so every cell is bordered and pdfplumber's
default `page.extract_tables()` (line strategy) recovers the grid; a merged header cell is simply
one larger rectangle, which pdfplumber reports as the text in its first position and None in the
others. A table that does not fit continues on the next page without its header rows, as in the
published reports.

We use the canvas directly (not platypus): a document is ~20 pages and a few thousand rectangles,
and the generator must produce 1000 documents quickly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
PORTRAIT = A4
LANDSCAPE = landscape(A4)
MARGIN = 40.0
PAD = 3.0

_registered = False
_widths: dict[str, float] = {}


def register_font() -> str:
    """Register the built-in CID font (needs no font file; pdfplumber decodes it exactly)."""
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def text_width(text: str, size: float) -> float:
    total = 0.0
    for ch in text:
        w = _widths.get(ch)
        if w is None:
            w = _widths[ch] = pdfmetrics.stringWidth(ch, FONT, 1000) / 1000
        total += w
    return total * size


_TOKEN = re.compile(r"[0-9A-Za-z.,%]+|.", re.S)
_NO_LINE_START = set("，。；：、）」”！？")


def wrap(text: str, width: float, size: float, hang: bool = False) -> list[str]:
    """Break text into lines no wider than width; runs of digits/latin are never split.

    hang=True lets closing punctuation hang past the margin rather than start a line (禁则);
    only for prose, since in a table cell a hanging character could leave its cell.
    """
    if not text:
        return [""]
    lines: list[str] = []
    for para in text.split("\n"):
        cur, cur_w = "", 0.0
        for tok in _TOKEN.findall(para):
            w = text_width(tok, size)
            if cur and cur_w + w > width and not (hang and tok in _NO_LINE_START):
                lines.append(cur)
                cur, cur_w = "", 0.0
            cur += tok
            cur_w += w
        lines.append(cur)
    return lines


@dataclass
class HCell:
    """A header cell at (row, col) of the header block, possibly spanning rows and columns."""
    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass
class Cell:
    """A body cell; span > 1 merges it with the following cells of the row."""
    text: str = ""
    span: int = 1
    align: str = "l"      # l, r, c


@dataclass
class Grid:
    widths: list[float]
    header: list[HCell]
    rows: list[list[Cell]]
    font_size: float = 8.0
    header_rows: int = 0
    min_height: float = 16.0

    def __post_init__(self) -> None:
        if not self.header_rows:
            self.header_rows = max((h.row + h.rowspan for h in self.header), default=0)


@dataclass
class Writer:
    """A canvas plus a cursor; pages are numbered from 1 as pdfplumber does."""
    path: Path
    page: int = 1
    orientation: tuple = PORTRAIT
    y: float = 0.0
    started: bool = False
    _c: canvas.Canvas = field(init=False)

    def __post_init__(self) -> None:
        register_font()
        # invariant=1: fixed creation date and document id, so the same input gives the same bytes
        self._c = canvas.Canvas(str(self.path), pagesize=PORTRAIT, invariant=1, pageCompression=1)
        self._start(PORTRAIT)

    # ------------------------------------------------------------ pages
    def _start(self, orientation: tuple) -> None:
        self.orientation = orientation
        self._c.setPageSize(orientation)
        self._c.setLineWidth(0.6)
        self.y = orientation[1] - MARGIN
        self.started = False

    @property
    def width(self) -> float:
        return self.orientation[0] - 2 * MARGIN

    def new_page(self, orientation: tuple | None = None) -> None:
        """Start a new page unless the current one is still blank."""
        if self.started:
            self._c.showPage()
            self.page += 1
            self._start(orientation or self.orientation)
        elif orientation and orientation != self.orientation:
            self._start(orientation)

    def ensure(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.new_page()

    def save(self) -> int:
        """Write the file; returns the page count."""
        self._c.showPage()
        self._c.save()
        return self.page

    # ------------------------------------------------------------ text
    def text(self, text: str, size: float = 10.5, align: str = "l", gap: float = 6.0) -> None:
        """One line of text at the cursor (align l / c / r)."""
        self.ensure(size + gap)
        self.y -= size
        self._draw(text, size, MARGIN, self.width, align, self.y)
        self.y -= gap
        self.started = True

    def texts(self, parts: list[tuple[str, str]], size: float = 9.0, gap: float = 6.0) -> None:
        """Several pieces on one line, e.g. [("部门：…", "l"), ("2021年度", "c"), ("单位：万元", "r")]."""
        self.ensure(size + gap)
        self.y -= size
        for text, align in parts:
            self._draw(text, size, MARGIN, self.width, align, self.y)
        self.y -= gap
        self.started = True

    def paragraph(self, text: str, size: float = 10.5, indent: bool = True, gap: float = 4.0) -> None:
        lead = size * 1.6
        body = ("\u3000\u3000" if indent else "") + text
        for line in wrap(body, self.width, size, hang=True):
            self.ensure(lead)
            self.y -= lead
            self._c.setFont(FONT, size)
            self._c.drawString(MARGIN, self.y + (lead - size) / 2, line)
            self.started = True
        self.y -= gap

    def space(self, h: float) -> None:
        self.y -= h

    def _draw(self, text: str, size: float, x: float, w: float, align: str, y: float) -> None:
        self._c.setFont(FONT, size)
        if align == "c":
            self._c.drawCentredString(x + w / 2, y, text)
        elif align == "r":
            self._c.drawRightString(x + w, y, text)
        else:
            self._c.drawString(x, y, text)

    # ------------------------------------------------------------ tables
    def grid(self, g: Grid) -> tuple[int, int]:
        """Draw a ruled table at the cursor; returns (first page, last page) it occupies."""
        size, lead = g.font_size, g.font_size * 1.25
        x0 = MARGIN + max(0.0, (self.width - sum(g.widths)) / 2)
        xs = [x0]
        for w in g.widths:
            xs.append(xs[-1] + w)

        heights = self._header_heights(g, lead)
        body = [self._row_layout(g, r, xs, lead) for r in g.rows]
        first_body = body[0][0] if body else 0.0
        self.ensure(sum(heights) + first_body)
        first = self.page
        top = self.y
        row_tops = [top]
        for h in heights:
            row_tops.append(row_tops[-1] - h)
        for hc in g.header:
            x, w = xs[hc.col], xs[hc.col + hc.colspan] - xs[hc.col]
            y_top, y_bot = row_tops[hc.row], row_tops[hc.row + hc.rowspan]
            self._cell(hc.text, x, y_bot, w, y_top - y_bot, size, lead, "c")
        self.y = row_tops[-1]
        self.started = True
        for height, cells in body:
            if self.y - height < MARGIN:
                self.new_page()
                self.started = True
            for text, x, w, align in cells:
                self._cell(text, x, self.y - height, w, height, size, lead, align)
            self.y -= height
        return first, self.page

    def _header_heights(self, g: Grid, lead: float) -> list[float]:
        hs = [g.min_height] * g.header_rows
        widths = lambda hc: sum(g.widths[hc.col:hc.col + hc.colspan]) - 2 * PAD  # noqa: E731
        for hc in g.header:
            if hc.rowspan == 1:
                need = len(wrap(hc.text, widths(hc), g.font_size)) * lead + 2 * PAD
                hs[hc.row] = max(hs[hc.row], need)
        for hc in g.header:
            if hc.rowspan > 1:
                need = len(wrap(hc.text, widths(hc), g.font_size)) * lead + 2 * PAD
                have = sum(hs[hc.row:hc.row + hc.rowspan])
                if need > have:
                    hs[hc.row + hc.rowspan - 1] += need - have
        return hs

    def _row_layout(self, g: Grid, row: list[Cell], xs: list[float], lead: float):
        cells, col, n_lines = [], 0, 1
        for c in row:
            x, w = xs[col], xs[col + c.span] - xs[col]
            n_lines = max(n_lines, len(wrap(c.text, w - 2 * PAD, g.font_size)))
            cells.append((c.text, x, w, c.align))
            col += c.span
        assert col == len(g.widths), f"row has {col} columns, table has {len(g.widths)}: {row}"
        return max(g.min_height, n_lines * lead + 2 * PAD), cells

    def _cell(self, text: str, x: float, y: float, w: float, h: float, size: float, lead: float,
              align: str) -> None:
        c = self._c
        c.rect(x, y, w, h, stroke=1, fill=0)
        if not text:
            return
        lines = wrap(text, w - 2 * PAD, size)
        c.setFont(FONT, size)
        # centre the block of lines vertically; baseline sits ~0.3 of the line height above its bottom
        block_top = y + h / 2 + len(lines) * lead / 2
        for i, line in enumerate(lines):
            base = block_top - (i + 1) * lead + (lead - size) / 2 + size * 0.12
            if align == "r":
                c.drawRightString(x + w - PAD, base, line)
            elif align == "c":
                c.drawCentredString(x + w / 2, base, line)
            else:
                c.drawString(x + PAD, base, line)
