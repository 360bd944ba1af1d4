"""Who may do what with live sessions in the admin, and on which rows (roles from
`marketplace.access`).

- An operator acts on everything.
- A commune editor plans sessions of their communes, manages every session of those communes,
  verifies hosts and sees the reports.
- A producer user plans sessions featuring their own products and registers hosts.
- A session belongs to its creator and its commune's editors: only they change the session
  itself (title, schedule, hosts, the other producers and their products) or cancel it or one
  of its showings. A producer merely featured in someone else's session manages only its own
  featured products there, and may leave the session.
"""
from __future__ import annotations

from django.db.models import Q, QuerySet

from marketplace import access
from marketplace.access import communes_for  # noqa: F401 - part of this module's interface
from marketplace.catalog.models import Producer, Sku

from .models import Host, LiveSession


def is_editor(user) -> bool:
    return access.is_operator(user) or access.is_editor(user)


def can_plan(user) -> bool:
    return is_editor(user) or access.producers_for(user, as_editor=False).exists()


def can_verify_hosts(user) -> bool:
    return is_editor(user)


def sessions_for(user) -> QuerySet[LiveSession]:
    """Sessions `user` may open: those they manage and those featuring their producers."""
    if access.is_operator(user):
        return LiveSession.objects.all()
    scope = _managed_q(user) | Q(producers__in=access.user_producer_ids(user))
    return LiveSession.objects.filter(pk__in=LiveSession.objects.filter(scope).values("pk"))


def sessions_managed_by(user) -> QuerySet[LiveSession]:
    """Sessions `user` may change as a whole: their own and their communes' (operators: all)."""
    if access.is_operator(user):
        return LiveSession.objects.all()
    if not user.is_active:
        return LiveSession.objects.none()
    return LiveSession.objects.filter(_managed_q(user))


def _managed_q(user) -> Q:
    return Q(created_by_id=user.pk) | Q(commune_id__in=access.editor_commune_ids(user))


def can_manage(user, session: LiveSession) -> bool:
    return sessions_managed_by(user).filter(pk=session.pk).exists()


def own_producer_ids_in(user, session: LiveSession) -> list[int]:
    """The producers `user` acts for that take part in `session` (what they may manage there)."""
    return list(session.producers.filter(pk__in=access.user_producer_ids(user)).values_list("pk", flat=True))


def skus_for(user, *, session: LiveSession | None = None) -> QuerySet[Sku]:
    """SKUs `user` may feature; a session's manager keeps the SKUs others already put in it."""
    skus = access.skus_for(user)
    if session is not None and can_manage(user, session):
        skus = Sku.objects.filter(Q(pk__in=skus.values("pk")) | Q(pk__in=session.featured.values("sku_id")))
    return skus.select_related("product__producer").order_by("product__producer__name", "product__name", "position")


def own_skus_for(user) -> QuerySet[Sku]:
    """SKUs of the producers `user` acts for as a producer (what they feature in others' sessions)."""
    return access.skus_for(user, as_editor=False).select_related("product__producer").order_by(
        "product__producer__name", "product__name", "position")


def hosts_for(user) -> QuerySet[Host]:
    """Editors see every host (to verify them); producers their own and every verified one."""
    if is_editor(user):
        return Host.objects.all()
    return Host.objects.filter(Q(producer_id__in=access.user_producer_ids(user)) | Q(verified_at__isnull=False))


def producers_for(user, *, session: LiveSession | None = None) -> QuerySet[Producer]:
    """Producers `user` may add to a session; a manager keeps those already in it."""
    producers = access.producers_for(user)
    if session is not None and can_manage(user, session):
        producers = Producer.objects.filter(Q(pk__in=producers.values("pk")) | Q(pk__in=session.producers.values("pk")))
    return producers
