-- One row per cell, with its amount converted to 万元.
-- The source unit is the unit printed above the table, falling back to the document's main unit.
-- Conversion is exact DECIMAL arithmetic (× 0.0001, never a float division):
--   元  -> amount × 0.0001     万元 -> amount     anything else -> null (flagged by tests).
with cells as (

    select * from {{ source('raw', 'table_cells') }}

),

report_tables as (

    select * from {{ ref('stg_report_tables') }}

),

documents as (

    select * from {{ ref('stg_documents') }}

),

with_unit as (

    select
        cells.*,
        coalesce(report_tables.unit, documents.unit) as source_unit
    from cells
    left join report_tables
        on  report_tables.document_id = cells.document_id
        and report_tables.table_key = cells.table_key
    left join documents
        on documents.document_id = cells.document_id

)

select
    document_id
        || '|' || table_key
        || '|' || cast(row_index as varchar)
        || '|' || coalesce(side, '')
        || '|' || column_key                                   as cell_key,
    document_id || '|' || table_key                            as report_table_key,
    document_id,
    table_key,
    page,
    row_index,
    row_label,
    code,
    line_key,
    side,
    column_key,
    raw_text,
    amount,
    x0,
    top,
    x1,
    bottom,
    source_unit,
    cast(
        case source_unit
            when '万元' then amount
            when '元' then amount * cast(0.0001 as decimal(5, 4))
        end
        as decimal(20, 6)
    )                                                          as amount_wan
from with_unit
