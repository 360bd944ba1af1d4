"""Who may do what with live sessions in the admin, and on which rows.

An operator (superuser) acts on everything; a commune editor (in a commune page's editors group)
plans sessions of their communes, verifies hosts and sees their reports; a producer (a user in
`Producer.users`) plans sessions featuring their own products and registers hosts.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from cms.permissions import editor_commune_ids, user_producer_ids
from marketplace.catalog.models import AdminUnit, Producer, Sku

from .models import Host, LiveSession


def is_editor(user) -> bool:
    return user.is_active and (user.is_superuser or editor_commune_ids(user).exists())


def can_plan(user) -> bool:
    return user.is_active and (is_editor(user) or Producer.objects.filter(pk__in=user_producer_ids(user)).exists())


def can_verify_hosts(user) -> bool:
    return is_editor(user)


def sessions_for(user) -> QuerySet[LiveSession]:
    if user.is_superuser:
        return LiveSession.objects.all()
    scope = Q(commune_id__in=editor_commune_ids(user)) | Q(producers__in=user_producer_ids(user))
    return LiveSession.objects.filter(pk__in=LiveSession.objects.filter(scope).values("pk"))


def communes_for(user) -> QuerySet[AdminUnit]:
    communes = AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE)
    if user.is_superuser:
        return communes.filter(Q(pk__in=Producer.objects.values("commune_id")))
    own = Producer.objects.filter(pk__in=user_producer_ids(user)).values("commune_id")
    return communes.filter(Q(pk__in=editor_commune_ids(user)) | Q(pk__in=own))


def skus_for(user) -> QuerySet[Sku]:
    skus = Sku.objects.filter(is_active=True, product__is_published=True, product__producer__status=Producer.Status.APPROVED)
    if not user.is_superuser:
        skus = skus.filter(Q(product__producer__commune_id__in=editor_commune_ids(user))
                           | Q(product__producer_id__in=user_producer_ids(user)))
    return skus.select_related("product__producer").order_by("product__producer__name", "product__name", "position")


def hosts_for(user) -> QuerySet[Host]:
    """Editors see every host (to verify them); producers their own and every verified one."""
    if is_editor(user):
        return Host.objects.all()
    return Host.objects.filter(Q(producer_id__in=user_producer_ids(user)) | Q(verified_at__isnull=False))


def producers_for(user) -> QuerySet[Producer]:
    producers = Producer.objects.filter(status=Producer.Status.APPROVED)
    if user.is_superuser:
        return producers
    return producers.filter(Q(commune_id__in=editor_commune_ids(user)) | Q(pk__in=user_producer_ids(user)))
