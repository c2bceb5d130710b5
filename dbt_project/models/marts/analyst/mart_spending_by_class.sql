-- Spending by department, year and 类 (T3 支出决算表, all funds), current documents only, with the
-- share of the department's total. Grain: (department_key, fiscal_year, class_code).
-- The department's total is the sum of its 类 rows (so the shares add up to 100); the printed
-- 合计 can differ from it by rounding (see mart_basic_vs_project for the printed one).
with expenditure as (

    {{ exact_amounts_from(ref('fct_expenditure_by_function'), ['total', 'basic', 'project', 'other']) }}
    where is_current
      and fund_scope = 'all_funds'
      and function_level = '类'

),

departments as (

    select department_key, department_name, region_key from {{ ref('dim_department') }}

),

classes as (

    select function_code, function_name from {{ ref('dim_function_class') }}

),

with_totals as (

    select
        expenditure.*,
        cast(sum(coalesce(expenditure.total_wan, 0)) over (partition by expenditure.document_id) as decimal(20, 6))
            as department_total_wan
    from expenditure

)

select
    with_totals.department_key || '|' || coalesce(cast(with_totals.fiscal_year as varchar), '') || '|' || with_totals.function_code
                                                                      as spending_by_class_key,
    with_totals.department_key,
    departments.department_name,
    departments.region_key,
    with_totals.fiscal_year,
    with_totals.document_id,
    with_totals.function_code                                         as class_code,
    coalesce(with_totals.class_name, classes.function_name)           as class_name,
    {{ mart_wan('with_totals.total_wan') }}                          as total_wan,
    {{ mart_wan('with_totals.basic_wan') }}                          as basic_wan,
    {{ mart_wan('with_totals.project_wan') }}                        as project_wan,
    {{ mart_wan('with_totals.other_wan') }}                          as other_wan,
    {{ mart_wan('with_totals.department_total_wan') }}               as department_total_wan,
    {{ share_pct('with_totals.total_wan', 'with_totals.department_total_wan') }} as share_of_department_pct,
    with_totals.page
from with_totals
inner join departments
    on departments.department_key = with_totals.department_key
left join classes
    on classes.function_code = with_totals.function_code
