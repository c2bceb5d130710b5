-- One row per instance of an accounting identity (seed accounting_identities, generated from
-- expectations/catalogue.yml) in a loaded document, with exact DECIMAL arithmetic on the amounts
-- as printed (source unit, never float). The instances come from the int_residuals_* models:
--   int_residuals_t1_t4 (T1, T4), int_residuals_t2_t3_t5 (T2, T3, T5), int_residuals_t6_t7 (T6, T7),
--   int_residuals_cross_tables, int_residuals_narrative, int_residuals_narrative_items,
--   int_residuals_narrative_changes,
--   int_residuals_completeness, int_residuals_repeated_totals,
--   int_residuals_metadata.
--
--   lhs, rhs    sums of the printed amounts on each side (blank cells count as 0)
--   diff        lhs - rhs
--   term_count  number of non-blank amounts summed on both sides, the basis of the tolerance
--   pages       distinct pages of the cells involved, sorted, comma-joined
--   cells       the cells involved, e.g. 'T3 p10 r3 208 total=326.72; T1 p6 r8 expenditure 208 amount=326.71'
--   relation    what must hold between lhs and rhs: '=' (within tolerance), '>=', '>' or '<'
--
-- A parser problem must never look like a document defect: when a table (or the narrative) an
-- identity reads is missing, unreadable, not parsed, or empty (unless the catalogue says an empty
-- table counts as zeros), the identity gets ONE row for the document with evaluable = false, null
-- lhs/rhs/diff and the reason; so does an instance whose lines cannot be evaluated (a required
-- line not found, a line or code printed twice, a parent row missing), and an identity with no
-- instance at all in a document.
{%- set narrative_relation = source('raw', 'narrative_figures') %}
{%- set narrative_available = false %}
{%- if execute %}
    {%- set found = adapter.get_relation(
        database=narrative_relation.database, schema=narrative_relation.schema,
        identifier=narrative_relation.identifier) %}
    {%- set narrative_available = found is not none %}
{%- endif %}

with identities as (

    select identity_id, required_tables, empty_table_is_zero
    from {{ ref('accounting_identities') }}

),

documents as (

    select document_id from {{ changed_documents(ref('stg_documents')) }}
    where is_loaded

),

narrative_pages as (

    select document_id, min(page) as first_page, max(page) as last_page, count(*) as n_figures
    from {{ changed_documents(ref('int_residual_narrative_figures')) }}
    group by document_id

),

-- what an identity can read, per document: the nine tables and the narrative
inputs as (

    select document_id, table_key, availability, note, first_page, last_page
    from {{ changed_documents(ref('int_document_tables')) }}

    union all

    select
        documents.document_id,
        'narrative',
        case
            {% if not narrative_available -%}
            when true then 'not_extracted'
            {% endif -%}
            when narrative_pages.n_figures is null then 'no_figures'
            else 'parsed'
        end,
        null,
        narrative_pages.first_page,
        narrative_pages.last_page
    from documents
    left join narrative_pages
        on narrative_pages.document_id = documents.document_id

),

requirements as (

    select identity_id, unnest(string_split(required_tables, ' ')) as table_key, empty_table_is_zero
    from identities
    where coalesce(required_tables, '') <> ''

),

-- (document, identity) pairs that cannot be evaluated, with every reason
blocked as (

    select
        documents.document_id,
        requirements.identity_id,
        min(requirements.table_key)                                as table_key,
        flatten(list(
            case when inputs.first_page is not null
                then range(inputs.first_page, inputs.last_page + 1) else [] end
        ))                                                         as page_list,
        string_agg(
            case coalesce(inputs.availability, 'missing')
                when 'missing'
                    then 'table ' || requirements.table_key || ' not found in the document'
                when 'unreadable'
                    then 'table ' || requirements.table_key || ' is unreadable (parser could not read it)'
                         || coalesce(': ' || inputs.note, '')
                when 'not_parsed'
                    then 'table ' || requirements.table_key || ' located but not parsed (parser for this table not written yet)'
                when 'partial'
                    then 'table ' || requirements.table_key || ' read only in part: ' || coalesce(inputs.note, '')
                when 'empty'
                    then 'table ' || requirements.table_key || ' is present but empty' || coalesce(': ' || inputs.note, '')
                when 'parsed_no_cells'
                    then 'table ' || requirements.table_key || ' was located but no cells were loaded'
                when 'not_extracted'
                    then 'narrative figures not extracted (raw.narrative_figures not written yet)'
                when 'no_figures'
                    then 'no figure was extracted from the narrative of this document'
                else 'table ' || requirements.table_key || ' availability ' || inputs.availability
            end,
            '; ' order by requirements.table_key
        )                                                          as problem
    from documents
    cross join requirements
    left join inputs
        on  inputs.document_id = documents.document_id
        and inputs.table_key = requirements.table_key
    where not (
        inputs.availability = 'parsed'
        or (inputs.availability = 'empty' and requirements.empty_table_is_zero)
    )
    group by documents.document_id, requirements.identity_id

),

components as (

    select * from {{ changed_documents(ref('int_residuals_t1_t4')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_t2_t3_t5')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_t6_t7')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_cross_tables')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_narrative')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_narrative_items')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_narrative_changes')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_completeness')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_repeated_totals')) }}
    union all
    select * from {{ changed_documents(ref('int_residuals_metadata')) }}

),

evaluated as (

    select components.*
    from components
    inner join documents
        on documents.document_id = components.document_id
    inner join identities
        on identities.identity_id = components.identity_id
    where not exists (
        select 1 from blocked
        where blocked.document_id = components.document_id
          and blocked.identity_id = components.identity_id
    )

),

blocked_rows as (

    select
        document_id,
        identity_id,
        table_key,
        table_key                                                  as subject,
        cast(null as decimal(18, 2))                               as lhs,
        cast(null as decimal(18, 2))                               as rhs,
        cast(null as integer)                                      as term_count,
        nullif(array_to_string(list_sort(list_distinct(page_list)), ','), '') as pages,
        cast(null as varchar)                                      as cells,
        '='                                                        as relation,
        problem,
        cast(null as varchar)                                      as source_unit
    from blocked

),

no_instance as (

    select
        documents.document_id,
        identities.identity_id,
        coalesce(nullif(split_part(identities.required_tables, ' ', 1), ''), 'document') as table_key,
        coalesce(nullif(split_part(identities.required_tables, ' ', 1), ''), 'document') as subject,
        cast(null as decimal(18, 2))                               as lhs,
        cast(null as decimal(18, 2))                               as rhs,
        cast(null as integer)                                      as term_count,
        cast(null as varchar)                                      as pages,
        cast(null as varchar)                                      as cells,
        '='                                                        as relation,
        'no row of ' || coalesce(nullif(replace(identities.required_tables, ' ', ', '), ''), 'the document')
            || ' that this identity applies to'                    as problem,
        cast(null as varchar)                                      as source_unit
    from documents
    cross join identities
    where not exists (
        select 1 from evaluated
        where evaluated.document_id = documents.document_id
          and evaluated.identity_id = identities.identity_id
    )
      and not exists (
        select 1 from blocked
        where blocked.document_id = documents.document_id
          and blocked.identity_id = identities.identity_id
    )

),

all_instances as (

    select * from evaluated
    union all
    select * from blocked_rows
    union all
    select * from no_instance

)

select
    document_id || '|' || identity_id || '|' || subject            as instance_id,
    document_id,
    identity_id,
    table_key,
    subject,
    case when problem is null then cast(coalesce(lhs, 0) as decimal(18, 2)) end as lhs,
    case when problem is null then cast(coalesce(rhs, 0) as decimal(18, 2)) end as rhs,
    case when problem is null
        then cast(coalesce(lhs, 0) - coalesce(rhs, 0) as decimal(18, 2))
    end                                                            as diff,
    case when problem is null then cast(coalesce(term_count, 0) as integer) end as term_count,
    pages,
    cells,
    relation,
    problem is null                                                as evaluable,
    problem                                                        as not_evaluated_reason,
    source_unit
from all_instances
