"""`python -m pipelines status`: what an operator needs at a glance.

Documents by status (loaded, quarantined with reason, superseded), the last run's outcome, and
what is pending (archived but not parsed yet, URLs that failed to download).
"""
from __future__ import annotations

import json
from collections import Counter

import duckdb

from pipelines.intake import intake_lines, read_intake
from pipelines.safe_text import printable
from pipelines.schedules import pending_documents
from pipelines.settings import PipelineSettings


def _last_run(settings: PipelineSettings) -> str:
    path = settings.data / "runs.jsonl"
    if not path.exists():
        return "no run recorded yet"
    last = json.loads(path.read_text(encoding="utf-8").strip().splitlines()[-1])
    outcome = "succeeded" if last["success"] else "FAILED: " + "; ".join(printable(e) for e in last["errors"])
    return f"{last['finished_at']} {outcome} ({last['seconds']} s, {last['parsed']} documents parsed)"


def _documents(settings: PipelineSettings) -> tuple[Counter, list[tuple[str, str]], int]:
    if not settings.warehouse.exists():
        return Counter(), [], 0
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        by_status = Counter(dict(con.execute("select status, count(*) from raw.documents group by 1").fetchall()))
        quarantined = con.execute(
            "select file_name, quarantine_reason from raw.documents where status = 'quarantined' order by 1"
        ).fetchall()
        try:
            superseded = con.execute(
                "select count(*) from marts.dim_document where not is_current and status = 'loaded'"
            ).fetchall()[0][0]
        except duckdb.Error:
            superseded = 0
    return by_status, quarantined, superseded


def failed_downloads(settings: PipelineSettings) -> list[tuple[str, str]]:
    index = settings.downloads_dir / "index.json"
    if not index.exists():
        return []
    data = json.loads(index.read_text(encoding="utf-8"))
    return [(url, rec.get("error", "")) for url, rec in sorted(data.items()) if rec.get("status") != "ok"]


def format_status(settings: PipelineSettings) -> str:
    by_status, quarantined, superseded = _documents(settings)
    pending = pending_documents(settings)
    failed = failed_downloads(settings)
    lines = [
        f"warehouse : {printable(settings.warehouse)}" + ("" if settings.warehouse.exists() else " (not published yet)"),
        f"last run  : {_last_run(settings)}",
        f"documents : {by_status.get('loaded', 0)} loaded ({superseded} superseded by a newer version), "
        f"{by_status.get('quarantined', 0)} quarantined",
    ]
    lines += [f"    quarantined {printable(name)}: {printable(reason)}" for name, reason in quarantined]
    lines.append(f"pending   : {len(pending)} archived documents not parsed yet, {len(failed)} URLs to retry")
    lines += [f"    retry {printable(url)}: {printable(reason)}" for url, reason in failed]
    lines += intake_lines(read_intake(settings.data))
    return "\n".join(lines)
