-- One row per document (loaded or quarantined, every version): who, what year, which version,
-- which tables could be read, and the headline figures of each table, in 万元. Filter on
-- is_current for the figures analysts should use; status/quarantine_reason say why a document
-- has no figures. Grain: document_id.
with documents as (

    select * from {{ ref('dim_document') }}

),

departments as (

    select department_key, department_name from {{ ref('dim_department') }}

),

tables as (

    select
        document_id,
        cast(count(*) filter (where availability = 'parsed') as integer)       as tables_parsed,
        cast(count(*) filter (where availability = 'empty') as integer)        as tables_empty,
        cast(count(*) filter (where availability = 'not_parsed') as integer)   as tables_not_parsed,
        cast(count(*) filter (where availability in ('unreadable', 'parsed_no_cells')) as integer)
                                                                                as tables_unreadable,
        cast(count(*) filter (where availability = 'missing') as integer)      as tables_missing
    from {{ ref('int_document_tables') }}
    group by document_id

),

t1 as (

    select
        document_id,
        max(amount_wan) filter (where side = 'income' and line_key = 'income_total')               as income_total,
        max(amount_wan) filter (where side = 'income' and line_key = 'general_budget_appropriation') as general_budget_appropriation,
        max(amount_wan) filter (where side = 'expenditure' and line_key = 'expenditure_total')     as expenditure_total,
        max(amount_wan) filter (where side = 'income' and line_key = 'opening_balance')            as opening_balance,
        max(amount_wan) filter (where side = 'expenditure' and line_key = 'closing_balance')       as closing_balance,
        max(amount_wan) filter (where side = 'income' and line_key = 'grand_total')                as income_grand_total,
        max(amount_wan) filter (where side = 'expenditure' and line_key = 'grand_total')           as expenditure_grand_total
    from ({{ exact_amounts_from(ref('fct_summary_lines'), ['amount']) }})
    group by document_id

),

table_totals as (

    select
        document_id,
        max(total) filter (where fund_scope = 'all_funds')              as t3_total,
        max(basic) filter (where fund_scope = 'all_funds')              as t3_basic,
        max(project) filter (where fund_scope = 'all_funds')            as t3_project,
        max(total) filter (where fund_scope = 'general_public_budget')  as t5_total
    from {{ ref('int_expenditure_table_totals') }}
    group by document_id

),

t6 as (

    select
        document_id,
        sum(amount_wan) filter (where economic_level = '类' and expense_group = 'personnel')   as t6_personnel,
        sum(amount_wan) filter (where economic_level = '类' and expense_group = 'public')      as t6_public
    from ({{ exact_amounts_from(ref('fct_basic_expenditure_by_economic'), ['amount']) }})
    group by document_id

),

t7 as (

    select
        document_id,
        max(budget_wan) filter (where item_key = 'total')   as three_public_budget,
        max(final_wan) filter (where item_key = 'total')    as three_public_final
    from ({{ exact_amounts_from(ref('fct_three_public'), ['budget', 'final']) }})
    group by document_id

),

narrative as (

    select document_id, cast(count(*) as integer) as narrative_figure_count
    from {{ ref('fct_narrative_figures') }}
    group by document_id

)

select
    documents.document_id,
    documents.file_name,
    documents.department_name_as_printed,
    documents.department_key,
    departments.department_name,
    documents.region_key,
    documents.fiscal_year,
    documents.report_kind,
    documents.status,
    documents.quarantine_reason,
    documents.is_current,
    documents.version_number,
    documents.version_count,
    documents.superseded_by,
    documents.source_unit,
    documents.page_count,
    documents.first_seen_at,
    tables.tables_parsed,
    tables.tables_empty,
    tables.tables_not_parsed,
    tables.tables_unreadable,
    tables.tables_missing,
    {{ mart_wan('t1.income_total') }}                  as income_total_wan,
    {{ mart_wan('t1.general_budget_appropriation') }}  as general_budget_appropriation_wan,
    {{ mart_wan('t1.expenditure_total') }}             as expenditure_total_wan,
    {{ mart_wan('t1.opening_balance') }}               as opening_balance_wan,
    {{ mart_wan('t1.closing_balance') }}               as closing_balance_wan,
    {{ mart_wan('t1.income_grand_total') }}            as income_grand_total_wan,
    {{ mart_wan('t1.expenditure_grand_total') }}       as expenditure_grand_total_wan,
    {{ mart_wan('table_totals.t3_total') }}            as t3_total_wan,
    {{ mart_wan('table_totals.t3_basic') }}            as t3_basic_wan,
    {{ mart_wan('table_totals.t3_project') }}          as t3_project_wan,
    {{ mart_wan('table_totals.t5_total') }}            as t5_total_wan,
    {{ mart_wan('t6.t6_personnel') }}                  as t6_personnel_wan,
    {{ mart_wan('t6.t6_public') }}                     as t6_public_wan,
    {{ mart_wan('t7.three_public_budget') }}           as three_public_budget_wan,
    {{ mart_wan('t7.three_public_final') }}            as three_public_final_wan,
    coalesce(narrative.narrative_figure_count, 0)            as narrative_figure_count
from documents
left join departments
    on departments.department_key = documents.department_key
left join tables
    on tables.document_id = documents.document_id
left join t1
    on t1.document_id = documents.document_id
left join table_totals
    on table_totals.document_id = documents.document_id
left join t6
    on t6.document_id = documents.document_id
left join t7
    on t7.document_id = documents.document_id
left join narrative
    on narrative.document_id = documents.document_id
