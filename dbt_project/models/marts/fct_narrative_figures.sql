-- Figures stated in the narrative (情况说明): one row per figure, with the sentence and page it was
-- read from. value is kept as stated, in `unit` (万元, 元, % ...); value_wan converts 元/万元 to
-- 万元 exactly (null for shares and counts). unit_suspect flags a unit that looks like a typo
-- (115.53元 meaning 万元). Loaded documents only.
-- raw.narrative_figures is being added to the staging loader: until it exists this model is
-- empty (see stg_narrative_figures and var('narrative_figures')).
with figures as (

    select * from {{ ref('stg_narrative_figures') }}

),

documents as (

    select document_id, department_key, fiscal_year, is_current from {{ ref('int_document_versions') }}

),

numbered as (

    select
        figures.*,
        row_number() over (
            partition by figures.document_id
            order by figures.page, figures.section, figures.figure_key, figures.subject,
                     figures.sentence, figures.value, figures.unit
        ) as figure_number
    from figures

)

select
    numbered.document_id || '|' || cast(numbered.figure_number as varchar)    as narrative_figure_key,
    numbered.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    cast(numbered.figure_number as integer)                                     as figure_number,
    numbered.page,
    numbered.section,
    numbered.sentence,
    numbered.figure_key,
    numbered.subject,
    numbered.value,
    numbered.unit,
    cast(
        case numbered.unit
            when '万元' then numbered.value
            when '元' then numbered.value * cast(0.0001 as decimal(5, 4))
        end
        as decimal(20, 6)
    )                                                                           as value_wan,
    numbered.unit_suspect
from numbered
inner join documents
    on documents.document_id = numbered.document_id
