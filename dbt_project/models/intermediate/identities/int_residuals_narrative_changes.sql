-- narrative_change_rate: a year-on-year statement agrees with itself. "支出1,234.56万元，比上年增加
-- 234.56万元，增长23.46%": the previous year's amount is the amount stated less the change (plus it
-- for 减少), and the rate printed is change / previous x 100, rounded like the printed rate (0, 1
-- or 2 decimals, half up, integer arithmetic). Signed: 增加/增长 positive, 减少/下降 negative, so
-- a 减少 stated with 增长 fails too. One instance per rate stated (subject: the statement).
--   lhs  the rate as printed, signed          rhs  the rate computed from the amounts, signed
-- The amount is the last figure of the same key stated before the change in the document (in the
-- same unit); without it, or with a previous-year amount of 0, the instance is not evaluable.
with figures as (

    select * from {{ changed_documents(ref('int_residual_narrative_figures')) }}

),

changes as (

    select *
    from figures
    where figure_key = 'yoy_change' and comparison_unit in ('万元', '元') and amount is not null

),

rates as (

    select *
    from figures
    where figure_key = 'yoy_change' and comparison_unit = '%' and amount is not null

),

-- the rate printed right after the change, in the same sentence and about the same thing
pairs as (

    select
        changes.document_id,
        changes.figure_index                                                   as change_index,
        changes.subject,
        changes.amount                                                         as change_amount,
        changes.comparison_unit,
        changes.comparison_word                                                as change_word,
        changes.page                                                           as change_page,
        changes.figure_ref                                                     as change_ref,
        rates.amount                                                           as rate,
        rates.comparison_word                                                  as rate_word,
        rates.raw_text                                                         as rate_text,
        rates.page                                                             as rate_page,
        rates.figure_ref                                                       as rate_ref,
        rates.statement
    from changes
    inner join rates
        on  rates.document_id = changes.document_id
        and rates.sentence = changes.sentence
        and rates.subject is not distinct from changes.subject
        and rates.figure_index > changes.figure_index
    qualify row_number() over (partition by changes.document_id, changes.figure_index order by rates.figure_index) = 1

),

-- the amount the change is of: the last figure of that key stated before it, in the same unit
with_amount as (

    select
        pairs.*,
        amounts.amount                                                         as current_amount,
        amounts.page                                                           as amount_page,
        amounts.figure_ref                                                     as amount_ref
    from pairs
    left join figures as amounts
        on  amounts.document_id = pairs.document_id
        and amounts.figure_key = pairs.subject
        and amounts.comparison_unit = pairs.comparison_unit
        and amounts.figure_index < pairs.change_index
        and amounts.amount is not null
    qualify row_number() over (partition by pairs.document_id, pairs.change_index order by amounts.figure_index desc nulls last) = 1

),

signed as (

    select
        *,
        case when change_word in ('减少', '降低', '下降') then -1 else 1 end      as change_sign,
        case when rate_word in ('下降', '降低', '减少', '减') then -1 else 1 end  as rate_sign,
        -- 10^(decimals printed), at most 2
        case length(coalesce(regexp_extract(rate_text, '[.．]([0-9]+)', 1), ''))
            when 0 then 1 when 1 then 10 else 100
        end                                                                    as scale
    from with_amount

),

computed as (

    select
        *,
        current_amount - change_sign * change_amount                            as previous_amount
    from signed

),

instances as (

    select
        computed.document_id,
        'narrative_change_rate'                                                as identity_id,
        'narrative'                                                            as table_key,
        computed.statement                                                     as subject,
        cast(computed.rate_sign * computed.rate as decimal(18, 2))             as lhs,
        case when computed.previous_amount > 0 then
            cast(computed.change_sign * cast(
                (cast(computed.change_amount * 100 as hugeint) * 200 * computed.scale
                 + cast(computed.previous_amount * 100 as hugeint))
                // (2 * cast(computed.previous_amount * 100 as hugeint))
            as decimal(18, 0)) * case computed.scale when 1 then 1.00 when 10 then 0.10 else 0.01 end
            as decimal(18, 2))
        end                                                                    as rhs,
        2                                                                      as term_count,
        [computed.rate_page, computed.change_page, computed.amount_page]       as page_list,
        computed.rate_ref || '; ' || computed.change_ref
            || coalesce('; ' || computed.amount_ref, '')                       as cells,
        '='                                                                    as relation,
        case
            when computed.current_amount is null
                then 'the amount the change is of (' || coalesce(computed.subject, '?') || ') is not stated before it'
            when computed.previous_amount <= 0
                then 'previous-year amount is ' || computed.previous_amount || ': no rate to compute'
        end                                                                    as problem,
        '%'                                                                    as source_unit
    from computed

)

select {{ residual_output_columns('instances') }}
from instances
