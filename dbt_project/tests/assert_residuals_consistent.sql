-- Every residual row is either evaluated (lhs, rhs, diff, term_count set, diff = lhs - rhs, no
-- reason) or not evaluated (all of them null, a reason given). Returns the offending rows.
select *
from {{ ref('int_identity_residuals') }}
where
    (evaluable and (
        lhs is null or rhs is null or diff is null or term_count is null
        or diff <> lhs - rhs
        or not_evaluated_reason is not null
    ))
    or
    (not evaluable and (
        lhs is not null or rhs is not null or diff is not null or term_count is not null
        or not_evaluated_reason is null
    ))
