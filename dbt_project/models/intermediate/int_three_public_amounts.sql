-- T7 财政拨款"三公"经费支出决算表: one row per (document_id, basis, item), amounts in 万元.
--   basis: budget (预算数) or final (决算数)
--   item:  total, outbound, vehicle_total, vehicle_purchase, vehicle_operation, reception
--          (seed three_public_items)
-- The T7 parser is being written; this model accepts the encodings a grid parser can emit for
-- a table whose header crosses items with 预算数/决算数 (basis and item are both read from the
-- cell's keys, never from its position):
--   a. column_key '<basis>_<item>' (budget_outbound)  or '<item>_<basis>' (outbound_budget);
--   b. one row per basis: line_key 'budget' / 'final', column_key = item;
--   c. one row per item:  line_key = item, column_key 'budget' / 'final'.
-- Cells matching none of these are left out (see int_document_tables for the table's status).
-- Loaded documents, tables with status `parsed` only.
with documents as (

    select document_id from {{ ref('stg_documents') }} where is_loaded

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
    where cells.table_key = 't7_three_public'
      and report_tables.status = 'parsed'

),

decoded as (

    select
        cells.*,
        case
            when regexp_full_match(column_key, '(budget|final)_.+') then regexp_extract(column_key, '^(budget|final)_', 1)
            when regexp_full_match(column_key, '.+_(budget|final)') then regexp_extract(column_key, '_(budget|final)$', 1)
            when line_key in ('budget', 'final') then line_key
            when column_key in ('budget', 'final') then column_key
        end as basis,
        case
            when regexp_full_match(column_key, '(budget|final)_.+') then regexp_replace(column_key, '^(budget|final)_', '')
            when regexp_full_match(column_key, '.+_(budget|final)') then regexp_replace(column_key, '_(budget|final)$', '')
            when line_key in ('budget', 'final') then column_key
            when column_key in ('budget', 'final') then line_key
        end as item
    from cells

)

select
    document_id || '|' || basis || '|' || item                       as three_public_amount_key,
    document_id,
    basis,
    item,
    cast(sum(amount_wan) as decimal(20, 6))                          as amount,
    min(source_unit)                                                 as source_unit,
    min(page)                                                        as page,
    cast(count(*) as integer)                                        as source_cell_count
from decoded
where basis is not null and item is not null and item <> ''
group by document_id, basis, item
