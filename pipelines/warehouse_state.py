"""What the working warehouse already contains, so a night does only new work.

The working file keeps, in schema `pipeline` (see ingest/staging.py):
  staged_documents   a signature per staged document (parse result + archive record)
  pending_documents  documents whose rows changed since the last publication
  state              build fingerprints of the last validation and publication, and the steward
                     decisions file the last publication included

A night then decides:
  * nothing changed (no new or re-parsed document, same dbt project, expectations catalogue and
    parser, no new steward decision, the published file in place and as published: same inode,
    size and modification time, no WAL beside it): the warehouse job is skipped;
  * some documents changed: staging rewrites their rows, dbt builds the models (incremental ones
    recompute only those documents; dbt's cost is mostly per model and test, see
    docs/throughput.md), and GX validates only those documents' identity instances, the others
    keep the previous outcome;
  * the dbt project, the catalogue or the parser changed: `dbt build --full-refresh`, and
    everything is validated again.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from ingest.archive import Archive
from ingest.records import PARSER_VERSION
from ingest.staging import STAGING_SCHEMA_VERSION, document_signature, staging_changes, staging_is_current
from pipelines.settings import PROJECT_ROOT, PipelineSettings

_FINGERPRINTED = ("dbt_project/models", "dbt_project/macros", "dbt_project/seeds", "dbt_project/tests",
                  "dbt_project/dbt_project.yml", "expectations/catalogue.yml")


def build_fingerprint() -> str:
    """A digest of everything that turns staged rows into validated marts."""
    digest = hashlib.sha256(f"{PARSER_VERSION}\0{STAGING_SCHEMA_VERSION}\n".encode())
    for entry in _FINGERPRINTED:
        root = PROJECT_ROOT / entry
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in files:
            if path.exists():
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes() + b"\n")
    return digest.hexdigest()[:32]


def decisions_signature(settings: PipelineSettings) -> str:
    from expectations.review import decisions_file

    path = decisions_file(settings.data)
    if not path.exists():
        return "none"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def _state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("select key, value from pipeline.state").fetchall())


def validation_scope(working_db: Path) -> set[str] | None:
    """The documents to validate now: the pending ones, or None (all) when the last validation
    was made with another dbt project, catalogue or parser."""
    with duckdb.connect(str(working_db)) as con:
        if _state(con).get("validated_fingerprint") != build_fingerprint():
            return None
        return {r[0] for r in con.execute("select document_id from pipeline.pending_documents").fetchall()}


def needs_full_refresh(working_db: Path) -> bool:
    """True unless the last dbt build of this working file used the current build fingerprint."""
    with duckdb.connect(str(working_db)) as con:
        return _state(con).get("built_fingerprint") != build_fingerprint()


def mark_built(working_db: Path) -> None:
    with duckdb.connect(str(working_db)) as con:
        con.execute("insert or replace into pipeline.state values ('built_fingerprint', ?)", [build_fingerprint()])


def mark_validated(working_db: Path, decisions: str) -> None:
    """After validation: with which build and which steward decisions the results were made."""
    with duckdb.connect(str(working_db)) as con:
        con.execute("insert or replace into pipeline.state values ('validated_fingerprint', ?)", [build_fingerprint()])
        con.execute("insert or replace into pipeline.state values ('validated_decisions', ?)", [decisions])


def published_identity(path: Path) -> str:
    """inode, size and modification time of the published file: any write to it changes one."""
    try:
        st = path.stat()
    except OSError:
        return "missing"
    return f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


def published_tampering(settings: PipelineSettings, recorded: str | None) -> str:
    """Why the published file is not as the last publication left it ('' when it is)."""
    from pipelines.assets.publish import side_files

    wal = side_files(settings.warehouse)
    if wal:
        return (f"a WAL beside the published file ({wal[0].name}: someone opened it read-write); "
                "publishing again, the WAL set aside")
    if recorded != published_identity(settings.warehouse):
        return "the published file was changed or replaced since it was published; publishing again"
    return ""


def mark_published(settings: PipelineSettings) -> None:
    """After the published file is in place: nothing is pending any more."""
    with duckdb.connect(str(settings.working_db)) as con:
        con.execute("begin transaction")
        con.execute("delete from pipeline.pending_documents")
        con.execute("insert or replace into pipeline.state values ('published_file', ?)",
                    [published_identity(settings.warehouse)])
        con.execute("insert or replace into pipeline.state values ('published_fingerprint', ?)", [build_fingerprint()])
        con.execute("""insert or replace into pipeline.state
                       select 'published_decisions', value from pipeline.state where key = 'validated_decisions'""")
        con.execute("commit")


def warehouse_up_to_date(settings: PipelineSettings, archived=None) -> tuple[bool, str]:
    """(True, why) when a warehouse run would change nothing; (False, what changed) otherwise.
    `archived`: the archive's documents when the caller has read them already."""
    if not settings.warehouse.exists():
        return False, "no published warehouse yet"
    if not settings.working_db.exists():
        return False, "no working warehouse yet"
    archived = Archive(settings.archive_dir).documents() if archived is None else archived
    # resolved once: `settings.data` resolves the warehouse path on every call (two realpath
    # walks a document made the sensor's tick 20 s at 10,000 documents, bench/partitions.py)
    parsed_dir, data = settings.parsed_dir, settings.data
    signatures = {d.document_id: sig for d in archived
                  if (sig := document_signature(d, parsed_dir, data)) is not None}
    try:
        with duckdb.connect(str(settings.working_db), read_only=True) as con:
            if not staging_is_current(con):
                return False, "the staging schema changed"
            state = _state(con)
            pending = con.execute("select count(*) from pipeline.pending_documents").fetchall()[0][0]
            changed = staging_changes(con, signatures)
    except duckdb.Error as exc:
        return False, f"working warehouse unreadable ({exc})"
    if state.get("published_fingerprint") != build_fingerprint():
        return False, "the dbt project, the expectations catalogue or the parser changed"
    if pending:
        return False, f"{pending} documents changed since the last publication"
    if changed:
        return False, f"{len(changed)} documents new or re-parsed"
    if state.get("published_decisions") != decisions_signature(settings):
        return False, "new steward decisions"
    tampered = published_tampering(settings, state.get("published_file"))
    if tampered:
        return False, tampered
    return True, f"warehouse up to date ({len(signatures)} documents, nothing new)"


def warehouse_inputs_key(settings: PipelineSettings, archived=None) -> str:
    """A digest of everything a warehouse run reads: the same inputs give the same key (the
    sensor's run key, so one state of the inputs starts one run)."""
    from pipelines.assets.publish import side_files

    # The published file's state too: a republication for a WAL beside it is a new request.
    published = f"{published_identity(settings.warehouse)}\0{[p.name for p in side_files(settings.warehouse)]}"
    digest = hashlib.sha256(f"{build_fingerprint()}\0{decisions_signature(settings)}\0{published}\n".encode())
    parsed_dir, data = settings.parsed_dir, settings.data  # resolved once, not per document
    docs = Archive(settings.archive_dir).documents() if archived is None else archived
    for doc in sorted(docs, key=lambda d: d.document_id):
        digest.update(f"{doc.document_id}\0{document_signature(doc, parsed_dir, data)}\n".encode())
    return digest.hexdigest()[:16]
