-- The 合计 row (line_key 'total') of each function-coded expenditure table, one row per
-- (document_id, fund_scope); amounts in 万元. Kept apart from int_expenditure_by_function
-- because 合计 is not a function code.
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_changed_documents() }}") }}
-- Incremental by document, as the identity residuals (macros/identities/residual_macros.sql).
with cells as (

    select * from ({{ parsed_expenditure_table_cells() }})
    where line_key = 'total'

),

pivoted as (

    select
        document_id,
        fund_scope,
        table_key,
        arg_min(row_label, row_index)                                          as row_label,
        min(page)                                                              as page,
        count(distinct row_index)                                              as source_row_count,
        min(source_unit)                                                       as source_unit,
        {{ pivot_expenditure_amounts('amount_wan', 'decimal(20, 6)') }}
    from cells
    group by document_id, fund_scope, table_key

)

select
    document_id || '|' || fund_scope                                           as table_total_key,
    document_id,
    fund_scope,
    table_key,
    row_label,
    total,
    basic,
    project,
    remit_to_superior,
    operating,
    subsidy_to_affiliates,
    {{ other_expenditure('decimal(20, 6)') }}                                  as other,
    source_unit,
    page,
    source_row_count
from pivoted
