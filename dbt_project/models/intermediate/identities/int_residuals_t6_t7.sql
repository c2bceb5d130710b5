-- Within-table identities of T6 (一般公共预算财政拨款基本支出决算表, by economic code) and T7
-- (财政拨款"三公"经费支出决算表), one row per instance:
--   t6_personnel_total  人员经费合计 = 类 301 + 303                               (subject 'personnel')
--   t6_public_total     公用经费合计 = every other 类 printed (302, 307, 310, 399, ...) (subject 'public')
--   t6_class_rollup     per economic 类 with 款 rows: 类 = sum of its 款           (subject: the 类 code)
--   t7_total            per basis: 合计 = 因公出国（境）费 + 公务用车购置及运行费 + 公务接待费
--   t7_vehicle_total    per basis: 公务用车购置及运行费 = 购置费 + 运行费             (subject: budget | final)
-- T6 cells: column `amount`, rows by `code` (3/5 digits) or line_key personnel_total / public_total.
-- T7 cells: basis and item read from the cell keys, in any of the encodings a grid parser emits
-- (line_key budget|final with column_key = item; column_key <basis>_<item> or <item>_<basis>;
-- line_key = item with column_key budget|final).
with t6_cells as (

    select *, coalesce(code, line_key) as row_key
    from {{ changed_documents(ref('int_residual_cells')) }}
    where table_key = 't6_basic_expenditure_economic'
      and column_key = 'amount'
      and (code is not null or line_key in ('personnel_total', 'public_total'))

),

t6_row_keys as (

    select document_id, row_key, count(distinct row_index) as n_rows
    from t6_cells
    group by document_id, row_key

),

t6_documents as (

    select distinct document_id from t6_cells

),

t6_placed as (

    -- one empty row per document and group total, so a missing total line is reported
    select document_id, 't6_personnel_total' as identity_id, 'personnel' as subject, 'none' as role, null as row_key
    from t6_documents
    union all
    select document_id, 't6_public_total', 'public', 'none', null
    from t6_documents
    union all
    select document_id, 't6_personnel_total', 'personnel',
           case when line_key = 'personnel_total' then 'lhs' else 'rhs' end, row_key
    from t6_cells
    where line_key = 'personnel_total' or code in ('301', '303')
    union all
    select document_id, 't6_public_total', 'public',
           case when line_key = 'public_total' then 'lhs' else 'rhs' end, row_key
    from t6_cells
    where line_key = 'public_total' or (length(code) = 3 and code not in ('301', '303'))
    union all
    select document_id, 't6_class_rollup', code, 'lhs', row_key
    from t6_cells
    where length(code) = 3
    union all
    select document_id, 't6_class_rollup', left(code, 3), 'rhs', row_key
    from t6_cells
    where length(code) = 5

),

t6_terms as (

    select
        placed.document_id, placed.identity_id, 't6_basic_expenditure_economic' as table_key,
        placed.subject, placed.role, cells.amount, cells.source_unit, cells.page, cells.row_index,
        cells.cell_ref, '=' as relation,
        case when row_keys.n_rows > 1
            then 'row ' || placed.row_key || ' found more than once in t6_basic_expenditure_economic'
        end as problem
    from t6_placed as placed
    left join t6_cells as cells
        on  cells.document_id = placed.document_id
        and cells.row_key = placed.row_key
    left join t6_row_keys as row_keys
        on  row_keys.document_id = placed.document_id
        and row_keys.row_key = placed.row_key

),

t7_cells as (

    select
        cells.*,
        case
            when line_key in ('budget', 'final') then line_key
            when regexp_full_match(column_key, '(budget|final)_.+') then regexp_extract(column_key, '^(budget|final)_', 1)
            when regexp_full_match(column_key, '.+_(budget|final)') then regexp_extract(column_key, '_(budget|final)$', 1)
            when column_key in ('budget', 'final') then column_key
        end as basis,
        case
            when line_key in ('budget', 'final') then column_key
            when regexp_full_match(column_key, '(budget|final)_.+') then regexp_replace(column_key, '^(budget|final)_', '')
            when regexp_full_match(column_key, '.+_(budget|final)') then regexp_replace(column_key, '_(budget|final)$', '')
            when column_key in ('budget', 'final') then line_key
        end as item
    from {{ changed_documents(ref('int_residual_cells')) }} as cells
    where table_key = 't7_three_public'

),

t7_items as (

    select *, count(*) over (partition by document_id, basis, item) as n_cells
    from t7_cells
    where basis is not null
      and item in ('total', 'outbound', 'vehicle_total', 'vehicle_purchase', 'vehicle_operation', 'reception')

),

t7_bases as (

    select
        document_id, basis,
        count(*) filter (where item = 'vehicle_total') > 0 as has_vehicle_total
    from t7_items
    group by document_id, basis

),

t7_terms as (

    select
        items.document_id, 't7_total' as identity_id, items.table_key, items.basis as subject,
        case when items.item = 'total' then 'lhs' else 'rhs' end as role,
        items.amount, items.source_unit, items.page, items.row_index, items.cell_ref, '=' as relation,
        case when items.n_cells > 1 then items.basis || ' ' || items.item || ' printed more than once' end as problem
    from t7_items as items
    inner join t7_bases as bases
        on bases.document_id = items.document_id and bases.basis = items.basis
    where items.item in ('total', 'outbound', 'reception')
       or (items.item = 'vehicle_total' and bases.has_vehicle_total)
       or (items.item in ('vehicle_purchase', 'vehicle_operation') and not bases.has_vehicle_total)

    union all

    select
        items.document_id, 't7_vehicle_total', items.table_key, items.basis,
        case when items.item = 'vehicle_total' then 'lhs' else 'rhs' end,
        items.amount, items.source_unit, items.page, items.row_index, items.cell_ref, '=',
        case when items.n_cells > 1 then items.basis || ' ' || items.item || ' printed more than once' end
    from t7_items as items
    inner join t7_bases as bases
        on bases.document_id = items.document_id and bases.basis = items.basis
    -- without a printed subtotal there is nothing to check
    where bases.has_vehicle_total
      and items.item in ('vehicle_total', 'vehicle_purchase', 'vehicle_operation')

),

terms as (

    select * from t6_terms
    union all
    select * from t7_terms

),

aggregated as (

    {{ aggregate_residual_terms('terms') }}

),

checked as (

    select
        aggregated.* replace (
            coalesce(problem, case
                when identity_id = 't6_personnel_total' and lhs_cells = 0
                    then 'line personnel_total (人员经费合计) not found'
                when identity_id = 't6_public_total' and lhs_cells = 0
                    then 'line public_total (公用经费合计) not found'
                when identity_id = 't6_personnel_total' and rhs_cells = 0
                    then 'no 类 row 301 or 303'
                when identity_id = 't6_public_total' and rhs_cells = 0
                    then 'no 公用经费 类 row (302, 307, 310, 399, ...)'
                when identity_id = 't6_class_rollup' and lhs_cells = 0
                    then '类 row ' || subject || ' not found'
                when identity_id = 't7_total' and lhs_cells = 0
                    then subject || ' 合计 not found'
            end) as problem
        )
    from aggregated
    -- a 类 without 款 rows has nothing to roll up
    where not (identity_id = 't6_class_rollup' and rhs_cells = 0)

)

select {{ residual_output_columns('checked') }}
from checked
