{{ config(meta={"dagster": {"ref": {"name": "int_identity_residuals"}}}) }}
-- Every loaded document has at least one row for every identity (evaluated or not), so an
-- identity can never silently disappear because its table is missing or unreadable.
with loaded as (

    select document_id from {{ ref('stg_documents') }} where is_loaded

),

expected as (

    select loaded.document_id, identities.identity_id
    from loaded
    cross join {{ ref('accounting_identities') }} as identities

)

select expected.*
from expected
where not exists (
    select 1
    from {{ ref('int_identity_residuals') }} as residuals
    where residuals.document_id = expected.document_id
      and residuals.identity_id = expected.identity_id
)
