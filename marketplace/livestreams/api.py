"""JSON API for live sessions: `GET /api/v1/livestreams/` (filters `province`, `commune`,
`upcoming=1`) and `GET /api/v1/livestreams/<id>/`. Times are ISO 8601 in Vietnam time."""
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from rest_framework import generics, serializers

from . import selectors
from .models import FeaturedProduct, LiveSession, Occurrence, StreamLink
from .recurrence import to_local


class OccurrenceSerializer(serializers.ModelSerializer):
    starts_at = serializers.SerializerMethodField()
    ends_at = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Occurrence
        fields = ["id", "starts_at", "ends_at", "status", "url"]

    def get_starts_at(self, o: Occurrence) -> str:
        return to_local(o.starts_at).isoformat()

    def get_ends_at(self, o: Occurrence) -> str:
        return to_local(o.ends_at).isoformat()

    def get_url(self, o: Occurrence) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            return settings.SITE_BASE_URL.rstrip("/") + reverse("livestreams:occurrence", args=[o.pk])


class FeaturedSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    name = serializers.CharField(source="sku.product.name")
    unit = serializers.CharField(source="sku.unit")
    price_vnd = serializers.IntegerField(source="sku.price_vnd")

    class Meta:
        model = FeaturedProduct
        fields = ["sku", "name", "unit", "price_vnd", "live_price_vnd", "cap_total", "cap_per_buyer"]


class LinkSerializer(serializers.ModelSerializer):
    class Meta:
        model = StreamLink
        fields = ["platform", "url"]


class LiveSessionSerializer(serializers.ModelSerializer):
    commune_code = serializers.CharField(source="commune.code")
    commune = serializers.CharField(source="commune.name")
    province_code = serializers.CharField(source="commune.parent.code")
    hosts = serializers.SerializerMethodField()
    producers = serializers.SerializerMethodField()
    links = LinkSerializer(many=True)
    featured = FeaturedSerializer(many=True)
    occurrences = OccurrenceSerializer(many=True)

    class Meta:
        model = LiveSession
        fields = ["id", "title", "description", "state", "commune_code", "commune", "province_code", "venue", "rrule",
                  "hosts", "producers", "links", "featured", "occurrences"]

    def get_hosts(self, session: LiveSession) -> list[str]:
        return [host.name for host in session.hosts.all()]

    def get_producers(self, session: LiveSession) -> list[dict]:
        return [{"id": p.pk, "name": p.name} for p in session.producers.all()]


class LiveSessionList(generics.ListAPIView):
    """Public sessions (scheduled, live, ended, cancelled), by first start; `upcoming=1` keeps
    those with an occurrence still to come."""

    serializer_class = LiveSessionSerializer
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        return selectors.sessions_filter(selectors.sessions_public(), province=params.get("province", ""),
                                         commune=params.get("commune", ""), upcoming=params.get("upcoming") in {"1", "true"})


class LiveSessionDetail(generics.RetrieveAPIView):
    serializer_class = LiveSessionSerializer
    queryset = selectors.sessions_public()
