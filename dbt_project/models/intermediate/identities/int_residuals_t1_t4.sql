-- Within-table identities of the two-sided summary tables, one row per instance:
--   T1 收入支出决算总表: t1_income_total, t1_expenditure_total, t1_income_grand_total,
--      t1_expenditure_grand_total (subject: the side), t1_balance (subject 'grand_total').
--   T4 财政拨款收入支出决算总表:
--      t4_fund_balance       per fund: 年初结转和结余 + 本年收入 = 本年支出合计 + 年末结转和结余
--                            (subject: general_public_budget | government_fund | state_capital)
--      t4_row_total          per expenditure line: 合计 = the three fund columns (subject: code or line)
--      t4_expenditure_total  per column: 本年支出合计 = sum of the function-class lines
-- A required line that is missing, or a line printed on more than one row, makes the instance
-- not evaluable (problem), never failed.
with cells as (

    select * from {{ changed_documents(ref('int_residual_cells')) }}
    where table_key in ('t1_summary', 't4_appropriation_summary')

),

-- ---------------------------------------------------------------------------------------------
-- T1: the lines each identity sums; is_required: not evaluated without that line
-- ---------------------------------------------------------------------------------------------
t1_specs as (

    select * from (
        values
            ('t1_income_total',            'income',      'lhs', 'income',      'income_total',                    true),
            ('t1_income_total',            'income',      'rhs', 'income',      'general_budget_appropriation',    false),
            ('t1_income_total',            'income',      'rhs', 'income',      'government_fund_appropriation',   false),
            ('t1_income_total',            'income',      'rhs', 'income',      'state_capital_appropriation',     false),
            ('t1_income_total',            'income',      'rhs', 'income',      'fiscal_appropriation',            false),
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

t1_cells as (

    select * from cells
    where table_key = 't1_summary' and column_key = 'amount' and line_key is not null

),

t1_documents as (

    select distinct document_id from cells where table_key = 't1_summary'

),

t1_spec_lines as (

    select
        t1_documents.document_id,
        t1_specs.identity_id,
        t1_specs.subject,
        t1_specs.side,
        t1_specs.line_key,
        t1_specs.is_required,
        count(t1_cells.line_key)                                   as n_cells,
        count(t1_cells.code)                                       as n_coded,
        count(distinct t1_cells.code)                              as n_codes
    from t1_documents
    cross join t1_specs
    left join t1_cells
        on  t1_cells.document_id = t1_documents.document_id
        and t1_cells.side = t1_specs.side
        and t1_cells.line_key = t1_specs.line_key
    group by all

),

t1_terms as (

    -- one problem-carrying row per instance (it also makes the instance exist)
    select
        document_id, identity_id, 't1_summary' as table_key, subject, 'none' as role,
        cast(null as decimal(18, 2)) as amount, cast(null as varchar) as source_unit,
        cast(null as integer) as page, cast(null as integer) as row_index,
        cast(null as varchar) as cell_ref, '=' as relation,
        case
            when is_required and n_cells = 0
                then 'line ' || side || '.' || line_key || ' not found in t1_summary'
            when line_key <> 'function_class' and n_cells > 1
                then 'line ' || side || '.' || line_key || ' found on ' || n_cells || ' rows'
            when line_key = 'function_class' and n_coded > n_codes
                then 'a function_class code is found on more than one row'
        end as problem
    from t1_spec_lines

    union all

    select
        t1_cells.document_id, t1_specs.identity_id, t1_cells.table_key, t1_specs.subject,
        t1_specs.role, t1_cells.amount, t1_cells.source_unit, t1_cells.page, t1_cells.row_index,
        t1_cells.cell_ref, '=', null
    from t1_specs
    inner join t1_cells
        on  t1_cells.side = t1_specs.side
        and t1_cells.line_key = t1_specs.line_key

),

-- ---------------------------------------------------------------------------------------------
-- T4: income lines in column `amount` (or a fund column), expenditure lines in the columns
-- total / general_public_budget / government_fund / state_capital.
-- ---------------------------------------------------------------------------------------------
t4_cells as (

    select * from cells where table_key = 't4_appropriation_summary'

),

funds as (

    select * from (
        values
            ('general_public_budget', 'general_budget_appropriation',  'opening_general_budget',  'closing_general_budget'),
            ('government_fund',       'government_fund_appropriation', 'opening_government_fund', 'closing_government_fund'),
            ('state_capital',         'state_capital_appropriation',   'opening_state_capital',   'closing_state_capital')
    ) as funds (fund, income_line, opening_line, closing_line)

),

-- where each part of a fund's balance may be printed, best first (priority)
t4_fund_sources as (

    select funds.fund, 'opening' as part, 'lhs' as role, 'income' as side, funds.opening_line as line_key, 'amount' as column_key, 1 as priority from funds
    union all select fund, 'opening', 'lhs', 'income', opening_line, fund, 2 from funds
    union all select fund, 'opening', 'lhs', 'income', opening_line, 'total', 3 from funds
    union all select fund, 'opening', 'lhs', 'income', 'opening_balance', fund, 4 from funds
    union all select fund, 'income', 'lhs', 'income', income_line, 'amount', 1 from funds
    union all select fund, 'income', 'lhs', 'income', income_line, fund, 2 from funds
    union all select fund, 'income', 'lhs', 'income', income_line, 'total', 3 from funds
    union all select fund, 'expenditure', 'rhs', 'expenditure', 'expenditure_total', fund, 1 from funds
    union all select fund, 'closing', 'rhs', 'expenditure', 'closing_balance', fund, 1 from funds
    union all select fund, 'closing', 'rhs', 'expenditure', closing_line, fund, 2 from funds
    union all select fund, 'closing', 'rhs', 'expenditure', closing_line, 'total', 3 from funds
    union all select fund, 'closing', 'rhs', 'expenditure', closing_line, 'amount', 4 from funds

),

t4_fund_candidates as (

    select t4_cells.*, sources.fund, sources.part, sources.role, sources.priority
    from t4_cells
    inner join t4_fund_sources as sources
        on  sources.side = t4_cells.side
        and sources.line_key = t4_cells.line_key
        and sources.column_key = t4_cells.column_key

),

-- the best place of each part: the first priority with a printed amount (else the first found)
t4_fund_chosen as (

    select * from t4_fund_candidates
    qualify priority = coalesce(
        min(priority) filter (where amount is not null) over (partition by document_id, fund, part),
        min(priority) over (partition by document_id, fund, part)
    )

),

t4_opening_split as (

    select
        document_id,
        count(*) filter (where line_key like 'opening\_%' escape '\') as n_sub_cells,
        sum(amount) filter (where line_key = 'opening_balance' and column_key in ('amount', 'total')) as opening_total
    from t4_cells
    group by document_id

),

t4_active_funds as (

    select document_id, fund
    from t4_fund_candidates
    group by document_id, fund
    having count(amount) > 0

),

t4_fund_terms as (

    select
        t4_active_funds.document_id, 't4_fund_balance' as identity_id,
        't4_appropriation_summary' as table_key, t4_active_funds.fund as subject, 'none' as role,
        cast(null as decimal(18, 2)) as amount, cast(null as varchar) as source_unit,
        cast(null as integer) as page, cast(null as integer) as row_index,
        cast(null as varchar) as cell_ref, '=' as relation,
        case
            when coalesce(split.n_sub_cells, 0) = 0 and coalesce(split.opening_total, 0) <> 0
                then '年初结转和结余 is not split by fund (no opening_* sub-lines)'
        end as problem
    from t4_active_funds
    left join t4_opening_split as split
        on split.document_id = t4_active_funds.document_id

    union all

    select
        t4_fund_chosen.document_id, 't4_fund_balance', t4_fund_chosen.table_key, t4_fund_chosen.fund,
        t4_fund_chosen.role, t4_fund_chosen.amount, t4_fund_chosen.source_unit, t4_fund_chosen.page,
        t4_fund_chosen.row_index, t4_fund_chosen.cell_ref, '=',
        case when count(*) over (
                partition by t4_fund_chosen.document_id, t4_fund_chosen.fund, t4_fund_chosen.part
            ) > 1
            then 'line ' || t4_fund_chosen.side || '.' || t4_fund_chosen.line_key || ' found on more than one row'
        end
    from t4_fund_chosen
    inner join t4_active_funds
        on  t4_active_funds.document_id = t4_fund_chosen.document_id
        and t4_active_funds.fund = t4_fund_chosen.fund

),

t4_expenditure_cells as (

    select *, coalesce(code, line_key) as row_key
    from t4_cells
    where side = 'expenditure'
      and column_key in ('total', 'general_public_budget', 'government_fund', 'state_capital')

),

t4_row_keys as (

    select document_id, row_key, count(distinct row_index) as n_rows, count(amount) as n_amounts
    from t4_expenditure_cells
    group by document_id, row_key

),

t4_row_terms as (

    select
        cells.document_id, 't4_row_total' as identity_id, cells.table_key, cells.row_key as subject,
        case when cells.column_key = 'total' then 'lhs' else 'rhs' end as role,
        cells.amount, cells.source_unit, cells.page, cells.row_index, cells.cell_ref, '=' as relation,
        case when row_keys.n_rows > 1
            then 'row ' || cells.row_key || ' found more than once in t4_appropriation_summary'
        end as problem
    from t4_expenditure_cells as cells
    inner join t4_row_keys as row_keys
        on  row_keys.document_id = cells.document_id
        and row_keys.row_key = cells.row_key
    where row_keys.n_amounts > 0

),

t4_column_terms as (

    select
        document_id, 't4_expenditure_total' as identity_id, table_key, column_key as subject,
        case when line_key = 'expenditure_total' then 'lhs' else 'rhs' end as role,
        amount, source_unit, page, row_index, cell_ref, '=' as relation,
        cast(null as varchar) as problem
    from t4_expenditure_cells
    where line_key in ('expenditure_total', 'function_class')
      and column_key in (
          select column_key from t4_expenditure_cells as any_cells
          where any_cells.document_id = t4_expenditure_cells.document_id and any_cells.amount is not null
      )

),

terms as (

    select * from t1_terms
    union all select * from t4_fund_terms
    union all select * from t4_row_terms
    union all select * from t4_column_terms

),

aggregated as (

    {{ aggregate_residual_terms('terms') }}

),

checked as (

    select
        aggregated.* replace (
            coalesce(problem, case
                when identity_id = 't4_row_total' and lhs_cells = 0 then 'row has no 合计 cell'
                when identity_id = 't4_row_total' and rhs_cells = 0 then 'row has no fund column cells'
                when identity_id = 't4_expenditure_total' and lhs_cells = 0
                    then 'line expenditure.expenditure_total not found in t4_appropriation_summary'
                when identity_id = 't4_expenditure_total' and rhs_cells = 0 then 'no function-class lines'
                when identity_id = 't4_expenditure_total' and lhs_cells > 1
                    then 'line expenditure.expenditure_total found on more than one row'
            end) as problem
        )
    from aggregated

)

select {{ residual_output_columns('checked') }}
from checked
