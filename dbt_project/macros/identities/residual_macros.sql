{#- Macros shared by the identity residual models (models/intermediate/identities/). -#}

{#- A quoted, comma-separated SQL list of strings: ('a', 'b'). -#}
{% macro sql_string_list(values) -%}
    ({%- for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor -%})
{%- endmacro %}

{#- Aggregate term rows into one residual instance per (document_id, identity_id, subject).

    `terms` is a relation (CTE name) with the columns
      document_id, identity_id, table_key, subject,
      role        'lhs' | 'rhs' (summed) or 'none' (carries only a problem),
      amount      DECIMAL as printed (null = blank, counts as 0, adds no term),
      source_unit unit the amount is printed in (万元 / 元),
      page, row_index, cell_ref (e.g. 'T3 p10 r3 208 total=326.72'),
      relation    '=', '>=', '>' or '<' (same on every term of an instance),
      problem     why the instance cannot be evaluated (null on ordinary terms).
    Amounts of one instance printed in different units (万元 and 元) are compared in 元
    (万元 x 10000, exact). Output: lhs, rhs (DECIMAL(18,2)), term_count, page_list, cells,
    lhs_cells / rhs_cells (cells on each side, blank included), problem, source_unit. -#}
{% macro aggregate_residual_terms(terms) -%}
    select
        {{ terms }}.document_id,
        {{ terms }}.identity_id,
        {{ terms }}.subject,
        string_agg(distinct {{ terms }}.table_key, ',' order by {{ terms }}.table_key)     as table_key,
        count(*) filter (where {{ terms }}.role = 'lhs')                                     as lhs_cells,
        count(*) filter (where {{ terms }}.role = 'rhs')                                     as rhs_cells,
        cast(sum(coalesce(
            case
                when units.n_units <= 1 then {{ terms }}.amount
                when {{ terms }}.source_unit = '万元' then {{ terms }}.amount * 10000
                else {{ terms }}.amount
            end, 0)) filter (where {{ terms }}.role = 'lhs') as decimal(18, 2))              as lhs,
        cast(sum(coalesce(
            case
                when units.n_units <= 1 then {{ terms }}.amount
                when {{ terms }}.source_unit = '万元' then {{ terms }}.amount * 10000
                else {{ terms }}.amount
            end, 0)) filter (where {{ terms }}.role = 'rhs') as decimal(18, 2))              as rhs,
        count({{ terms }}.amount) filter (where {{ terms }}.role in ('lhs', 'rhs'))          as term_count,
        list({{ terms }}.page) filter (where {{ terms }}.page is not null)                    as page_list,
        string_agg({{ terms }}.cell_ref, '; ' order by
            {{ terms }}.role, {{ terms }}.table_key, {{ terms }}.page, {{ terms }}.row_index, {{ terms }}.cell_ref
        ) filter (where {{ terms }}.cell_ref is not null)                                    as cells,
        coalesce(min({{ terms }}.relation), '=')                                             as relation,
        nullif(concat_ws('; ',
            string_agg(distinct {{ terms }}.problem, '; ' order by {{ terms }}.problem),
            case when units.n_units > 1 and not units.known_units
                then 'amounts printed in different units (' || units.unit_list || ')' end
        ), '')                                                                                as problem,
        case
            when units.n_units = 0 then null
            when units.n_units = 1 then units.one_unit
            when units.known_units then '元'
        end                                                                                   as source_unit
    from {{ terms }}
    inner join (
        select
            document_id, identity_id, subject,
            count(distinct source_unit) filter (where role in ('lhs', 'rhs'))                as n_units,
            min(source_unit) filter (where role in ('lhs', 'rhs'))                            as one_unit,
            coalesce(bool_and(source_unit in ('万元', '元')) filter (where role in ('lhs', 'rhs')), true)
                                                                                              as known_units,
            string_agg(distinct source_unit, ', ') filter (where role in ('lhs', 'rhs'))     as unit_list
        from {{ terms }}
        group by document_id, identity_id, subject
    ) as units
        on  units.document_id = {{ terms }}.document_id
        and units.identity_id = {{ terms }}.identity_id
        and units.subject = {{ terms }}.subject
    group by
        {{ terms }}.document_id, {{ terms }}.identity_id, {{ terms }}.subject,
        units.n_units, units.one_unit, units.known_units, units.unit_list
{%- endmacro %}

{#- The columns every int_residuals_* model returns, in order (unioned by int_identity_residuals). -#}
{% macro residual_output_columns(source) -%}
    {{ source }}.document_id,
    {{ source }}.identity_id,
    {{ source }}.table_key,
    {{ source }}.subject,
    {{ source }}.lhs,
    {{ source }}.rhs,
    cast({{ source }}.term_count as integer)                                                  as term_count,
    nullif(array_to_string(list_sort(list_distinct({{ source }}.page_list)), ','), '')      as pages,
    {{ source }}.cells,
    {{ source }}.relation,
    {{ source }}.problem,
    {{ source }}.source_unit
{%- endmacro %}

{#- Residual instances of a table keyed by function code (T2, T3, T5), per identity prefix:
      <prefix>_row_total      per row (code or 合计): total = sum of the other columns
      <prefix>_class_rollup   per 类 and column: 类 = sum of its 款
      <prefix>_kuan_rollup    per 款 and column: 款 = sum of its 项 (only when the 款 has 项)
      <prefix>_grand_total    per column: 合计 = sum of the 类 rows
    A code printed on more than one row makes the instances reading it not evaluable. -#}
{% macro coded_table_residuals(table_key, prefix, columns) -%}
select * from (
    with cells as (

        select
            document_id, table_key, row_index, page, code, column_key, amount, source_unit, cell_ref,
            coalesce(code, 'total')                                  as row_key,
            length(code)                                             as code_len
        from {{ changed_documents(ref('int_residual_cells')) }}
        where table_key = '{{ table_key }}'
          and column_key in {{ sql_string_list(columns) }}
          and (code is not null or line_key = 'total')

    ),

    row_keys as (

        select document_id, row_key, count(distinct row_index) as n_rows
        from cells
        group by document_id, row_key

    ),

    placed as (

        select document_id, table_key, '{{ prefix }}_row_total' as identity_id, row_key as subject,
               case when column_key = 'total' then 'lhs' else 'rhs' end as role,
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells
        union all
        select document_id, table_key, '{{ prefix }}_class_rollup', code || ':' || column_key, 'lhs',
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells where code_len = 3
        union all
        select document_id, table_key, '{{ prefix }}_class_rollup', left(code, 3) || ':' || column_key, 'rhs',
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells where code_len = 5
        union all
        select document_id, table_key, '{{ prefix }}_kuan_rollup', code || ':' || column_key, 'lhs',
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells where code_len = 5
        union all
        select document_id, table_key, '{{ prefix }}_kuan_rollup', left(code, 5) || ':' || column_key, 'rhs',
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells where code_len = 7
        union all
        select document_id, table_key, '{{ prefix }}_grand_total', column_key, 'lhs',
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells where row_key = 'total'
        union all
        select document_id, table_key, '{{ prefix }}_grand_total', column_key, 'rhs',
               amount, source_unit, page, row_index, cell_ref, row_key
        from cells where code_len = 3

    ),

    terms as (

        select
            placed.document_id, placed.identity_id, placed.table_key, placed.subject, placed.role,
            placed.amount, placed.source_unit, placed.page, placed.row_index, placed.cell_ref,
            '='                                                      as relation,
            case when row_keys.n_rows > 1
                then 'row ' || placed.row_key || ' found more than once in {{ table_key }}'
            end                                                      as problem
        from placed
        inner join row_keys
            on  row_keys.document_id = placed.document_id
            and row_keys.row_key = placed.row_key

    ),

    aggregated as (

        {{ aggregate_residual_terms('terms') }}

    ),

    checked as (

        select
            aggregated.* replace (
                coalesce(problem, case
                    when lhs_cells = 0 and identity_id = '{{ prefix }}_row_total'
                        then 'row has no total cell'
                    when lhs_cells = 0 and identity_id = '{{ prefix }}_class_rollup'
                        then '类 row ' || split_part(subject, ':', 1) || ' not found'
                    when lhs_cells = 0 and identity_id = '{{ prefix }}_kuan_rollup'
                        then '款 row ' || split_part(subject, ':', 1) || ' not found'
                    when lhs_cells = 0 and identity_id = '{{ prefix }}_grand_total'
                        then '合计 row not found'
                    when rhs_cells = 0 and identity_id = '{{ prefix }}_row_total'
                        then 'row has no component column cells'
                    when rhs_cells = 0 and identity_id = '{{ prefix }}_class_rollup'
                        then 'no 款 rows under this 类'
                    when rhs_cells = 0 and identity_id = '{{ prefix }}_grand_total'
                        then 'no 类 rows'
                end) as problem
            )
        from aggregated
        -- a 款 without 项 rows has nothing to roll up
        where not (identity_id = '{{ prefix }}_kuan_rollup' and rhs_cells = 0)

    )

    select {{ residual_output_columns('checked') }}
    from checked
)
{%- endmacro %}


{#-
    Incremental residual models recompute only the documents whose staged rows changed since the
    last publication (pipeline.pending_documents, written by the staging step; see
    docs/architecture.md). Residuals are per document, so a document's rows are deleted and
    rebuilt whole. Without that table (a dbt run outside the pipeline) every document counts as
    changed. A changed dbt project rebuilds with --full-refresh (pipelines/assets/warehouse.py).
-#}
{% macro pending_documents_relation() -%}
    {%- if execute -%}
        {{- return(adapter.get_relation(database=this.database, schema='pipeline', identifier='pending_documents')) -}}
    {%- endif -%}
    {{- return(none) -}}
{%- endmacro %}


{% macro delete_changed_documents() -%}
    {%- if is_incremental() -%}
        {%- set pending = pending_documents_relation() -%}
        {%- if pending is not none -%}
            delete from {{ this }} where document_id in (select document_id from {{ pending }})
        {%- else -%}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#-
    A per-document relation as an incremental model reads it: on an incremental run, only the
    rows of the documents changed since the last publication (a subquery); otherwise (first
    build, --full-refresh, or no pending_documents table) the relation itself. Incremental
    residual models read every per-document input through it, so a night's work follows the
    number of changed documents, not the size of the warehouse.
-#}
{% macro changed_documents(relation, column='document_id') -%}
    {%- set pending = pending_documents_relation() if is_incremental() else none -%}
    {%- if pending is not none -%}
        (select * from {{ relation }} where {{ column }} in (select document_id from {{ pending }}))
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
