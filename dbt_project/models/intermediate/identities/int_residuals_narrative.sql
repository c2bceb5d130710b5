-- Narrative (情况说明) against the tables, one row per figure stated (int_residual_narrative_figures):
--   narrative_amount          a total the narrative states = the table figure it restates
--                             (anchors below; class_expenditure: the T5 类 row of class_code, stated in
--                             an appropriation section; all_funds_class_expenditure: the T3 类 row)
--   narrative_share           a share (%) stated = numerator / denominator x 100 of the table
--                             figures, rounded half up to 2 places with integer arithmetic
-- (narrative_item_final, narrative_comparison_word and narrative_three_public: int_residuals_narrative_items)
-- Subjects: '<figure_key>[:<class_code or item>]#<n-th statement in the document>'. The narrative
-- is printed in 万元 or 元 (亿元 converted); a table figure that cannot be read (table not parsed,
-- line not found, item name not found) makes the instance not evaluable, never failed. An empty
-- table (本表无数据) counts as zeros.
-- one statement per figure (its `statement`: numbered per document, figure key and subject)
with numbered as (

    select * from {{ changed_documents(ref('int_residual_narrative_figures')) }}

),

tables as (

    select document_id, table_key, availability from {{ changed_documents(ref('int_document_tables')) }}

),

-- table figures a narrative figure can restate (seed identity_anchors); several rows of one
-- anchor are summed
anchor_specs as (

    select distinct anchor, table_key, per_class from {{ ref('identity_anchors') }}

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
            ('all_funds_class_expenditure', 't3_class'),
            ('personnel_expenditure', 't6_personnel'), ('public_expenditure', 't6_public'),
            ('government_fund_expenditure', 't8_expenditure'),
            ('government_fund_opening_balance', 't8_opening_balance'),
            ('government_fund_closing_balance', 't8_closing_balance'),
            ('state_capital_opening_balance', 't9_opening_balance'),
            ('state_capital_closing_balance', 't9_closing_balance')
    ) as mapping (figure_key, anchor)

),

anchor_cells as (

    select * from {{ changed_documents(ref('int_residual_anchor_cells')) }}

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
            when mapping.anchor = 't3_class' then 't1_expenditure_total'
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
        select document_id, anchor, anchor_class, line_key, count(*) as n_cells,
               count(distinct row_index) as n_rows
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
    inner join anchor_specs as specs
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

terms as (

    select * from amount_terms
    union all select * from share_terms

),

aggregated as (

    {{ aggregate_residual_terms('terms') }}

)

select {{ residual_output_columns('aggregated') }}
from aggregated
