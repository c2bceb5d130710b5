-- amount_wan is the exact conversion of amount: equal in 万元, × 0.0001 in 元.
select *
from {{ ref('stg_table_cells') }}
where amount is not null
  and source_unit in ('万元', '元')
  and amount_wan <> case source_unit
                        when '万元' then amount
                        else amount * cast(0.0001 as decimal(5, 4))
                    end
