{{ config(severity='warn') }}
-- The marts show 万元 with two decimals (macros/amounts.sql). Every amount a final-accounts table
-- prints in 万元 has two, so the marts' _wan columns are exact for it; a table printed in 元 has
-- two decimals of 元, which can be up to six of 万元 (1.23 元 = 0.000123 万元). Each such cell
-- of a loaded document is listed here: its marts' _wan amounts are rounded to 0.01 万元 and the
-- exact amount is the _yuan column beside them. A warning, not an error: the warehouse holds the
-- exact amount, and a report printed in 元 must not stop the night.
select
    cells.cell_key,
    cells.document_id,
    cells.table_key,
    cells.source_unit,
    cells.amount,
    cells.amount_wan
from {{ ref('stg_table_cells') }} as cells
inner join {{ ref('stg_documents') }} as documents
    on documents.document_id = cells.document_id
where documents.is_loaded
  and cells.amount_wan is not null
  and cells.amount_wan <> round(cells.amount_wan, 2)
