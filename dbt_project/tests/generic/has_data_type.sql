{#-
    Fails when the column's type in the built relation is not exactly `data_type`
    (e.g. DECIMAL(18,2)), or when the column does not exist. Used to keep amounts DECIMAL
    everywhere, never DOUBLE.
-#}
{% test has_data_type(model, column_name, data_type) %}

with expected as (

    select
        lower('{{ column_name }}') as column_name,
        upper(replace('{{ data_type }}', ' ', '')) as data_type

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
