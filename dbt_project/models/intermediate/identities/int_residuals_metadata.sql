-- Metadata consistency, one instance per loaded document and place compared (unit 'count',
-- tolerance 0; lhs = number of disagreements or placeholders found, rhs = 0; column cells says
-- what was compared):
--   meta_department_name  subject 'headings': the department on the cover vs the names printed
--                         above the tables (raw.documents.department_in_headings /
--                         metadata_conflicts, recorded by the parser); subject 'narrative':
--                         names the narrative sentences print just before a year (…局2024年度).
--   meta_fiscal_year      subject 'narrative': every "<department><year>年" of the narrative
--                         sentences names the cover's fiscal year.
--   meta_no_placeholders  subject 'document': template placeholders (XX, ＸＸ, ××) in the
--                         department name, table titles and notes, row labels, narrative.
-- Places the parser does not deliver yet are not evaluable (problem), never failed.
{%- set documents_relation = source('raw', 'documents') %}
{%- set has_headings = false %}
{%- if execute %}
    {%- set column_names = adapter.get_columns_in_relation(documents_relation) | map(attribute='name') | list %}
    {%- set has_headings = 'department_in_headings' in column_names and 'metadata_conflicts' in column_names %}
    {%- set has_placeholders = 'placeholders' in column_names %}
    {%- set has_lint = 'text_lint' in column_names %}
{%- endif %}
{%- set placeholder = "[XＸ×xｘ]{2,}" %}

with documents as (

    select
        stg.document_id,
        stg.department,
        stg.fiscal_year,
        {% if has_headings -%}
        raw_documents.department_in_headings,
        raw_documents.metadata_conflicts,
        {%- else -%}
        cast(null as varchar) as department_in_headings,
        cast(null as varchar) as metadata_conflicts,
        {%- endif %}
        {% if has_placeholders -%}
        raw_documents.placeholders as text_placeholders,
        {%- else -%}
        cast(null as varchar) as text_placeholders,
        {%- endif %}
        {% if has_lint -%}
        raw_documents.text_lint
        {%- else -%}
        cast(null as varchar) as text_lint
        {%- endif %}
    from {{ changed_documents(ref('stg_documents')) }} as stg
    inner join {{ documents_relation }} as raw_documents
        on raw_documents.document_id = stg.document_id
    where stg.is_loaded

),

narrative as (

    select distinct document_id, page, sentence
    from {{ changed_documents(ref('int_residual_narrative_figures')) }}
    where nullif(trim(sentence), '') is not null

),

-- "<department><year>年" in a narrative sentence: the marker § replaces the cover's name
narrative_years as (

    select
        narrative.document_id,
        narrative.page,
        narrative.sentence,
        cast(unnest(regexp_extract_all(
            replace(narrative.sentence, documents.department, '§'), '§(20[0-9]{2})年', 1
        )) as integer)                                                          as year
    from narrative
    inner join documents
        on documents.document_id = narrative.document_id
    where documents.department is not null

),

-- a department-like name printed right before a year (…局2024年度), kept when the year is the
-- fiscal year. The pattern is a constant: one built per row with the document's year made
-- DuckDB compile a regular expression per sentence (16 s for 1,000 documents).
narrative_name_mentions as (

    select
        narrative.document_id,
        narrative.page,
        documents.fiscal_year,
        unnest(regexp_extract_all(
            narrative.sentence,
            '(?:中共)?[\p{Han}]{2,30}?(?:局|委员会|委|办公室|厅|部|中心|院|馆|所|站|队|会|处|署)20[0-9]{2}年度?',
            0
        ))                                                                      as mention
    from narrative
    inner join documents
        on documents.document_id = narrative.document_id

),

narrative_names as (

    select
        document_id,
        page,
        regexp_extract(mention, '^(.*?)20[0-9]{2}年度?$', 1)                    as name
    from narrative_name_mentions
    where cast(regexp_extract(mention, '(20[0-9]{2})年度?$', 1) as integer) = fiscal_year

),

narrative_state as (

    select documents.document_id, count(narrative.document_id) as n_sentences
    from documents
    left join narrative
        on narrative.document_id = documents.document_id
    group by documents.document_id

),

placeholders as (

    select document_id, null as page, 'department ' || department as place
    from documents where regexp_matches(department, '{{ placeholder }}')
    union all
    select document_id, first_page, 'title ' || title
    from {{ changed_documents(ref('stg_report_tables')) }} where regexp_matches(title, '{{ placeholder }}')
    union all
    select document_id, first_page, 'note ' || note
    from {{ changed_documents(ref('stg_report_tables')) }} where regexp_matches(note, '{{ placeholder }}')
    union all
    select distinct document_id, page, 'T' || regexp_extract(table_key, '^t([0-9])', 1) || ' row ' || row_label
    from {{ changed_documents(ref('stg_table_cells')) }} where regexp_matches(row_label, '{{ placeholder }}')
    union all
    select document_id, page, 'narrative ' || left(sentence, 60)
    from narrative where regexp_matches(sentence, '{{ placeholder }}')
    union all
    -- anywhere in the text (headings, notes, the 概况 pages): found by the parser
    select document_id, cast(regexp_extract(text_placeholders, '^p([0-9]+)', 1) as integer), 'text ' || text_placeholders
    from documents where text_placeholders is not null

),

instances as (

    select
        documents.document_id,
        'meta_department_name'                                                 as identity_id,
        'document'                                                             as table_key,
        'headings'                                                             as subject,
        cast(case when documents.metadata_conflicts like '%department:%' then 1 else 0 end as decimal(18, 2)) as lhs,
        cast(0 as decimal(18, 2))                                              as rhs,
        1                                                                      as term_count,
        cast([] as integer[])                                                  as page_list,
        coalesce(documents.metadata_conflicts,
                 'cover ''' || documents.department || ''' = headings ''' || documents.department_in_headings || '''')
                                                                               as cells,
        '='                                                                    as relation,
        cast(null as varchar)                                                  as problem,
        'count'                                                                as source_unit
    from documents
    where documents.department_in_headings is not null
       or documents.metadata_conflicts like '%department:%'

    union all

    select
        documents.document_id, 'meta_department_name', 'narrative', 'narrative',
        cast(count(names.name) filter (where names.name <> documents.department
                                         and not ends_with(documents.department, names.name)) as decimal(18, 2)),
        cast(0 as decimal(18, 2)),
        1,
        list(names.page) filter (where names.page is not null),
        coalesce(
            string_agg(distinct 'p' || names.page || ' ''' || names.name || '''', '; ')
                filter (where names.name <> documents.department and not ends_with(documents.department, names.name)),
            'cover ''' || coalesce(documents.department, '?') || ''': ' || count(names.name) || ' mentions agree'
        ),
        '=',
        case when max(state.n_sentences) = 0
            then 'no narrative sentence extracted (raw.narrative_figures) for this document' end,
        'count'
    from documents
    inner join narrative_state as state
        on state.document_id = documents.document_id
    left join narrative_names as names
        on names.document_id = documents.document_id
    group by documents.document_id, documents.department

    union all

    select
        documents.document_id, 'meta_fiscal_year', 'narrative', 'narrative',
        cast(count(years.year) filter (where years.year <> documents.fiscal_year) as decimal(18, 2)),
        cast(0 as decimal(18, 2)),
        1,
        list(years.page) filter (where years.page is not null),
        coalesce(
            string_agg(distinct 'p' || years.page || ' ' || years.year || '年', '; ')
                filter (where years.year <> documents.fiscal_year),
            'cover ' || coalesce(cast(documents.fiscal_year as varchar), '?') || ': '
                || count(years.year) || ' mentions agree'
        ),
        '=',
        case
            when documents.fiscal_year is null then 'no fiscal year read from the cover'
            when max(state.n_sentences) = 0
                then 'no narrative sentence extracted (raw.narrative_figures) for this document'
        end,
        'count'
    from documents
    inner join narrative_state as state
        on state.document_id = documents.document_id
    left join narrative_years as years
        on years.document_id = documents.document_id
    group by documents.document_id, documents.fiscal_year

    union all

    select
        documents.document_id, 'meta_no_placeholders', 'document', 'document',
        cast(count(placeholders.place) as decimal(18, 2)),
        cast(0 as decimal(18, 2)),
        1,
        list(placeholders.page) filter (where placeholders.page is not null),
        coalesce(string_agg(placeholders.place, '; ' order by placeholders.page nulls first, placeholders.place),
                 'no placeholder found'),
        '=',
        cast(null as varchar),
        'count'
    from documents
    left join placeholders
        on placeholders.document_id = documents.document_id
    group by documents.document_id

    union all

    -- text_typography: repeated punctuation (。。) and a section number printed twice in a row,
    -- one instance per kind and document (found by ingest/text_lint.py)
    select
        documents.document_id, 'text_typography', 'document', kinds.kind,
        cast(count(findings.finding) as decimal(18, 2)),
        cast(0 as decimal(18, 2)),
        1,
        list(cast(regexp_extract(findings.finding, '\|p([0-9]+)\|', 1) as integer)) filter (where findings.finding is not null),
        coalesce(string_agg(findings.finding, '; '), 'none found'),
        '=',
        cast(null as varchar),
        'count'
    from documents
    cross join (values ('punctuation'), ('section_number')) as kinds (kind)
    left join (
        select document_id, unnest(string_split(text_lint, '; ')) as finding from documents where text_lint is not null
    ) as findings
        on  findings.document_id = documents.document_id
        and starts_with(findings.finding, kinds.kind || '|')
    group by documents.document_id, kinds.kind

    union all

    -- narrative_percent_sign: a share or rate printed without its % sign (unit null, flagged suspect)
    select
        documents.document_id, 'narrative_percent_sign', 'narrative', 'narrative',
        cast(count(figures.figure_id) filter (where figures.unit is null and figures.figure_key in
            ('share', 'yoy_change', 'budget_change', 'completion_rate')) as decimal(18, 2)),
        cast(0 as decimal(18, 2)),
        1,
        list(figures.page) filter (where figures.unit is null and figures.figure_key in
            ('share', 'yoy_change', 'budget_change', 'completion_rate')),
        coalesce(string_agg(figures.figure_ref, '; ') filter (where figures.unit is null and figures.figure_key in
            ('share', 'yoy_change', 'budget_change', 'completion_rate')), 'every share and rate carries its % sign'),
        '=',
        case when max(state.n_sentences) = 0
            then 'no narrative sentence extracted (raw.narrative_figures) for this document' end,
        'count'
    from documents
    inner join narrative_state as state
        on state.document_id = documents.document_id
    left join {{ changed_documents(ref('int_residual_narrative_figures')) }} as figures
        on figures.document_id = documents.document_id
    group by documents.document_id

)

select {{ residual_output_columns('instances') }}
from instances
