-- Within-table identities of the tables keyed by function code (T2 收入决算表, T3 支出决算表,
-- T5 一般公共预算财政拨款支出决算表), one row per instance (see macro coded_table_residuals):
--   tN_row_total     per row: total column = sum of the other columns
--   tN_class_rollup  per 类 and column: 类 = sum of its 款
--   tN_kuan_rollup   per 款 and column: 款 = sum of its 项 (only a 款 that has 项 rows)
--   tN_grand_total   per column: 合计 row = sum of the 类 rows
-- Exact DECIMAL sums of the amounts as printed; blank cells count as 0 and add no term.
{{ coded_table_residuals(
    't2_income', 't2',
    ['total', 'fiscal_appropriation', 'superior_subsidy', 'business_income', 'operating_income',
     'affiliated_remittance', 'other_income']
) }}

union all

{{ coded_table_residuals(
    't3_expenditure', 't3',
    ['total', 'basic', 'project', 'remit_to_superior', 'operating', 'subsidy_to_affiliates']
) }}

union all

{{ coded_table_residuals('t5_general_budget_expenditure', 't5', ['total', 'basic', 'project']) }}
