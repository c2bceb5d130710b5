-- One row per document (loaded or quarantined), as delivered in raw.documents.
-- Staging only renames/casts: no filtering, so quarantined documents stay visible downstream.
with source as (

    select * from {{ source('raw', 'documents') }}

)

select
    document_id,
    file_name,
    file_names,
    size_bytes,
    first_seen_at,
    archive_path,
    status,
    quarantine_reason,
    report_kind,
    department,
    region,
    fiscal_year,
    nullif(trim(unit), '') as unit,
    page_count,
    parser_version,
    status = 'loaded' as is_loaded
from source
