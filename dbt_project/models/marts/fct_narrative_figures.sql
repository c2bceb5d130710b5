-- Figures stated in the narrative (情况说明): one row per figure (raw.narrative_figures), with the
-- sentence and page it was read from. value is kept exactly as printed, in `unit` (万元, 元, 亿元,
-- %, 辆 ...); value_wan is the same amount in 万元 for the money units (元 × 0.0001, 亿元 × 10000),
-- null for shares and counts. unit_suspect flags a unit that looks like a typo (115.53元 meaning
-- 万元): value_wan follows the unit as printed, the flag says not to trust it.
-- Loaded documents only, every version (is_current marks the current ones). Empty while the
-- working file has no raw.narrative_figures (see stg_narrative_figures).
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_stale_fact_documents() }}") }}
-- Incremental by document: a night rebuilds only new, changed and stale documents
-- (macros/incremental_facts.sql).
with figures as (

    select * from {{ ref('stg_narrative_figures') }}

),

documents as (

    select document_id, department_key, fiscal_year, is_current from {{ documents_missing_from_this(ref('int_document_versions')) }}

)

select
    figures.document_id || '|' || cast(figures.figure_index as varchar)        as narrative_figure_key,
    figures.document_id,
    documents.department_key,
    documents.fiscal_year,
    documents.is_current,
    figures.figure_index,
    figures.page,
    figures.section,
    figures.subsection,
    figures.sentence,
    figures.figure_key,
    figures.subject,
    figures.class_name                                                          as class_name_as_printed,
    figures.kuan_name                                                           as kuan_name_as_printed,
    figures.item_name                                                           as item_name_as_printed,
    figures.class_code,
    figures.comparison_word,
    figures.relative_to,
    figures.value,
    figures.unit,
    cast(
        case figures.unit
            when '万元' then figures.value
            when '元' then figures.value * cast(0.0001 as decimal(5, 4))
            when '亿元' then figures.value * 10000
        end
        as decimal(24, 8)
    )                                                                           as value_wan,
    figures.unit_suspect,
    figures.raw_text
from figures
inner join documents
    on documents.document_id = figures.document_id
