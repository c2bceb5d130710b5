-- One row per region (administrative prefix of department names) of the loaded documents, keyed
-- by its canonical form (see int_document_departments: 株洲市 joins 湖南省株洲市).
with documents as (

    select * from {{ ref('int_document_departments') }}
    where region_key is not null

),

regions as (

    select
        region_key,
        list(distinct region order by region)           as name_variants,
        cast(count(distinct department_key) as integer) as department_count,
        cast(count(*) as integer)                       as document_count
    from documents
    group by region_key

),

parsed as (

    select
        regions.*,
        nullif(regexp_extract(region_key, '^(北京市|上海市|天津市|重庆市|[^省市区县]{2,8}省|[^省市区县]{2,12}自治区)', 1), '') as province
    from regions

),

with_city as (

    select
        parsed.*,
        substr(region_key, coalesce(length(province), 0) + 1)                                     as rest
    from parsed

),

with_district as (

    select
        with_city.*,
        nullif(regexp_extract(rest, '^([^省市区县州盟]{1,10}(?:市|自治州|州|盟))', 1), '')           as city
    from with_city

)

select
    region_key,
    region_key                                                                        as region_name,
    province,
    city,
    nullif(substr(rest, coalesce(length(city), 0) + 1), '')                           as district,
    case
        when nullif(substr(rest, coalesce(length(city), 0) + 1), '') like '%县' then 'county'
        when nullif(substr(rest, coalesce(length(city), 0) + 1), '') is not null then 'district'
        when city is not null then 'city'
        when province is not null then 'province'
        else 'other'
    end                                                                               as region_level,
    name_variants,
    department_count,
    document_count
from with_district
