-- One row per document (distinct file content), loaded or quarantined, so analysts see what was
-- not loaded and why. Facts reference it by document_id.
-- Versions (int_document_versions): among the loaded documents of one department_key,
-- fiscal_year and report_kind, the latest first_seen_at is current (ties: larger document_id);
-- older versions stay here with is_current = false and superseded_by = the next newer version.
-- Quarantined documents are never current (they carry no facts) and have no version number.
with documents as (

    select * from {{ ref('stg_documents') }}

),

departments as (

    select document_id, department_key, region_key from {{ ref('int_document_departments') }}

),

versions as (

    select * from {{ ref('int_document_versions') }}

)

select
    documents.document_id,
    documents.file_name,
    documents.file_names,
    documents.archive_path,
    documents.department                                    as department_name_as_printed,
    departments.department_key,
    documents.region                                        as region_name_as_printed,
    departments.region_key,
    documents.fiscal_year,
    documents.report_kind,
    documents.unit                                          as source_unit,
    documents.status,
    documents.quarantine_reason,
    documents.page_count,
    documents.first_seen_at,
    documents.size_bytes,
    documents.parser_version,
    versions.report_key,
    versions.version_number,
    versions.version_count,
    coalesce(versions.is_current, false)                    as is_current,
    versions.superseded_by,
    versions.current_document_id
from documents
left join departments
    on departments.document_id = documents.document_id
left join versions
    on versions.document_id = documents.document_id
