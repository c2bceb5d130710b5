-- One row per figure stated in the narrative (情况说明) of a document, from raw.narrative_figures.
--
-- raw.narrative_figures is written by the narrative extractor (ingest/narrative.py; columns in
-- docs/architecture.md). A working file without it (an older parse cache, a fixture) gives this
-- view the same columns and no rows, so the project builds green either way:
--   var('narrative_figures', 'auto'): 'auto' reads the table when it exists in the working file,
--   'off' never reads it (an escape hatch if its columns ever drift from the ones below).
-- The check runs when the model is built (execute), not at parse time.
{%- set relation = source('raw', 'narrative_figures') %}
{%- set wanted = var('narrative_figures', 'auto') | string | lower %}
{%- set available = false %}
{%- if execute and wanted != 'off' %}
    {%- set found = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) %}
    {%- set available = found is not none %}
{%- endif %}

{% if available %}
with source as (

    select * from {{ relation }}

)

select
    cast(document_id as varchar)                 as document_id,
    cast(figure_index as integer)                as figure_index,
    cast(page as integer)                        as page,
    cast(section as varchar)                     as section,
    cast(subsection as varchar)                  as subsection,
    cast(sentence as varchar)                    as sentence,
    cast(figure_key as varchar)                  as figure_key,
    cast(subject as varchar)                     as subject,
    cast(class_name as varchar)                  as class_name,
    cast(kuan_name as varchar)                   as kuan_name,
    cast(item_name as varchar)                   as item_name,
    cast(class_code as varchar)                  as class_code,
    cast(comparison_word as varchar)             as comparison_word,
    cast(relative_to as varchar)                 as relative_to,
    cast(value as decimal(18, 4))                as value,
    nullif(trim(cast(unit as varchar)), '')      as unit,
    coalesce(cast(unit_suspect as boolean), false) as unit_suspect,
    cast(raw_text as varchar)                    as raw_text,
    true                                         as source_available
from source
{% else %}
select
    cast(null as varchar)        as document_id,
    cast(null as integer)        as figure_index,
    cast(null as integer)        as page,
    cast(null as varchar)        as section,
    cast(null as varchar)        as subsection,
    cast(null as varchar)        as sentence,
    cast(null as varchar)        as figure_key,
    cast(null as varchar)        as subject,
    cast(null as varchar)        as class_name,
    cast(null as varchar)        as kuan_name,
    cast(null as varchar)        as item_name,
    cast(null as varchar)        as class_code,
    cast(null as varchar)        as comparison_word,
    cast(null as varchar)        as relative_to,
    cast(null as decimal(18, 4)) as value,
    cast(null as varchar)        as unit,
    cast(null as boolean)        as unit_suspect,
    cast(null as varchar)        as raw_text,
    false                        as source_available
where false
{% endif %}
