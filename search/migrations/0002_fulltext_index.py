"""The engine-specific full-text index over SearchDocument, maintained by the database itself.

SQLite: an FTS5 external-content table (the text lives once, in search_searchdocument) kept in
step by triggers; `prefix` indexes make autocomplete cheap. PostgreSQL: a generated tsvector
column (name A, place B, body C) with a GIN index. The text is folded in Python before it gets
here, so both engines only split words; neither has to know about đ.
"""
from django.db import migrations

DOC = "search_searchdocument"
COLUMNS = "folded_name, folded_place, folded_body"

SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE search_fts USING fts5(
        {COLUMNS}, content='{DOC}', content_rowid='product_id',
        tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')""",
    f"""CREATE TRIGGER search_fts_ai AFTER INSERT ON {DOC} BEGIN
        INSERT INTO search_fts(rowid, {COLUMNS}) VALUES (new.product_id, new.folded_name, new.folded_place, new.folded_body);
    END""",
    f"""CREATE TRIGGER search_fts_ad AFTER DELETE ON {DOC} BEGIN
        INSERT INTO search_fts(search_fts, rowid, {COLUMNS})
        VALUES ('delete', old.product_id, old.folded_name, old.folded_place, old.folded_body);
    END""",
    f"""CREATE TRIGGER search_fts_au AFTER UPDATE ON {DOC} BEGIN
        INSERT INTO search_fts(search_fts, rowid, {COLUMNS})
        VALUES ('delete', old.product_id, old.folded_name, old.folded_place, old.folded_body);
        INSERT INTO search_fts(rowid, {COLUMNS}) VALUES (new.product_id, new.folded_name, new.folded_place, new.folded_body);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_au",
    "DROP TRIGGER IF EXISTS search_fts_ad",
    "DROP TRIGGER IF EXISTS search_fts_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRES_CREATE = [
    f"""ALTER TABLE {DOC} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', folded_name), 'A')
        || setweight(to_tsvector('simple', folded_place), 'B')
        || setweight(to_tsvector('simple', folded_body), 'C')) STORED""",
    f"CREATE INDEX search_doc_vector_gin ON {DOC} USING GIN (search_vector)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_doc_vector_gin",
    f"ALTER TABLE {DOC} DROP COLUMN IF EXISTS search_vector",
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})


def drop(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
