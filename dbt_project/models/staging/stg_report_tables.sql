-- One row per standard table located in a document.
with source as (

    select * from {{ source('raw', 'report_tables') }}

)

select
    document_id || '|' || table_key as report_table_key,
    document_id,
    table_key,
    title,
    first_page,
    last_page,
    status,
    note,
    nullif(trim(unit), '') as unit,
    row_count
from source
