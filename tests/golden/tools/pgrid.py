"""An independent grid reader for establishing golden files (needs poppler-utils; tests don't).

Words and their boxes come from poppler (`pdftotext -bbox`), the ruling lines of the page from
pdfplumber's drawing objects (`page.horizontal_edges` / `vertical_edges`), never from the
parser or from pdfplumber's table extraction. A word belongs to the cell (band between two
horizontal rules, interval between two vertical rules) that contains its centre.
"""
from __future__ import annotations

import html
import re
import subprocess
from dataclasses import dataclass

import pdfplumber

_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def poppler_words(pdf: str, page: int) -> list[tuple[float, float, float, float, str]]:
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), pdf, "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(*map(float, m.groups()[:4]), html.unescape(m.group(5))) for m in _WORD.finditer(out)]


def _merge(values: list[float], tol: float = 1.5) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


@dataclass
class PageGrid:
    page: int
    hs: list[float]  # horizontal rules (top to bottom)
    vs: list[float]  # vertical rules (left to right)
    cells: dict[tuple[int, int], str]  # (band, column) -> text, words joined in reading order

    def text(self, band: int, col: int) -> str:
        return self.cells.get((band, col), "")

    @property
    def n_bands(self) -> int:
        return len(self.hs) - 1

    @property
    def n_cols(self) -> int:
        return len(self.vs) - 1


def page_grid(pdf: str, page: int, min_len: float = 20.0) -> PageGrid:
    with pdfplumber.open(pdf) as doc:
        p = doc.pages[page - 1]
        hs = _merge([e["top"] for e in p.horizontal_edges if e["x1"] - e["x0"] >= min_len])
        vs = _merge([e["x0"] for e in p.vertical_edges if e["bottom"] - e["top"] >= 5])
    placed: dict[tuple[int, int], list] = {}
    for x0, y0, x1, y1, text in poppler_words(pdf, page):
        xc, yc = (x0 + x1) / 2, (y0 + y1) / 2
        band = next((i for i in range(len(hs) - 1) if hs[i] <= yc < hs[i + 1]), None)
        col = next((j for j in range(len(vs) - 1) if vs[j] <= xc < vs[j + 1]), None)
        if band is not None and col is not None:
            placed.setdefault((band, col), []).append((round(yc / 3), x0, text))
    cells = {k: "".join(t for _, _, t in sorted(v)) for k, v in placed.items()}
    return PageGrid(page, hs, vs, cells)


def show(pdf: str, page: int) -> None:
    g = page_grid(pdf, page)
    print(f"page {page}: {g.n_bands} bands, {g.n_cols} columns; vs={[round(v) for v in g.vs]}")
    for b in range(g.n_bands):
        row = [g.text(b, c) for c in range(g.n_cols)]
        if any(row):
            print(f"  {b:3d} {row}")


if __name__ == "__main__":
    import sys

    for n in sys.argv[2:]:
        show(sys.argv[1], int(n))
