{{ config(materialized='table') }}

-- One row per instance of an accounting identity (seed accounting_identities) in a loaded
-- document, with exact DECIMAL arithmetic on the amounts as printed (source unit, never float).
--
--   lhs, rhs    sums of the printed amounts on each side (blank cells count as 0)
--   diff        lhs - rhs
--   term_count  number of non-blank amounts summed on both sides (a blank is an exact 0 and adds
--               no rounding), the basis of a rounding tolerance of about 0.01 per term
--   pages       distinct pages of the cells involved, sorted, comma-joined
--
-- A parser problem must never look like a document defect: when the table an identity needs is
-- missing, empty, unreadable or not parsed, the identity gets ONE row with evaluable = false, null
-- lhs/rhs/diff and the reason; so does an instance whose lines cannot be evaluated (a required
-- line not found, a line or code found on more than one row, a parent row missing).

with identities as (

    select identity_id, table_key from {{ ref('accounting_identities') }}

),

document_tables as (

    select * from {{ ref('int_document_tables') }}

),

-- every (loaded document, identity) pair, with the state of the table the identity needs
identity_tables as (

    select
        document_tables.document_id,
        identities.identity_id,
        identities.table_key,
        document_tables.availability,
        document_tables.note,
        document_tables.first_page,
        document_tables.last_page,
        document_tables.source_unit
    from document_tables
    inner join identities
        on identities.table_key = document_tables.table_key

),

evaluable_tables as (

    select distinct document_id, table_key
    from identity_tables
    where availability = 'parsed'

),

cells as (

    select cells.*
    from {{ ref('stg_table_cells') }} as cells
    inner join evaluable_tables
        on  evaluable_tables.document_id = cells.document_id
        and evaluable_tables.table_key = cells.table_key

),

-- ---------------------------------------------------------------------------------------------
-- T1 收入支出决算总表: one instance per identity and document.
-- ---------------------------------------------------------------------------------------------
t1_cells as (

    select document_id, side, line_key, code, amount, page
    from cells
    where table_key = 't1_summary'
      and column_key = 'amount'
      and line_key is not null

),

-- the lines each T1 identity sums; is_required: the identity is not evaluated without that line
t1_term_specs as (

    select * from (
        values
            ('t1_income_total',            'income',      'lhs', 'income',      'income_total',                    true),
            ('t1_income_total',            'income',      'rhs', 'income',      'general_budget_appropriation',    false),
            ('t1_income_total',            'income',      'rhs', 'income',      'government_fund_appropriation',   false),
            ('t1_income_total',            'income',      'rhs', 'income',      'state_capital_appropriation',     false),
            ('t1_income_total',            'income',      'rhs', 'income',      'superior_subsidy',                false),
            ('t1_income_total',            'income',      'rhs', 'income',      'business_income',                 false),
            ('t1_income_total',            'income',      'rhs', 'income',      'operating_income',                false),
            ('t1_income_total',            'income',      'rhs', 'income',      'affiliated_remittance',           false),
            ('t1_income_total',            'income',      'rhs', 'income',      'other_income',                    false),
            ('t1_expenditure_total',       'expenditure', 'lhs', 'expenditure', 'expenditure_total',               true),
            ('t1_expenditure_total',       'expenditure', 'rhs', 'expenditure', 'function_class',                  false),
            ('t1_income_grand_total',      'income',      'lhs', 'income',      'grand_total',                     true),
            ('t1_income_grand_total',      'income',      'rhs', 'income',      'income_total',                    true),
            ('t1_income_grand_total',      'income',      'rhs', 'income',      'use_of_non_appropriation_balance', false),
            ('t1_income_grand_total',      'income',      'rhs', 'income',      'opening_balance',                 false),
            ('t1_expenditure_grand_total', 'expenditure', 'lhs', 'expenditure', 'grand_total',                     true),
            ('t1_expenditure_grand_total', 'expenditure', 'rhs', 'expenditure', 'expenditure_total',               true),
            ('t1_expenditure_grand_total', 'expenditure', 'rhs', 'expenditure', 'balance_distribution',            false),
            ('t1_expenditure_grand_total', 'expenditure', 'rhs', 'expenditure', 'closing_balance',                 false),
            ('t1_balance',                 'grand_total', 'lhs', 'income',      'grand_total',                     true),
            ('t1_balance',                 'grand_total', 'rhs', 'expenditure', 'grand_total',                     true)
    ) as specs (identity_id, subject, role, side, line_key, is_required)

),

t1_spec_lines as (

    select
        evaluable_tables.document_id,
        specs.identity_id,
        specs.subject,
        specs.side,
        specs.line_key,
        specs.is_required,
        count(t1_cells.line_key)                                   as n_cells,
        count(t1_cells.code)                                       as n_coded,
        count(distinct t1_cells.code)                              as n_codes
    from evaluable_tables
    cross join t1_term_specs as specs
    left join t1_cells
        on  t1_cells.document_id = evaluable_tables.document_id
        and t1_cells.side = specs.side
        and t1_cells.line_key = specs.line_key
    where evaluable_tables.table_key = 't1_summary'
    group by all

),

t1_problems as (

    select
        document_id,
        identity_id,
        subject,
        string_agg(
            case
                when is_required and n_cells = 0
                    then 'line ' || side || '.' || line_key || ' not found in t1_summary'
                when line_key <> 'function_class' and n_cells > 1
                    then 'line ' || side || '.' || line_key || ' found on ' || n_cells || ' rows'
                when line_key = 'function_class' and n_coded > n_codes
                    then 'a function_class code is found on more than one row'
            end,
            '; '
        )                                                          as problem
    from t1_spec_lines
    group by document_id, identity_id, subject

),

t1_terms as (

    select
        t1_cells.document_id,
        specs.identity_id,
        specs.subject,
        specs.role,
        t1_cells.amount,
        t1_cells.page
    from t1_term_specs as specs
    inner join t1_cells
        on  t1_cells.side = specs.side
        and t1_cells.line_key = specs.line_key

),

t1_instances as (

    select
        t1_problems.document_id,
        t1_problems.identity_id,
        t1_problems.subject,
        sum(coalesce(t1_terms.amount, 0)) filter (where t1_terms.role = 'lhs') as lhs,
        sum(coalesce(t1_terms.amount, 0)) filter (where t1_terms.role = 'rhs') as rhs,
        count(t1_terms.amount)                                                 as term_count,
        list(t1_terms.page)                                                    as page_list,
        t1_problems.problem
    from t1_problems
    left join t1_terms
        on  t1_terms.document_id = t1_problems.document_id
        and t1_terms.identity_id = t1_problems.identity_id
        and t1_terms.subject = t1_problems.subject
    group by t1_problems.document_id, t1_problems.identity_id, t1_problems.subject, t1_problems.problem

),

-- ---------------------------------------------------------------------------------------------
-- T3 支出决算表: rows are the 合计 row (row_key 'total') and the function-code rows.
-- ---------------------------------------------------------------------------------------------
t3_cells as (

    select
        document_id,
        row_index,
        page,
        code,
        column_key,
        amount,
        case when code is not null then code else 'total' end     as row_key,
        length(code)                                               as code_len
    from cells
    where table_key = 't3_expenditure'
      and column_key in (
          {%- for key in expenditure_column_keys() %}'{{ key }}'{% if not loop.last %}, {% endif %}{% endfor -%}
      )
      and (code is not null or line_key = 'total')

),

-- how many printed rows carry each code (more than one: identities on it are not evaluated)
t3_row_keys as (

    select document_id, row_key, count(distinct row_index) as n_rows
    from t3_cells
    group by document_id, row_key

),

t3_terms as (

    -- t3_row_total: per row, total = basic + project + remit_to_superior + operating + subsidy_to_affiliates
    select document_id, 't3_row_total' as identity_id, row_key as subject,
           case when column_key = 'total' then 'lhs' else 'rhs' end as role,
           amount, page, row_key
    from t3_cells

    union all
    -- t3_class_rollup: per 类 and column, 类 = sum of its 款
    select document_id, 't3_class_rollup', code || ':' || column_key, 'lhs', amount, page, row_key
    from t3_cells where code_len = 3
    union all
    select document_id, 't3_class_rollup', left(code, 3) || ':' || column_key, 'rhs', amount, page, row_key
    from t3_cells where code_len = 5

    union all
    -- t3_kuan_rollup: per 款 and column, 款 = sum of its 项 (only when the 款 has 项 rows)
    select document_id, 't3_kuan_rollup', code || ':' || column_key, 'lhs', amount, page, row_key
    from t3_cells where code_len = 5
    union all
    select document_id, 't3_kuan_rollup', left(code, 5) || ':' || column_key, 'rhs', amount, page, row_key
    from t3_cells where code_len = 7

    union all
    -- t3_grand_total: per column, 合计 = sum of the 类 rows
    select document_id, 't3_grand_total', column_key, 'lhs', amount, page, row_key
    from t3_cells where row_key = 'total'
    union all
    select document_id, 't3_grand_total', column_key, 'rhs', amount, page, row_key
    from t3_cells where code_len = 3

),

t3_aggregated as (

    select
        t3_terms.document_id,
        t3_terms.identity_id,
        t3_terms.subject,
        count(*) filter (where t3_terms.role = 'lhs')                          as lhs_cells,
        count(*) filter (where t3_terms.role = 'rhs')                          as rhs_cells,
        sum(coalesce(t3_terms.amount, 0)) filter (where t3_terms.role = 'lhs') as lhs,
        sum(coalesce(t3_terms.amount, 0)) filter (where t3_terms.role = 'rhs') as rhs,
        count(t3_terms.amount)                                                 as term_count,
        list(t3_terms.page)                                                    as page_list,
        string_agg(distinct t3_terms.row_key, ',' order by t3_terms.row_key)
            filter (where t3_row_keys.n_rows > 1)                              as duplicated_rows
    from t3_terms
    inner join t3_row_keys
        on  t3_row_keys.document_id = t3_terms.document_id
        and t3_row_keys.row_key = t3_terms.row_key
    group by t3_terms.document_id, t3_terms.identity_id, t3_terms.subject

),

t3_instances as (

    select
        document_id,
        identity_id,
        subject,
        lhs,
        rhs,
        term_count,
        page_list,
        case
            when duplicated_rows is not null
                then 'row(s) ' || duplicated_rows || ' found more than once in t3_expenditure'
            when lhs_cells = 0 and identity_id = 't3_row_total'
                then 'row has no total (本年支出合计) cell'
            when lhs_cells = 0 and identity_id = 't3_class_rollup'
                then '类 row ' || split_part(subject, ':', 1) || ' not found'
            when lhs_cells = 0 and identity_id = 't3_kuan_rollup'
                then '款 row ' || split_part(subject, ':', 1) || ' not found'
            when lhs_cells = 0 and identity_id = 't3_grand_total'
                then '合计 row not found'
            when rhs_cells = 0 and identity_id = 't3_row_total'
                then 'row has no component column cells'
            when rhs_cells = 0 and identity_id = 't3_class_rollup'
                then 'no 款 rows under this 类'
            when rhs_cells = 0 and identity_id = 't3_grand_total'
                then 'no 类 rows'
        end                                                        as problem
    from t3_aggregated
    -- a 款 without 项 rows has nothing to roll up
    where not (identity_id = 't3_kuan_rollup' and rhs_cells = 0)

),

-- ---------------------------------------------------------------------------------------------
-- All instances, plus one not-evaluated row per identity whose table cannot be used.
-- ---------------------------------------------------------------------------------------------
evaluated as (

    select document_id, identity_id, subject, lhs, rhs, term_count, page_list, problem
    from t1_instances
    union all
    select document_id, identity_id, subject, lhs, rhs, term_count, page_list, problem
    from t3_instances

),

table_not_evaluable as (

    select
        document_id,
        identity_id,
        table_key                                                  as subject,
        cast(null as decimal(18, 2))                               as lhs,
        cast(null as decimal(18, 2))                               as rhs,
        cast(null as bigint)                                       as term_count,
        range(first_page, last_page + 1)                           as page_list,
        case availability
            when 'missing'
                then 'table ' || table_key || ' not found in the document'
            when 'unreadable'
                then 'table ' || table_key || ' is unreadable (parser could not read it)'
                     || coalesce(': ' || note, '')
            when 'not_parsed'
                then 'table ' || table_key || ' located but not parsed (parser for this table not written yet)'
            when 'empty'
                then 'table ' || table_key || ' is present but empty' || coalesce(': ' || note, '')
            when 'parsed_no_cells'
                then 'table ' || table_key || ' was located but no cells were loaded'
            else 'table ' || table_key || ' availability ' || availability
        end                                                        as problem
    from identity_tables
    where availability <> 'parsed'

),

no_instance as (

    select
        identity_tables.document_id,
        identity_tables.identity_id,
        identity_tables.table_key                                  as subject,
        cast(null as decimal(18, 2))                               as lhs,
        cast(null as decimal(18, 2))                               as rhs,
        cast(null as bigint)                                       as term_count,
        range(identity_tables.first_page, identity_tables.last_page + 1) as page_list,
        'no row of ' || identity_tables.table_key || ' that this identity applies to' as problem
    from identity_tables
    where identity_tables.availability = 'parsed'
      and not exists (
          select 1
          from evaluated
          where evaluated.document_id = identity_tables.document_id
            and evaluated.identity_id = identity_tables.identity_id
      )

),

all_instances as (

    select * from evaluated
    union all
    select * from table_not_evaluable
    union all
    select * from no_instance

)

select
    all_instances.document_id || '|' || all_instances.identity_id || '|' || all_instances.subject
                                                                   as instance_id,
    all_instances.document_id,
    all_instances.identity_id,
    identity_tables.table_key,
    all_instances.subject,
    case when all_instances.problem is null
        then cast(coalesce(all_instances.lhs, 0) as decimal(18, 2)) end as lhs,
    case when all_instances.problem is null
        then cast(coalesce(all_instances.rhs, 0) as decimal(18, 2)) end as rhs,
    case when all_instances.problem is null
        then cast(coalesce(all_instances.lhs, 0) - coalesce(all_instances.rhs, 0) as decimal(18, 2))
    end                                                            as diff,
    case when all_instances.problem is null
        then cast(all_instances.term_count as integer) end         as term_count,
    nullif(
        array_to_string(list_sort(list_distinct(all_instances.page_list)), ','),
        ''
    )                                                              as pages,
    all_instances.problem is null                                  as evaluable,
    all_instances.problem                                          as not_evaluated_reason,
    identity_tables.source_unit
from all_instances
inner join identity_tables
    on  identity_tables.document_id = all_instances.document_id
    and identity_tables.identity_id = all_instances.identity_id
