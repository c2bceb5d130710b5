-- Identities across tables: the same figure printed in two tables must match to the cent
-- (catalogue tolerance 0), one row per instance:
--   cross_t1_t2_income_total       T1 本年收入合计 = T2 合计                 (subject 'income_total')
--   cross_t1_t3_class              T1 支出 of a 类 = T3 本年支出合计 of the 类 (subject: 类 code)
--   cross_t1_t3_expenditure_total  T1 本年支出合计 = T3 合计                 (subject 'expenditure_total')
--   cross_t4_t5_class              T4 一般公共预算 支出 of a 类 = T5 合计 of the 类 (subject: 类 code)
--   cross_t5_t6_basic              T5 合计 基本支出 = T6 人员经费合计 + 公用经费合计 (subject 'basic')
--   cross_t3_t5_total              T3 合计 >= T5 合计, relation '>='        (subject 'total')
-- A table present but empty (本表无数据) counts as zeros (catalogue empty_table_is_zero); a
-- table that is missing/unreadable/not parsed is handled in int_identity_residuals (one
-- not-evaluated row). A line that should be printed in a parsed table but is not found, or is
-- found twice, makes the instance not evaluable. Instances printed in 万元 and 元 compare in 元.
with cells as (

    select * from {{ changed_documents(ref('int_residual_cells')) }}

),

documents as (

    select document_id from {{ changed_documents(ref('stg_documents')) }} where is_loaded

),

availability as (

    select document_id, table_key, availability from {{ changed_documents(ref('int_document_tables')) }}

),

-- single printed figures ("anchors", seed identity_anchors) the identities compare
anchor_specs as (

    select distinct anchor, table_key, label from {{ ref('identity_anchors') }}
    where not per_class
      and anchor in ('t1_income_total', 't1_expenditure_total', 't2_total', 't3_total', 't5_total',
                     't5_basic', 't6_personnel', 't6_public')

),

anchor_uses as (

    select * from (
        values
            ('cross_t1_t2_income_total',      'income_total',      'lhs', 't1_income_total',      '='),
            ('cross_t1_t2_income_total',      'income_total',      'rhs', 't2_total',             '='),
            ('cross_t1_t3_expenditure_total', 'expenditure_total', 'lhs', 't1_expenditure_total', '='),
            ('cross_t1_t3_expenditure_total', 'expenditure_total', 'rhs', 't3_total',             '='),
            ('cross_t5_t6_basic',             'basic',             'lhs', 't5_basic',             '='),
            ('cross_t5_t6_basic',             'basic',             'rhs', 't6_personnel',         '='),
            ('cross_t5_t6_basic',             'basic',             'rhs', 't6_public',            '='),
            ('cross_t3_t5_total',             'total',             'lhs', 't3_total',             '>='),
            ('cross_t3_t5_total',             'total',             'rhs', 't5_total',             '>=')
    ) as uses (identity_id, subject, role, anchor, relation)

),

anchor_cells as (

    select * from {{ changed_documents(ref('int_residual_anchor_cells')) }}
    where not per_class

),

anchor_state as (

    -- per document and anchor: is its table parsed, and on how many rows is the line printed
    select
        documents.document_id,
        specs.anchor,
        specs.table_key,
        specs.label,
        availability.availability,
        count(distinct anchor_cells.row_index) as n_rows
    from documents
    cross join anchor_specs as specs
    left join availability
        on  availability.document_id = documents.document_id
        and availability.table_key = specs.table_key
    left join anchor_cells
        on  anchor_cells.document_id = documents.document_id
        and anchor_cells.anchor = specs.anchor
    group by all

),

anchor_terms as (

    select
        state.document_id, uses.identity_id, state.table_key, uses.subject, 'none' as role,
        cast(null as decimal(18, 2)) as amount, cast(null as varchar) as source_unit,
        cast(null as integer) as page, cast(null as integer) as row_index,
        cast(null as varchar) as cell_ref, uses.relation,
        case
            when state.availability = 'parsed' and state.n_rows = 0 then state.label || ' not found'
            when state.n_rows > 1 then state.label || ' found on ' || state.n_rows || ' rows'
        end as problem
    from anchor_uses as uses
    inner join anchor_state as state
        on state.anchor = uses.anchor

    union all

    select
        anchor_cells.document_id, uses.identity_id, anchor_cells.table_key, uses.subject, uses.role,
        anchor_cells.amount, anchor_cells.source_unit, anchor_cells.page, anchor_cells.row_index,
        anchor_cells.cell_ref, uses.relation, null
    from anchor_uses as uses
    inner join anchor_cells
        on anchor_cells.anchor = uses.anchor

),

-- per 类: T1 / T4 function-class lines against the 类 rows of T3 / T5
class_sources as (

    select * from (
        values
            ('cross_t1_t3_class', 'lhs', 't1_summary',                    'amount'),
            ('cross_t1_t3_class', 'rhs', 't3_expenditure',                'total'),
            ('cross_t4_t5_class', 'lhs', 't4_appropriation_summary',      'general_public_budget'),
            ('cross_t4_t5_class', 'rhs', 't5_general_budget_expenditure', 'total')
    ) as sources (identity_id, role, table_key, column_key)

),

class_cells as (

    select sources.identity_id, sources.role, cells.*
    from class_sources as sources
    inner join cells
        on  cells.table_key = sources.table_key
        and cells.column_key = sources.column_key
        and length(cells.code) = 3
        and (cells.side is null or (cells.side = 'expenditure' and cells.line_key = 'function_class'))

),

class_instances as (

    -- a 类 blank on both sides states nothing
    select document_id, identity_id, code
    from class_cells
    group by document_id, identity_id, code
    having count(amount) > 0

),

class_terms as (

    select
        class_cells.document_id, class_cells.identity_id, class_cells.table_key,
        class_cells.code as subject, class_cells.role, class_cells.amount, class_cells.source_unit,
        class_cells.page, class_cells.row_index, class_cells.cell_ref, '=' as relation,
        case when count(distinct class_cells.row_index) over (
                partition by class_cells.document_id, class_cells.identity_id, class_cells.code, class_cells.role
            ) > 1
            then 'T' || class_cells.table_no || ' 类 ' || class_cells.code || ' printed on more than one row'
        end as problem
    from class_cells
    inner join class_instances
        on  class_instances.document_id = class_cells.document_id
        and class_instances.identity_id = class_cells.identity_id
        and class_instances.code = class_cells.code

),

terms as (

    select * from anchor_terms
    union all
    select * from class_terms

),

aggregated as (

    {{ aggregate_residual_terms('terms') }}

)

select {{ residual_output_columns('aggregated') }}
from aggregated
