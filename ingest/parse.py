"""Parse one archived PDF into a `ParsedDocument`: metadata, located tables and their cells.

Each page is read once: its text always (titles, metadata), its tables only when the page
belongs to a table. Anything that makes the document unusable becomes a quarantine reason.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError
from pdfplumber.utils.exceptions import PdfminerException

from ingest import classify, readable, text_lint
from ingest.metadata import read_metadata
from ingest.pagetext import PageTextError, PdfiumPages
from ingest.narrative import extract_narrative
from ingest.performance import extract_performance_indicators
from ingest.records import Cell, CellText, DocumentMetadata, ParsedDocument, QuarantineError, ReportTable
from ingest.tables import coverage
from ingest.tables.grid import ColumnMap, TableLayoutError, read_table_page, rows_to_cells
from ingest.tables.locate import empty_table_note, find_titles, is_narrative_page, is_toc_page, toc_table_keys
from ingest.tables.specs import TableSpec

MAX_PAGES = 600
_AMOUNT_IN_TEXT = re.compile(r"\d\.\d\d(?!\d)")


class _OpenTable:
    """A table being read, possibly over several pages."""

    def __init__(self, spec: TableSpec, title: str, page: int, unit: str | None):
        self.spec = spec
        self.table = ReportTable(spec.key, title, page, page, "parsed", unit=unit)
        self.cmap: ColumnMap | None = None
        self.cells: list[Cell] = []
        self.rows = 0
        # total rows read so far (line_key -> amounts): a continuation page that prints the
        # same 合计 row again adds nothing; its amounts are kept as read (coverage), not as cells
        self.totals: dict[str, dict[str, str]] = {}
        self.repeated: dict[int, list[str]] = {}

    def add_page(self, page_no: int, tables: list[list[list[str | None]]]) -> None:
        self.table.last_page = page_no
        if not self.spec.parsed or self.table.status == "unreadable":
            return
        for rows in tables[:1]:  # the table's grid is the first on its page
            try:
                self.cmap, pending = read_table_page(rows, self.spec, page_no, self.cmap)
            except TableLayoutError as exc:
                self.table.status = "unreadable"
                self.table.note = str(exc)
                return
            pending = self._without_repeated_totals(pending, page_no)
            self.cells.extend(rows_to_cells(pending, self.spec, self.rows))
            self.rows += len(pending)

    def _without_repeated_totals(self, pending: list, page_no: int) -> list:
        """Drop a total row printed again with the same amounts (continuation pages repeating the
        合计 row under their header, or a total printed at the top and at the bottom). A repeat
        with other amounts is kept: the identities then see the line twice and say so."""
        kept = []
        total_keys = set(self.spec.total_lines.values())
        for prow in pending:
            key = prow.line_key if prow.code is None and prow.line_key in total_keys else None
            amounts = {k: v for k, v in prow.amounts.items() if v}
            if key is not None and (prow.side, key) in self.totals:
                if self.totals[(prow.side, key)] == amounts:
                    self.repeated.setdefault(page_no, []).extend(amounts.values())
                    self.table.repeated_totals += 1
                    continue
            elif key is not None:
                self.totals[(prow.side, key)] = amounts
            kept.append(prow)
        return kept

    def close(self, note: str | None) -> ReportTable:
        t = self.table
        t.row_count = self.rows
        if not self.spec.parsed and t.status == "parsed":
            t.status = "not_parsed"
            t.note = "located; the parser for this table family is not written yet"
        elif t.status == "parsed" and not any(c.amount is not None for c in self.cells):
            t.status = "empty"
            # only a note printed on the page (本表无数据…): identity empty_table_note checks it
            t.note = note
        elif note and t.status == "parsed":
            t.note = note
        return t


def _unit(page_text: str) -> str | None:
    from ingest.metadata import main_unit

    return main_unit([page_text])


def parse_pdf(path: Path, document_id: str) -> ParsedDocument:
    """Parse a PDF; never raises for a bad document: returns it quarantined with the reason."""
    started = time.perf_counter()
    meta = DocumentMetadata()
    try:
        doc = _parse(path, document_id, meta)
    except QuarantineError as exc:
        meta.report_kind = exc.report_kind
        doc = ParsedDocument(document_id, "quarantined", exc.reason, meta)
    doc.parse_seconds = time.perf_counter() - started
    return doc


def _open(path: Path):
    try:
        return pdfplumber.open(path)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise QuarantineError("encrypted", f"encrypted PDF (password required): {exc}") from exc
    except PdfminerException as exc:
        inner = exc.args[0] if exc.args else exc
        if isinstance(inner, (PDFPasswordIncorrect, PDFEncryptionError)):
            raise QuarantineError("encrypted", "encrypted PDF (password required)") from exc
        raise QuarantineError("corrupt", f"not a readable PDF ({type(inner).__name__}: {inner})") from exc
    except PDFSyntaxError as exc:
        raise QuarantineError("corrupt", f"not a readable PDF: {exc}") from exc


def _pages(pdf) -> list:
    try:
        return pdf.pages
    except Exception as exc:  # pdfminer raises many types on broken files
        raise QuarantineError("corrupt", f"not a readable PDF ({type(exc).__name__}: {exc})") from exc


def _pdfium(path: Path) -> PdfiumPages | None:
    try:
        return PdfiumPages(path)
    except PageTextError:
        return None  # pdfplumber reads the text and the tables page by page instead


def _open_readable(path: Path, stack: contextlib.ExitStack):
    """(pdfplumber document, its pages, PdfiumPages or None), from `path` or, when the two
    libraries would not read it alike (rotated pages, pages pdfminer misses), from an upright,
    re-saved copy (ingest/readable.py). Raises QuarantineError for a PDF neither reads."""
    first = contextlib.ExitStack()
    pdf = first.enter_context(_open(path))
    pages = _pages(pdf)
    fast = _pdfium(path)
    if fast is not None:
        first.callback(fast.close)
    n = max(len(pages), len(fast) if fast is not None else 0)
    if n > MAX_PAGES:
        first.close()
        raise QuarantineError("too_large", f"{n} pages (limit {MAX_PAGES}): not a departmental report")
    missed = fast is not None and len(fast) > len(pages)  # e.g. cross-reference offsets off
    turns = fast.upright_turns() if fast is not None else {}
    if not missed and not turns:
        if not pages:
            first.close()
            raise QuarantineError("corrupt", "PDF has no pages")
        if fast is not None and len(fast) != len(pages):
            fast = None
        stack.push(first)
        return pdf, pages, fast
    read_by_pdfium, read_by_pdfminer = len(fast), len(pages)
    first.close()
    fd, name = tempfile.mkstemp(prefix="fw-readable-", suffix=".pdf")
    os.close(fd)
    copy = Path(name)
    stack.callback(copy.unlink, missing_ok=True)
    try:
        readable.rewrite(path, copy, turns)
    except Exception as exc:  # PDFium failing to save: say what the two libraries read
        raise QuarantineError("corrupt", f"damaged PDF: PDFium reads {read_by_pdfium} pages, pdfminer "
                                         f"{read_by_pdfminer}, and it could not be rewritten ({exc})") from exc
    pdf = stack.enter_context(_open(copy))
    pages = _pages(pdf)
    fast = _pdfium(copy)
    if fast is not None:
        stack.callback(fast.close)
    if fast is None or len(fast) != len(pages):
        if not pages:
            raise QuarantineError("corrupt", f"damaged PDF: PDFium reads {read_by_pdfium} pages, pdfminer "
                                             f"{read_by_pdfminer}, also once rewritten")
        fast = None
    return pdf, pages, fast


def _parse(path: Path, document_id: str, meta: DocumentMetadata) -> ParsedDocument:
    if path.stat().st_size == 0:
        raise QuarantineError("empty", "empty file (0 bytes)")
    with contextlib.ExitStack() as stack:
        _, pages, fast = _open_readable(path, stack)
        try:
            return _walk_pages(pages, document_id, meta, fast)
        except QuarantineError:
            raise
        except MemoryError as exc:
            raise QuarantineError("too_large", "PDF needs more memory than the parse limit (decompression bomb?)") from exc
        except Exception as exc:
            if "allocate" in str(exc):  # zlib/pdfminer running out of the worker's memory cap
                raise QuarantineError(
                    "too_large", f"PDF content inflates beyond the memory limit (decompression bomb?): {exc}") from exc
            raise QuarantineError("corrupt", f"PDF could not be read ({type(exc).__name__}: {exc})") from exc


class _TableReader:
    """The table grids of a page (pdfplumber's table finder), with the characters and lines read
    by PDFium when it can, and each grid's bounding box (PDF points, top-left origin).

    pdfplumber's table finder and cell text stay in charge; only pdfminer's interpretation of
    the content stream (80 % of the time on a table page) is replaced, by seeding the page's
    object cache. Pages PDFium cannot reproduce exactly go through pdfminer as before.
    """

    def __init__(self, fast: PdfiumPages | None):
        self.fast = fast
        self.engines = {"pdfium": 0, "pdfminer": 0}
        self._found: dict[int, list] = {}  # a page can be asked twice (title page, then as continuation)

    def found(self, page) -> list:
        """pdfplumber `Table` objects of the page, top to bottom."""
        if page.page_number in self._found:
            return self._found[page.page_number]
        objects = self.fast.table_objects(page.page_number - 1) if self.fast is not None else None
        if objects is not None:
            for kind in objects.values():
                for obj in kind:
                    obj["doctop"] = obj["top"] + page.initial_doctop
            page._objects = objects  # pdfplumber's cache of the page's objects
            self.engines["pdfium"] += 1
        else:
            self.engines["pdfminer"] += 1
        found = self._found[page.page_number] = sorted(page.find_tables(), key=lambda t: (t.bbox[1], t.bbox[0]))
        return found

    def __call__(self, page) -> list:
        """The page's grids as lists of rows of cell texts (`extract_tables()`)."""
        return [_grid(table) for table in self.found(page)]


def _grid(table) -> list[list[CellText | None]]:
    """`table.extract()`, each text knowing its cell's rectangle (pdfplumber's row cells are the
    bounding boxes extract() reads the texts from, in the same order)."""
    return [[None if text is None else CellText(text, box) for text, box in zip(texts, row.cells)]
            for texts, row in zip(table.extract(), table.rows)]


def _title_top(page, title: str) -> float | None:
    """Where a title is printed on the page (top, PDF points), found in the page's characters."""
    chars = [re.escape(ch) for ch in title if not ch.isspace()]
    if not chars:
        return None
    try:
        hits = page.search(r"\s*".join(chars), regex=True, return_chars=False)
    except Exception:  # pdfplumber's search on an unusual page: fall back to line order
        return None
    return hits[0]["top"] if hits else None


def _where(page, token: str) -> tuple[float, float] | None:
    """Where an amount token is printed on a page (x0, top in PDF points), for a coverage note."""
    try:
        hits = page.search(re.escape(token), regex=True, return_chars=False)
    except Exception:
        return None
    return (hits[0]["x0"], hits[0]["top"]) if hits else None


def _grids_by_title(page, titles: list[tuple[TableSpec, str]], found: list) -> tuple[list, list[list]]:
    """Split a page's grids between the tables whose titles are printed on it (two tables on one
    page, or the end of the previous table above a new title): a grid belongs to the nearest
    title above it. Returns (grids above every title, one grid list per title)."""
    grids = [_grid(t) for t in found]
    if len(titles) == 1 and len(found) <= 1:
        return [], [grids]
    tops = [_title_top(page, title) for _, title in titles]
    if any(top is None for top in tops):
        # positions unknown: keep the order of the page (first title first)
        return [], [grids[i:i + 1] for i in range(len(titles) - 1)] + [grids[len(titles) - 1:]]
    before: list = []
    per_title: list[list] = [[] for _ in titles]
    order = sorted(range(len(titles)), key=lambda i: tops[i])
    for table, grid in zip(found, grids):
        above = [i for i in order if tops[i] <= table.bbox[1] + 1]
        (per_title[above[-1]] if above else before).append(grid)
    return before, per_title


def _walk_pages(pages, document_id: str, meta: DocumentMetadata, fast: PdfiumPages | None) -> ParsedDocument:
    texts = fast.texts() if fast is not None else None
    extract_tables = _TableReader(fast)
    page_texts: list[str] = []
    tables: list[ReportTable] = []
    cells: list[Cell] = []
    current: _OpenTable | None = None
    note: str | None = None
    seen_keys: set[str] = set()

    repeated: dict[int, list[str]] = {}

    def close_current() -> None:
        nonlocal current, note
        if current is not None:
            tables.append(current.close(note))
            cells.extend(current.cells)
            for page, raws in current.repeated.items():
                repeated.setdefault(page, []).extend(raws)
        current, note = None, None

    for page_no, page in enumerate(pages, start=1):
        text = texts[page_no - 1] if texts is not None else (page.extract_text(y_tolerance=5) or "")
        page_texts.append(text)
        if page_no == 1:
            classify.check_not_scanned([text], [len(page.images)]) if not text.strip() and len(pages) == 1 else None
        if is_toc_page(text):
            continue  # the 目录 lists titles; it holds no table
        titles = find_titles(text)
        new = [(spec, title) for spec, title, _ in titles if spec is not None and spec.key not in seen_keys]
        if new:
            # An empty table (本表无数据 and no amount on the page) needs no table geometry:
            # skipping pdfplumber there saves its slowest work on a page with nothing to read.
            page_note = empty_table_note(text)
            skip = page_note and not _AMOUNT_IN_TEXT.search(text)
            found = [] if skip else extract_tables.found(page)
            if found or page_note:
                before, per_title = _grids_by_title(page, new, found)
                if current is not None and before:
                    current.add_page(page_no, before)  # the end of the table above the title
                for (spec, title), grids in zip(new, per_title):
                    close_current()
                    seen_keys.add(spec.key)
                    current = _OpenTable(spec, title, page_no, _unit(text))
                    current.add_page(page_no, grids)
                    note = page_note
                continue
        unknown = next((title for spec, title, _ in titles if spec is None), None)
        if unknown and not any(spec is not None for spec, _, _ in titles) and extract_tables(page):
            close_current()
            tables.append(ReportTable("unknown", unknown, page_no, page_no, "unknown_title"))
            continue
        if current is not None:
            if is_narrative_page(text):
                close_current()
                continue
            grids = extract_tables(page)
            if grids:
                current.add_page(page_no, grids)
            note = note or empty_table_note(text)
    close_current()
    coverage.measure(tables, cells, page_texts, repeated, lambda page, token: _where(pages[page - 1], token))

    image_counts = [0] * len(page_texts)
    if not any(t.strip() for t in page_texts):
        image_counts = [len(p.images) for p in pages]
    classify.check_not_scanned(page_texts, image_counts)
    found = read_metadata(page_texts)
    meta.__dict__.update(found.__dict__)
    listed = toc_table_keys(page_texts)
    meta.toc_tables = ",".join(listed) if listed else None
    meta.text_lint = text_lint.lint(page_texts, {p for t in tables for p in range(t.first_page, t.last_page + 1)})
    classify.check_report_kind(meta)
    classify.check_template(meta, page_texts)
    known = [t for t in tables if t.table_key != "unknown"]
    classify.check_has_tables(known)
    classify.check_has_amounts(cells)
    figures = extract_narrative(page_texts)  # pure functions over the texts: never raise
    indicators = extract_performance_indicators(page_texts)
    return ParsedDocument(document_id, "loaded", None, meta, tables, cells,
                          narrative_figures=figures, performance_indicators=indicators,
                          table_engines=extract_tables.engines)
