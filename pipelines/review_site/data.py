"""What the review site reads: the PUBLISHED warehouse (read-only) and the decisions file.

One read-only DuckDB connection per publication: every request checks the published file's
inode, modification time and size and takes a cursor of the connection opened on that file
(connecting costs 0.1 s here, as much as the rest of an image request). When the night has
renamed a new file into place, the next request waits for the requests still reading the old
one, closes it and connects anew: DuckDB shares one database instance per path within a
process, so a connection left open on the old file would hand the new connection the old data.
The night never opens the published file (it writes a new one and renames it over the old), so
the site holds nothing the night needs, and it never touches the working file. Decisions are read from `<data_dir>/reviews/decisions.jsonl` on every request,
the file the CLI appends to, so a decision shows at once.
"""
from __future__ import annotations

import contextlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from expectations.review import Decision, ReviewError, decisions_file, read_decisions
from expectations.results_table import PARSER_PROBLEM_SQL, is_parser_problem
from expectations.review_report import Failure, failures_from, short_id

DOCUMENT_ID = re.compile(r"[0-9a-f]{64}")
STATES = ("open", "decided", "reopened", "problems", "none")


class NotFound(Exception):
    """An id the warehouse does not know (answered 404)."""


@dataclass
class DocumentRow:
    document_id: str
    department: str | None
    region: str | None
    fiscal_year: int | None
    report_kind: str | None
    status: str
    quarantine_reason: str | None
    file_name: str | None
    page_count: int | None
    archive_path: str | None
    open: int = 0
    decided: int = 0
    reopened: int = 0
    problems: int = 0
    identities: set[str] = field(default_factory=set)

    @property
    def short(self) -> str:
        return self.document_id[:12]


class Store:
    """The published warehouse and the decisions, as the site reads them."""

    def __init__(self, warehouse: Path, data_dir: Path):
        self.warehouse = Path(warehouse)
        self.data_dir = Path(data_dir)
        self.decisions_path = decisions_file(self.data_dir)
        self.cache_dir = self.data_dir / "review_cache"
        self._cond = threading.Condition()
        self._con = None
        self._stamp: tuple | None = None
        self._active = 0  # cursors in use
        self.connections_opened = 0

    @contextlib.contextmanager
    def connect(self):
        """A cursor on the current publication (read-only). Not to be nested."""
        import duckdb

        try:
            stat = os.stat(self.warehouse)
        except FileNotFoundError:
            raise ReviewError(f"warehouse '{self.warehouse}' not found: no night has published it yet") from None
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._cond:
            if self._con is None or stamp != self._stamp:
                # every cursor on the old file must be closed first (see the module docstring);
                # a request still reading after 10 s keeps the old file for this request only
                if self._cond.wait_for(lambda: self._active == 0, timeout=10):
                    if self._con is not None:
                        self._con.close()
                        self._con = None
                    try:
                        self._con = duckdb.connect(str(self.warehouse), read_only=True)
                    except duckdb.Error as exc:
                        raise ReviewError(f"cannot open '{self.warehouse}' read-only: "
                                          f"{str(exc).splitlines()[0]}") from None
                    self._stamp = stamp
                    self.connections_opened += 1
            cursor = self._con.cursor()
            self._active += 1
        try:
            yield cursor
        finally:
            cursor.close()
            with self._cond:
                self._active -= 1
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            if self._con is not None:
                self._con.close()
            self._con = self._stamp = None

    def decisions(self) -> list[Decision]:
        return read_decisions(self.decisions_path, problems=[])

    # ---------------------------------------------------------------------------------------
    def documents(self) -> tuple[list[DocumentRow], dict[str, str]]:
        """Every document with its counts of open, decided and reopened failures and parser
        problems (identities not evaluated because the parser could not read what they need:
        `expectations.results_table.PARSER_PROBLEM_SQL`; an identity with nothing to check in the
        document is not one); and the failing identities' names."""
        decisions = self.decisions()
        with self.connect() as con:
            rows = con.execute(
                """SELECT document_id, department, region, fiscal_year, report_kind, status,
                          quarantine_reason, file_name, page_count, archive_path
                   FROM raw.documents"""
            ).fetchall()
            docs = {r[0]: DocumentRow(*r) for r in rows}
            problems = con.execute(
                """WITH latest_run AS (SELECT run_id FROM quality.expectation_results
                                       ORDER BY validated_at DESC, run_id DESC LIMIT 1)
                   SELECT document_id, count(*) FROM quality.expectation_results JOIN latest_run USING (run_id)
                   WHERE status = 'not_evaluated' AND """ + PARSER_PROBLEM_SQL + """ GROUP BY 1"""
            ).fetchall()
            found = failures_from(con, decisions, include_decided=True, with_positions=False)
        for document_id, count in problems:
            if document_id in docs:
                docs[document_id].problems = int(count)
        identities: dict[str, str] = {}
        for failure in found:
            doc = docs.get(failure.row["document_id"])
            if doc is None:
                continue
            doc.identities.add(failure.row["identity_id"])
            identities[failure.row["identity_id"]] = failure.row["description_zh"] or failure.row["identity_id"]
            if failure.state == "decided":
                doc.decided += 1
            else:
                doc.open += 1
                if failure.state == "reopened":
                    doc.reopened += 1
        ordered = sorted(docs.values(), key=lambda d: (-d.open, d.department or "~", d.fiscal_year or 0, d.document_id))
        return ordered, dict(sorted(identities.items()))

    def document(self, document_id: str) -> DocumentRow:
        if not DOCUMENT_ID.fullmatch(document_id or ""):
            raise NotFound(document_id)
        with self.connect() as con:
            row = con.execute(
                """SELECT document_id, department, region, fiscal_year, report_kind, status,
                          quarantine_reason, file_name, page_count, archive_path
                   FROM raw.documents WHERE document_id = ?""", [document_id]).fetchall()
        if not row:
            raise NotFound(document_id)
        return DocumentRow(*row[0])

    def document_failures(self, document_id: str) -> tuple[list[Failure], list[dict], dict[str, list[Decision]]]:
        """The document's failures (open and decided) with their cells' positions, its identities
        not evaluated (each with `parser_problem`: the parser could not read what it needs, else
        the document has nothing to check) and every decision taken on each failure (history)."""
        decisions = self.decisions()
        with self.connect() as con:
            found = failures_from(con, decisions, include_decided=True, where="r.document_id = ?",
                                  params=[document_id])
            cursor = con.execute(
                """WITH latest_run AS (SELECT run_id FROM quality.expectation_results
                                       ORDER BY validated_at DESC, run_id DESC LIMIT 1)
                   SELECT identity_id, description_zh, subject, not_evaluated_reason, pages
                   FROM quality.expectation_results JOIN latest_run USING (run_id)
                   WHERE document_id = ? AND status = 'not_evaluated'
                   ORDER BY identity_id, subject""", [document_id])
            names = [c[0] for c in cursor.description]
            not_evaluated = [dict(zip(names, r)) for r in cursor.fetchall()]
        for row in not_evaluated:
            row["parser_problem"] = is_parser_problem(row["not_evaluated_reason"])
        history: dict[str, list[Decision]] = {}
        for decision in decisions:
            history.setdefault(decision.instance_id, []).append(decision)
        return found, not_evaluated, history

    def failure(self, document_id: str, failure_id: str) -> Failure:
        """One failure of the document by its short id (10 hex characters)."""
        if not re.fullmatch(r"[0-9a-f]{10}", failure_id or ""):
            raise NotFound(failure_id)
        with self.connect() as con:  # the short id is sha256(instance_id)[:10]: one failure, found in SQL
            found = failures_from(con, self.decisions(), include_decided=True,
                                  where="r.document_id = ? AND left(sha256(r.instance_id), 10) = ?",
                                  params=[document_id, failure_id])
        found = [f for f in found if short_id(f.row["instance_id"]) == failure_id]
        if len(found) != 1:
            raise NotFound(failure_id)
        return found[0]


def group_by_identity(found: list[Failure]) -> "OrderedDict[str, list[Failure]]":
    groups: OrderedDict[str, list[Failure]] = OrderedDict()
    for failure in sorted(found, key=lambda f: (f.state == "decided", f.row["identity_id"], f.row["subject"] or "")):
        groups.setdefault(failure.row["identity_id"], []).append(failure)
    return groups


def failure_pages(failure: Failure) -> list[int]:
    """The pages to show for a failure: those of its cells and figures, else its `pages`."""
    pages = sorted({p.page for p in failure.positions if p.page})
    if not pages and failure.row.get("pages"):
        pages = sorted({int(p) for p in str(failure.row["pages"]).split(",") if p.strip().isdigit()})
    return pages
