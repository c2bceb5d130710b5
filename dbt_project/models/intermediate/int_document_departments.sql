-- One row per loaded document: its region and department, normalised so that one department is
-- one member across years even when the printed wording varies slightly.
--
-- Region: the prefix ingest derived from the department name (raw.documents.region). A region
-- printed without its province (株洲市) is mapped to the one longer region seen that ends with it
-- (湖南省株洲市); when two longer forms end with it (舟山市普陀区 / 上海市普陀区 for 普陀区), it
-- stays as printed, so departments are never merged across ambiguous regions.
--
-- Department name, normalised in this order:
--   1. whitespace removed (also U+3000 and letter-spacing);
--   2. bracketed parts removed: （…）, (…), 【…】, […];
--   3. a leading 中共 removed;
--   4. the region prefix removed (as printed, or its canonical form);
--   5. 委员会 shortened to 委 (商务委员会 = 商务委).
-- department_key = region_key || '|' || normalised name, so names only match within a region.
with documents as (

    select document_id, department, nullif(trim(region), '') as region, fiscal_year, report_kind, first_seen_at
    from {{ ref('stg_documents') }}
    where is_loaded

),

regions as (

    select distinct region from documents where region is not null

),

-- every region that ends with a region (itself included) ...
candidates as (

    select shorter.region as region, longer.region as candidate
    from regions as shorter
    inner join regions as longer
        on ends_with(longer.region, shorter.region)

),

-- ... keeping the candidates that no other region extends further
maximal as (

    select candidates.*
    from candidates
    where not exists (
        select 1 from regions as other
        where other.region <> candidates.candidate
          and ends_with(other.region, candidates.candidate)
    )

),

region_map as (

    select
        region,
        case when count(distinct candidate) = 1 then min(candidate) else region end as region_key
    from maximal
    group by region

),

cleaned as (

    select
        documents.*,
        region_map.region_key,
        regexp_replace(
            regexp_replace(
                regexp_replace(coalesce(documents.department, ''), '[\s\x{3000}]+', '', 'g'),
                '[（(【\[［][^）)】\]］]*[）)】\]］]', '', 'g'
            ),
            '^中共', ''
        ) as name_cleaned
    from documents
    left join region_map
        on region_map.region = documents.region

),

normalised as (

    select
        cleaned.*,
        replace(
            case
                when region is not null and starts_with(name_cleaned, region)
                    then substr(name_cleaned, length(region) + 1)
                when region_key is not null and starts_with(name_cleaned, region_key)
                    then substr(name_cleaned, length(region_key) + 1)
                else name_cleaned
            end,
            '委员会', '委'
        ) as name_stripped
    from cleaned

)

select
    document_id,
    department,
    region,
    region_key,
    fiscal_year,
    report_kind,
    first_seen_at,
    coalesce(nullif(name_stripped, ''), nullif(name_cleaned, ''))          as department_name_normalised,
    case
        when coalesce(nullif(name_stripped, ''), nullif(name_cleaned, '')) is null
            then 'unnamed|' || document_id
        else coalesce(region_key, '') || '|' || coalesce(nullif(name_stripped, ''), name_cleaned)
    end                                                                    as department_key
from normalised
