"""Roles and scope: who is an operator, which producers and communes a user acts for, and one
check per kind of object. Every app asks here (admin views, choosers, services); nothing else
decides who may act on which rows.

Three roles, set up by `cms.services.roles_setup` and the onboarding services:

- an **operator** is an active superuser or a member of the operators group: every row;
- a **commune editor** is in the editors group of a commune (`CommuneEditors`): the rows of
  that commune's producers;
- a **producer** user is in `Producer.users`: the rows of those producers.

This module sits on the catalogue floor: it imports the catalogue, Django and nothing above.
Scope helpers return subqueries (`values(...)`) so callers compose them into one SQL query.
"""
from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q, QuerySet

from marketplace.catalog.models import AdminUnit, CommuneEditors, Producer, Product, Sku

OPERATORS_GROUP = "Vận hành"


# Roles -----------------------------------------------------------------------------------------


def is_operator(user) -> bool:
    """An active superuser, or an active member of the operators group."""
    if user is None or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=OPERATORS_GROUP).exists()


def operator_users_q(prefix: str = "") -> Q:
    """A filter on users (or on a relation to users, with `prefix` such as "user__") for operators."""
    return (Q(**{f"{prefix}is_superuser": True}) | Q(**{f"{prefix}groups__name": OPERATORS_GROUP})) & Q(
        **{f"{prefix}is_active": True})


def editor_commune_ids(user) -> QuerySet:
    """Primary keys of the communes whose editors group `user` belongs to (a subquery)."""
    if user is None or not user.is_active:
        return CommuneEditors.objects.none().values("commune_id")
    return CommuneEditors.objects.filter(group__in=user.groups.all()).values("commune_id")


def user_producer_ids(user) -> QuerySet:
    """Primary keys of the producers `user` acts for (a subquery)."""
    if user is None or not user.is_active:
        return Producer.users.through.objects.none().values("producer_id")
    return Producer.users.through.objects.filter(user_id=user.pk).values("producer_id")


def is_editor(user) -> bool:
    """Edits at least one commune."""
    return editor_commune_ids(user).exists()


def acts_for_a_producer(user) -> bool:
    return user_producer_ids(user).exists()


def commune_editor_group_ids(commune_id: int) -> QuerySet:
    """The editors group(s) of one commune (a subquery), e.g. to list who may act on a row."""
    return CommuneEditors.objects.filter(commune_id=commune_id).values("group_id")


def commune_editors_set(*, commune: AdminUnit, group: Group) -> None:
    """Record `group` as the editors of `commune` (idempotent; replaces an earlier group)."""
    with transaction.atomic():
        CommuneEditors.objects.filter(group=group).exclude(commune=commune).delete()
        CommuneEditors.objects.update_or_create(commune=commune, defaults={"group": group})


# Scope ------------------------------------------------------------------------------------------


def _path(prefix: str, suffix: str) -> str:
    return f"{prefix}__{suffix}" if prefix else suffix


def producer_scope_q(user, *, path: str = "", as_editor: bool = True, as_producer: bool = True) -> Q | None:
    """A filter selecting rows whose producer `user` acts for; `path` leads from the filtered model
    to its `Producer` ("" for Producer itself). `Q()` for operators, None when no row qualifies.

    `as_editor` / `as_producer` say which roles count (an editor may view a batch, not change it)."""
    if is_operator(user):
        return Q()
    if user is None or not user.is_active or not (as_editor or as_producer):
        return None
    clauses = Q(pk__in=[])
    if as_editor:
        clauses |= Q(**{_path(path, "commune_id__in"): editor_commune_ids(user)})
    if as_producer:
        clauses |= Q(**{_path(path, "pk__in"): user_producer_ids(user)})
    return clauses


def producers_for(user, *, approved_only: bool = True, **roles) -> QuerySet[Producer]:
    """Producers `user` acts for (approved ones unless `approved_only=False`)."""
    q = producer_scope_q(user, **roles)
    producers = Producer.objects.none() if q is None else Producer.objects.filter(q)
    return producers.filter(status=Producer.Status.APPROVED) if approved_only else producers


def products_for(user, *, published_only: bool = True, **roles) -> QuerySet[Product]:
    """Products of the producers `user` acts for; published ones of approved producers by default."""
    q = producer_scope_q(user, path="producer", **roles)
    products = Product.objects.none() if q is None else Product.objects.filter(q)
    if published_only:
        products = products.filter(is_published=True, producer__status=Producer.Status.APPROVED)
    return products


def skus_for(user, **roles) -> QuerySet[Sku]:
    """SKUs on sale (active, published, of an approved producer) of the producers `user` acts for."""
    q = producer_scope_q(user, path="product__producer", **roles)
    skus = Sku.objects.none() if q is None else Sku.objects.filter(q)
    return skus.filter(is_active=True, product__is_published=True, product__producer__status=Producer.Status.APPROVED)


def communes_for(user) -> QuerySet[AdminUnit]:
    """Communes `user` plans for: their edited communes and those of their producers (operators:
    every commune with a producer)."""
    communes = AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE)
    if is_operator(user):
        return communes.filter(pk__in=Producer.objects.values("commune_id"))
    own = Producer.objects.filter(pk__in=user_producer_ids(user)).values("commune_id")
    return communes.filter(Q(pk__in=editor_commune_ids(user)) | Q(pk__in=own))


# One check per kind of object ------------------------------------------------------------------------


def can_edit_commune(user, commune_id: int | None) -> bool:
    """Operators, and the editors of this commune."""
    if is_operator(user):
        return True
    return commune_id is not None and editor_commune_ids(user).filter(commune_id=commune_id).exists()


def can_act_for_producer(user, producer: Producer, *, as_editor: bool = True, as_producer: bool = True) -> bool:
    """Operators; the editors of the producer's commune (`as_editor`); its own users (`as_producer`)."""
    if is_operator(user):
        return True
    if as_editor and can_edit_commune(user, producer.commune_id):
        return True
    return as_producer and user_producer_ids(user).filter(producer_id=producer.pk).exists()


def can_act_for_product(user, product: Product, **roles) -> bool:
    return can_act_for_producer(user, product.producer, **roles)
