-- The narrative (情况说明) figures the identities compare with the tables: raw.narrative_figures
-- (docs/architecture.md) of loaded documents, with the columns the identities need (figure_index,
-- class/kuan/item names, class_code, comparison_word, relative_to; stg_narrative_figures does
-- not carry them) and the value made comparable:
--   amount       value in `comparison_unit` as DECIMAL(18,2): 万元 and 元 as printed (a suspect 元
--                stays 元: the unit typo is the document's), 亿元 x 10000 as 万元, % as printed;
--                null when the unit is something else (辆, 台（套）, a missing % sign) or the value
--                has more than 2 decimals in that unit
--   figure_ref   'narrative p21 #14 appropriation_total_income_expenditure=0.3万元'
-- Until the narrative extractor writes raw.narrative_figures, this model has no rows.
-- depends_on: {{ ref('stg_documents') }}
{%- set relation = source('raw', 'narrative_figures') %}
{%- set available = false %}
{%- if execute %}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) %}
    {%- set available = found is not none %}
{%- endif %}

{% if available %}
with figures as (

    select
        cast(figures.document_id as varchar)                               as document_id,
        cast(figures.figure_index as integer)                              as figure_index,
        cast(figures.page as integer)                                      as page,
        cast(figures.section as varchar)                                   as section,
        cast(figures.subsection as varchar)                                as subsection,
        cast(figures.sentence as varchar)                                  as sentence,
        cast(figures.figure_key as varchar)                                as figure_key,
        cast(figures.subject as varchar)                                   as subject,
        cast(figures.class_name as varchar)                                as class_name,
        cast(figures.kuan_name as varchar)                                 as kuan_name,
        cast(figures.item_name as varchar)                                 as item_name,
        cast(figures.class_code as varchar)                                as class_code,
        cast(figures.comparison_word as varchar)                           as comparison_word,
        cast(figures.relative_to as varchar)                               as relative_to,
        cast(figures.value as decimal(18, 4))                              as value,
        nullif(trim(cast(figures.unit as varchar)), '')                    as unit,
        coalesce(cast(figures.unit_suspect as boolean), false)             as unit_suspect,
        cast(figures.raw_text as varchar)                                  as raw_text
    from {{ relation }} as figures
    inner join {{ changed_documents(ref('stg_documents')) }} as documents
        on documents.document_id = figures.document_id
    where documents.is_loaded

),

converted as (

    select
        figures.*,
        case figures.unit when '亿元' then '万元' else figures.unit end   as comparison_unit,
        case figures.unit
            when '亿元' then figures.value * 10000
            when '万元' then figures.value
            when '元' then figures.value
            when '%' then figures.value
        end                                                                as value_in_unit
    from figures

)

select
    document_id || '|' || cast(figure_index as varchar)                   as figure_id,
    converted.* exclude (value_in_unit),
    case when value_in_unit = round(value_in_unit, 2)
        then cast(value_in_unit as decimal(18, 2)) end                     as amount,
    'narrative p' || coalesce(cast(page as varchar), '?') || ' #' || cast(figure_index as varchar)
        || ' ' || figure_key || coalesce('(' || subject || ')', '')
        || '=' || coalesce(raw_text, cast(value as varchar) || coalesce(unit, ''))
        || case when unit_suspect then ' (unit suspect)' else '' end      as figure_ref,
    figure_key
        || coalesce(':' || coalesce(class_code, subject), '')
        || '#' || cast(row_number() over (
            partition by document_id, figure_key, class_code, subject
            order by figure_index) as varchar)                             as statement
from converted
{% else %}
select
    cast(null as varchar) as figure_id, cast(null as varchar) as document_id,
    cast(null as integer) as figure_index, cast(null as integer) as page,
    cast(null as varchar) as section, cast(null as varchar) as subsection,
    cast(null as varchar) as sentence, cast(null as varchar) as figure_key,
    cast(null as varchar) as subject, cast(null as varchar) as class_name,
    cast(null as varchar) as kuan_name, cast(null as varchar) as item_name,
    cast(null as varchar) as class_code, cast(null as varchar) as comparison_word,
    cast(null as varchar) as relative_to, cast(null as decimal(18, 4)) as value,
    cast(null as varchar) as unit, cast(null as boolean) as unit_suspect,
    cast(null as varchar) as raw_text, cast(null as varchar) as comparison_unit,
    cast(null as decimal(18, 2)) as amount, cast(null as varchar) as figure_ref,
    cast(null as varchar) as statement
where false
{% endif %}
