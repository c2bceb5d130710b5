"""Staging tables of the narrative: raw.narrative_figures and raw.performance_indicators.

Rebuilt on every run like the other raw tables, read by DuckDB straight from the cached parse
JSON (no Python row loop). Values travel as strings and are cast to DECIMAL(18,4): percentages
such as 216.3 and amounts such as 5107.53 keep every printed digit (the extractor skips numbers
with more than 4 decimals, so the cast never rounds).
"""
from __future__ import annotations

import duckdb

_DDL = """
create schema if not exists raw;
create or replace table raw.narrative_figures (
    document_id varchar, figure_index integer, page integer, section varchar, subsection varchar,
    sentence varchar, figure_key varchar, subject varchar, class_name varchar, kuan_name varchar,
    item_name varchar, class_code varchar, comparison_word varchar, relative_to varchar,
    value decimal(18,4), unit varchar, unit_suspect boolean, raw_text varchar
);
create or replace table raw.performance_indicators (
    document_id varchar, row_index integer, page integer, table_title varchar, category varchar,
    indicator varchar, target varchar, actual varchar, weight decimal(18,4), score decimal(18,4),
    note varchar
);
"""

_FIGURES_JSON = (
    "STRUCT(page INTEGER, section VARCHAR, subsection VARCHAR, sentence VARCHAR, figure_key VARCHAR, "
    "subject VARCHAR, value VARCHAR, unit VARCHAR, unit_suspect BOOLEAN, raw_text VARCHAR, "
    "class_name VARCHAR, kuan_name VARCHAR, item_name VARCHAR, class_code VARCHAR, "
    "comparison_word VARCHAR, relative_to VARCHAR)[]"
)
_INDICATORS_JSON = (
    "STRUCT(page INTEGER, table_title VARCHAR, category VARCHAR, indicator VARCHAR, target VARCHAR, "
    "actual VARCHAR, weight VARCHAR, score VARCHAR, note VARCHAR)[]"
)


def load_narrative_tables(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """(Re)create both tables and fill them from the parse cache files of the loaded documents."""
    con.execute(_DDL)
    insert_narrative_rows(con, files)


def insert_narrative_rows(con: duckdb.DuckDBPyConnection, files: list[str]) -> None:
    """Append the rows of these parse cache files (the caller removed older rows of the same documents)."""
    if not files:
        return
    source = (
        "read_json($files, format='auto', columns={'document_id': 'VARCHAR', "
        f"'narrative_figures': '{_FIGURES_JSON}', 'performance_indicators': '{_INDICATORS_JSON}'}})"
    )
    con.execute(
        f"""insert into raw.narrative_figures
        select document_id, i, f.page, f.section, f.subsection, f.sentence, f.figure_key, f.subject,
               f.class_name, f.kuan_name, f.item_name, f.class_code, f.comparison_word,
               f.relative_to, cast(f.value as decimal(18,4)), f.unit, f.unit_suspect, f.raw_text
        from (select document_id, unnest(narrative_figures) as f,
                     unnest(generate_series(1, len(narrative_figures))) as i
              from {source})
        order by document_id, i""",
        {"files": files},
    )
    con.execute(
        f"""insert into raw.performance_indicators
        select document_id, i, p.page, p.table_title, p.category, p.indicator, p.target, p.actual,
               cast(p.weight as decimal(18,4)), cast(p.score as decimal(18,4)), p.note
        from (select document_id, unnest(performance_indicators) as p,
                     unnest(generate_series(1, len(performance_indicators))) as i
              from {source})
        order by document_id, i""",
        {"files": files},
    )
