"""PostgreSQL: the filter tokens of ``meta`` join the words in ``search_vector``.

Each token becomes a lexeme with a ``~`` in front (``~restr``, ``~vis3``, ``~tag12``...), which no
user query can produce (only letters and digits reach ``to_tsquery``), so the permission, type,
programme and tag filters are ANDed into the one tsquery the GIN index answers, as FTS5 does with
its ``meta`` column on SQLite. A generated column's expression cannot be altered: the column and
its index are dropped and added again (the table is rewritten, the vectors computed anew).
"""

from django.db import migrations

WORDS = """
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(tags, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
"""
TOKENS = """
        || array_to_tsvector(string_to_array(regexp_replace(meta, '(\\S+)', '~\\1', 'g'), ' '))
"""


def _vector(expression: str) -> list[str]:
    return [
        "DROP INDEX IF EXISTS search_document_vector",
        "ALTER TABLE search_document DROP COLUMN IF EXISTS search_vector",
        f"ALTER TABLE search_document ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED",
        "CREATE INDEX search_document_vector ON search_document USING gin (search_vector)",
        "ANALYZE search_document",
    ]


def _postgres(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_clear_stale_documents")]

    operations = [
        migrations.RunPython(_postgres(_vector(WORDS + TOKENS)), _postgres(_vector(WORDS)))
    ]
