"""Object-level permission policies for the catalogue models shown in the Wagtail admin.

Model permissions (`catalog.change_batch`, ...) come from the role groups set up by
`cms.services.roles_setup`; these policies add *which* rows a user may act on:

- an operator (superuser) acts on every row;
- a commune editor (a member of `CommunePage.editors_group`) on rows of that commune's
  producers, for the actions in `editor_actions`;
- a producer (a user in `Producer.users`) on rows of that producer, for `producer_actions`.

The policies are registered with Wagtail in `wagtail_hooks.py`; admin views import them from here.
"""
from __future__ import annotations

import functools
import operator
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from wagtail.permission_policies import ModelPermissionPolicy

from marketplace.catalog.models import Batch, OcopCertificate, Producer, Stock

from .models import CommunePage


def editor_commune_ids(user) -> QuerySet:
    """The admin units of the communes whose editors group `user` belongs to (a subquery)."""
    return CommunePage.objects.filter(editors_group__in=user.groups.all()).values("admin_unit_id")


def user_producer_ids(user) -> QuerySet:
    """The producers `user` acts for (a subquery)."""
    return Producer.users.through.objects.filter(user_id=user.pk).values("producer_id")


def _path(prefix: str, suffix: str) -> str:
    return f"{prefix}__{suffix}" if prefix else suffix


class OcopScopePermissionPolicy(ModelPermissionPolicy):
    """Model permissions as usual, limited to the rows of the user's communes or producers.

    `producer_path` leads from the model to its `Producer` ("" for Producer itself).
    Actions outside Django's add/change/delete/view map to a model permission through
    `action_permissions` (e.g. "approve" needs "change").
    """

    def __init__(self, model, *, producer_path: str, editor_actions: Iterable[str], producer_actions: Iterable[str],
                 action_permissions: dict[str, str] | None = None):
        super().__init__(model)
        self.producer_path = producer_path
        self.editor_actions = frozenset(editor_actions)
        self.producer_actions = frozenset(producer_actions)
        self.action_permissions = action_permissions or {}

    # Model level ---------------------------------------------------------------------------

    def _get_permission_codename(self, action):
        return super()._get_permission_codename(self.action_permissions.get(action, action))

    def user_has_permission(self, user, action):
        return user.is_active and super().user_has_permission(user, action)

    # Row level -------------------------------------------------------------------------------

    def scope_q(self, user, actions: Iterable[str], producer_path: str | None = None) -> Q | None:
        """A filter selecting the rows on which `user` may perform any of `actions`; None: no row.

        `producer_path` lets a caller filter a related model (e.g. SKUs for the Stock policy).
        """
        path = self.producer_path if producer_path is None else producer_path
        allowed = {action for action in actions if self.user_has_permission(user, action)}
        if not allowed:
            return None
        if user.is_superuser:
            return Q()
        clauses = []
        if allowed & self.editor_actions:
            clauses.append(Q(**{_path(path, "commune_id__in"): editor_commune_ids(user)}))
        if allowed & self.producer_actions:
            clauses.append(Q(**{_path(path, "pk__in"): user_producer_ids(user)}))
        return functools.reduce(operator.or_, clauses) if clauses else None

    def instances_user_has_any_permission_for(self, user, actions):
        q = self.scope_q(user, actions)
        return self.model._default_manager.none() if q is None else self.model._default_manager.filter(q)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_any_permission_for_instance(user, [action], instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        if instance.pk is None:
            return any(self.user_has_permission(user, action) for action in actions)
        q = self.scope_q(user, actions)
        return q is not None and self.model._default_manager.filter(q, pk=instance.pk).exists()

    def users_with_any_permission_for_instance(self, actions, instance):
        actions = set(actions)
        producer = self.producer_of(instance)
        q = Q(is_superuser=True)
        if actions & self.editor_actions:
            q |= Q(groups__in=CommunePage.objects.filter(admin_unit_id=producer.commune_id).values("editors_group_id"))
        if actions & self.producer_actions:
            q |= Q(producers=producer)
        users_with_model_permission = self.users_with_any_permission(actions).values("pk")
        return get_user_model().objects.filter(q, pk__in=users_with_model_permission).distinct()

    def producer_of(self, instance) -> Producer:
        if not self.producer_path:
            return instance
        return functools.reduce(getattr, self.producer_path.split("__"), instance)


producer_policy = OcopScopePermissionPolicy(
    Producer, producer_path="",
    editor_actions={"view", "change", "approve"}, producer_actions={"view", "change"},
    action_permissions={"approve": "change"},
)
certificate_policy = OcopScopePermissionPolicy(
    OcopCertificate, producer_path="product__producer",
    editor_actions={"add", "change", "delete", "view"}, producer_actions={"view"},
)
batch_policy = OcopScopePermissionPolicy(
    Batch, producer_path="product__producer",
    editor_actions={"view"}, producer_actions={"add", "change", "delete", "view"},
)
stock_policy = OcopScopePermissionPolicy(
    Stock, producer_path="sku__product__producer",
    editor_actions={"view", "change"}, producer_actions={"view", "change"},
)
