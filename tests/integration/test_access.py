"""marketplace.access: one answer to "who acts for what", used by every app."""
from __future__ import annotations

import importlib
import types

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection

from cms import services as cms_services
from cms.models import CommunePage
from marketplace import access
from marketplace.catalog.models import CommuneEditors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def commune_page(commune):
    return cms_services.commune_page_get_or_create(commune=commune)


def test_an_editor_acts_for_the_communes_of_their_group(commune_page, commune):
    editor = factories.UserFactory(username="bientap.access")
    assert not access.is_editor(editor)
    cms_services.editor_assign(user=editor, commune_page=commune_page)
    assert list(access.editor_commune_ids(editor).values_list("commune_id", flat=True)) == [commune.pk]
    assert access.can_edit_commune(editor, commune.pk)
    editor.is_active = False
    assert not access.can_edit_commune(editor, commune.pk)  # a blocked account acts for nothing


def test_operators_are_superusers_or_the_operators_group():
    cms_services.roles_setup()
    user = factories.UserFactory(username="vanhanh.access")
    assert not access.is_operator(user)
    user.groups.add(Group.objects.get(name=access.OPERATORS_GROUP))
    assert access.is_operator(user)
    assert access.is_operator(factories.UserFactory(username="root.access", is_superuser=True))
    assert not access.is_operator(None)


def test_a_producer_user_acts_for_its_producer_only(producer_page, commune):
    user = factories.UserFactory(username="nsx.access")
    producer_page.producer.users.add(user)
    other = factories.producer_page(commune=commune, name="HTX khác").producer
    assert access.can_act_for_producer(user, producer_page.producer)
    assert not access.can_act_for_producer(user, other)
    assert not access.can_act_for_producer(user, producer_page.producer, as_producer=False)


def test_existing_commune_pages_editors_are_carried_over_by_the_migration(commune_page, commune):
    CommuneEditors.objects.all().delete()
    migration = importlib.import_module("marketplace.catalog.migrations.0003_commune_editors")
    # The data step only reads through the editor's connection (SQLite refuses a schema editor
    # inside the test's transaction).
    migration.copy_from_commune_pages(apps, types.SimpleNamespace(connection=connection))
    page = CommunePage.objects.get(pk=commune_page.pk)
    assert CommuneEditors.objects.get(commune=commune).group_id == page.editors_group_id
