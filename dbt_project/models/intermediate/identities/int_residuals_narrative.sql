-- Narrative (情况说明) against the tables, one row per figure stated (int_residual_narrative_figures):
--   narrative_amount          a total the narrative states = the table figure it restates
--                             (anchors below; class_expenditure: the T5 类 row of class_code)
--   narrative_share           a share (%) stated = numerator / denominator x 100 of the table
--                             figures, rounded half up to 2 places with integer arithmetic
--   narrative_item_final      the 决算数 of a 类/款/项 item = the T5 row found by its printed names
--   narrative_comparison_word 决算数 大于/小于/等于(持平) 预算数: relation '>', '<' or '=' between the
--                             two figures of the same statement (actual = lhs, budget = rhs)
--   narrative_three_public    三公 预算数 / 决算数 (and items) = T7 budget / final
-- Subjects: '<figure_key>[:<class_code or item>]#<n-th statement in the document>'. The narrative
-- is printed in 万元 or 元 (亿元 converted); a table figure that cannot be read (table not parsed,
-- line not found, item name not found) makes the instance not evaluable, never failed. An empty
-- table (本表无数据) counts as zeros.
with figures as (

    select * from {{ ref('int_residual_narrative_figures') }}

),

tables as (

    select document_id, table_key, availability from {{ ref('int_document_tables') }}

),

cells as (

    select * from {{ ref('int_residual_cells') }}

),

-- table figures a narrative figure can restate; several rows of one anchor are summed
anchor_specs as (

    select * from (
        values
            ('t1_grand_total',       't1_summary',                    'income',      'grand_total',                   'amount',            false),
            ('t1_income_total',      't1_summary',                    'income',      'income_total',                  'amount',            false),
            ('t1_expenditure_total', 't1_summary',                    'expenditure', 'expenditure_total',             'amount',            false),
            ('t1_opening_balance',   't1_summary',                    'income',      'opening_balance',               'amount',            false),
            ('t1_closing_balance',   't1_summary',                    'expenditure', 'closing_balance',               'amount',            false),
            ('t1_appropriation',     't1_summary',                    'income',      'general_budget_appropriation',  'amount',            false),
            ('t1_appropriation',     't1_summary',                    'income',      'government_fund_appropriation', 'amount',            false),
            ('t1_appropriation',     't1_summary',                    'income',      'state_capital_appropriation',   'amount',            false),
            ('t1_appropriation',     't1_summary',                    'income',      'fiscal_appropriation',          'amount',            false),
            ('t1_general_budget',    't1_summary',                    'income',      'general_budget_appropriation',  'amount',            false),
            ('t1_government_fund',   't1_summary',                    'income',      'government_fund_appropriation', 'amount',            false),
            ('t1_state_capital',     't1_summary',                    'income',      'state_capital_appropriation',   'amount',            false),
            ('t1_superior_subsidy',  't1_summary',                    'income',      'superior_subsidy',              'amount',            false),
            ('t1_business_income',   't1_summary',                    'income',      'business_income',               'amount',            false),
            ('t1_operating_income',  't1_summary',                    'income',      'operating_income',              'amount',            false),
            ('t1_affiliated',        't1_summary',                    'income',      'affiliated_remittance',         'amount',            false),
            ('t1_other_income',      't1_summary',                    'income',      'other_income',                  'amount',            false),
            ('t1_non_appropriation', 't1_summary',                    'income',      'use_of_non_appropriation_balance', 'amount',         false),
            ('t3_basic',             't3_expenditure',                null,          'total',                         'basic',             false),
            ('t3_project',           't3_expenditure',                null,          'total',                         'project',           false),
            ('t3_remit',             't3_expenditure',                null,          'total',                         'remit_to_superior', false),
            ('t3_operating',         't3_expenditure',                null,          'total',                         'operating',         false),
            ('t3_subsidy',           't3_expenditure',                null,          'total',                         'subsidy_to_affiliates', false),
            ('t4_grand_total',       't4_appropriation_summary',      'income',      'grand_total',                   'amount',            false),
            ('t4_opening_balance',   't4_appropriation_summary',      'income',      'opening_balance',               'amount',            false),
            ('t4_closing_balance',   't4_appropriation_summary',      'expenditure', 'closing_balance',               'total',             false),
            ('t5_total',             't5_general_budget_expenditure', null,          'total',                         'total',             false),
            ('t5_basic',             't5_general_budget_expenditure', null,          'total',                         'basic',             false),
            ('t5_project',           't5_general_budget_expenditure', null,          'total',                         'project',           false),
            ('t5_class',             't5_general_budget_expenditure', null,          null,                            'total',             true),
            ('t6_personnel',         't6_basic_expenditure_economic', null,          'personnel_total',               'amount',            false),
            ('t6_public',            't6_basic_expenditure_economic', null,          'public_total',                  'amount',            false),
            ('t8_expenditure',       't8_government_fund',            null,          'total',                         'expenditure_total', false)
    ) as specs (anchor, table_key, side, line_key, column_key, per_class)

),

-- what each amount figure restates (the figure key of a share's subject maps the same way)
figure_anchors as (

    select * from (
        values
            ('total_income_expenditure', 't1_grand_total'), ('income_total', 't1_income_total'),
            ('expenditure_total', 't1_expenditure_total'), ('opening_balance', 't1_opening_balance'),
            ('closing_balance', 't1_closing_balance'), ('fiscal_appropriation_income', 't1_appropriation'),
            ('general_budget_appropriation_income', 't1_general_budget'),
            ('government_fund_income', 't1_government_fund'), ('state_capital_income', 't1_state_capital'),
            ('superior_subsidy', 't1_superior_subsidy'), ('business_income', 't1_business_income'),
            ('operating_income', 't1_operating_income'), ('affiliated_remittance', 't1_affiliated'),
            ('other_income', 't1_other_income'), ('use_of_non_appropriation_balance', 't1_non_appropriation'),
            ('basic_expenditure', 't3_basic'), ('project_expenditure', 't3_project'),
            ('remit_to_superior', 't3_remit'), ('operating_expenditure', 't3_operating'),
            ('subsidy_to_affiliates', 't3_subsidy'),
            ('appropriation_total_income_expenditure', 't4_grand_total'),
            ('appropriation_opening_balance', 't4_opening_balance'),
            ('appropriation_closing_balance', 't4_closing_balance'),
            ('general_budget_expenditure', 't5_total'), ('general_budget_basic_expenditure', 't5_basic'),
            ('general_budget_project_expenditure', 't5_project'), ('class_expenditure', 't5_class'),
            ('personnel_expenditure', 't6_personnel'), ('public_expenditure', 't6_public'),
            ('government_fund_expenditure', 't8_expenditure')
    ) as mapping (figure_key, anchor)

),

anchor_cells as (

    select specs.anchor, specs.per_class, cells.*
    from anchor_specs as specs
    inner join cells
        on  cells.table_key = specs.table_key
        and cells.column_key = specs.column_key
        and (specs.side is null or cells.side = specs.side)
        and (
            (not specs.per_class and cells.line_key = specs.line_key and cells.code is null)
            or (specs.per_class and length(cells.code) = 3)
        )

),

-- one statement per figure: numbered per document, figure key and what it is about
numbered as (

    select
        figures.*,
        figures.figure_key
            || coalesce(':' || coalesce(figures.class_code, figures.subject), '')
            || '#' || cast(row_number() over (
                partition by figures.document_id, figures.figure_key, figures.class_code, figures.subject
                order by figures.figure_index) as varchar)                               as statement
    from figures

),

-- ---------------------------------------------------------------------------------------------
-- narrative_amount and narrative_share: a figure (or a share's numerator) against an anchor
-- ---------------------------------------------------------------------------------------------
amount_figures as (

    select numbered.*, 'narrative_amount' as identity_id, mapping.anchor, numbered.class_code as anchor_class
    from numbered
    inner join figure_anchors as mapping
        on mapping.figure_key = numbered.figure_key

),

share_figures as (

    select
        numbered.*,
        'narrative_share' as identity_id,
        mapping.anchor                                                       as numerator,
        case
            when numbered.relative_to like '%本年支出合计%' then 't1_expenditure_total'
            when numbered.relative_to like '%本年收入合计%' then 't1_income_total'
            when numbered.relative_to like '%基本支出%' then 't5_basic'
            when numbered.relative_to is not null then null
            when mapping.anchor in ('t1_appropriation', 't1_general_budget', 't1_government_fund', 't1_state_capital',
                                    't1_superior_subsidy', 't1_business_income', 't1_operating_income',
                                    't1_affiliated', 't1_other_income') then 't1_income_total'
            when mapping.anchor in ('t3_basic', 't3_project', 't3_remit', 't3_operating', 't3_subsidy',
                                    't5_total') then 't1_expenditure_total'
            when mapping.anchor = 't5_class' then 't5_total'
        end                                                                  as denominator,
        -- 10^(decimals printed), at most 2: the computed share is rounded like the printed one
        case length(coalesce(regexp_extract(numbered.raw_text, '[.．]([0-9]+)', 1), ''))
            when 0 then 1 when 1 then 10 else 100
        end
                                                                             as scale
    from numbered
    inner join figure_anchors as mapping
        on mapping.figure_key = numbered.subject
    where numbered.figure_key = 'share'

),

-- every anchor an instance reads, with the state of its table
share_reads as (

    select figure_id, 'numerator' as part, numerator as anchor, class_code as anchor_class from share_figures
    union all
    select figure_id, 'denominator', denominator, null from share_figures where denominator is not null

),

reads as (

    select figure_id, document_id, identity_id, statement, anchor, anchor_class, class_name from amount_figures
    union all
    select share_figures.figure_id, share_figures.document_id, share_figures.identity_id,
           share_figures.statement, share_reads.anchor, share_reads.anchor_class, share_figures.class_name
    from share_figures
    inner join share_reads on share_reads.figure_id = share_figures.figure_id

),

anchor_found as (

    -- per document, anchor and class: cells found, and the most rows one of its lines is printed on
    select document_id, anchor, anchor_class, sum(n_cells) as n_cells, max(n_rows) as n_rows
    from (
        select document_id, anchor, case when per_class then code else '' end as anchor_class, line_key,
               count(*) as n_cells, count(distinct row_index) as n_rows
        from anchor_cells
        group by all
    )
    group by all

),

read_state as (

    select
        reads.figure_id,
        string_agg(
            case
                when specs.per_class and reads.anchor_class is null
                    then 'class name ' || coalesce(reads.class_name, '?') || ' not resolved to a function code'
                when anchor_tables.availability is null or anchor_tables.availability not in ('parsed', 'empty')
                    then 'table ' || specs.table_key || ' ' || coalesce(anchor_tables.availability, 'missing')
                when anchor_tables.availability = 'parsed' and found.n_cells is null
                    then reads.anchor || coalesce(' ' || reads.anchor_class, '') || ' not found in ' || specs.table_key
                when found.n_rows > 1
                    then reads.anchor || coalesce(' ' || reads.anchor_class, '') || ' printed on ' || found.n_rows || ' rows'
            end, '; ')                                                       as problem
    from reads
    inner join (select distinct anchor, table_key, per_class from anchor_specs) as specs
        on specs.anchor = reads.anchor
    left join tables as anchor_tables
        on  anchor_tables.document_id = reads.document_id
        and anchor_tables.table_key = specs.table_key
    left join anchor_found as found
        on  found.document_id = reads.document_id
        and found.anchor = reads.anchor
        and found.anchor_class = case when specs.per_class then coalesce(reads.anchor_class, '') else '' end
    group by reads.figure_id

),

anchor_sums as (

    select
        share_figures.figure_id,
        sum(anchor_cells.amount) filter (where anchor_cells.anchor = share_figures.numerator)   as numerator,
        sum(anchor_cells.amount) filter (where anchor_cells.anchor = share_figures.denominator) as denominator,
        count(distinct anchor_cells.source_unit)                                                 as n_units
    from share_figures
    left join anchor_cells
        on  anchor_cells.document_id = share_figures.document_id
        and (
            (anchor_cells.anchor = share_figures.numerator
             and (not anchor_cells.per_class or anchor_cells.code = share_figures.class_code))
            or anchor_cells.anchor = share_figures.denominator
        )
    group by share_figures.figure_id

),

share_terms as (

    select
        share_figures.document_id, 'narrative_share' as identity_id, 'narrative' as table_key,
        share_figures.statement as subject, 'lhs' as role, share_figures.amount, '%' as source_unit,
        share_figures.page, share_figures.figure_index as row_index, share_figures.figure_ref as cell_ref,
        '=' as relation,
        coalesce(
            case
                when share_figures.unit is distinct from '%' then 'share printed without a % sign'
                when share_figures.denominator is null then 'the whole of the share (' || share_figures.relative_to || ') is not a table figure'
            end,
            read_state.problem,
            case
                when anchor_sums.n_units > 1 then 'numerator and denominator printed in different units'
                when coalesce(anchor_sums.denominator, 0) = 0 then 'denominator is 0'
            end
        )                                                                    as problem
    from share_figures
    left join read_state on read_state.figure_id = share_figures.figure_id
    left join anchor_sums on anchor_sums.figure_id = share_figures.figure_id

    union all

    -- the share computed from the table figures, rounded half up to the decimals the narrative
    -- prints (0, 1 or 2), with integer arithmetic: floor((2 x num x 100 x 10^d + den) / (2 x den))
    select
        share_figures.document_id, 'narrative_share', 'narrative', share_figures.statement, 'rhs',
        cast(cast(
            (cast(coalesce(anchor_sums.numerator, 0) * 100 as hugeint) * 200 * share_figures.scale
             + cast(anchor_sums.denominator * 100 as hugeint))
            // (2 * cast(anchor_sums.denominator * 100 as hugeint))
        as decimal(18, 0)) * case share_figures.scale when 1 then 1.00 when 10 then 0.10 else 0.01 end
        as decimal(18, 2)),
        '%', null, null,
        'share computed: ' || share_figures.subject || ' / ' || share_figures.denominator || ' x 100',
        '=', null
    from share_figures
    inner join anchor_sums on anchor_sums.figure_id = share_figures.figure_id
    where coalesce(anchor_sums.denominator, 0) > 0

    union all

    -- the table cells the share is computed from (pages and cells of the instance)
    select
        share_figures.document_id, 'narrative_share', anchor_cells.table_key, share_figures.statement, 'none',
        null, null, anchor_cells.page, anchor_cells.row_index, anchor_cells.cell_ref, '=', null
    from share_figures
    inner join anchor_cells
        on  anchor_cells.document_id = share_figures.document_id
        and (
            (anchor_cells.anchor = share_figures.numerator
             and (not anchor_cells.per_class or anchor_cells.code = share_figures.class_code))
            or anchor_cells.anchor = share_figures.denominator
        )

),

amount_terms as (

    select
        amount_figures.document_id, 'narrative_amount' as identity_id, 'narrative' as table_key,
        amount_figures.statement as subject, 'lhs' as role, amount_figures.amount,
        amount_figures.comparison_unit as source_unit, amount_figures.page,
        amount_figures.figure_index as row_index, amount_figures.figure_ref as cell_ref, '=' as relation,
        coalesce(
            case when amount_figures.amount is null
                then 'narrative figure ' || coalesce(amount_figures.raw_text, '') || ' not comparable (unit or decimals)' end,
            read_state.problem
        )                                                                    as problem
    from amount_figures
    left join read_state on read_state.figure_id = amount_figures.figure_id

    union all

    select
        amount_figures.document_id, 'narrative_amount', anchor_cells.table_key, amount_figures.statement, 'rhs',
        anchor_cells.amount, anchor_cells.source_unit, anchor_cells.page, anchor_cells.row_index,
        anchor_cells.cell_ref, '=', null
    from amount_figures
    inner join anchor_cells
        on  anchor_cells.document_id = amount_figures.document_id
        and anchor_cells.anchor = amount_figures.anchor
        and (not anchor_cells.per_class or anchor_cells.code = amount_figures.anchor_class)

),

-- ---------------------------------------------------------------------------------------------
-- narrative_item_final: the item's T5 row found by its printed names under its class code
-- ---------------------------------------------------------------------------------------------
t5_rows as (

    select document_id, code, row_label, amount, source_unit, page, row_index, cell_ref,
           {{ clean_item_name('row_label') }} as clean_label
    from cells
    where table_key = 't5_general_budget_expenditure' and column_key = 'total' and code is not null

),

items as (

    select
        numbered.*,
        {{ clean_item_name('numbered.kuan_name') }} as clean_kuan,
        {{ clean_item_name('numbered.item_name') }} as clean_item,
        'item_actual:' || coalesce(numbered.class_code, '?') || '/' || coalesce(numbered.kuan_name, '')
            || '/' || coalesce(numbered.item_name, '') || '#'
            || cast(row_number() over (
                partition by numbered.document_id, numbered.class_code, numbered.kuan_name, numbered.item_name
                order by numbered.figure_index) as varchar)                  as item_statement
    from numbered
    where numbered.figure_key = 'item_actual'

),

item_matches as (

    select items.figure_id, t5_rows.*
    from items
    inner join t5_rows as kuan
        on  kuan.document_id = items.document_id
        and length(kuan.code) = 5
        and left(kuan.code, 3) = items.class_code
        and kuan.clean_label = items.clean_kuan
    inner join t5_rows
        on  t5_rows.document_id = items.document_id
        and (
            (items.clean_item is not null and length(t5_rows.code) = 7
             and left(t5_rows.code, 5) = kuan.code and t5_rows.clean_label = items.clean_item)
            or (items.clean_item is null and t5_rows.code = kuan.code)
        )

),

item_terms as (

    select
        items.document_id, 'narrative_item_final' as identity_id, 'narrative' as table_key,
        items.item_statement as subject, 'lhs' as role, items.amount, items.comparison_unit as source_unit,
        items.page, items.figure_index as row_index, items.figure_ref as cell_ref, '=' as relation,
        case
            when items.amount is null then 'narrative figure ' || coalesce(items.raw_text, '') || ' not comparable (unit or decimals)'
            when items.class_code is null then 'class ' || coalesce(items.class_name, '?') || ' not resolved to a function code'
            when coalesce(matched.n_codes, 0) = 0
                then 'item ' || coalesce(items.kuan_name, '?') || ' / ' || coalesce(items.item_name, '-')
                     || ' not found by name under 类 ' || items.class_code || ' in t5_general_budget_expenditure'
            when matched.n_codes > 1 then 'item name matches several T5 rows'
        end                                                                  as problem
    from items
    left join (
        select figure_id, count(distinct code) as n_codes from item_matches group by figure_id
    ) as matched
        on matched.figure_id = items.figure_id

    union all

    select
        items.document_id, 'narrative_item_final', 't5_general_budget_expenditure', items.item_statement, 'rhs',
        item_matches.amount, item_matches.source_unit, item_matches.page, item_matches.row_index,
        item_matches.cell_ref, '=', null
    from items
    inner join item_matches on item_matches.figure_id = items.figure_id

),

-- ---------------------------------------------------------------------------------------------
-- narrative_comparison_word: actual vs the budget of the same statement, as the word says
-- ---------------------------------------------------------------------------------------------
actuals as (

    select
        numbered.*,
        case
            when numbered.figure_key = 'item_actual' then 'item'
            when numbered.figure_key = 'general_budget_expenditure' then 'general_budget'
            when numbered.figure_key = 'three_public_actual' then 'three_public'
        end                                                                  as pair_kind
    from numbered
    where numbered.comparison_word is not null
      and (numbered.figure_key in ('item_actual', 'general_budget_expenditure')
           or (numbered.figure_key = 'three_public_actual' and numbered.subject = 'total'))

),

pairs as (

    select
        actuals.document_id, actuals.pair_kind, actuals.figure_index as actual_index,
        actuals.amount as actual_amount, actuals.comparison_unit as actual_unit, actuals.unit_suspect as actual_suspect,
        actuals.page as actual_page, actuals.figure_ref as actual_ref, actuals.comparison_word,
        actuals.class_code, actuals.kuan_name, actuals.item_name,
        budgets.amount as budget_amount, budgets.comparison_unit as budget_unit, budgets.unit_suspect as budget_suspect,
        budgets.page as budget_page, budgets.figure_ref as budget_ref, budgets.figure_index as budget_index
    from actuals
    left join numbered as budgets
        on  budgets.document_id = actuals.document_id
        and budgets.figure_index < actuals.figure_index
        and budgets.comparison_word is not null
        and (
            (actuals.pair_kind = 'item' and budgets.figure_key in ('item_budget', 'item_adjusted_budget')
             and budgets.class_name is not distinct from actuals.class_name
             and budgets.kuan_name is not distinct from actuals.kuan_name
             and budgets.item_name is not distinct from actuals.item_name)
            or (actuals.pair_kind = 'general_budget'
                and budgets.figure_key in ('general_budget_initial_budget', 'general_budget_adjusted_budget'))
            or (actuals.pair_kind = 'three_public' and budgets.figure_key = 'three_public_budget'
                and budgets.subject = 'total')
        )
    qualify row_number() over (partition by actuals.figure_id order by budgets.figure_index desc nulls last) = 1

),

pair_subjects as (

    select
        pairs.*,
        case pairs.pair_kind
            when 'item' then 'compare:' || coalesce(pairs.class_code, '?') || '/' || coalesce(pairs.kuan_name, '')
                             || '/' || coalesce(pairs.item_name, '')
            else 'compare:' || pairs.pair_kind
        end || '#' || cast(row_number() over (
            partition by pairs.document_id, pairs.pair_kind, pairs.class_code, pairs.kuan_name, pairs.item_name
            order by pairs.actual_index) as varchar)                         as subject,
        case
            when pairs.comparison_word in ('大于', '高于', '超过') then '>'
            when pairs.comparison_word in ('小于', '低于') then '<'
            when pairs.comparison_word in ('等于', '持平', '一致', '相等', '相同', '相当') then '='
        end                                                                  as relation
    from pairs

),

comparison_terms as (

    select
        document_id, 'narrative_comparison_word' as identity_id, 'narrative' as table_key, subject,
        'lhs' as role, actual_amount as amount,
        -- the word compares the numbers as the sentence means them: a unit flagged as suspect
        -- (元 among 万元) takes its sibling's unit; the typo itself is reported by the other identities
        case when actual_suspect and not coalesce(budget_suspect, false) then budget_unit else actual_unit end as source_unit,
        actual_page as page,
        actual_index as row_index, actual_ref || ' [' || comparison_word || ']' as cell_ref,
        coalesce(relation, '=') as relation,
        case
            when relation is null then 'comparison word ' || comparison_word || ' not understood'
            when budget_index is null then 'no 预算数 stated before the 决算数 in the same statement'
            when actual_amount is null or budget_amount is null then 'a figure is not comparable (unit or decimals)'
        end                                                                  as problem
    from pair_subjects

    union all

    select
        document_id, 'narrative_comparison_word', 'narrative', subject, 'rhs', budget_amount,
        case when budget_suspect and not coalesce(actual_suspect, false) then actual_unit else budget_unit end,
        budget_page, budget_index, budget_ref, coalesce(relation, '='), null
    from pair_subjects
    where budget_index is not null

),

-- ---------------------------------------------------------------------------------------------
-- narrative_three_public: 三公 figures against T7 (basis budget/final, item key)
-- ---------------------------------------------------------------------------------------------
t7_items as (

    select cells.*,
           case
               when line_key in ('budget', 'final') then line_key
               when regexp_full_match(column_key, '(budget|final)_.+') then regexp_extract(column_key, '^(budget|final)_', 1)
               when regexp_full_match(column_key, '.+_(budget|final)') then regexp_extract(column_key, '_(budget|final)$', 1)
           end as basis,
           case
               when line_key in ('budget', 'final') then column_key
               when regexp_full_match(column_key, '(budget|final)_.+') then regexp_replace(column_key, '^(budget|final)_', '')
               when regexp_full_match(column_key, '.+_(budget|final)') then regexp_replace(column_key, '_(budget|final)$', '')
           end as item
    from cells
    where table_key = 't7_three_public'

),

three_public as (

    select numbered.*, case numbered.figure_key when 'three_public_budget' then 'budget' else 'final' end as basis
    from numbered
    where numbered.figure_key in ('three_public_budget', 'three_public_actual')

),

three_public_terms as (

    select
        three_public.document_id, 'narrative_three_public' as identity_id, 'narrative' as table_key,
        three_public.statement as subject, 'lhs' as role, three_public.amount,
        three_public.comparison_unit as source_unit, three_public.page, three_public.figure_index as row_index,
        three_public.figure_ref as cell_ref, '=' as relation,
        case
            when three_public.amount is null
                then 'narrative figure ' || coalesce(three_public.raw_text, '') || ' not comparable (unit or decimals)'
            when not exists (
                select 1 from t7_items
                where t7_items.document_id = three_public.document_id
                  and t7_items.basis = three_public.basis
                  and t7_items.item = three_public.subject
            ) and exists (  -- an empty T7 (本表无数据) counts as zeros
                select 1 from tables
                where tables.document_id = three_public.document_id
                  and tables.table_key = 't7_three_public' and tables.availability = 'parsed'
            )
                then 'T7 ' || three_public.basis || ' ' || coalesce(three_public.subject, '?') || ' not found'
        end                                                                  as problem
    from three_public

    union all

    select
        three_public.document_id, 'narrative_three_public', 't7_three_public', three_public.statement, 'rhs',
        t7_items.amount, t7_items.source_unit, t7_items.page, t7_items.row_index, t7_items.cell_ref, '=', null
    from three_public
    inner join t7_items
        on  t7_items.document_id = three_public.document_id
        and t7_items.basis = three_public.basis
        and t7_items.item = three_public.subject

),

terms as (

    select * from amount_terms
    union all select * from share_terms
    union all select * from item_terms
    union all select * from comparison_terms
    union all select * from three_public_terms

),

aggregated as (

    {{ aggregate_residual_terms('terms') }}

)

select {{ residual_output_columns('aggregated') }}
from aggregated
