"""Steward review of identity failures: decisions kept OUTSIDE the rebuilt warehouse.

Every run rebuilds the warehouse, so a steward's verdict on a failure cannot live in it. Decisions
are appended to ``<data_dir>/reviews/decisions.jsonl`` (one JSON object per line, never
rewritten; the latest line per instance_id wins), each with the instance_id AND the values it was
taken on (lhs, rhs, diff as exact decimal strings). A failure is then:

* ``new``       no decision for its instance_id;
* ``decided``   the latest decision was taken on exactly these lhs, rhs and diff;
* ``reopened``  decided before, but the values changed since (raised again as open).

Open failures are ``new`` + ``reopened``. At validation time :func:`publish_reviews` loads the
decisions into the warehouse (table ``quality.review_decisions``) and (re)creates the views
``quality.failure_reviews`` (every failure of the run with its review state and decision) and
``quality.open_failures``, so analysts and stewards see them in SQL.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

_log = logging.getLogger(__name__)

DECISIONS: tuple[str, ...] = ("confirmed_defect", "within_tolerance", "parser_error", "not_applicable")
DECISIONS_TABLE = "quality.review_decisions"
REVIEWS_VIEW = "quality.failure_reviews"
OPEN_VIEW = "quality.open_failures"
STATE_NEW, STATE_DECIDED, STATE_REOPENED = "new", "decided", "reopened"


class ReviewError(Exception):
    """An expected problem (unknown instance, bad decision, missing file): one line, no traceback."""


@dataclass(frozen=True)
class Decision:
    instance_id: str
    document_id: str
    identity_id: str
    subject: str
    lhs: Decimal | None
    rhs: Decimal | None
    diff: Decimal | None
    decision: str
    comment: str
    decided_by: str
    decided_at: str  # ISO 8601, UTC

    def same_values(self, lhs: Decimal | None, rhs: Decimal | None, diff: Decimal | None) -> bool:
        return (self.lhs, self.rhs, self.diff) == (lhs, rhs, diff)

    def to_json(self) -> str:
        record = asdict(self)
        for key in ("lhs", "rhs", "diff"):
            record[key] = None if record[key] is None else str(record[key])
        return json.dumps(record, ensure_ascii=False, sort_keys=True)


def decisions_file(data_dir: Path) -> Path:
    return Path(data_dir) / "reviews" / "decisions.jsonl"


def _decimal(value: object, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ReviewError(f"{where}: {value!r} is not a decimal") from None


def _parse_decision(line: str, where: str) -> Decision:
    try:
        record = json.loads(line)
        return Decision(
            instance_id=str(record["instance_id"]),
            document_id=str(record["document_id"]),
            identity_id=str(record["identity_id"]),
            subject=str(record["subject"]),
            lhs=_decimal(record.get("lhs"), where),
            rhs=_decimal(record.get("rhs"), where),
            diff=_decimal(record.get("diff"), where),
            decision=str(record["decision"]),
            comment=str(record.get("comment") or ""),
            decided_by=str(record["decided_by"]),
            decided_at=str(record["decided_at"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReviewError(f"{where}: not a decision record ({exc})") from None


def _torn_copy(path: Path, tail: bytes) -> Path:
    """Keep an incomplete last line beside the decisions file (same bytes, same copy)."""
    copy = path.with_name(f"{path.name}.torn-{hashlib.sha256(tail).hexdigest()[:12]}")
    if not copy.exists():
        copy.write_bytes(tail)
    return copy


def _is_decision(line: bytes) -> bool:
    try:
        _parse_decision(line.decode("utf-8"), "")
    except (ReviewError, UnicodeDecodeError):
        return False
    return True


def read_decisions(path: Path, problems: list[str] | None = None) -> list[Decision]:
    """Every decision recorded, in file order (an absent file means none yet).

    A line that is not a decision record is skipped, never fatal: it is reported in `problems`
    (one line each, naming the line; logged when `problems` is None). An incomplete last line
    (a crash while a decision was being written) is also copied to `decisions.jsonl.torn-<hash>`;
    the next `append_decision` cuts it off the file. Every complete decision is kept.
    """
    path = Path(path)
    if not path.is_file():
        return []
    report = problems.append if problems is not None else _log.warning
    data = path.read_bytes()
    lines = data.split(b"\n")
    decisions = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        last = number == len(lines)  # no newline after it
        try:
            decisions.append(_parse_decision(raw.decode("utf-8"), where))
        except (ReviewError, UnicodeDecodeError) as exc:
            if last:
                copy = _torn_copy(path, raw)
                report(f"{where}: incomplete last line ({len(raw)} bytes; a crash while a decision was written?) "
                       f"skipped; a copy is in {copy}; every complete decision is kept")
            else:
                report(f"{exc if isinstance(exc, ReviewError) else f'{where}: not UTF-8 text'}; line skipped "
                       "(fix or delete it: its decision is not applied)")
    return decisions


def latest_by_instance(decisions: Iterable[Decision]) -> dict[str, Decision]:
    latest: dict[str, Decision] = {}
    for decision in decisions:
        latest[decision.instance_id] = decision  # file order: the last line wins
    return latest


def review_state(decision: Decision | None, lhs, rhs, diff) -> str:
    if decision is None:
        return STATE_NEW
    return STATE_DECIDED if decision.same_values(lhs, rhs, diff) else STATE_REOPENED


def make_decision(failure: dict, decision: str, decided_by: str, comment: str,
                  decided_at: datetime | None = None) -> Decision:
    """A decision on one failure row (instance_id, document_id, identity_id, subject, lhs, rhs, diff)."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if not decided_by or not decided_by.strip():
        raise ReviewError("--by must name the reviewer")
    if not comment or not comment.strip():
        raise ReviewError("--comment must say why (it is shown next to the failure)")
    moment = (decided_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return Decision(
        instance_id=failure["instance_id"], document_id=failure["document_id"],
        identity_id=failure["identity_id"], subject=failure["subject"],
        lhs=failure["lhs"], rhs=failure["rhs"], diff=failure["diff"],
        decision=decision, comment=" ".join(comment.split()), decided_by=decided_by.strip(),
        decided_at=moment.replace(microsecond=0).isoformat(),
    )


def append_decision(path: Path, decision: Decision) -> None:
    """Append one line, under an exclusive lock, flushed to disk (several stewards may decide).

    A torn last line left by a crash is first copied aside (see `read_decisions`) and cut off,
    so the new decision starts on a line of its own; a last line that is a complete decision
    without its newline only gains the newline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.seek(0)
            data = handle.read()
            if data and not data.endswith(b"\n"):
                cut = data.rfind(b"\n") + 1
                tail = data[cut:]
                if _is_decision(tail):
                    handle.write(b"\n")
                else:
                    _torn_copy(path, tail)
                    os.ftruncate(handle.fileno(), cut)
            handle.write((decision.to_json() + "\n").encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --------------------------------------------------------------------------------------------
# In the warehouse (at validation time)

_DECISION_COLUMNS = (
    ("instance_id", "VARCHAR"), ("document_id", "VARCHAR"), ("identity_id", "VARCHAR"),
    ("subject", "VARCHAR"), ("lhs", "DECIMAL(18,2)"), ("rhs", "DECIMAL(18,2)"),
    ("diff", "DECIMAL(18,2)"), ("decision", "VARCHAR"), ("comment", "VARCHAR"),
    ("decided_by", "VARCHAR"), ("decided_at", "TIMESTAMP"), ("is_latest", "BOOLEAN"),
)


def publish_reviews(con: "duckdb.DuckDBPyConnection", decisions: list[Decision]) -> dict[str, int]:
    """Load every decision into quality.review_decisions; (re)create the review views.

    Returns the number of failures of the latest run per review state.
    """
    columns = ", ".join(f"{name} {type_}" for name, type_ in _DECISION_COLUMNS)
    con.execute("CREATE SCHEMA IF NOT EXISTS quality")
    con.execute(f"CREATE OR REPLACE TABLE {DECISIONS_TABLE} ({columns})")
    latest = {id(d) for d in latest_by_instance(decisions).values()}
    rows = [
        (d.instance_id, d.document_id, d.identity_id, d.subject,
         None if d.lhs is None else str(d.lhs), None if d.rhs is None else str(d.rhs),
         None if d.diff is None else str(d.diff), d.decision, d.comment, d.decided_by,
         datetime.fromisoformat(d.decided_at).astimezone(timezone.utc).replace(tzinfo=None),
         id(d) in latest)
        for d in decisions
    ]
    if rows:
        con.executemany(
            f"INSERT INTO {DECISIONS_TABLE} VALUES (?, ?, ?, ?, CAST(? AS DECIMAL(18,2)), "
            "CAST(? AS DECIMAL(18,2)), CAST(? AS DECIMAL(18,2)), ?, ?, ?, ?, ?)",
            rows,
        )
    con.execute(
        f"""
        CREATE OR REPLACE VIEW {REVIEWS_VIEW} AS
        WITH latest_run AS (
            SELECT run_id FROM quality.expectation_results
            ORDER BY validated_at DESC, run_id DESC LIMIT 1
        )
        SELECT
            CASE
                WHEN d.instance_id IS NULL THEN '{STATE_NEW}'
                WHEN d.lhs IS NOT DISTINCT FROM r.lhs AND d.rhs IS NOT DISTINCT FROM r.rhs
                     AND d.diff IS NOT DISTINCT FROM r.diff THEN '{STATE_DECIDED}'
                ELSE '{STATE_REOPENED}'
            END AS review_state,
            r.*,
            d.decision, d.comment AS decision_comment, d.decided_by, d.decided_at,
            d.lhs AS decided_lhs, d.rhs AS decided_rhs, d.diff AS decided_diff
        FROM quality.expectation_results AS r
        JOIN latest_run USING (run_id)
        LEFT JOIN {DECISIONS_TABLE} AS d
            ON d.instance_id = r.instance_id AND d.is_latest
        WHERE r.status = 'failed'
        """
    )
    con.execute(
        f"CREATE OR REPLACE VIEW {OPEN_VIEW} AS SELECT * FROM {REVIEWS_VIEW} "
        f"WHERE review_state IN ('{STATE_NEW}', '{STATE_REOPENED}')"
    )
    counts = dict(con.execute(f"SELECT review_state, count(*) FROM {REVIEWS_VIEW} GROUP BY 1").fetchall())
    return {state: int(counts.get(state, 0)) for state in (STATE_NEW, STATE_DECIDED, STATE_REOPENED)}
