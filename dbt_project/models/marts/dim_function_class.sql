-- One row per function classification code (支出功能分类科目): every code printed in a loaded
-- document (T1/T4 类 lines, T2, T3, T5, T8, T9) plus every 类 of the seed function_classes.
-- The code is the key. Printed names vary across documents and years (numbering such as 一、,
-- letter-spacing, wording): `name` is the wording printed in most documents (then the latest
-- year's, then the first in sort order), `name_variants` lists every cleaned wording seen, and
-- `standard_name` is the seed's name for a 类.
with documents as (

    select document_id, fiscal_year from {{ ref('stg_documents') }} where is_loaded

),

printed as (

    select distinct
        cells.document_id,
        cells.table_key,
        cells.row_index,
        cells.code                                      as function_code,
        {{ clean_item_name('cells.row_label') }}        as name,
        documents.fiscal_year
    from {{ ref('stg_table_cells') }} as cells
    inner join documents
        on documents.document_id = cells.document_id
    where cells.table_key in ('{{ function_coded_table_keys() | join("', '") }}')
      and cells.code is not null
      and (cells.table_key not in ('t1_summary', 't4_appropriation_summary') or cells.line_key = 'function_class')

),

wordings as (

    select
        function_code,
        name,
        count(distinct document_id)     as document_count,
        max(fiscal_year)                as last_year
    from printed
    where name is not null
    group by function_code, name

),

most_used as (

    select function_code, name
    from wordings
    qualify row_number() over (
        partition by function_code
        order by document_count desc, last_year desc nulls last, name
    ) = 1

),

seen as (

    select
        function_code,
        list(distinct name order by name) filter (where name is not null) as name_variants,
        cast(count(distinct document_id) as integer)                     as document_count,
        cast(min(fiscal_year) as integer)                                as first_year,
        cast(max(fiscal_year) as integer)                                as last_year
    from printed
    group by function_code

),

standard as (

    select code as function_code, name_zh as standard_name from {{ ref('function_classes') }}

),

codes as (

    select function_code from seen
    union
    select function_code from standard

)

select
    codes.function_code,
    {{ code_level('codes.function_code') }}                                  as function_level,
    {{ code_parent('codes.function_code') }}                                 as parent_code,
    left(codes.function_code, 3)                                             as class_code,
    coalesce(most_used.name, standard.standard_name)                         as function_name,
    standard.standard_name                                                   as standard_function_name,
    coalesce(seen.name_variants, [])                                         as name_variants,
    cast(coalesce(len(seen.name_variants), 0) as integer)                    as name_variant_count,
    standard.function_code is not null                                       as in_standard_list,
    coalesce(seen.document_count, 0)                                         as document_count,
    seen.first_year,
    seen.last_year
from codes
left join seen
    on seen.function_code = codes.function_code
left join most_used
    on most_used.function_code = codes.function_code
left join standard
    on standard.function_code = codes.function_code
