"""Filter tokens in the full-text index: SQLite's FTS5 table gets a fourth column, ``meta``.

Permission, type, programme and tag filters then run inside FTS5 (``meta : (...)``) instead of
reading every matching row of ``search_document`` — what made common words slow at 100,000
documents. The FTS table and its triggers are dropped before the column is added (SQLite may
rebuild the table for it) and created again after, then filled with ``rebuild``; run
``kshare reindex`` afterwards to fill ``meta`` for documents indexed before this migration.
"""

from django.db import migrations, models

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_document_au",
    "DROP TRIGGER IF EXISTS search_document_ad",
    "DROP TRIGGER IF EXISTS search_document_ai",
    "DROP TABLE IF EXISTS search_fts",
]
SQLITE_CREATE = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title, tags, body, meta,
        content='search_document', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, title, tags, body, meta)
        VALUES (new.id, new.title, new.tags, new.body, new.meta);
    END
    """,
    """
    CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body, meta)
        VALUES ('delete', old.id, old.title, old.tags, old.body, old.meta);
    END
    """,
    """
    CREATE TRIGGER search_document_au AFTER UPDATE OF title, tags, body, meta
    ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body, meta)
        VALUES ('delete', old.id, old.title, old.tags, old.body, old.meta);
        INSERT INTO search_fts(rowid, title, tags, body, meta)
        VALUES (new.id, new.title, new.tags, new.body, new.meta);
    END
    """,
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_CREATE_0002 = [
    """
    CREATE VIRTUAL TABLE search_fts USING fts5(
        title, tags, body,
        content='search_document', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER search_document_ai AFTER INSERT ON search_document BEGIN
        INSERT INTO search_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags, new.body);
    END
    """,
    """
    CREATE TRIGGER search_document_ad AFTER DELETE ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body)
        VALUES ('delete', old.id, old.title, old.tags, old.body);
    END
    """,
    """
    CREATE TRIGGER search_document_au AFTER UPDATE OF title, tags, body ON search_document BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, tags, body)
        VALUES ('delete', old.id, old.title, old.tags, old.body);
        INSERT INTO search_fts(rowid, title, tags, body)
        VALUES (new.id, new.title, new.tags, new.body);
    END
    """,
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]


def _sqlite(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext")]

    operations = [
        migrations.RunPython(_sqlite(SQLITE_DROP), _sqlite(SQLITE_DROP + SQLITE_CREATE_0002)),
        migrations.AddField(
            model_name="searchdocument",
            name="meta",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(_sqlite(SQLITE_CREATE), _sqlite(SQLITE_DROP)),
    ]
