-- The table cells the identity residuals read: every cell of a loaded document's table whose
-- availability is `parsed` (int_document_tables), with a short reference a steward can find on
-- the page, e.g. 'T3 p10 r3 208 total=326.72' (table number, page, 0-based data row, code or
-- line, column, the text as printed; 'blank' for an empty cell).
with documents as (

    select document_id from {{ changed_documents(ref('stg_documents')) }}
    where is_loaded

),

usable_tables as (

    select document_id, table_key, table_no
    from {{ changed_documents(ref('int_document_tables')) }}
    where availability = 'parsed'

),

cells as (

    select
        cells.cell_key,
        cells.document_id,
        cells.table_key,
        usable_tables.table_no,
        cells.page,
        cells.row_index,
        cells.row_label,
        cells.code,
        cells.line_key,
        cells.side,
        cells.column_key,
        cells.raw_text,
        cells.amount,
        cells.source_unit,
        case when cells.side is not null then cells.side || ' ' else '' end
            || coalesce(cells.code, cells.line_key, '?')                        as row_ref
    from {{ changed_documents(ref('stg_table_cells')) }} as cells
    inner join documents
        on documents.document_id = cells.document_id
    inner join usable_tables
        on  usable_tables.document_id = cells.document_id
        and usable_tables.table_key = cells.table_key

)

select
    cells.*,
    'T' || cast(table_no as varchar)
        || ' p' || cast(page as varchar)
        || ' r' || cast(row_index as varchar)
        || ' ' || row_ref
        || ' ' || column_key
        || '=' || coalesce(nullif(trim(raw_text), ''), 'blank')                  as cell_ref
from cells
