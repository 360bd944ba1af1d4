"""The data that migrations put in the test database (admin units, Wagtail's root page, site and
home page), kept for transactional tests.

A transactional test (browser tests against the live server, `services` tests with a real
worker process) ends with a flush that empties every table. Such tests ask for serialized
rollback, which makes pytest-django serialize the migrated contents once at setup and keeps the
flush from re-running post_migrate. Django's own restore saves the ~25,000 rows one by one, with
signals (tens of seconds on PostgreSQL); we restore them in bulk instead: before a transactional
test when they are missing, and after each test module, so later tests find them too.
"""
from collections import defaultdict

migrated_contents: dict[str, str] = {}  # database alias → the JSON pytest-django serialized at setup


def take_over_serialized_contents() -> None:
    """Keep the serialized contents for our bulk restore; Django's per-row restore gets nothing."""
    from django.db import connections

    for connection in connections.all():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None and contents != "[]":
            migrated_contents[connection.alias] = contents
        if connection.alias in migrated_contents:
            connection._test_serialized_contents = "[]"


def restore_all_if_missing() -> None:
    from django.db import connections

    for alias, contents in migrated_contents.items():
        restore_if_missing(connections[alias], contents)


def restore_if_missing(connection, contents: str) -> None:
    from marketplace.catalog.models import AdminUnit
    from wagtail.models import Site

    alias = connection.alias
    if Site.objects.using(alias).filter(is_default_site=True).exists() and AdminUnit.objects.using(alias).exists():
        return
    restore(connection, contents)


def restore(connection, contents: str) -> None:
    """Empty the database and load `contents` (from serialize_db_to_string), as Django's
    deserialize_db_from_string does, but with bulk inserts and without signals."""
    from django.contrib.contenttypes.models import ContentType
    from django.core import serializers
    from django.core.management.color import no_style
    from django.db import transaction

    alias = connection.alias
    # Build the objects first: building some (e.g. a Wagtail page subclass) may create content
    # types, which the flush below then removes again.
    items = list(serializers.deserialize("json", contents, using=alias))
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
    ContentType.objects.clear_cache()  # it may hold ids that were just flushed
    rows, links, children, written = defaultdict(list), defaultdict(list), [], set()
    for item in items:
        instance, model = item.object, type(item.object)
        written.add(model._meta.db_table)
        if model._meta.parents:  # multi-table inheritance: a raw save writes only this model's table
            children.append(item)
            continue
        rows[model].append(instance)
        for name, values in (item.m2m_data or {}).items():
            field = model._meta.get_field(name)
            through = field.remote_field.through
            source = through._meta.get_field(field.m2m_field_name()).attname
            target = through._meta.get_field(field.m2m_reverse_field_name()).attname
            links[through].extend(through(**{source: instance.pk, target: value}) for value in values)
            written.add(through._meta.db_table)
    with transaction.atomic(using=alias):
        with connection.constraint_checks_disabled():
            for model, instances in [*rows.items(), *links.items()]:
                model._base_manager.using(alias).bulk_create(instances, batch_size=500)
            for item in children:
                item.save(using=alias)
        connection.check_constraints(table_names=sorted(written))
