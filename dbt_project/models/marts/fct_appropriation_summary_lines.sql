-- The lines of T4 财政拨款收入支出决算总表 (t4_appropriation_summary): one row per document, side
-- and line (function_class lines: one per 类 code), with the fund columns the table prints, in
-- 万元 (exact DECIMAL). Income lines print one amount (column `amount`), which lands in `total`;
-- expenditure lines print 合计 (`total`) and one column per fund. A line printed on two rows
-- (e.g. sub-lines of 年初结转和结余 that map to the same line_key) is summed and counted in
-- source_row_count. Loaded documents, T4 with status `parsed` (T4 is located but not parsed yet:
-- rows appear as soon as the parser emits them).
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_stale_fact_documents() }}") }}
-- Incremental by document: a night rebuilds only new, changed and stale documents
-- (macros/incremental_facts.sql).
with documents as (

    select document_id, department_key, fiscal_year, is_current from {{ documents_missing_from_this(ref('int_document_versions')) }}

),

report_tables as (

    select report_table_key, status from {{ ref('stg_report_tables') }}

),

cells as (

    select cells.*
    from {{ ref('stg_table_cells') }} as cells
    inner join documents
        on documents.document_id = cells.document_id
    inner join report_tables
        on report_tables.report_table_key = cells.report_table_key
    where cells.table_key = 't4_appropriation_summary'
      and cells.line_key is not null
      and report_tables.status = 'parsed'

),

pivoted as (

    select
        document_id,
        side,
        line_key,
        code,
        arg_min(row_label, row_index)                                                     as line_label,
        min(page)                                                                         as page,
        cast(count(distinct row_index) as integer)                                        as source_row_count,
        min(source_unit)                                                                  as source_unit,
        cast(coalesce(
            sum(amount_wan) filter (where column_key = 'total'),
            sum(amount_wan) filter (where column_key = 'amount')
        ) as decimal(20, 6))                                                              as total,
        cast(sum(amount_wan) filter (where column_key = 'general_public_budget') as decimal(20, 6))
                                                                                          as general_public_budget,
        cast(sum(amount_wan) filter (where column_key = 'government_fund') as decimal(20, 6))
                                                                                          as government_fund,
        cast(sum(amount_wan) filter (where column_key = 'state_capital') as decimal(20, 6))
                                                                                          as state_capital
    from cells
    group by document_id, side, line_key, code

)

select
    pivoted.document_id
        || '|' || coalesce(pivoted.side, '')
        || '|' || pivoted.line_key
        || '|' || coalesce(pivoted.code, '')                                    as appropriation_line_key,
    pivoted.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    pivoted.side,
    pivoted.line_key,
    pivoted.code                                                                as class_code,
    pivoted.line_label                                                          as line_name_as_printed,
    {{ mart_wan('pivoted.total') }} as total_wan,
    {{ mart_yuan('pivoted.total') }} as total_yuan,
    {{ mart_wan('pivoted.general_public_budget') }} as general_public_budget_wan,
    {{ mart_yuan('pivoted.general_public_budget') }} as general_public_budget_yuan,
    {{ mart_wan('pivoted.government_fund') }} as government_fund_wan,
    {{ mart_yuan('pivoted.government_fund') }} as government_fund_yuan,
    {{ mart_wan('pivoted.state_capital') }} as state_capital_wan,
    {{ mart_yuan('pivoted.state_capital') }} as state_capital_yuan,
    pivoted.source_unit,
    pivoted.page,
    pivoted.source_row_count
from pivoted
inner join documents
    on documents.document_id = pivoted.document_id
