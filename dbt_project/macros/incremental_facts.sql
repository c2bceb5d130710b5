{#-
    Fact tables (marts/fct_*) are incremental by document, like the identity residual models,
    with one difference: a fact row also carries attributes of its document that other documents
    decide (department_key, fiscal_year and is_current, from int_document_versions). A new
    version of a report makes the older one not current; a new region can re-key an older
    document's department. So a night rebuilds, whole, every document that is
      * changed since the last publication (pipeline.pending_documents), or
      * stale: its rows in the fact disagree with int_document_versions, or it is no longer a
        loaded version at all;
    and nothing else. The pre-hook deletes those documents' rows; the model then selects the
    documents that have no row left in the fact (documents_missing_from_this), which are exactly
    them (plus documents without rows in this fact, which add none). A build that fails between
    the two leaves those documents missing, and the next build adds them: it never duplicates.
    A changed dbt project rebuilds with --full-refresh (pipelines/assets/warehouse.py).
-#}
{% macro delete_stale_fact_documents() -%}
    {%- if is_incremental() -%}
        {%- set pending = pending_documents_relation() -%}
        {%- if pending is none -%}
            delete from {{ this }}
        {%- else -%}
            delete from {{ this }} where document_id in (
                select document_id from {{ pending }}
                union all
                select facts.document_id
                from (select distinct document_id, department_key, fiscal_year, is_current from {{ this }}) as facts
                left join {{ ref('int_document_versions') }} as versions
                    on versions.document_id = facts.document_id
                where versions.document_id is null
                   or facts.department_key is distinct from versions.department_key
                   or facts.fiscal_year is distinct from versions.fiscal_year
                   or facts.is_current is distinct from versions.is_current
            )
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- A per-document relation as an incremental fact reads it: on an incremental run, only the rows
    of the documents that have no row in the fact (after delete_stale_fact_documents); otherwise
    the relation itself. -#}
{% macro documents_missing_from_this(relation, column='document_id') -%}
    {%- if is_incremental() -%}
        (select * from {{ relation }} where {{ column }} not in (select distinct document_id from {{ this }}))
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
