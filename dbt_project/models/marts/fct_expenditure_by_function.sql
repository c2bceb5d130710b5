-- Expenditure by function classification code, in 万元 (exact DECIMAL), loaded documents only.
-- Grain: (document_id, fund_scope, function_code). Every version of a report is kept; is_current
-- marks the rows of current documents (the analyst marts use only those).
{{ config(materialized="incremental", incremental_strategy="append",
          pre_hook="{{ delete_stale_fact_documents() }}") }}
-- Incremental by document: a night rebuilds only new, changed and stale documents
-- (macros/incremental_facts.sql).
with expenditure as (

    select * from {{ ref('int_expenditure_by_function') }}

),

versions as (

    select document_id, department_key, fiscal_year, is_current from {{ documents_missing_from_this(ref('int_document_versions')) }}

),

function_classes as (

    select code, name_zh from {{ ref('function_classes') }}

)

select
    expenditure.expenditure_key,
    expenditure.document_id,
    versions.department_key,
    versions.fiscal_year,
    versions.is_current,
    expenditure.fund_scope,
    {{ fund_scope_name('expenditure.fund_scope') }}  as fund_scope_name,
    expenditure.table_key,
    expenditure.function_code,
    expenditure.function_level,
    expenditure.parent_code,
    expenditure.class_code,
    function_classes.name_zh                    as class_name,
    expenditure.row_label                       as function_name_as_printed,
    {{ mart_wan('expenditure.total') }} as total_wan,
    {{ mart_yuan('expenditure.total') }} as total_yuan,
    {{ mart_wan('expenditure.basic') }} as basic_wan,
    {{ mart_yuan('expenditure.basic') }} as basic_yuan,
    {{ mart_wan('expenditure.project') }} as project_wan,
    {{ mart_yuan('expenditure.project') }} as project_yuan,
    {{ mart_wan('expenditure.other') }} as other_wan,
    {{ mart_yuan('expenditure.other') }} as other_yuan,
    {{ mart_wan('expenditure.remit_to_superior') }} as remit_to_superior_wan,
    {{ mart_yuan('expenditure.remit_to_superior') }} as remit_to_superior_yuan,
    {{ mart_wan('expenditure.operating') }} as operating_wan,
    {{ mart_yuan('expenditure.operating') }} as operating_yuan,
    {{ mart_wan('expenditure.subsidy_to_affiliates') }} as subsidy_to_affiliates_wan,
    {{ mart_yuan('expenditure.subsidy_to_affiliates') }} as subsidy_to_affiliates_yuan,
    {{ mart_wan('expenditure.opening_balance') }} as opening_balance_wan,
    {{ mart_yuan('expenditure.opening_balance') }} as opening_balance_yuan,
    {{ mart_wan('expenditure.income') }} as income_wan,
    {{ mart_yuan('expenditure.income') }} as income_yuan,
    {{ mart_wan('expenditure.closing_balance') }} as closing_balance_wan,
    {{ mart_yuan('expenditure.closing_balance') }} as closing_balance_yuan,
    expenditure.source_unit,
    expenditure.page
from expenditure
inner join versions
    on versions.document_id = expenditure.document_id
left join function_classes
    on function_classes.code = expenditure.class_code
