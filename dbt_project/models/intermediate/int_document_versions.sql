-- Versions of a report: one row per loaded document. A department that republishes a corrected
-- report (same department_key, fiscal_year and report_kind, different bytes, so a different
-- document_id) has several versions; the CURRENT one is the latest first_seen_at, ties broken by
-- the larger document_id (SHA-256 hex compared as text), so the choice never depends on load order.
-- Quarantined documents are not versions of anything (they have no facts): see dim_document.
with documents as (

    select * from {{ ref('int_document_departments') }}

),

versioned as (

    select
        document_id,
        department_key,
        fiscal_year,
        report_kind,
        first_seen_at,
        row_number() over report_versions                           as version_number,
        count(*) over report                                        as version_count,
        lead(document_id) over report_versions                      as superseded_by,
        last_value(document_id) over (
            report_versions rows between unbounded preceding and unbounded following
        )                                                           as current_document_id
    from documents
    window
        report as (partition by department_key, fiscal_year, report_kind),
        report_versions as (
            partition by department_key, fiscal_year, report_kind
            order by first_seen_at, document_id
        )

)

select
    document_id,
    department_key || '|' || coalesce(cast(fiscal_year as varchar), '') || '|' || coalesce(report_kind, '')
                                                                    as report_key,
    department_key,
    fiscal_year,
    report_kind,
    first_seen_at,
    cast(version_number as integer)                                 as version_number,
    cast(version_count as integer)                                  as version_count,
    superseded_by is null                                           as is_current,
    superseded_by,
    current_document_id
from versioned
