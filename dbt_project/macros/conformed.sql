{#- Tables whose rows are keyed by a function classification code (支出功能分类科目). In T1 and T4
    only the expenditure lines with line_key 'function_class' carry a function code. -#}
{% macro function_coded_table_keys() -%}
    {{ return(['t1_summary', 't2_income', 't3_expenditure', 't4_appropriation_summary',
               't5_general_budget_expenditure', 't8_government_fund', 't9_state_capital']) }}
{%- endmacro %}

{#- A printed item name made comparable: whitespace (also letter-spacing and U+3000) removed and a
    leading list number such as 一、 or （三） dropped. -#}
{% macro clean_item_name(column) -%}
    nullif(
        regexp_replace(
            regexp_replace({{ column }}, '[\s\x{3000}]+', '', 'g'),
            '^(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十百]+[）)])',
            ''
        ),
        ''
    )
{%- endmacro %}

{#- Level of a classification code from its length: 类 (3 digits), 款 (5), 项 (7); null otherwise. -#}
{% macro code_level(column) -%}
    case
        when not regexp_full_match({{ column }}, '[0-9]+') then null
        when length({{ column }}) = 3 then '类'
        when length({{ column }}) = 5 then '款'
        when length({{ column }}) = 7 then '项'
    end
{%- endmacro %}

{#- Parent of a classification code: the 类 of a 款, the 款 of a 项; null for a 类. -#}
{% macro code_parent(column) -%}
    case
        when not regexp_full_match({{ column }}, '[0-9]+') then null
        when length({{ column }}) = 5 then left({{ column }}, 3)
        when length({{ column }}) = 7 then left({{ column }}, 5)
    end
{%- endmacro %}

{#- A percentage a / b × 100 as DECIMAL (default DECIMAL(9,4)); null when b is null or 0. DuckDB divides
    DECIMALs in DOUBLE, so the quotient is rounded back to 4 decimals at once. -#}
{% macro share_pct(numerator, denominator, data_type='decimal(9, 4)') -%}
    case
        when {{ denominator }} is null or {{ denominator }} = 0 then null
        else cast(round(cast({{ numerator }} as decimal(38, 10)) * 100 / {{ denominator }}, 4) as {{ data_type }})
    end
{%- endmacro %}

{#- Level of an economic classification code: 类 (3 digits) or 款 (5); null otherwise. -#}
{% macro economic_level(column) -%}
    case
        when not regexp_full_match({{ column }}, '[0-9]+') then null
        when length({{ column }}) = 3 then '类'
        when length({{ column }}) = 5 then '款'
    end
{%- endmacro %}

{#- The 类 of an economic 款 (first 3 digits); null for a 类. -#}
{% macro economic_parent(column) -%}
    case when regexp_full_match({{ column }}, '[0-9]{5}') then left({{ column }}, 3) end
{%- endmacro %}

{#- personnel (人员经费: 类 301, 303) or public (公用经费: any other 3xx) for an economic code. -#}
{% macro expense_group(column) -%}
    case
        when left({{ column }}, 3) in ('301', '303') then 'personnel'
        when regexp_full_match({{ column }}, '3[0-9]{2}([0-9]{2})?') then 'public'
    end
{%- endmacro %}

{#- The Chinese name of a fund scope key (docs/naming.md: English keys, Chinese names beside them),
    as the tables print it: T3 covers all funds, T5 / T8 / T9 one appropriation each. -#}
{% macro fund_scope_name(column) -%}
    case {{ column }}
        when 'all_funds' then '全部资金'
        when 'general_public_budget' then '一般公共预算财政拨款'
        when 'government_fund' then '政府性基金预算财政拨款'
        when 'state_capital' then '国有资本经营预算财政拨款'
    end
{%- endmacro %}

{#- The Chinese name of an expense group key of T6: 人员经费 or 公用经费. -#}
{% macro expense_group_name(column) -%}
    case {{ column }}
        when 'personnel' then '人员经费'
        when 'public' then '公用经费'
    end
{%- endmacro %}
