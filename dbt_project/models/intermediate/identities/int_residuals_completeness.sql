-- complete_tables_present: one instance per loaded document and standard table (T1..T9).
-- lhs = 1 when the table is there (located, whatever its parse status, empty included), 0 when
-- it is missing; rhs = 1. Unit 'count',
-- tolerance 0. A missing table is not evaluable (never failed) when the parser could have
-- missed it: the document has a 决算表 with a title no spec knows (table_key 'unknown'), or no
-- standard table was located at all (layout not recognised).
-- The document's own 目录 decides which tables it has (raw.documents.toc_tables): a table its
-- 目录 does not list is not required (passes, saying so); a table it lists but that is not
-- there fails (unless unrecognised titles say the parser may have missed it: not evaluable).
--
-- empty_table_note: one instance per table printed empty (availability 'empty'): lhs = 1 when the
-- page prints a note saying why (本表无数据, 无此项, 无相关数据: the parser keeps only such a note
-- for an empty table), 0 when it prints the empty grid alone; rhs = 1.
{%- set documents_relation = source('raw', 'documents') %}
{%- set has_toc = false %}
{%- if execute %}
    {%- set has_toc = 'toc_tables' in (adapter.get_columns_in_relation(documents_relation) | map(attribute='name') | list) %}
{%- endif %}
with tables as (

    select
        tables.*,
        {% if has_toc -%}
        raw_documents.toc_tables is not null                                   as has_toc,
        coalesce(list_contains(string_split(raw_documents.toc_tables, ','), tables.table_key), false) as in_toc
        {%- else -%}
        false as has_toc,
        false as in_toc
        {%- endif %}
    from {{ changed_documents(ref('int_document_tables')) }} as tables
    inner join {{ documents_relation }} as raw_documents
        on raw_documents.document_id = tables.document_id

),

variants as (

    select
        document_id,
        bool_or(table_key = 't1_summary' and title like '%收支决算总表%' and title not like '%收入支出%') as is_university
    from tables
    group by document_id

),

unknown_titles as (

    select
        document_id,
        string_agg(coalesce(title, '?') || ' (p' || coalesce(cast(first_page as varchar), '?') || ')', '; '
                   order by first_page)                                        as titles
    from {{ changed_documents(ref('stg_report_tables')) }}
    where table_key not in (select table_key from {{ ref('standard_tables') }})
    group by document_id

),

located as (

    select document_id, count(*) filter (where availability <> 'missing') as n_located
    from tables
    group by document_id

),

instances as (

    select
        tables.document_id,
        'complete_tables_present'                                              as identity_id,
        tables.table_key,
        tables.table_key                                                       as subject,
        cast(case
            when tables.availability = 'missing' and tables.has_toc and not tables.in_toc then 1
            when tables.availability = 'missing' and not tables.has_toc and variants.is_university
                 and tables.table_key not in ('t1_summary', 't2_income', 't3_expenditure', 't5_general_budget_expenditure')
                then 1
            when tables.availability = 'missing' then 0
            else 1
        end as decimal(18, 2))                                                 as lhs,
        cast(1 as decimal(18, 2))                                              as rhs,
        2                                                                      as term_count,
        case when tables.first_page is not null
            then range(tables.first_page, tables.last_page + 1) else [] end     as page_list,
        'T' || tables.table_no || ' ' || tables.table_key || ': ' || case
            when tables.availability = 'missing' and tables.has_toc and not tables.in_toc
                then 'not listed in the document''s 目录 (not required)'
            when tables.availability = 'missing' and not tables.has_toc and variants.is_university
                 and tables.table_key not in ('t1_summary', 't2_income', 't3_expenditure', 't5_general_budget_expenditure')
                then 'not in the 高等学校 four-table set (not required)'
            when tables.availability = 'missing' and tables.has_toc
                then 'listed in the document''s 目录 but not found in the document'
            when tables.availability = 'missing' then 'not found in the document'
            else coalesce(tables.title, '') || ' p' || tables.first_page
                 || case when tables.last_page > tables.first_page then '-' || tables.last_page else '' end
                 || ' ' || tables.availability
        end                                                                    as cells,
        '='                                                                    as relation,
        case
            when tables.availability = 'missing' and tables.has_toc and not tables.in_toc then null
            when tables.availability = 'missing' and not tables.has_toc and variants.is_university
                 and tables.table_key not in ('t1_summary', 't2_income', 't3_expenditure', 't5_general_budget_expenditure')
                then null
            when tables.availability = 'missing' and unknown_titles.titles is not null
                then 'table not found, but tables with unrecognised titles were: ' || unknown_titles.titles
                     || ' (parser may have missed it)'
            when tables.availability = 'missing' and located.n_located = 0
                then 'no standard table located in the document (layout not recognised by the parser)'
        end                                                                    as problem,
        'count'                                                                as source_unit
    from tables
    inner join located
        on located.document_id = tables.document_id
    inner join variants
        on variants.document_id = tables.document_id
    left join unknown_titles
        on unknown_titles.document_id = tables.document_id

),

empty_notes as (

    select
        tables.document_id,
        'empty_table_note'                                                     as identity_id,
        tables.table_key,
        tables.table_key                                                       as subject,
        cast(case when nullif(trim(tables.note), '') is null then 0 else 1 end as decimal(18, 2)) as lhs,
        cast(1 as decimal(18, 2))                                              as rhs,
        2                                                                      as term_count,
        range(tables.first_page, tables.last_page + 1)                         as page_list,
        'T' || tables.table_no || ' ' || coalesce(tables.title, tables.table_key) || ' p' || tables.first_page
            || ' empty, ' || coalesce('note: ' || nullif(trim(tables.note), ''), 'no note saying why (本表无数据)') as cells,
        '='                                                                    as relation,
        cast(null as varchar)                                                  as problem,
        'count'                                                                as source_unit
    from tables
    where tables.availability = 'empty'

)

select {{ residual_output_columns('instances') }}
from instances
union all
select {{ residual_output_columns('empty_notes') }}
from empty_notes
