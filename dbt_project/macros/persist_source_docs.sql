{#-
    persist_docs for the sources: dbt comments the relations it builds (dbt_project.yml
    +persist_docs), but the raw.* tables are written by the staging loader, so their descriptions
    (models/staging/_sources.yml) are put on them here, at the end of every build, with the
    adapter's own comment macros. A source table or column that does not exist (yet) is skipped.
-#}
{% macro persist_source_docs() -%}
    {%- if execute -%}
        {%- for source in graph.sources.values() -%}
            {%- set relation = adapter.get_relation(database=source.database, schema=source.schema,
                                                    identifier=source.identifier) -%}
            {%- if relation is not none -%}
                {%- if source.description -%}
                    {% do run_query(alter_relation_comment(relation, source.description)) %}
                {%- endif -%}
                {%- set described = {} -%}
                {%- for name, column in source.columns.items() if column.description -%}
                    {%- do described.update({name: column}) -%}
                {%- endfor -%}
                {%- if described -%}
                    {% do run_query(alter_column_comment(relation, described)) %}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
