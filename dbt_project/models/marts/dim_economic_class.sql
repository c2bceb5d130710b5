-- One row per economic classification code (部门预算支出经济分类科目): every code printed in T6
-- 一般公共预算财政拨款基本支出决算表 of a loaded document plus every 类 of the seed
-- economic_classes. T6 rows appear here as soon as the parser emits them (table_key
-- t6_basic_expenditure_economic); until then the dimension holds the seed's 类.
-- Names as in dim_function_class: most used printed wording, all variants, the seed's name.
-- expense_group: personnel (人员经费: 301, 303) or public (公用经费: 302, 307, 309, 310, 399 ...),
-- the split T6 prints and the identity 人员经费 + 公用经费 = T5 基本支出 uses.
with documents as (

    select document_id, fiscal_year from {{ ref('stg_documents') }} where is_loaded

),

printed as (

    select distinct
        cells.document_id,
        cells.row_index,
        cells.code                                      as economic_code,
        {{ clean_item_name('cells.row_label') }}        as name,
        documents.fiscal_year
    from {{ ref('stg_table_cells') }} as cells
    inner join documents
        on documents.document_id = cells.document_id
    where cells.table_key = 't6_basic_expenditure_economic'
      and cells.code is not null

),

wordings as (

    select
        economic_code,
        name,
        count(distinct document_id)     as document_count,
        max(fiscal_year)                as last_year
    from printed
    where name is not null
    group by economic_code, name

),

most_used as (

    select economic_code, name
    from wordings
    qualify row_number() over (
        partition by economic_code
        order by document_count desc, last_year desc nulls last, name
    ) = 1

),

seen as (

    select
        economic_code,
        list(distinct name order by name) filter (where name is not null) as name_variants,
        cast(count(distinct document_id) as integer)                     as document_count,
        cast(min(fiscal_year) as integer)                                as first_year,
        cast(max(fiscal_year) as integer)                                as last_year
    from printed
    group by economic_code

),

standard as (

    select code as economic_code, name_zh as standard_name from {{ ref('economic_classes') }}

),

codes as (

    select economic_code from seen
    union
    select economic_code from standard

)

select
    codes.economic_code,
    {{ economic_level('codes.economic_code') }}  as economic_level,
    {{ economic_parent('codes.economic_code') }}  as parent_code,
    left(codes.economic_code, 3)                                             as class_code,
    {{ expense_group('codes.economic_code') }}  as expense_group,
    {{ expense_group_name(expense_group('codes.economic_code')) }}  as expense_group_name,
    coalesce(most_used.name, standard.standard_name)                         as economic_name,
    class_standard.standard_name                                             as standard_class_name,
    coalesce(seen.name_variants, [])                                         as name_variants,
    cast(coalesce(len(seen.name_variants), 0) as integer)                    as name_variant_count,
    standard.economic_code is not null                                       as in_standard_list,
    coalesce(seen.document_count, 0)                                         as document_count,
    seen.first_year,
    seen.last_year
from codes
left join seen
    on seen.economic_code = codes.economic_code
left join most_used
    on most_used.economic_code = codes.economic_code
left join standard
    on standard.economic_code = codes.economic_code
left join standard as class_standard
    on class_standard.economic_code = left(codes.economic_code, 3)
