"""Object-level permission policies for the catalogue models shown in the Wagtail admin.

Model permissions (`catalog.change_batch`, ...) come from the role groups set up by
`cms.services.roles_setup`; these policies add *which* rows a user may act on:

- an operator acts on every row;
- a commune editor on rows of that commune's producers, for the actions in `editor_actions`;
- a producer user on rows of that producer, for `producer_actions`.

Roles and scope themselves are `marketplace.access`'s; these policies only apply them per
action. They are registered with Wagtail in `wagtail_hooks.py`; admin views import them from here.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies import ModelPermissionPolicy

from marketplace import access
from marketplace.catalog.models import Batch, OcopCertificate, Producer, Stock


class OcopScopePermissionPolicy(ModelPermissionPolicy):
    """Model permissions as usual, limited to the rows of the user's communes or producers.

    `producer_path` leads from the model to its `Producer` ("" for Producer itself); `choosable`
    limits what choosers offer beyond scope.
    Actions outside Django's add/change/delete/view map to a model permission through
    `action_permissions` (e.g. "approve" needs "change").
    """

    def __init__(self, model, *, producer_path: str, editor_actions: Iterable[str], producer_actions: Iterable[str],
                 action_permissions: dict[str, str] | None = None, choosable: Q | None = None):
        super().__init__(model)
        self.choosable = choosable if choosable is not None else Q()
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
        return access.producer_scope_q(user, path=path, as_editor=bool(allowed & self.editor_actions),
                                       as_producer=bool(allowed & self.producer_actions))

    def instances_user_has_any_permission_for(self, user, actions):
        q = self.scope_q(user, actions)
        return self.model._default_manager.none() if q is None else self.model._default_manager.filter(q)

    def instances_user_may_choose(self, user):
        """Rows a chooser offers `user` (and accepts back): those they may view or change that
        may be linked at all (`choosable`)."""
        return self.instances_user_has_any_permission_for(user, ["view", "change"]).filter(self.choosable)

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
        q = access.operator_users_q()
        if actions & self.editor_actions:
            q |= Q(groups__in=access.commune_editor_group_ids(producer.commune_id))
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
    choosable=Q(status=Producer.Status.APPROVED),  # a pending or rejected sign-up is never linked to a page
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
