"""Reading the identity residuals for validation (DuckDB side of expectations.runner).

The residual rows of every ``source_model`` of the catalogue are read into the temp table
``_fw_residuals`` with, computed in DuckDB with exact DECIMAL arithmetic, the integers GX decides
on: ``deviation_cents`` (how far the row is from its relation) and ``tolerance_cents`` =
floor(tolerance_per_term x unit factor x term_count x 100).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .catalogue import Catalogue

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd


class ValidationInputError(RuntimeError):
    """The residual model is missing or breaks its contract (columns, types, unique ids)."""


#: Columns the residual model must provide (contract with dbt).
RESIDUAL_COLUMNS: tuple[str, ...] = (
    "instance_id",
    "document_id",
    "identity_id",
    "table_key",
    "subject",
    "lhs",
    "rhs",
    "diff",
    "term_count",
    "pages",
    "evaluable",
    "not_evaluated_reason",
)
_MONEY_COLUMNS = ("lhs", "rhs", "diff")
#: Optional column: the unit the amounts are printed in (万元 or 元). Absent or NULL = 万元.
UNIT_COLUMN = "source_unit"
#: Optional column: what must hold between lhs and rhs (absent or NULL = '=').
RELATION_COLUMN = "relation"
#: Optional column: the table cells involved ('T3 p10 r3 208 total=326.72; ...').
CELLS_COLUMN = "cells"
#: Factor from the catalogue's tolerance unit to the unit of a row: 万元 for money (a table
#: printed in 元 gets x 10000), percentage points for shares ('%'), a plain count for the
#: completeness and metadata identities ('count').
UNIT_FACTORS: dict[str, int] = {"万元": 1, "元": 10000, "%": 1, "count": 1}
#: Relations a residual row may ask for, and the deviation (in cents, >= 0) each one measures:
#: '=' |diff|; '>=' how far lhs falls below rhs; '>' / '<' the strict comparisons of a narrative
#: word (a tie deviates by one cent, so it fails with tolerance 0).
RELATIONS: tuple[str, ...] = ("=", ">=", ">", "<")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


#: The rows a scoped validation reads (temp tables made by the runner's ``_scope``): instances of
#: no document, of a document in scope, or of a document the previous run did not validate.
SCOPE_FILTER = """
            WHERE r.document_id IS NULL
               OR r.document_id IN (SELECT document_id FROM _fw_scope)
               OR r.document_id NOT IN (SELECT document_id FROM _fw_previous_documents)"""


def _prepare_residuals(con: "duckdb.DuckDBPyConnection", catalogue: Catalogue, scoped: bool = False) -> None:
    """Temp tables ``_fw_catalogue``, ``_fw_residuals`` (one row per instance, all models) and,
    when ``scoped``, ``_fw_documents`` (every document the residual models hold).

    ``scoped`` reads only the rows of ``SCOPE_FILTER`` (a nightly run: at 1,000 documents the
    full read is some 350,000 rows and a second of DuckDB for the ten new documents' 3,000).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE _fw_catalogue (
            identity_id VARCHAR, description_zh VARCHAR, description_en VARCHAR,
            severity VARCHAR, tolerance_per_term DECIMAL(18,4), source_model VARCHAR)
        """
    )
    con.executemany(
        "INSERT INTO _fw_catalogue VALUES (?, ?, ?, ?, CAST(? AS DECIMAL(18,4)), ?)",
        [
            (i.id, i.description_zh, i.description_en, i.severity, str(i.tolerance_per_term),
             i.source_model)
            for i in catalogue
        ],
    )

    selects, documents = [], []
    for model in catalogue.source_models:
        schema, relation = model.split(".", 1)
        optional = _check_model(con, schema, relation)
        unit_expr, relation_expr, cells_expr = (
            f"CAST(r.{name} AS VARCHAR)" if name in optional else "CAST(NULL AS VARCHAR)"
            for name in (UNIT_COLUMN, RELATION_COLUMN, CELLS_COLUMN)
        )
        source = f"{_quote(schema)}.{_quote(relation)}"
        model_literal = model.replace("'", "''")
        selects.append(
            f"""
            SELECT
                r.instance_id, r.document_id, r.identity_id, r.table_key, r.subject,
                CAST(r.lhs AS DECIMAL(18,2)) AS lhs,
                CAST(r.rhs AS DECIMAL(18,2)) AS rhs,
                CAST(r.diff AS DECIMAL(18,2)) AS diff,
                CAST(r.term_count AS INTEGER) AS term_count,
                r.pages, r.evaluable, r.not_evaluated_reason,
                {unit_expr} AS unit,
                coalesce({relation_expr}, '=') AS relation,
                {cells_expr} AS cells,
                c.description_zh, c.description_en, c.severity,
                c.tolerance_per_term
            FROM {source} AS r
            LEFT JOIN _fw_catalogue AS c
              ON c.identity_id = r.identity_id AND c.source_model = '{model_literal}'
            {SCOPE_FILTER if scoped else ""}
            """
        )
        documents.append(f"SELECT DISTINCT document_id FROM {source} WHERE document_id IS NOT NULL")
    union = "\nUNION ALL\n".join(selects)
    unit_factor = "CASE WHEN u.unit IS NULL THEN 1 " + " ".join(
        f"WHEN u.unit = '{unit}' THEN {factor}" for unit, factor in UNIT_FACTORS.items()
    ) + " END"
    relations = ", ".join(f"'{r}'" for r in RELATIONS)
    # route: validate | not_evaluable | not_in_catalogue | unknown_unit | unknown_relation.
    # The catalogue's tolerance is in 万元; amounts are as printed (source_unit), so the
    # tolerance is converted to the printed unit (元: x 10000) and recorded in that unit.
    # deviation_cents is NULL when the residual is not computable (a missing side, no term
    # count, or diff <> lhs - rhs): GX's not-null expectation then fails the instance.
    # tolerance_cents = floor(tolerance_per_term * term_count * 100): exact DECIMAL arithmetic,
    # and since deviation_cents is an integer, |diff| <= tolerance <=> cents <= floor(cents).
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _fw_residuals AS
        WITH u AS ({union}),
        f AS (SELECT u.*, {unit_factor} AS unit_factor FROM u)
        SELECT
            u.*,
            CASE
                WHEN u.severity IS NULL THEN 'not_in_catalogue'
                WHEN u.evaluable IS NOT TRUE THEN 'not_evaluable'
                WHEN u.unit_factor IS NULL THEN 'unknown_unit'
                WHEN u.relation NOT IN ({relations}) THEN 'unknown_relation'
                ELSE 'validate'
            END AS route,
            CASE
                WHEN u.term_count IS NULL OR u.term_count < 0 OR u.tolerance_per_term IS NULL
                     OR u.unit_factor IS NULL
                    THEN NULL
                ELSE CAST(FLOOR(u.tolerance_per_term * u.unit_factor * u.term_count * 100) AS BIGINT)
            END AS tolerance_cents,
            CASE
                WHEN u.lhs IS NULL OR u.rhs IS NULL OR u.diff IS NULL OR u.term_count IS NULL
                     OR u.diff <> u.lhs - u.rhs
                    THEN NULL
                WHEN u.relation = '>=' THEN CAST(greatest(-u.diff, 0) * 100 AS BIGINT)
                WHEN u.relation = '>' THEN
                    CASE WHEN u.diff > 0 THEN 0 ELSE CAST(-u.diff * 100 AS BIGINT) + 1 END
                WHEN u.relation = '<' THEN
                    CASE WHEN u.diff < 0 THEN 0 ELSE CAST(u.diff * 100 AS BIGINT) + 1 END
                ELSE CAST(abs(u.diff) * 100 AS BIGINT)
            END AS deviation_cents
        FROM f AS u
        """
    )

    if scoped:  # what the runner's carry-forward keeps; a full validation carries nothing
        con.execute("CREATE OR REPLACE TEMP TABLE _fw_documents AS " + "\nUNION\n".join(documents))

    bad = con.execute(
        """
        SELECT coalesce(instance_id, '<NULL>'), count(*) FROM _fw_residuals
        GROUP BY instance_id HAVING count(*) > 1 OR instance_id IS NULL
        ORDER BY 1 LIMIT 5
        """
    ).fetchall()
    if bad:
        raise ValidationInputError(
            f"instance_id must be unique and not null across residual models; offending: {bad}"
        )


def _check_model(con: "duckdb.DuckDBPyConnection", schema: str, relation: str) -> set[str]:
    """Check the contract of a residual model; return the optional columns it has."""
    columns = dict(
        con.execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
            """,
            [schema, relation],
        ).fetchall()
    )
    if not columns:
        raise ValidationInputError(
            f"residual model {schema}.{relation} not found in the DuckDB file (has dbt run?)"
        )
    missing = [c for c in RESIDUAL_COLUMNS if c not in columns]
    if missing:
        raise ValidationInputError(f"{schema}.{relation} lacks columns {missing}")
    for column in _MONEY_COLUMNS:
        data_type = columns[column].upper()
        ok = data_type in ("INTEGER", "BIGINT", "SMALLINT", "HUGEINT")
        if data_type.startswith("DECIMAL("):
            scale = int(data_type[len("DECIMAL("):-1].split(",")[1])
            ok = scale <= 2
        if not ok:
            raise ValidationInputError(
                f"{schema}.{relation}.{column} is {data_type}; the contract is DECIMAL(18,2) "
                "(exact money, never floating point)"
            )
    return {c for c in (UNIT_COLUMN, RELATION_COLUMN, CELLS_COLUMN) if c in columns}


#: The readable columns of the frame GX validates (see `expectations.suites.READABLE_COLUMNS`): GX
#: names a failing row by them in its own Data Docs tables, and the runner maps the review id back
#: to the instance. Amounts are cast to text by DuckDB from DECIMAL (exact, as printed).
def _side(column: str) -> str:
    return (f"CASE WHEN r.{column} IS NULL THEN '—' "
            f"WHEN r.unit = '%' THEN CAST(r.{column} AS VARCHAR) || '%' "
            f"WHEN r.unit = 'count' THEN CAST(r.{column} AS VARCHAR) "
            f"ELSE CAST(r.{column} AS VARCHAR) || ' ' || coalesce(r.unit, '万元') END")


def _gx_frame(
    con: "duckdb.DuckDBPyConnection", catalogue: Catalogue
) -> tuple["pd.DataFrame", dict[str, int]]:
    """The frame GX validates, and the expected row count per identity.

    GX decides on integers only (``deviation_cents``, ``tolerance_cents``); the other columns are
    text for a steward: the review id (`review show ID`; the short id, or the full instance id
    for the rare rows whose short ids collide), the document (department and year), the pages and
    both sides with their unit."""
    from .review_report import short_id
    from .suites import READABLE_COLUMNS, REVIEW_ID_COLUMN

    has_documents = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = 'documents'"
    ).fetchall()[0][0]
    document = "left(r.document_id, 12)"
    join = ""
    if has_documents:
        document = ("coalesce(d.department || ' ' || CAST(d.fiscal_year AS VARCHAR), d.department, "
                    "d.file_name, left(r.document_id, 12))")
        join = "LEFT JOIN raw.documents AS d ON d.document_id = r.document_id"
    frame = con.execute(
        f"""
        SELECT r.instance_id, r.identity_id, r.deviation_cents,
               coalesce(r.tolerance_cents, 0) AS tolerance_cents,
               coalesce({document}, '—') AS document,
               coalesce(replace(r.pages, ',', ', '), '—') AS pages,
               {_side("lhs")} AS left_side,
               {_side("rhs")} AS right_side
        FROM _fw_residuals AS r {join}
        WHERE r.route = 'validate'
        ORDER BY r.identity_id, r.instance_id
        """
    ).df()
    frame = frame.astype(
        {"instance_id": "object", "identity_id": "object", "deviation_cents": "Int64",
         "tolerance_cents": "int64"}
    ).reset_index(drop=True)
    shorts = [short_id(i) for i in frame["instance_id"]]
    seen: dict[str, int] = {}
    for value in shorts:
        seen[value] = seen.get(value, 0) + 1
    frame[REVIEW_ID_COLUMN] = [v if seen[v] == 1 else i for v, i in zip(shorts, frame["instance_id"])]
    frame = frame.rename(columns={"document": READABLE_COLUMNS[1], "pages": READABLE_COLUMNS[2],
                                  "left_side": READABLE_COLUMNS[3], "right_side": READABLE_COLUMNS[4]})
    # GX 1.24 puts these values into its Data Docs pages as they are (no HTML escaping), and the
    # department, pages and subject come from a PDF: escaped here, once
    for column in READABLE_COLUMNS:
        frame[column] = [html.escape(str(v)) for v in frame[column]]
        frame[column] = frame[column].astype("object")
    expected = {identity_id: 0 for identity_id in catalogue.ids}
    for identity_id, count in frame["identity_id"].value_counts().items():
        expected[str(identity_id)] = int(count)
    return frame, expected
