-- The cells of every anchor (seed identity_anchors): the single printed figures the cross-table
-- and narrative identities compare (T1 本年收入合计, T3 合计 基本支出, T5 类 rows, ...), from the
-- parsed tables of loaded documents (int_residual_cells). anchor_class is the 类 code of a
-- per_class anchor, '' otherwise.
select
    anchors.anchor,
    anchors.per_class,
    anchors.label,
    case when anchors.per_class then cells.code else '' end      as anchor_class,
    cells.*
from {{ ref('identity_anchors') }} as anchors
inner join {{ changed_documents(ref('int_residual_cells')) }} as cells
    on  cells.table_key = anchors.table_key
    and cells.column_key = anchors.column_key
    and cells.side is not distinct from anchors.side
    and (
        (not anchors.per_class and cells.line_key = anchors.line_key and cells.code is null)
        or (anchors.per_class and length(cells.code) = 3)
    )
