-- placeholder, replaced below
select
    cast(null as varchar) as document_id, cast(null as varchar) as identity_id,
    cast(null as varchar) as table_key, cast(null as varchar) as subject,
    cast(null as decimal(18, 2)) as lhs, cast(null as decimal(18, 2)) as rhs,
    cast(null as integer) as term_count, cast(null as varchar) as pages, cast(null as varchar) as cells,
    cast(null as varchar) as relation, cast(null as varchar) as problem, cast(null as varchar) as source_unit
where false
