"""SQLite: a second FTS5 external-content table over the folded name alone (PostgreSQL has had
its name-only `name_vector` since 0003).

The name tier ("every word is in the name"), the correction pre-check and autocomplete ask about
names only. Asked of `search_fts` with a column filter (`folded_name : ...`), FTS5 still reads
each word's whole doclist — every place and description that has the word — and drops the other
columns' hits; `search_fts_name` holds names only (at 100,000 listings the pre-check of
`dac san dong nai` takes 1 ms here against 14 ms there). Kept in step by triggers, like
`search_fts`; a rebuild drops and recreates them (see the backend's `bulk_begin`/`bulk_end`).
"""
from django.db import migrations

DOC = "search_searchdocument"

SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE search_fts_name USING fts5(
        folded_name, content='{DOC}', content_rowid='product_id',
        tokenize='unicode61 remove_diacritics 0', prefix='1 2 3')""",
    f"""CREATE TRIGGER search_fts_name_ai AFTER INSERT ON {DOC} BEGIN
        INSERT INTO search_fts_name(rowid, folded_name) VALUES (new.product_id, new.folded_name);
    END""",
    f"""CREATE TRIGGER search_fts_name_ad AFTER DELETE ON {DOC} BEGIN
        INSERT INTO search_fts_name(search_fts_name, rowid, folded_name) VALUES ('delete', old.product_id, old.folded_name);
    END""",
    f"""CREATE TRIGGER search_fts_name_au AFTER UPDATE ON {DOC} BEGIN
        INSERT INTO search_fts_name(search_fts_name, rowid, folded_name) VALUES ('delete', old.product_id, old.folded_name);
        INSERT INTO search_fts_name(rowid, folded_name) VALUES (new.product_id, new.folded_name);
    END""",
]
SQLITE_FILL = "INSERT INTO search_fts_name(search_fts_name) VALUES ('rebuild')"
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_name_au",
    "DROP TRIGGER IF EXISTS search_fts_name_ad",
    "DROP TRIGGER IF EXISTS search_fts_name_ai",
    "DROP TABLE IF EXISTS search_fts_name",
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in [*SQLITE_CREATE, SQLITE_FILL]:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_term_in_names")]
    operations = [migrations.RunPython(create, drop)]
