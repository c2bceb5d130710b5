-- Narrative (情况说明) statements about items, one row per statement (int_residual_narrative_figures):
--   narrative_item_final      the 决算数 of a 类/款/项 item = the row found by its printed names
--                             under its class code, in T5 (T8 / T9 in the 政府性基金 / 国有资本
--                             sections); a name that matches no row: not evaluable
--   narrative_comparison_word 决算数 大于/小于/等于(持平) 预算数: relation '>', '<' or '=' between the
--                             two figures of the same statement (actual = lhs, budget = rhs)
--   narrative_three_public    三公 预算数 / 决算数 (and items) = T7 budget / final; an empty T7
--                             (本表无数据) counts as zeros
-- Subjects: 'item_actual:<class>/<款>/<项>#n', 'compare:<class>/<款>/<项>#n' or 'compare:general_budget#n',
-- '<figure_key>:<三公 item>#n' (n: the n-th such statement in the document).
-- one statement per figure (its `statement`: numbered per document, figure key and subject)
with numbered as (

    select * from {{ changed_documents(ref('int_residual_narrative_figures')) }}

),

tables as (

    select document_id, table_key, availability from {{ changed_documents(ref('int_document_tables')) }}

),

cells as (

    select * from {{ changed_documents(ref('int_residual_cells')) }}

),


-- ---------------------------------------------------------------------------------------------
-- narrative_item_final: the item's row found by its printed names under its class code, in the
-- table of the narrative's section: 政府性基金 sections speak of T8, 国有资本 sections of T9, all
-- others of T5. The 项 is looked up under the 款 of the printed name; when no 款 of that name
-- exists (款 names change between classification years: 行政事业单位离退休 became 行政事业单位养老支出)
-- the 项 is looked up by its own name under the class, if exactly one row has it.
-- ---------------------------------------------------------------------------------------------
item_rows as (

    select document_id, table_key, code, row_label, amount, source_unit, page, row_index, cell_ref,
           {{ clean_item_name('row_label') }} as clean_label
    from cells
    where code is not null
      and ((table_key = 't5_general_budget_expenditure' and column_key = 'total')
           or (table_key in ('t8_government_fund', 't9_state_capital') and column_key = 'expenditure_total'))

),

items as (

    select
        numbered.*,
        case
            when numbered.section like '%政府性基金%' then 't8_government_fund'
            when numbered.section like '%国有资本%' then 't9_state_capital'
            else 't5_general_budget_expenditure'
        end                                                                  as item_table,
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

matches_by_kuan as (

    select items.figure_id, item_rows.*
    from items
    inner join item_rows as kuan
        on  kuan.document_id = items.document_id
        and kuan.table_key = items.item_table
        and length(kuan.code) = 5
        and left(kuan.code, 3) = items.class_code
        and kuan.clean_label = items.clean_kuan
    inner join item_rows
        on  item_rows.document_id = items.document_id
        and item_rows.table_key = items.item_table
        and (
            (items.clean_item is not null and length(item_rows.code) = 7
             and left(item_rows.code, 5) = kuan.code and item_rows.clean_label = items.clean_item)
            or (items.clean_item is null and item_rows.code = kuan.code)
        )

),

matches_by_item as (

    select items.figure_id, item_rows.*
    from items
    inner join item_rows
        on  item_rows.document_id = items.document_id
        and item_rows.table_key = items.item_table
        and length(item_rows.code) = 7
        and left(item_rows.code, 3) = items.class_code
        and item_rows.clean_label = items.clean_item
    where items.clean_item is not null
      and items.figure_id not in (select figure_id from matches_by_kuan)

),

item_matches as (

    select * from matches_by_kuan
    union all
    select * from matches_by_item

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
                     || ' not found by name under 类 ' || items.class_code || ' in ' || items.item_table
            when matched.n_codes > 1 then 'item name matches several rows of ' || items.item_table
        end                                                                  as problem
    from items
    left join (
        select figure_id, count(distinct code) as n_codes from item_matches group by figure_id
    ) as matched
        on matched.figure_id = items.figure_id

    union all

    select
        items.document_id, 'narrative_item_final', item_matches.table_key, items.item_statement, 'rhs',
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

    select * from item_terms
    union all select * from comparison_terms
    union all select * from three_public_terms

),

aggregated as (

    {{ aggregate_residual_terms('terms') }}

)

select {{ residual_output_columns('aggregated') }}
from aggregated
