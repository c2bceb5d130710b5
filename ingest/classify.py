"""Decide what kind of document a PDF is, and quarantine what must not be loaded as data.

Each check raises `QuarantineError(report_kind, reason)`; the reason is meant for an operator.
"""
from __future__ import annotations

import re

from ingest.records import Cell, DocumentMetadata, QuarantineError, ReportTable

_PLACEHOLDER = re.compile(r"X{2,}|×{2,}|ＸＸ")


def check_not_scanned(page_texts: list[str], image_counts: list[int]) -> None:
    if any(t.strip() for t in page_texts):
        return
    if any(image_counts):
        raise QuarantineError(
            "scanned",
            "scanned (image-only) PDF: no text layer on any page; OCR is not supported",
        )
    raise QuarantineError("empty", "PDF has pages but no text and no images (blank document)")


def check_report_kind(meta: DocumentMetadata) -> None:
    if meta.report_kind == "budget":
        raise QuarantineError(
            "budget",
            "部门预算 (budget), not a 部门决算 (final accounts): budgets are not loaded yet",
        )


def check_template(meta: DocumentMetadata, page_texts: list[str]) -> None:
    dept = meta.department or ""
    if _PLACEHOLDER.search(dept):
        raise QuarantineError(
            "template",
            f"blank template: department name is a placeholder ({dept!r}), no real report",
        )


def check_has_tables(tables: list[ReportTable]) -> None:
    if not tables:
        raise QuarantineError(
            "not_a_report",
            "no standard 部门决算 table title found (收入支出决算总表, 支出决算表, ...): not a report",
        )


def check_has_amounts(cells: list[Cell]) -> None:
    if not any(c.amount not in (None, 0) for c in cells):
        raise QuarantineError(
            "template",
            "tables are present but contain no amounts (blank template or empty report)",
        )
