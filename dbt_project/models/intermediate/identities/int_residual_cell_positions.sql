-- Where the cells and narrative figures an identity instance reads are printed, for the steward
-- review site (python -m pipelines review serve): one row per instance of int_identity_residuals
-- and entry of its `cells` column, joined back by the exact reference the residual models wrote
-- (int_residual_cells.cell_ref, or int_residual_narrative_figures.figure_ref, which
-- narrative_comparison_word follows with ' [<comparison word>]'). A table cell comes with its
-- rectangle on the page (stg_table_cells x0, top, x1, bottom: PDF points, top-left origin); a
-- narrative figure with its sentence and number as printed (no rectangle: the site finds them
-- on the page). Entries that are neither (completeness and metadata identities say what they
-- compared) have no row.
with instances as (

    select instance_id, document_id, identity_id, subject, string_split(cells, '; ') as refs
    from {{ changed_documents(ref('int_identity_residuals')) }}
    where cells is not null

),

entries as (

    select
        instance_id, document_id, identity_id, subject,
        unnest(refs)                                                   as ref,
        unnest(range(1, len(refs) + 1))                                as position
    from instances

),

table_cells as (

    select
        residual_cells.document_id, residual_cells.cell_ref, residual_cells.cell_key,
        residual_cells.table_key, residual_cells.table_no, residual_cells.page,
        residual_cells.row_index, residual_cells.row_label, residual_cells.code,
        residual_cells.line_key, residual_cells.side, residual_cells.column_key,
        residual_cells.raw_text, residual_cells.amount, residual_cells.source_unit,
        staged.x0, staged.top, staged.x1, staged.bottom
    from {{ changed_documents(ref('int_residual_cells')) }} as residual_cells
    left join {{ changed_documents(ref('stg_table_cells')) }} as staged
        on staged.cell_key = residual_cells.cell_key

),

figures as (

    select document_id, figure_ref, figure_index, page, sentence, raw_text, amount, comparison_unit
    from {{ changed_documents(ref('int_residual_narrative_figures')) }}

)

select
    entries.instance_id,
    entries.document_id,
    entries.identity_id,
    entries.subject,
    cast(entries.position as integer)                                  as position,
    entries.ref,
    case when table_cells.cell_key is not null then 'table_cell' else 'narrative_figure' end as kind,
    table_cells.cell_key,
    table_cells.table_key,
    table_cells.table_no,
    coalesce(table_cells.page, figures.page)                           as page,
    table_cells.row_index,
    table_cells.row_label,
    table_cells.code,
    table_cells.line_key,
    table_cells.side,
    table_cells.column_key,
    coalesce(table_cells.raw_text, figures.raw_text)                   as raw_text,
    coalesce(table_cells.amount, figures.amount)                       as amount,
    coalesce(table_cells.source_unit, figures.comparison_unit)         as source_unit,
    table_cells.x0,
    table_cells.top,
    table_cells.x1,
    table_cells.bottom,
    figures.figure_index,
    figures.sentence
from entries
left join table_cells
    on  table_cells.document_id = entries.document_id
    and table_cells.cell_ref = entries.ref
left join figures
    on  figures.document_id = entries.document_id
    and table_cells.cell_key is null
    and (figures.figure_ref = entries.ref or starts_with(entries.ref, figures.figure_ref || ' ['))
where table_cells.cell_key is not null or figures.figure_ref is not null
