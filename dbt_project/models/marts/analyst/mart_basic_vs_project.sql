-- Basic (基本支出) versus project (项目支出) spending per department, year and fund scope, current
-- documents only. Grain: (department_key, fiscal_year, fund_scope).
-- Amounts are the printed 合计 row of the table (T3 all_funds, T5 general_public_budget, ...);
-- when the table prints no 合计 row they are the sum of its 类 rows (total_source says which).
-- Shares are of `total`, in percent.
with expenditure as (

    {{ exact_amounts_from(ref('fct_expenditure_by_function'), ['total', 'basic', 'project', 'other']) }}
    where is_current

),

documents as (

    select document_id, department_key, fiscal_year, is_current from {{ ref('int_document_versions') }}
    where is_current

),

printed as (

    select totals.*
    from {{ ref('int_expenditure_table_totals') }} as totals
    inner join documents
        on documents.document_id = totals.document_id

),

class_sums as (

    select
        document_id,
        fund_scope,
        cast(sum(total_wan) as decimal(20, 6))      as total,
        cast(sum(basic_wan) as decimal(20, 6))      as basic,
        cast(sum(project_wan) as decimal(20, 6))    as project,
        cast(sum(other_wan) as decimal(20, 6))      as other
    from expenditure
    where function_level = '类'
    group by document_id, fund_scope

),

scopes as (

    select document_id, fund_scope from class_sums
    union
    select document_id, fund_scope from printed

),

combined as (

    select
        scopes.document_id,
        scopes.fund_scope,
        case when printed.document_id is not null then 'printed_total' else 'sum_of_classes' end as total_source,
        case when printed.document_id is not null then printed.total else class_sums.total end       as total,
        case when printed.document_id is not null then printed.basic else class_sums.basic end       as basic,
        case when printed.document_id is not null then printed.project else class_sums.project end   as project,
        case when printed.document_id is not null then printed.other else class_sums.other end       as other
    from scopes
    left join printed
        on printed.document_id = scopes.document_id and printed.fund_scope = scopes.fund_scope
    left join class_sums
        on class_sums.document_id = scopes.document_id and class_sums.fund_scope = scopes.fund_scope

),

departments as (

    select department_key, department_name from {{ ref('dim_department') }}

)

select
    documents.department_key || '|' || coalesce(cast(documents.fiscal_year as varchar), '') || '|' || combined.fund_scope
                                                                     as basic_vs_project_key,
    documents.department_key,
    departments.department_name,
    documents.fiscal_year,
    combined.fund_scope,
    {{ fund_scope_name('combined.fund_scope') }}                      as fund_scope_name,
    combined.document_id,
    combined.total_source,
    {{ mart_wan('combined.total') }}                            as total_wan,
    {{ mart_wan('combined.basic') }}                            as basic_wan,
    {{ mart_wan('combined.project') }}                          as project_wan,
    {{ mart_wan('combined.other') }}                            as other_wan,
    {{ share_pct('coalesce(combined.basic, 0)', 'combined.total') }}   as basic_share_pct,
    {{ share_pct('coalesce(combined.project, 0)', 'combined.total') }} as project_share_pct,
    {{ share_pct('coalesce(combined.other, 0)', 'combined.total') }}   as other_share_pct
from combined
inner join documents
    on documents.document_id = combined.document_id
inner join departments
    on departments.department_key = documents.department_key
