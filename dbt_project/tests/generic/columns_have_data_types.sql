{#-
    Fails for every listed column whose type in the built relation is not exactly the one given
    (e.g. DECIMAL(20,6)), or that does not exist. One test per model keeps amounts DECIMAL
    everywhere, never DOUBLE, at the cost of one query instead of one per column (dbt's cost is
    per test node: a build here is ~40 models and ~260 tests).
-#}
{% test columns_have_data_types(model, data_types) %}

with expected as (

    {% for column_name, data_type in data_types.items() %}
    select
        lower('{{ column_name }}') as column_name,
        upper(replace('{{ data_type }}', ' ', '')) as data_type
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

actual as (

    select
        lower(column_name) as column_name,
        upper(replace(data_type, ' ', '')) as data_type
    from information_schema.columns
    where table_catalog = '{{ model.database }}'
      and table_schema = '{{ model.schema }}'
      and table_name = '{{ model.identifier }}'

)

select
    expected.column_name,
    expected.data_type as expected_type,
    actual.data_type as actual_type
from expected
left join actual
    on actual.column_name = expected.column_name
where actual.data_type is distinct from expected.data_type

{% endtest %}
