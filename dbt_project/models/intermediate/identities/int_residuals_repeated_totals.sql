-- repeated_total_agrees: a total printed more than once in a table carries the same amounts. A
-- total row (合计, 人员经费合计, 公用经费合计: the spec's total lines, code null) can be printed
-- at the top and at the bottom, or again on every continuation page. One instance per table that
-- prints a total more than once:
--   lhs  the number of total lines printed again with other amounts (rows of their own: the
--        parser keeps such a repeat), rhs 0. Unit 'count', tolerance 0.
-- Repeats with the same amounts are read once by the parser and counted in
-- raw.report_tables.repeated_totals: they make the instance exist (and pass). A table read only
-- in part is not evaluable: a misread row could look like a second total.
{%- set tables_relation = source('raw', 'report_tables') %}
{%- set has_repeats = false %}
{%- if execute %}
    {%- set has_repeats = 'repeated_totals' in (adapter.get_columns_in_relation(tables_relation) | map(attribute='name') | list) %}
{%- endif %}
with totals as (

    select *
    from {{ changed_documents(ref('int_residual_cells')) }}
    where code is null and line_key in ('total', 'personnel_total', 'public_total')

),

-- per table and total line printed on more than one row: does any column differ?
lines as (

    select
        document_id, table_key, any_value(table_no) as table_no, side, line_key,
        count(distinct row_index)                                              as n_rows,
        list(distinct page)                                                    as pages,
        string_agg(cell_ref, '; ' order by row_index, column_key)              as refs
    from totals
    group by document_id, table_key, side, line_key
    having count(distinct row_index) > 1

),

differing as (

    select distinct lines.document_id, lines.table_key, lines.side, lines.line_key
    from lines
    inner join totals
        on  totals.document_id = lines.document_id
        and totals.table_key = lines.table_key
        and totals.side is not distinct from lines.side
        and totals.line_key = lines.line_key
    group by lines.document_id, lines.table_key, lines.side, lines.line_key, totals.column_key
    having count(distinct coalesce(totals.amount, 0)) > 1

),

repeated as (

    {% if has_repeats -%}
    select document_id, table_key, first_page, last_page, repeated_totals
    from {{ tables_relation }}
    where coalesce(repeated_totals, 0) > 0
      and document_id in (select document_id from {{ changed_documents(ref('int_document_tables')) }})
    {%- else -%}
    select cast(null as varchar) as document_id, cast(null as varchar) as table_key,
           cast(null as integer) as first_page, cast(null as integer) as last_page,
           cast(null as integer) as repeated_totals
    where false
    {%- endif %}

),

subjects as (

    select document_id, table_key from lines
    union
    select document_id, table_key from repeated

),

instances as (

    select
        subjects.document_id,
        'repeated_total_agrees'                                                as identity_id,
        subjects.table_key,
        subjects.table_key                                                     as subject,
        cast((select count(*) from differing
              where differing.document_id = subjects.document_id
                and differing.table_key = subjects.table_key) as decimal(18, 2))  as lhs,
        cast(0 as decimal(18, 2))                                              as rhs,
        2                                                                      as term_count,
        coalesce(
            (select flatten(list(lines.pages)) from lines
             where lines.document_id = subjects.document_id and lines.table_key = subjects.table_key),
            []
        ) || coalesce(
            (select list(distinct p) from repeated, range(repeated.first_page, repeated.last_page + 1) as r(p)
             where repeated.document_id = subjects.document_id and repeated.table_key = subjects.table_key),
            []
        )                                                                      as page_list,
        concat_ws('; ',
            (select string_agg('printed on ' || lines.n_rows || ' rows with other amounts: ' || lines.refs, '; ')
             from lines
             where lines.document_id = subjects.document_id and lines.table_key = subjects.table_key),
            (select 'a total printed ' || repeated.repeated_totals || ' more time(s) with the same amounts'
             from repeated
             where repeated.document_id = subjects.document_id and repeated.table_key = subjects.table_key)
        )                                                                      as cells,
        '='                                                                    as relation,
        case
            when tables.availability not in ('parsed', 'empty')
                then 'table ' || subjects.table_key || ' read only in part (' || tables.availability || ')'
        end                                                                    as problem,
        'count'                                                                as source_unit
    from subjects
    left join {{ changed_documents(ref('int_document_tables')) }} as tables
        on  tables.document_id = subjects.document_id
        and tables.table_key = subjects.table_key

)

select {{ residual_output_columns('instances') }}
from instances
