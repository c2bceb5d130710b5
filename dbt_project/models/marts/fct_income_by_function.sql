-- T2 收入决算表: income by function classification code, one column per source, in 万元 (exact
-- DECIMAL). Grain: (document_id, function_code). The 合计 row is not a function code and is left
-- out (T1's income_total is in fct_summary_lines). Loaded documents, T2 with status `parsed`.
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
    where cells.table_key = 't2_income'
      and cells.code is not null
      and coalesce(cells.line_key, '') <> 'total'
      and report_tables.status = 'parsed'

),

pivoted as (

    select
        document_id,
        code                                                                                   as function_code,
        arg_min(row_label, row_index)                                                          as function_name,
        min(page)                                                                              as page,
        cast(count(distinct row_index) as integer)                                             as source_row_count,
        min(source_unit)                                                                       as source_unit,
        {%- for key in ['total', 'fiscal_appropriation', 'superior_subsidy', 'business_income',
                        'operating_income', 'affiliated_remittance', 'other_income'] %}
        cast(sum(amount_wan) filter (where column_key = '{{ key }}') as decimal(20, 6))         as {{ key }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from cells
    group by document_id, code

)

select
    pivoted.document_id || '|' || pivoted.function_code                     as income_key,
    pivoted.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    pivoted.function_code,
    {{ code_level('pivoted.function_code') }}                                as function_level,
    {{ code_parent('pivoted.function_code') }}                               as parent_code,
    left(pivoted.function_code, 3)                                           as class_code,
    pivoted.function_name                                                    as function_name_as_printed,
    {{ mart_wan('pivoted.total') }} as total_wan,
    {{ mart_yuan('pivoted.total') }} as total_yuan,
    {{ mart_wan('pivoted.fiscal_appropriation') }} as fiscal_appropriation_wan,
    {{ mart_yuan('pivoted.fiscal_appropriation') }} as fiscal_appropriation_yuan,
    {{ mart_wan('pivoted.superior_subsidy') }} as superior_subsidy_wan,
    {{ mart_yuan('pivoted.superior_subsidy') }} as superior_subsidy_yuan,
    {{ mart_wan('pivoted.business_income') }} as business_income_wan,
    {{ mart_yuan('pivoted.business_income') }} as business_income_yuan,
    {{ mart_wan('pivoted.operating_income') }} as operating_income_wan,
    {{ mart_yuan('pivoted.operating_income') }} as operating_income_yuan,
    {{ mart_wan('pivoted.affiliated_remittance') }} as affiliated_remittance_wan,
    {{ mart_yuan('pivoted.affiliated_remittance') }} as affiliated_remittance_yuan,
    {{ mart_wan('pivoted.other_income') }} as other_income_wan,
    {{ mart_yuan('pivoted.other_income') }} as other_income_yuan,
    pivoted.source_unit,
    pivoted.page,
    pivoted.source_row_count
from pivoted
inner join documents
    on documents.document_id = pivoted.document_id
