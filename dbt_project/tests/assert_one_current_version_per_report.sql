-- Every report (department_key, fiscal_year, report_kind) has exactly one current version, and
-- the current one is the latest first_seen_at (ties: the larger document_id).
with versions as (

    select * from {{ ref('int_document_versions') }}

),

per_report as (

    select
        report_key,
        count(*) filter (where is_current)                                     as current_count,
        arg_max(document_id, (first_seen_at, document_id))                     as expected_current
    from versions
    group by report_key

)

select per_report.*, versions.document_id as flagged_current
from per_report
left join versions
    on versions.report_key = per_report.report_key and versions.is_current
where per_report.current_count <> 1
   or versions.document_id is distinct from per_report.expected_current
