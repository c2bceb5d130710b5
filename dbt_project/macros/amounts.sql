{#- Amounts in the marts (docs/naming.md, "Amounts and their decimals").
    The intermediate layer keeps every amount exact in 万元 as DECIMAL(20,6): a table printed in
    万元 has two decimals, one printed in 元 has two decimals of 元 = six of 万元. The marts show
    万元 with two decimals (`mart_wan`, DECIMAL(18,2)) and carry the same amount exact in 元
    (`mart_yuan`, DECIMAL(20,2)): exact for every printed figure, so no amount is lost when a
    report printed in 元 has 万元 digits beyond the second decimal (test
    assert_mart_amounts_have_two_decimals_in_wan names those cells). -#}
{% macro mart_wan(amount) -%}
    cast(({{ amount }}) as decimal(18, 2))
{%- endmacro %}

{% macro mart_yuan(amount) -%}
    cast(({{ amount }}) * 10000 as decimal(20, 2))
{%- endmacro %}

{#- The exact 万元 amount of a mart's `_yuan` column, for computing on in a later model. -#}
{% macro exact_wan(amount_yuan) -%}
    cast(({{ amount_yuan }}) * cast(0.0001 as decimal(5, 4)) as decimal(20, 6))
{%- endmacro %}

{#- `select *` of a fact whose `<c>_wan` columns (two decimals) are replaced by the exact 万元
    amounts of its `<c>_yuan` columns: what an analyst mart computes on (sums, differences,
    shares) before its own output is shown with two decimals. -#}
{% macro exact_amounts_from(relation, columns) -%}
    select * replace (
        {%- for column in columns %}
        {{ exact_wan(column ~ '_yuan') }} as {{ column }}_wan{% if not loop.last %},{% endif %}
        {%- endfor %}
    )
    from {{ relation }}
{%- endmacro %}
