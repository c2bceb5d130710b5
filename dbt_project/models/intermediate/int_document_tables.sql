-- One row per loaded document and standard table (T1..T9): is the table there, and usable?
-- availability:
--   parsed           table located and parsed, with at least one cell
--   parsed_no_cells  table located with status 'parsed' but no cell reached raw.table_cells
--   empty            table present without data (the note says why, e.g. 本表无数据)
--   partial          table parsed, but amounts printed on its pages were not read (parse coverage
--                    under 100 %: a parser problem; the note lists them)
--   unreadable       table located but the parser could not read it (a parser problem)
--   not_parsed       table located; the parser for this table family is not written yet
--   missing          table not found in the document
with documents as (

    select * from {{ ref('stg_documents') }}
    where is_loaded

),

standard_tables as (

    select * from {{ ref('standard_tables') }}

),

report_tables as (

    select * from {{ ref('stg_report_tables') }}

),

cell_counts as (

    select
        report_table_key,
        count(*) as cell_count,
        count(amount) as amount_count
    from {{ ref('stg_table_cells') }}
    group by report_table_key

)

select
    documents.document_id || '|' || standard_tables.table_key      as document_table_key,
    documents.document_id,
    standard_tables.table_key,
    standard_tables.table_no,
    report_tables.report_table_key is not null                     as is_present,
    report_tables.status                                           as table_status,
    case
        when report_tables.report_table_key is null then 'missing'
        when report_tables.status = 'unreadable' then 'unreadable'
        when report_tables.status = 'partial' then 'partial'
        when report_tables.status = 'empty' then 'empty'
        when report_tables.status = 'not_parsed' then 'not_parsed'
        when report_tables.status <> 'parsed' then 'unreadable'
        when coalesce(cell_counts.cell_count, 0) = 0 then 'parsed_no_cells'
        else 'parsed'
    end                                                            as availability,
    report_tables.title,
    report_tables.note,
    report_tables.first_page,
    report_tables.last_page,
    coalesce(report_tables.unit, documents.unit)                   as source_unit,
    report_tables.row_count,
    coalesce(cell_counts.cell_count, 0)                            as cell_count,
    coalesce(cell_counts.amount_count, 0)                          as amount_count
from documents
cross join standard_tables
left join report_tables
    on  report_tables.document_id = documents.document_id
    and report_tables.table_key = standard_tables.table_key
left join cell_counts
    on cell_counts.report_table_key = report_tables.report_table_key
