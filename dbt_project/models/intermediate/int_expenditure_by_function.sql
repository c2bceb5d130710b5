-- Expenditure by function code, one row per (document_id, fund_scope, function_code), pivoted
-- from the cells of the function-coded expenditure tables (fund_scope from seed standard_tables):
--   t3_expenditure -> all_funds, t5_general_budget_expenditure -> general_public_budget,
--   t8_government_fund -> government_fund, t9_state_capital -> state_capital.
-- Amounts in 万元 (stg_table_cells.amount_wan, exact DECIMAL); blank cells stay null. T8/T9 also
-- print 年初结转和结余 / 本年收入 / 年末结转和结余 per code (opening_balance, income, closing_balance).
-- The 合计 row (line_key 'total') is not a function code: see int_expenditure_table_totals.
-- Only loaded documents, and only cells of tables with status 'parsed' (not empty/unreadable/not_parsed).
with documents as (

    select document_id from {{ ref('stg_documents') }}
    where is_loaded

),

fund_scopes as (

    select table_key, fund_scope
    from {{ ref('standard_tables') }}
    where fund_scope is not null

),

report_tables as (

    select report_table_key, status from {{ ref('stg_report_tables') }}

),

cells as (

    select
        cells.*,
        fund_scopes.fund_scope
    from {{ ref('stg_table_cells') }} as cells
    inner join fund_scopes
        on fund_scopes.table_key = cells.table_key
    inner join documents
        on documents.document_id = cells.document_id
    inner join report_tables
        on report_tables.report_table_key = cells.report_table_key
    where cells.code is not null
      and coalesce(cells.line_key, '') <> 'total'
      and report_tables.status = 'parsed'

),

pivoted as (

    select
        document_id,
        fund_scope,
        table_key,
        code                                                                   as function_code,
        arg_min(row_label, row_index)                                          as row_label,
        min(page)                                                              as page,
        min(row_index)                                                         as row_index,
        count(distinct row_index)                                              as source_row_count,
        min(source_unit)                                                       as source_unit,
        {{ pivot_expenditure_amounts('amount_wan', 'decimal(20, 6)') }},
        {{ pivot_fund_balance_amounts('amount_wan', 'decimal(20, 6)') }}
    from cells
    group by document_id, fund_scope, table_key, code

)

select
    document_id || '|' || fund_scope || '|' || function_code                  as expenditure_key,
    document_id,
    fund_scope,
    table_key,
    function_code,
    case
        when not regexp_full_match(function_code, '[0-9]+') then null
        when length(function_code) = 3 then '类'
        when length(function_code) = 5 then '款'
        when length(function_code) = 7 then '项'
    end                                                                        as function_level,
    case
        when not regexp_full_match(function_code, '[0-9]+') then null
        when length(function_code) = 5 then left(function_code, 3)
        when length(function_code) = 7 then left(function_code, 5)
    end                                                                        as parent_code,
    left(function_code, 3)                                                     as class_code,
    row_label,
    total,
    basic,
    project,
    remit_to_superior,
    operating,
    subsidy_to_affiliates,
    {{ other_expenditure('decimal(20, 6)') }}                                  as other,
    opening_balance,
    income,
    closing_balance,
    source_unit,
    page,
    row_index,
    source_row_count
from pivoted
