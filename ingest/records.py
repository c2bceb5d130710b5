"""Typed records every parser emits; the staging loader writes them to DuckDB as they are.

Amounts are `decimal.Decimal` from the moment they leave the PDF text; they are serialised as
strings (never floats) in the parse cache and cast to DECIMAL(18,2) by DuckDB.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

# 2026.12.03: titles anywhere on a page, the 目录, parse coverage, section-scoped narrative; rotated
# pages read upright and pages pdfminer misses read from a re-saved copy (ingest/readable.py)
PARSER_VERSION = "2026.12.03-running-headers-repeated-totals-14"


class CellText(str):
    """A grid cell's text that knows where it is printed: (x0, top, x1, bottom) in PDF points,
    top-left origin (pdfplumber's convention). Plain string operations give a plain str."""

    bbox: tuple[float, float, float, float] | None

    def __new__(cls, text: str, bbox: tuple[float, float, float, float] | None = None) -> "CellText":
        obj = super().__new__(cls, text)
        obj.bbox = bbox
        return obj


@dataclass(frozen=True)
class Cell:
    """One cell of a data row, with its full provenance (page and rectangle on the page)."""

    table_key: str
    page: int
    row_index: int
    row_label: str
    code: str | None
    line_key: str | None
    side: str | None
    column_key: str
    raw_text: str
    amount: Decimal | None
    # where the cell is printed: (x0, top, x1, bottom), PDF points rounded to 0.01, top-left origin
    bbox: tuple[float, float, float, float] | None = None


@dataclass
class ReportTable:
    """A standard table located in a document (parsed, empty with a note, or unreadable)."""

    table_key: str
    title: str
    first_page: int
    last_page: int
    status: str  # parsed | partial | empty | unreadable | not_parsed | unknown_title
    note: str | None = None
    unit: str | None = None
    row_count: int = 0
    # parse coverage (ingest/tables/coverage.py): amount tokens printed on the table's pages,
    # how many parsed cells consumed, and the ones left unaccounted (page, text, position)
    amount_tokens: int | None = None
    amounts_read: int | None = None
    unaccounted: str | None = None
    # total rows (合计) printed again with the same amounts: read once, the repeats counted here
    # (identity repeated_total_agrees); a repeat with other amounts stays a row of its own
    repeated_totals: int = 0


@dataclass
class DocumentMetadata:
    department: str | None = None
    region: str | None = None
    fiscal_year: int | None = None
    report_kind: str | None = None
    unit: str | None = None
    page_count: int | None = None
    # The department named above the tables (部门：/单位：/单位名称： lines), most frequent first.
    department_in_headings: str | None = None
    # Disagreements between cover and headings, recorded rather than silently resolved
    # ("department: cover 'A' vs headings 'B'"), joined by "; "; None when all agree.
    metadata_conflicts: str | None = None
    # The standard tables the document's own 目录 lists (table keys, comma-separated, in order);
    # None when it has no 目录 listing tables. Completeness is judged against it.
    toc_tables: str | None = None
    # template placeholders (XX局, ××) found anywhere in the text: `p3 '…XX局…'; …`
    placeholders: str | None = None
    # typographic defects (ingest/text_lint.py): `kind|page|where; …` (repeated punctuation,
    # a section number printed twice in a row)
    text_lint: str | None = None


@dataclass(frozen=True)
class NarrativeFigure:
    """One figure the narrative (情况说明) states, with the sentence and page it was read from.

    `value` is exactly as printed and `unit` as printed (万元, 元, %, 辆, 台（套）; None when a % sign
    is missing); `unit_suspect` records a unit that looks wrong (`115.53元` among 万元 figures),
    it never converts. figure_key says what the figure is (income_total, share, item_budget, ...),
    subject what it is about (for share / yoy_change / completion_rate the figure_key of the line,
    with `.item` for a 三公 line; for three_public_* the 三公 item; a vehicle type; ...).
    """

    page: int
    section: str
    subsection: str | None
    sentence: str
    figure_key: str
    subject: str | None
    value: Decimal
    unit: str | None
    unit_suspect: bool = False
    raw_text: str = ""
    class_name: str | None = None  # 类/款/项 names as printed; class_code from the 类 name
    kuan_name: str | None = None
    item_name: str | None = None
    class_code: str | None = None
    comparison_word: str | None = None  # 大于/小于/等于/持平 (budget vs final), 增加/减少... (changes)
    relative_to: str | None = None  # the whole a share is of, as printed (本年支出合计)


@dataclass(frozen=True)
class PerformanceIndicator:
    """One row of the 部门整体支出绩效自评表: indicator, target, actual as printed; weight and score."""

    page: int
    table_title: str
    category: str | None  # the 二级指标 (数量指标, 质量指标, ...) the row sits under, when read
    indicator: str
    target: str | None
    actual: str | None
    weight: Decimal | None
    score: Decimal | None
    note: str | None = None


def _with_decimals_as_str(record, *names: str) -> dict:
    row = asdict(record)
    for name in names:
        row[name] = None if row[name] is None else str(row[name])
    return row


@dataclass
class ParsedDocument:
    """Everything the parser learnt from one document: the unit of the parse cache."""

    document_id: str
    status: str  # loaded | quarantined
    quarantine_reason: str | None
    metadata: DocumentMetadata
    tables: list[ReportTable] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    parser_version: str = PARSER_VERSION
    parse_seconds: float = 0.0
    narrative_figures: list[NarrativeFigure] = field(default_factory=list)
    performance_indicators: list[PerformanceIndicator] = field(default_factory=list)
    # table pages read through PDFium's objects vs through pdfminer (observability, not data)
    table_engines: dict[str, int] = field(default_factory=dict)

    def to_json_dict(self) -> dict:
        return {
            "document_id": self.document_id,
            "status": self.status,
            "quarantine_reason": self.quarantine_reason,
            "metadata": asdict(self.metadata),
            "tables": [asdict(t) for t in self.tables],
            "cells": [
                {**asdict(c), "amount": None if c.amount is None else str(c.amount)} for c in self.cells
            ],
            "parser_version": self.parser_version,
            "parse_seconds": round(self.parse_seconds, 3),
            "table_engines": self.table_engines,
            "narrative_figures": [_with_decimals_as_str(f, "value") for f in self.narrative_figures],
            "performance_indicators": [
                _with_decimals_as_str(p, "weight", "score") for p in self.performance_indicators
            ],
        }

    @classmethod
    def from_json_dict(cls, data: dict) -> "ParsedDocument":
        return cls(
            document_id=data["document_id"],
            status=data["status"],
            quarantine_reason=data["quarantine_reason"],
            metadata=DocumentMetadata(**data["metadata"]),
            tables=[ReportTable(**t) for t in data["tables"]],
            cells=[
                Cell(**{**c, "amount": None if c["amount"] is None else Decimal(c["amount"]),
                        "bbox": None if c.get("bbox") is None else tuple(c["bbox"])})
                for c in data["cells"]
            ],
            parser_version=data["parser_version"],
            parse_seconds=data.get("parse_seconds", 0.0),
            table_engines=data.get("table_engines") or {},
            narrative_figures=[
                NarrativeFigure(**{**f, "value": Decimal(f["value"])})
                for f in data.get("narrative_figures") or []
            ],
            performance_indicators=[
                PerformanceIndicator(**{**p, "weight": None if p["weight"] is None else Decimal(p["weight"]),
                                        "score": None if p["score"] is None else Decimal(p["score"])})
                for p in data.get("performance_indicators") or []
            ],
        )


class QuarantineError(Exception):
    """Raised by a parsing step when a document must be quarantined; the message is the reason."""

    def __init__(self, report_kind: str, reason: str):
        super().__init__(reason)
        self.report_kind = report_kind
        self.reason = reason
