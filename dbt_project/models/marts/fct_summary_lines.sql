-- The lines of T1 收入支出决算总表 (t1_summary), one row per document, side and line
-- (function_class lines: one per 类 code). Amounts in 万元 (exact DECIMAL); loaded documents only,
-- every version (is_current marks the current ones).
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_stale_fact_documents() }}") }}
-- Incremental by document: a night rebuilds only new, changed and stale documents
-- (macros/incremental_facts.sql).
with cells as (

    select * from {{ ref('stg_table_cells') }}
    where table_key = 't1_summary'
      and column_key = 'amount'
      and line_key is not null

),

documents as (

    select document_id, department_key, fiscal_year, is_current from {{ documents_missing_from_this(ref('int_document_versions')) }}

),

report_tables as (

    select report_table_key, status from {{ ref('stg_report_tables') }}

)

select
    cells.document_id
        || '|' || coalesce(cells.side, '')
        || '|' || cells.line_key
        || '|' || coalesce(cells.code, '')      as summary_line_key,
    cells.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    cells.side,
    cells.line_key,
    cells.code                                  as class_code,
    cells.row_label                             as line_name_as_printed,
    {{ mart_wan('cells.amount_wan') }} as amount_wan,
    {{ mart_yuan('cells.amount_wan') }} as amount_yuan,
    cells.source_unit,
    cells.page
from cells
inner join documents
    on documents.document_id = cells.document_id
inner join report_tables
    on report_tables.report_table_key = cells.report_table_key
where report_tables.status = 'parsed'
