"""Typed records every parser emits; the staging loader writes them to DuckDB as they are.

Amounts are `decimal.Decimal` from the moment they leave the PDF text; they are serialised as
strings (never floats) in the parse cache and cast to DECIMAL(18,2) by DuckDB.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

PARSER_VERSION = "2026.11.26-1"


@dataclass(frozen=True)
class Cell:
    """One cell of a data row, with its full provenance."""

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


@dataclass
class ReportTable:
    """A standard table located in a document (parsed, empty with a note, or unreadable)."""

    table_key: str
    title: str
    first_page: int
    last_page: int
    status: str  # parsed | empty | unreadable
    note: str | None = None
    unit: str | None = None
    row_count: int = 0


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
                Cell(**{**c, "amount": None if c["amount"] is None else Decimal(c["amount"])})
                for c in data["cells"]
            ],
            parser_version=data["parser_version"],
            parse_seconds=data.get("parse_seconds", 0.0),
        )


class QuarantineError(Exception):
    """Raised by a parsing step when a document must be quarantined; the message is the reason."""

    def __init__(self, report_kind: str, reason: str):
        super().__init__(reason)
        self.report_kind = report_kind
        self.reason = reason
