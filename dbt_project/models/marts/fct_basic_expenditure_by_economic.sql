-- T6 一般公共预算财政拨款基本支出决算(明细)表: basic expenditure by economic classification code
-- (类 301 and 款 30101 ...), in 万元 (exact DECIMAL). Grain: (document_id, economic_code).
-- The amount is the cell with column_key `amount` (决算数), falling back to `final` then `total`
-- (whichever the T6 parser emits; it is being written). expense_group is the block the row is
-- printed in (line_key personnel / public, from the 人员经费 | 公用经费 headers), else derived from
-- the code (301, 303 personnel; other 3xx public). Lines without a code (人员经费合计,
-- 公用经费合计) are left out: they are the sums of the 类 rows by expense_group.
-- Loaded documents, T6 with status `parsed`; rows appear as soon as the parser emits them.
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
    where cells.table_key = 't6_basic_expenditure_economic'
      and cells.code is not null
      and report_tables.status = 'parsed'

),

pivoted as (

    select
        document_id,
        code                                                                          as economic_code,
        arg_min(row_label, row_index)                                                 as economic_name,
        min(page)                                                                     as page,
        cast(count(distinct row_index) as integer)                                    as source_row_count,
        min(source_unit)                                                              as source_unit,
        max(line_key) filter (where line_key in ('personnel', 'public'))              as printed_group,
        cast(coalesce(
            sum(amount_wan) filter (where column_key = 'amount'),
            sum(amount_wan) filter (where column_key = 'final'),
            sum(amount_wan) filter (where column_key = 'total')
        ) as decimal(20, 6))                                                          as amount
    from cells
    group by document_id, code

)

select
    pivoted.document_id || '|' || pivoted.economic_code                      as economic_expenditure_key,
    pivoted.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    pivoted.economic_code,
    {{ economic_level('pivoted.economic_code') }}  as economic_level,
    {{ economic_parent('pivoted.economic_code') }}  as parent_code,
    left(pivoted.economic_code, 3)                                           as class_code,
    coalesce(pivoted.printed_group, {{ expense_group('pivoted.economic_code') }})  as expense_group,
    {{ expense_group_name("coalesce(pivoted.printed_group, " ~ expense_group('pivoted.economic_code') ~ ")") }}
                                                                             as expense_group_name,
    pivoted.economic_name                                                    as economic_name_as_printed,
    {{ mart_wan('pivoted.amount') }} as amount_wan,
    {{ mart_yuan('pivoted.amount') }} as amount_yuan,
    pivoted.source_unit,
    pivoted.page,
    pivoted.source_row_count
from pivoted
inner join documents
    on documents.document_id = pivoted.document_id
