-- Expenditure by function code, one row per (document_id, fund_scope, function_code), pivoted
-- from the cells of the function-coded expenditure tables (fund_scope from seed standard_tables):
--   t3_expenditure -> all_funds, t5_general_budget_expenditure -> general_public_budget,
--   t8_government_fund -> government_fund, t9_state_capital -> state_capital.
-- Amounts in 万元 (stg_table_cells.amount_wan, exact DECIMAL); blank cells stay null. T8/T9 also
-- print 年初结转和结余 / 本年收入 / 年末结转和结余 per code (opening_balance, income, closing_balance).
-- The 合计 row (line_key 'total') is not a function code: see int_expenditure_table_totals.
-- Only loaded documents, and only cells of tables with status 'parsed' (not empty/unreadable/not_parsed).
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_changed_documents() }}") }}
-- Incremental by document, as the identity residuals (macros/identities/residual_macros.sql).
with cells as (

    select * from ({{ parsed_expenditure_table_cells() }})
    where code is not null and coalesce(line_key, '') <> 'total'

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
