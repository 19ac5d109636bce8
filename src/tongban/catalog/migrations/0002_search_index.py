"""The full-text side of the catalogue search index (hand-written; catalog.search writes and reads it).

SQLite: an FTS5 table catalog_search_fts(name_terms, body_terms) whose rowid is the SearchDocument id, with prefix
indexes for pinyin-initial prefixes. PostgreSQL: a weighted tsvector column catalog_searchdocument.search_vector
('simple' configuration: the words are already segmented by jieba) with a GIN index.
Other databases are refused: search needs one of the two.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE catalog_search_fts USING fts5(name_terms, body_terms, prefix='2 3 4')",
]
SQLITE_REVERSE = ["DROP TABLE IF EXISTS catalog_search_fts"]
POSTGRES_FORWARD = [
    "ALTER TABLE catalog_searchdocument ADD COLUMN search_vector tsvector",
    "CREATE INDEX catalog_searchdocument_vector_gin ON catalog_searchdocument USING GIN (search_vector)",
]
POSTGRES_REVERSE = [
    "DROP INDEX IF EXISTS catalog_searchdocument_vector_gin",
    "ALTER TABLE catalog_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise RuntimeError(f"catalogue search needs SQLite or PostgreSQL, not {vendor}")
        for statement in statements_by_vendor[vendor]:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
