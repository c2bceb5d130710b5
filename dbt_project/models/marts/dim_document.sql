-- One row per document, loaded or quarantined, so analysts see what was not loaded and why.
select
    document_id,
    file_name,
    department,
    region,
    fiscal_year,
    report_kind,
    unit,
    status,
    quarantine_reason,
    page_count,
    first_seen_at,
    size_bytes
from {{ ref('stg_documents') }}
