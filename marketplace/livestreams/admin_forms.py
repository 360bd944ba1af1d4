"""Admin forms for planning sessions and registering hosts. Choices are limited to the user's
communes, products and hosts (see `access`); the rules themselves are in `services`."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import access, services
from .models import LiveSession, StreamLink
from .recurrence import to_local

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]
INT_ERRORS = {"required": _("Bắt buộc."), "invalid": _("Nhập số nguyên.")}
URL_PLATFORMS = (StreamLink.Platform.TIKTOK, StreamLink.Platform.FACEBOOK, StreamLink.Platform.ZALO)


class SkuChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, sku) -> str:
        return f"{sku.product.name} — {sku.unit} ({sku.code}, {sku.price_vnd:,} đ) · {sku.product.producer.name}".replace(",", ".")


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Tiêu đề"), max_length=200, required=False)
    description = forms.CharField(label=_("Mô tả"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    commune = forms.ModelChoiceField(label=_("Xã/phường"), queryset=None, error_messages={"required": _("Vui lòng chọn xã/phường.")})
    venue = forms.CharField(label=_("Địa điểm"), max_length=200, required=False,
                            help_text=_("Cùng địa điểm và trùng giờ với phiên khác là trùng lịch."))
    starts_local = forms.DateTimeField(label=_("Bắt đầu (giờ Việt Nam)"), widget=DATETIME, input_formats=DATETIME_FORMATS,
                                       error_messages={"required": _("Vui lòng nhập giờ bắt đầu."), "invalid": _("Thời gian không hợp lệ.")})
    ends_local = forms.DateTimeField(label=_("Kết thúc (giờ Việt Nam)"), widget=DATETIME, input_formats=DATETIME_FORMATS,
                                     error_messages={"required": _("Vui lòng nhập giờ kết thúc."), "invalid": _("Thời gian không hợp lệ.")})
    rrule = forms.CharField(label=_("Lặp lại (RFC 5545)"), max_length=300, required=False,
                            help_text=_("Để trống nếu chỉ một lần. Ví dụ mỗi thứ Sáu trong 8 tuần: FREQ=WEEKLY;BYDAY=FR;COUNT=8"))
    hosts = forms.ModelMultipleChoiceField(label=_("Người dẫn"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple)
    producers = forms.ModelMultipleChoiceField(label=_("Nhà sản xuất tham gia"), queryset=None, required=False,
                                               widget=forms.CheckboxSelectMultiple)
    tiktok = forms.CharField(label="TikTok Shop", max_length=500, required=False)
    facebook = forms.CharField(label="Facebook", max_length=500, required=False)
    zalo = forms.CharField(label="Zalo", max_length=500, required=False)
    own = forms.BooleanField(label=_("Phát trên trang Chợ OCOP"), required=False)

    def __init__(self, *args, user, session: LiveSession | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commune"].queryset = access.communes_for(user).order_by("name")
        self.fields["hosts"].queryset = access.hosts_for(user).order_by("name")
        self.fields["hosts"].label_from_instance = lambda h: f"{h.name}" + ("" if h.is_verified else " (" + str(_("chưa xác minh")) + ")")
        self.fields["producers"].queryset = access.producers_for(user, session=session).order_by("name")

    @staticmethod
    def initial_for(session: LiveSession) -> dict:
        links = {link.platform: link.url for link in session.links.all()}
        return {
            "title": session.title, "description": session.description, "commune": session.commune_id, "venue": session.venue,
            "starts_local": to_local(session.starts_at).replace(tzinfo=None), "ends_local": to_local(session.ends_at).replace(tzinfo=None),
            "rrule": session.rrule, "hosts": list(session.hosts.all()), "producers": list(session.producers.all()),
            "own": StreamLink.Platform.OWN in links, **{p: links.get(p, "") for p in URL_PLATFORMS},
        }

    def session_data(self, featured: list[services.FeaturedData]) -> services.SessionData:
        data = self.cleaned_data
        links = {p: data[p] for p in URL_PLATFORMS if data[p].strip()}
        if data["own"]:
            links[StreamLink.Platform.OWN] = ""
        return services.SessionData(
            title=data["title"], description=data["description"], commune_id=data["commune"].pk, venue=data["venue"],
            starts_local=data["starts_local"].replace(tzinfo=None), ends_local=data["ends_local"].replace(tzinfo=None),
            rrule=data["rrule"], host_ids=[h.pk for h in data["hosts"]], producer_ids=[p.pk for p in data["producers"]],
            links=links, featured=featured,
        )


class FeaturedForm(forms.Form):
    sku = SkuChoiceField(label=_("Sản phẩm (SKU)"), queryset=None, required=False)
    live_price_vnd = forms.IntegerField(label=_("Giá live (đồng)"), required=False, error_messages=INT_ERRORS)
    cap_total = forms.IntegerField(label=_("Số suất"), required=False, error_messages=INT_ERRORS)
    cap_per_buyer = forms.IntegerField(label=_("Tối đa mỗi người"), required=False, error_messages=INT_ERRORS)

    def __init__(self, *args, user, session: LiveSession | None = None, own_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = access.own_skus_for(user) if own_only else access.skus_for(user, session=session)

    def featured(self) -> services.FeaturedData | None:
        data = self.cleaned_data
        if not data.get("sku") or data.get("DELETE"):
            return None
        return services.FeaturedData(sku_id=data["sku"].pk, live_price_vnd=data.get("live_price_vnd") or 0,
                                     cap_total=data.get("cap_total") or 0, cap_per_buyer=data.get("cap_per_buyer") or 0)


FeaturedFormSet = forms.formset_factory(FeaturedForm, extra=3, can_delete=True)


def featured_initial(session: LiveSession, *, producer_ids=None) -> list[dict]:
    """The session's featured rows as form initial data (only those of `producer_ids` when given)."""
    rows = session.featured.all()
    if producer_ids is not None:
        rows = rows.filter(sku__product__producer_id__in=list(producer_ids))
    return [{"sku": f.sku_id, "live_price_vnd": f.live_price_vnd, "cap_total": f.cap_total, "cap_per_buyer": f.cap_per_buyer}
            for f in rows]


class HostForm(forms.Form):
    name = forms.CharField(label=_("Họ tên"), max_length=120, error_messages={"required": _("Vui lòng nhập họ tên người dẫn.")})
    phone = forms.CharField(label=_("Số điện thoại"), max_length=20, required=False)
    id_number = forms.CharField(label=_("Số giấy tờ tùy thân"), max_length=20,
                                help_text=_("CCCD 12 số, CMND 9 số hoặc hộ chiếu (1 chữ cái và 7 số). Chỉ hiện 4 số cuối."),
                                error_messages={"required": _("Vui lòng nhập số giấy tờ tùy thân.")})
    producer = forms.ModelChoiceField(label=_("Thuộc nhà sản xuất"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = access.producers_for(user).order_by("name")


class MoveForm(forms.Form):
    starts_local = forms.DateTimeField(label=_("Bắt đầu mới"), widget=DATETIME, input_formats=DATETIME_FORMATS,
                                       error_messages={"required": _("Vui lòng nhập giờ bắt đầu."), "invalid": _("Thời gian không hợp lệ.")})
    ends_local = forms.DateTimeField(label=_("Kết thúc mới"), widget=DATETIME, input_formats=DATETIME_FORMATS,
                                     error_messages={"required": _("Vui lòng nhập giờ kết thúc."), "invalid": _("Thời gian không hợp lệ.")})
