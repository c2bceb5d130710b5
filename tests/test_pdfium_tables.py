"""The fast table path (PDFium's characters and lines fed to pdfplumber's table finder) must give
exactly the tables pdfminer's interpretation gives, on every table page we have."""
from __future__ import annotations

from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from pdfplumber.page import Page

from demo.generate import generate_corpus
from ingest.parse import parse_pdf
from ingest.tables.pdfium_objects import UnsupportedPage, page_objects
from tests.conftest import CORPUS, require_corpus


def _compare(path: Path) -> tuple[int, int]:
    """(table pages read by PDFium identically, table pages PDFium declined); fails on a difference."""
    same = declined = 0
    doc = pypdfium2.PdfDocument(str(path))
    try:
        with pdfplumber.open(path) as pdf:
            for index, page in enumerate(pdf.pages):
                expected = page.extract_tables()
                if not expected:
                    continue
                try:
                    objects = page_objects(doc[index], index, lambda: pypdfium2.PdfDocument(str(path)))
                except UnsupportedPage:
                    declined += 1
                    continue
                fast = Page(pdf, page.page_obj, page.page_number, page.initial_doctop)
                for kind in objects.values():
                    for obj in kind:
                        obj["doctop"] = obj["top"] + page.initial_doctop
                fast._objects = objects
                assert fast.extract_tables() == expected, f"{path.name} page {index + 1}"
                same += 1
    finally:
        doc.close()
    return same, declined


# Table pages each named document has: (read by PDFium identically, declined to pdfminer). Named,
# so that a report added to ../shared/corpus never changes what this test asserts.
NAMED_TABLE_PAGES = {
    "final/上海市普陀区财政局2024年度部门决算.pdf": (15, 1),  # one blank grid page: no characters at all
    "final/中共上海市普陀区委社会工作部 2024 年度部门决算.pdf": (13, 0),
    "budget/西南大学_2023部门预算.pdf": (29, 0),
}


def test_real_documents_read_identically_and_fast():
    require_corpus()
    counts = {name: _compare(CORPUS / name) for name in NAMED_TABLE_PAGES}
    # Every table page is read by PDFium except one blank grid page of the 财政局 report (pdfminer
    # decides what is on it). The budget's pages with one-character objects (spaces) in fonts
    # without glyph boxes are read with those objects recovered.
    assert counts == NAMED_TABLE_PAGES
    finance = CORPUS / "final" / "上海市普陀区财政局2024年度部门决算.pdf"
    doc = parse_pdf(finance, "finance")
    # 12 table pages read by PDFium: the 目录 page, whose entries look like titles, is not read as
    # a table page any more (it was the 13th)
    assert doc.table_engines == {"pdfium": 12, "pdfminer": 1}
    assert len(doc.cells) == 565


def _corpus_pdfs() -> list[str]:
    return sorted(str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*.pdf")) if CORPUS.exists() else []


@pytest.mark.parametrize("name", _corpus_pdfs())
def test_every_real_table_page_reads_identically_on_both_paths(name):
    """Whatever the corpus holds: a page PDFium reads gives pdfminer's tables exactly (or is declined)."""
    same, declined = _compare(CORPUS / name)
    assert same + declined >= 0  # _compare fails on the first page that differs


def test_demo_documents_read_identically(tmp_path):
    paths = generate_corpus(tmp_path, count=8, seed=11)
    same = declined = 0
    for path in paths:
        s, d = _compare(path)
        same, declined = same + s, declined + d
    # Demo PDFs use a non-embedded CJK font: on a machine without a CJK font PDFium has no glyph
    # boxes for it and its text page drops one-character text objects (类/款/项 headers, a wrapped
    # last character), which are recovered by pdfminer from a copy of the page holding only them;
    # with a CJK font (fonts-noto-cjk, pulled in by chromium) nothing is dropped. Either way the
    # tables are pdfminer's.
    assert same > 50 and declined == 0


def _pdf_with_one_character_objects(path: Path) -> Path:
    """A page with single-space text objects in base-14 fonts: their glyphs have no box, so
    PDFium's text page drops them whatever fonts the machine has (pdfminer keeps them)."""
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path))
    c.setFont("Helvetica", 10)
    c.drawString(100, 700, "Total 12.50")
    for x in (100, 150, 200):
        text = c.beginText(x, 680)
        text.setFont("Helvetica", 10)
        text.textOut(" ")
        c.drawText(text)
    c.save()
    return path


def test_recovers_the_one_character_objects_pdfium_drops(tmp_path):
    assert _recover_all(_pdf_with_one_character_objects(tmp_path / "spaces.pdf")) == 1


def _recover_all(path: Path) -> int:
    doc = pypdfium2.PdfDocument(str(path))
    recovered = 0
    for index in range(len(doc)):
        try:
            page_objects(doc[index])  # no way to reopen the document: such a page is declined
        except UnsupportedPage as exc:
            assert str(exc) == "text object without width (PDFium would drop it)"
            objects = page_objects(doc[index], index, lambda: pypdfium2.PdfDocument(str(path)))
            with pdfplumber.open(path) as pdf:
                expected = sorted((c["text"], round(c["x0"], 2), round(c["top"], 1)) for c in pdf.pages[index].chars)
            got = sorted((c["text"], round(c["x0"], 2), round(c["top"], 1)) for c in objects["char"])
            assert [g[:2] for g in got] == [e[:2] for e in expected]  # every character, once
            recovered += 1
    return recovered


@pytest.mark.parametrize("name", ["上海市普陀区财政局2024年度部门决算.pdf"])
def test_fast_path_keeps_the_cell_values(name):
    require_corpus()
    doc = parse_pdf(CORPUS / "final" / name, "x")
    by_code = {(c.table_key, c.code, c.column_key): c.amount for c in doc.cells if c.code}
    from decimal import Decimal

    assert by_code[("t3_expenditure", "2010601", "total")] == Decimal("1511.89")
    assert by_code[("t3_expenditure", "2010601", "basic")] == Decimal("1503.52")
