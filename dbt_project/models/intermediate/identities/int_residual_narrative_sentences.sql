-- The distinct sentences of the narrative (情况说明) the extractor delivered, per loaded document
-- and page (from stg_narrative_figures: every figure carries the sentence it was read from).
-- Empty while raw.narrative_figures is not written. Read by the metadata identities.
select distinct
    figures.document_id,
    figures.page,
    figures.sentence
from {{ ref('stg_narrative_figures') }} as figures
inner join {{ ref('stg_documents') }} as documents
    on documents.document_id = figures.document_id
where documents.is_loaded
  and nullif(trim(figures.sentence), '') is not null
