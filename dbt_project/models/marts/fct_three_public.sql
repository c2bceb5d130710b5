-- T7 财政拨款"三公"经费支出决算表: budget (预算数) and actual (决算数) by item, in 万元 (exact
-- DECIMAL). Grain: (document_id, item); items from seed three_public_items (total, outbound,
-- vehicle_total, vehicle_purchase, vehicle_operation, reception). Decoding of the parser's cells:
-- int_three_public_amounts. Loaded documents; rows appear as soon as the T7 parser emits them.
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_stale_fact_documents() }}") }}
-- Incremental by document: a night rebuilds only new, changed and stale documents
-- (macros/incremental_facts.sql).
with amounts as (

    select * from {{ ref('int_three_public_amounts') }}

),

documents as (

    select document_id, department_key, fiscal_year, is_current from {{ documents_missing_from_this(ref('int_document_versions')) }}

),

items as (

    select * from {{ ref('three_public_items') }}

),

pivoted as (

    select
        document_id,
        item,
        cast(sum(amount) filter (where basis = 'budget') as decimal(20, 6))   as budget_amount,
        cast(sum(amount) filter (where basis = 'final') as decimal(20, 6))    as final_amount,
        min(source_unit)                                                       as source_unit,
        min(page)                                                              as page
    from amounts
    group by document_id, item

)

select
    pivoted.document_id || '|' || pivoted.item                                 as three_public_key,
    pivoted.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    pivoted.item                                                                as item_key,
    items.name_zh                                                               as item_name,
    items.parent_item                                                           as parent_item_key,
    items.sort_order,
    {{ mart_wan('pivoted.budget_amount') }} as budget_wan,
    {{ mart_yuan('pivoted.budget_amount') }} as budget_yuan,
    {{ mart_wan('pivoted.final_amount') }} as final_wan,
    {{ mart_yuan('pivoted.final_amount') }} as final_yuan,
    {{ mart_wan('coalesce(pivoted.final_amount, 0) - coalesce(pivoted.budget_amount, 0)') }} as final_minus_budget_wan,
    {{ mart_yuan('coalesce(pivoted.final_amount, 0) - coalesce(pivoted.budget_amount, 0)') }} as final_minus_budget_yuan,
    pivoted.source_unit,
    pivoted.page
from pivoted
inner join documents
    on documents.document_id = pivoted.document_id
left join items
    on items.item_key = pivoted.item
