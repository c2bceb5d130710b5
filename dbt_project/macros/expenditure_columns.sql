{#- Canonical amount columns of the function-coded expenditure tables (T3; T5 uses the first three). -#}
{% macro expenditure_column_keys() -%}
    {{ return(['total', 'basic', 'project', 'remit_to_superior', 'operating', 'subsidy_to_affiliates']) }}
{%- endmacro %}

{#- One pivoted DECIMAL column per canonical expenditure column, summed from cells grouped by row.
    Blank cells (null amounts) stay null; sum() over DECIMAL stays DECIMAL.
    T8/T9 (收入支出决算表 of a fund) head their expenditure total 本年支出 with column_key
    `expenditure_total`: it fills `total` when the row has no `total` cell. -#}
{% macro pivot_expenditure_amounts(amount_column='amount_wan', data_type='decimal(20, 6)') -%}
    {%- for key in expenditure_column_keys() %}
        {%- if key == 'total' %}
        cast(coalesce(
            sum({{ amount_column }}) filter (where column_key = 'total'),
            sum({{ amount_column }}) filter (where column_key = 'expenditure_total')
        ) as {{ data_type }}) as {{ key }}
        {%- else %}
        cast(sum({{ amount_column }}) filter (where column_key = '{{ key }}') as {{ data_type }}) as {{ key }}
        {%- endif %}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The balance columns of T8/T9 (年初结转和结余, 本年收入, 年末结转和结余), pivoted like the above. -#}
{% macro fund_balance_column_keys() -%}
    {{ return(['opening_balance', 'income', 'closing_balance']) }}
{%- endmacro %}

{% macro pivot_fund_balance_amounts(amount_column='amount_wan', data_type='decimal(20, 6)') -%}
    {%- for key in fund_balance_column_keys() %}
        cast(sum({{ amount_column }}) filter (where column_key = '{{ key }}') as {{ data_type }}) as {{ key }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- other = remit_to_superior + operating + subsidy_to_affiliates; blanks count as 0, but the result
    is null when all three are blank. -#}
{% macro other_expenditure(data_type='decimal(20, 6)') -%}
    case
        when remit_to_superior is null and operating is null and subsidy_to_affiliates is null
            then null
        else cast(
            coalesce(remit_to_superior, 0)
            + coalesce(operating, 0)
            + coalesce(subsidy_to_affiliates, 0)
            as {{ data_type }}
        )
    end
{%- endmacro %}

{% macro parsed_expenditure_table_cells() %}
    {#- Cells of the function-coded expenditure tables (T3/T5/T8/T9) of loaded documents whose
        table was parsed, with the table's fund_scope; shared by the by-function and 合计 models,
        which are incremental by document (only the changed documents' cells on a night). -#}
    select
        cells.*,
        fund_scopes.fund_scope
    from {{ changed_documents(ref('stg_table_cells')) }} as cells
    inner join (
        select table_key, fund_scope from {{ ref('standard_tables') }} where fund_scope is not null
    ) as fund_scopes
        on fund_scopes.table_key = cells.table_key
    inner join (
        select document_id from {{ ref('stg_documents') }} where is_loaded
    ) as documents
        on documents.document_id = cells.document_id
    inner join (
        select report_table_key, status from {{ ref('stg_report_tables') }}
    ) as report_tables
        on report_tables.report_table_key = cells.report_table_key
    where report_tables.status = 'parsed'
{% endmacro %}
