-- 三公 spending per department, year and item: budget, actual, execution rate and the change of
-- the actual against the department's previous fiscal year. Current documents only.
-- Grain: (department_key, fiscal_year, item).
with three_public as (

    {{ exact_amounts_from(ref('fct_three_public'), ['budget', 'final', 'final_minus_budget']) }}
    where is_current

),

reports as (

    select distinct department_key, fiscal_year from three_public

),

departments as (

    select department_key, department_name from {{ ref('dim_department') }}

)

select
    this_year.department_key || '|' || coalesce(cast(this_year.fiscal_year as varchar), '') || '|' || this_year.item_key
                                                                      as three_public_trend_key,
    this_year.department_key,
    departments.department_name,
    this_year.fiscal_year,
    this_year.document_id,
    this_year.item_key,
    this_year.item_name,
    this_year.sort_order,
    {{ mart_wan('this_year.budget_wan') }}                           as budget_wan,
    {{ mart_wan('this_year.final_wan') }}                            as final_wan,
    {{ mart_wan('this_year.final_minus_budget_wan') }}               as final_minus_budget_wan,
    {{ share_pct('this_year.final_wan', 'this_year.budget_wan', 'decimal(18, 4)') }}
                                                                      as execution_pct,
    {{ mart_wan('prior_year.final_wan') }}                           as prior_final_wan,
    case when prior_report.department_key is not null
         then {{ mart_wan('coalesce(this_year.final_wan, 0) - coalesce(prior_year.final_wan, 0)') }}
    end                                                               as final_change_wan,
    {{ share_pct('coalesce(this_year.final_wan, 0) - coalesce(prior_year.final_wan, 0)', 'prior_year.final_wan', 'decimal(18, 4)') }}
                                                                      as final_change_pct
from three_public as this_year
inner join departments
    on departments.department_key = this_year.department_key
left join reports as prior_report
    on  prior_report.department_key = this_year.department_key
    and prior_report.fiscal_year = this_year.fiscal_year - 1
left join three_public as prior_year
    on  prior_year.department_key = this_year.department_key
    and prior_year.fiscal_year = this_year.fiscal_year - 1
    and prior_year.item_key = this_year.item_key
