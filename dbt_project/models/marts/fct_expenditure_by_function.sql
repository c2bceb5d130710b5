-- Expenditure by function classification code, in 万元 (exact DECIMAL), loaded documents only.
-- Grain: (document_id, fund_scope, function_code).
with expenditure as (

    select * from {{ ref('int_expenditure_by_function') }}

),

documents as (

    select document_id from {{ ref('stg_documents') }}
    where is_loaded

),

function_classes as (

    select code, name_zh from {{ ref('function_classes') }}

)

select
    expenditure.expenditure_key,
    expenditure.document_id,
    expenditure.fund_scope,
    expenditure.function_code,
    expenditure.function_level,
    expenditure.parent_code,
    expenditure.class_code,
    function_classes.name_zh                    as class_name,
    expenditure.row_label                       as function_name,
    expenditure.total,
    expenditure.basic,
    expenditure.project,
    expenditure.other,
    expenditure.remit_to_superior,
    expenditure.operating,
    expenditure.subsidy_to_affiliates,
    expenditure.source_unit,
    expenditure.page
from expenditure
inner join documents
    on documents.document_id = expenditure.document_id
left join function_classes
    on function_classes.code = expenditure.class_code
