-- One row per department across years (department_key from int_document_departments: the name
-- normalised, matched within its region). The canonical name is the wording of the latest fiscal
-- year (then the most used wording, then the first in sort order).
with documents as (

    select
        departments.*,
        versions.is_current
    from {{ ref('int_document_departments') }} as departments
    inner join {{ ref('int_document_versions') }} as versions
        on versions.document_id = departments.document_id

),

wordings as (

    select
        department_key,
        department,
        max(fiscal_year)    as last_year,
        count(*)            as document_count
    from documents
    where department is not null
    group by department_key, department

),

canonical as (

    select
        department_key,
        department as department_name
    from wordings
    qualify row_number() over (
        partition by department_key
        order by last_year desc nulls last, document_count desc, department
    ) = 1

),

departments as (

    select
        department_key,
        min(region_key)                                                        as region_key,
        min(department_name_normalised)                                        as department_name_normalised,
        list(distinct department order by department) filter (where department is not null)
                                                                               as name_variants,
        cast(min(fiscal_year) as integer)                                      as first_year,
        cast(max(fiscal_year) as integer)                                      as last_year,
        cast(count(distinct fiscal_year) as integer)                           as year_count,
        cast(count(*) as integer)                                              as document_count,
        cast(count(*) filter (where is_current) as integer)                    as current_document_count
    from documents
    group by department_key

)

select
    departments.department_key,
    canonical.department_name,
    departments.department_name_normalised,
    departments.region_key,
    departments.name_variants,
    cast(len(departments.name_variants) as integer)                            as name_variant_count,
    departments.first_year,
    departments.last_year,
    departments.year_count,
    departments.document_count,
    departments.current_document_count
from departments
left join canonical
    on canonical.department_key = departments.department_key
