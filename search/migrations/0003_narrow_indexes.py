"""Indexes for the database backend's hot queries at 100,000+ listings (see search/README.md,
Benchmark).

SQLite: a covering index with every column the match set, the filters and the facets read, so
a broad match (tens of thousands of documents) is joined against a ~15 MB index instead of the
wide document rows (the folded text lives in them). The backend names it with INDEXED BY.

PostgreSQL: a generated name-only tsvector with its own GIN index. It answers "is every word in
the name" (the name tier, the correction pre-check) and autocomplete's name-prefix query from
the index without weights (weighted `:A` lexemes are rechecked row by row against the whole
document vector and mis-estimated by the planner), and is small enough to test per row.
"""
from django.db import migrations

DOC = "search_searchdocument"
MATCH_INDEX = "search_doc_match"

SQLITE_CREATE = [
    f"""CREATE INDEX {MATCH_INDEX} ON {DOC} (product_id, stars, price_vnd, stock, created_at, province_code,
        province_name, commune_code, commune_name, category_slug, category_name)""",
]
SQLITE_DROP = [f"DROP INDEX IF EXISTS {MATCH_INDEX}"]
POSTGRES_CREATE = [
    f"ALTER TABLE {DOC} ADD COLUMN name_vector tsvector GENERATED ALWAYS AS (to_tsvector('simple', folded_name)) STORED",
    f"CREATE INDEX search_doc_name_gin ON {DOC} USING GIN (name_vector)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_doc_name_gin",
    f"ALTER TABLE {DOC} DROP COLUMN IF EXISTS name_vector",
]


def _run(schema_editor, statements_by_vendor):
    for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})


def drop(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


class Migration(migrations.Migration):
    dependencies = [("search", "0002_fulltext_index")]
    operations = [migrations.RunPython(create, drop)]
