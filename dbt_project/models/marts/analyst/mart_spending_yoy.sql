-- Year-on-year change of expenditure per department, fund scope and function code (类, 款 and 项),
-- current documents only. Grain: (department_key, fund_scope, function_code, fiscal_year).
-- A row exists for every code the department reported in fiscal_year, and for every code it
-- reported the year before but not this year (total 0, change_kind 'dropped'), provided the
-- department has a report for fiscal_year. When the department has no report for the year before
-- (in that fund scope), prior_total and change are null and change_kind is 'no_prior_report'.
with expenditure as (

    {{ exact_amounts_from(ref('fct_expenditure_by_function'), ['total']) }}
    where is_current

),

reports as (

    select distinct department_key, fund_scope, fiscal_year, document_id
    from expenditure

),

pairs as (

    select
        this_year.department_key,
        this_year.fund_scope,
        this_year.fiscal_year,
        this_year.document_id,
        prior_year.document_id as prior_document_id
    from reports as this_year
    left join reports as prior_year
        on  prior_year.department_key = this_year.department_key
        and prior_year.fund_scope = this_year.fund_scope
        and prior_year.fiscal_year = this_year.fiscal_year - 1

),

codes as (

    select pairs.*, expenditure.function_code
    from pairs
    inner join expenditure
        on expenditure.document_id = pairs.document_id
       and expenditure.fund_scope = pairs.fund_scope
    union
    select pairs.*, expenditure.function_code
    from pairs
    inner join expenditure
        on expenditure.document_id = pairs.prior_document_id
       and expenditure.fund_scope = pairs.fund_scope

),

joined as (

    select
        codes.*,
        this_year.total_wan                                               as this_total,
        this_year.function_code is not null                               as in_this_year,
        prior_year.total_wan                                              as prior_row_total,
        prior_year.function_code is not null                              as in_prior_year
    from codes
    left join expenditure as this_year
        on  this_year.document_id = codes.document_id
        and this_year.fund_scope = codes.fund_scope
        and this_year.function_code = codes.function_code
    left join expenditure as prior_year
        on  prior_year.document_id = codes.prior_document_id
        and prior_year.fund_scope = codes.fund_scope
        and prior_year.function_code = codes.function_code

),

departments as (

    select department_key, department_name from {{ ref('dim_department') }}

),

classes as (

    select function_code, function_level, function_name from {{ ref('dim_function_class') }}

),

measured as (

    select
        joined.*,
        cast(coalesce(this_total, 0) as decimal(20, 6))                                   as total,
        case when prior_document_id is not null
             then cast(coalesce(prior_row_total, 0) as decimal(20, 6)) end                as prior_total
    from joined

)

select
    measured.department_key || '|' || measured.fund_scope || '|' || measured.function_code
        || '|' || coalesce(cast(measured.fiscal_year as varchar), '')                    as spending_yoy_key,
    measured.department_key,
    departments.department_name,
    measured.fund_scope,
    {{ fund_scope_name('measured.fund_scope') }}                           as fund_scope_name,
    measured.function_code,
    classes.function_level,
    classes.function_name,
    measured.fiscal_year,
    measured.document_id,
    measured.prior_document_id,
    {{ mart_wan('measured.total') }}                                 as total_wan,
    {{ mart_wan('measured.prior_total') }}                           as prior_total_wan,
    {{ mart_wan('measured.total - measured.prior_total') }}          as change_wan,
    {{ share_pct('measured.total - measured.prior_total', 'measured.prior_total', 'decimal(18, 4)') }}
                                                                           as change_pct,
    case
        when measured.prior_document_id is null then 'no_prior_report'
        when not measured.in_prior_year then 'new'
        when not measured.in_this_year then 'dropped'
        else 'continuing'
    end                                                                    as change_kind
from measured
inner join departments
    on departments.department_key = measured.department_key
left join classes
    on classes.function_code = measured.function_code
