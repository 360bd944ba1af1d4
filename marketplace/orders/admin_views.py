"""Orders in the Wagtail admin: a filtered list and an order page with the actions its state allows.

Who sees what (the roles of `marketplace.access`): an operator (superuser, or in the operators
group) sees and handles every order; a producer's users (`Producer.users`) see and handle only
that producer's orders; a commune editor sees the orders of the commune's producers, read-only.
An order outside the user's scope answers 404. Every action is a POST (CSRF-checked by Django)
that calls one service; a refused move shows the service's message.
"""
from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import IndexView, WagtailAdminTemplateMixin

from marketplace.access import editor_commune_ids, is_operator, user_producer_ids
from marketplace.catalog.models import Producer

from . import handling, services
from .models import Order, OrderTransition, PaymentMethod

F, P = Order.Fulfilment, Order.Payment


# Scope ---------------------------------------------------------------------------------------


def orders_visible(*, user) -> QuerySet[Order]:
    """Orders `user` may see: all (operator), their producers' and their communes' orders."""
    if not user.is_active:
        return Order.objects.none()
    if is_operator(user):
        return Order.objects.all()
    return Order.objects.filter(Q(producer_id__in=user_producer_ids(user)) | Q(producer__commune_id__in=editor_commune_ids(user)))


def orders_handled(*, user) -> QuerySet[Order]:
    """Orders `user` may act on: all (operator) or their producers' orders."""
    if not user.is_active:
        return Order.objects.none()
    if is_operator(user):
        return Order.objects.all()
    return Order.objects.filter(producer_id__in=user_producer_ids(user))


def user_sees_orders(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return is_operator(user) or user_producer_ids(user).exists() or editor_commune_ids(user).exists()


class OrdersAccessMixin:
    def dispatch(self, request, *args, **kwargs):
        if not user_sees_orders(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# List ----------------------------------------------------------------------------------------


class OrderFilterSet(WagtailFilterSet):
    fulfilment_status = django_filters.ChoiceFilter(label=_("Giao hàng"), choices=F.choices, widget=forms.RadioSelect,
                                                    empty_label=_("Tất cả"))
    payment_status = django_filters.ChoiceFilter(label=_("Thanh toán"), choices=P.choices, widget=forms.RadioSelect,
                                                  empty_label=_("Tất cả"))
    payment_method = django_filters.ChoiceFilter(label=_("Cách thanh toán"), field_name="checkout__payment_method",
                                                 choices=PaymentMethod.choices, widget=forms.RadioSelect, empty_label=_("Tất cả"))
    created_at = django_filters.DateFromToRangeFilter(label=_("Ngày đặt"), widget=DateRangePickerWidget)
    producer = django_filters.ModelChoiceFilter(label=_("Nhà sản xuất"), queryset=Producer.objects.none())

    class Meta:
        model = Order
        fields = []

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        producers = Producer.objects.filter(pk__in=orders_visible(user=request.user).values("producer_id"))
        self.filters["producer"].queryset = producers


def _local(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y") if value else ""


def _money(value: int) -> str:
    return f"{int(value):,}".replace(",", ".") + " ₫"


class OrderIndexView(OrdersAccessMixin, IndexView):
    model = Order
    permission_policy = None  # the scope above decides, not model permissions
    any_permission_required = None
    page_title = _("Đơn hàng")
    header_icon = "list-ul"
    index_url_name = "orders_admin_index"
    index_results_url_name = "orders_admin_results"
    filterset_class = OrderFilterSet
    search_fields = ["checkout__reference", "checkout__buyer_name", "checkout__phone", "checkout__email"]
    default_ordering = "-created_at"
    paginate_by = 50

    @cached_property
    def columns(self):
        return [
            TitleColumn("reference", label=_("Mã đơn"), accessor="checkout.reference",
                        get_url=lambda order: reverse("orders_admin_detail", args=[order.pk])),
            Column("producer", label=_("Nhà sản xuất"), accessor="producer.name"),
            Column("buyer", label=_("Người mua"), accessor="checkout.buyer_name"),
            Column("total_vnd", label=_("Tổng"), accessor=lambda order: _money(order.total_vnd), sort_key="total_vnd"),
            Column("fulfilment_status", label=_("Giao hàng"), accessor="get_fulfilment_status_display"),
            Column("payment_status", label=_("Thanh toán"), accessor="get_payment_status_display"),
            Column("method", label=_("Cách thanh toán"), accessor="checkout.get_payment_method_display"),
            Column("created_at", label=_("Đặt lúc"), accessor=lambda order: _local(order.created_at), sort_key="created_at"),
        ]

    def get_base_queryset(self):
        return orders_visible(user=self.request.user).select_related("checkout", "producer")

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]


# One order -----------------------------------------------------------------------------------


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Lý do huỷ"), max_length=255, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Vui lòng nhập lý do huỷ đơn.")},
                             help_text=_("Người mua sẽ thấy lý do này."))
    refund_vnd = forms.IntegerField(label=_("Số tiền hoàn (đồng)"), min_value=0, required=False,
                                    error_messages={"invalid": _("Số tiền hoàn phải là số nguyên (đồng)."),
                                                    "min_value": _("Số tiền hoàn không được âm.")},
                                    help_text=_("Mặc định hoàn toàn bộ số đã thanh toán; 0 nếu chưa hoàn lúc này."))


class RefundForm(forms.Form):
    amount_vnd = forms.IntegerField(label=_("Số tiền hoàn (đồng)"), min_value=1,
                                    error_messages={"required": _("Vui lòng nhập số tiền hoàn."),
                                                    "invalid": _("Số tiền hoàn phải là số nguyên (đồng)."),
                                                    "min_value": _("Số tiền hoàn phải lớn hơn 0.")})
    reason = forms.CharField(label=_("Lý do"), max_length=255, required=False)


# action → (button label, service call); the buttons shown are those `available_actions` allows.
SIMPLE_ACTIONS = {
    "confirm": (_("Xác nhận đơn"), lambda o, u: services.order_transition(order=o, field="fulfilment", to=F.CONFIRMED, by=u)),
    "pack": (_("Đã đóng gói"), lambda o, u: handling.order_pack(order=o, by=u)),
    "ship": (_("Đã gửi hàng"), lambda o, u: services.order_transition(order=o, field="fulfilment", to=F.SHIPPED, by=u)),
    "deliver": (_("Đã giao hàng"), lambda o, u: services.order_transition(order=o, field="fulfilment", to=F.DELIVERED, by=u)),
    "cash": (_("Đã thu tiền mặt"), lambda o, u: services.order_cash_record(order=o, by=u)),
    "complete": (_("Hoàn tất"), lambda o, u: services.order_transition(order=o, field="fulfilment", to=F.COMPLETED, by=u)),
}
SUCCESS = {
    "confirm": _("Đã xác nhận đơn %(ref)s."), "pack": _("Đã ghi nhận đóng gói đơn %(ref)s."),
    "ship": _("Đơn %(ref)s đang được giao."), "deliver": _("Đơn %(ref)s đã giao."),
    "cash": _("Đã ghi nhận tiền mặt của đơn %(ref)s."), "complete": _("Đơn %(ref)s đã hoàn tất."),
    "cancel": _("Đã huỷ đơn %(ref)s."), "refund": _("Đã hoàn tiền đơn %(ref)s."),
}


def available_actions(order: Order) -> list[str]:
    """The actions that make sense in the order's current state (the services still decide)."""
    cod = order.checkout.payment_method == PaymentMethod.COD
    state, paid = order.fulfilment_status, order.payment_status
    actions = {
        F.PLACED: ["confirm"] if cod or paid in (P.AUTHORISED, P.PAID) else [],
        F.CONFIRMED: (["pack"] if order.packed_at is None else []) + ["ship"],
        F.SHIPPED: ["deliver"],
        F.DELIVERED: (["cash"] if cod and paid == P.UNPAID else []) + (["complete"] if paid == P.PAID else []),
    }.get(state, [])
    if state in (F.PLACED, F.CONFIRMED, F.SHIPPED):
        actions.append("cancel")
    if state == F.CANCELLED and handling.order_refundable_vnd(order=order) > 0:
        actions.append("refund")
    return actions


class OrderDetailView(OrdersAccessMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "orders/admin/order_detail.html"
    header_icon = "list-ul"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.pk = kwargs["pk"]

    @cached_property
    def order(self) -> Order:
        order = orders_visible(user=self.request.user).select_related("checkout__commune__parent", "producer").filter(pk=self.pk).first()
        if order is None:
            raise Http404
        return order

    @cached_property
    def can_handle(self) -> bool:
        return orders_handled(user=self.request.user).filter(pk=self.order.pk).exists()

    def get_page_title(self):
        return _("Đơn hàng %(ref)s") % {"ref": self.order.checkout.reference}

    def get_page_subtitle(self):
        return self.order.producer.name

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("orders_admin_index"), "label": _("Đơn hàng")},
            {"url": "", "label": self.order.checkout.reference},
        ]

    def get_context_data(self, cancel_form=None, refund_form=None, **kwargs):
        order = self.order
        actions = available_actions(order) if self.can_handle else []
        refundable = handling.order_refundable_vnd(order=order)
        refunds = list(order.refunds.all()) if hasattr(order, "refunds") else []
        return super().get_context_data(
            order=order, checkout=order.checkout, lines=list(order.lines.all()),
            transitions=[(t, _transition_label(t)) for t in order.transitions.select_related("by")],
            buttons=[(name, SIMPLE_ACTIONS[name][0]) for name in actions if name in SIMPLE_ACTIONS],
            can_cancel="cancel" in actions, can_refund="refund" in actions, refundable=refundable, refunds=refunds,
            cancel_form=cancel_form or CancelForm(initial={"refund_vnd": refundable or None}),
            refund_form=refund_form or RefundForm(initial={"amount_vnd": refundable or None}),
            can_handle=self.can_handle, **kwargs)

    def post(self, request, *args, **kwargs):
        if not self.can_handle:
            raise PermissionDenied
        action = request.POST.get("action", "")
        order = self.order
        try:
            if action in SIMPLE_ACTIONS:
                SIMPLE_ACTIONS[action][1](order, request.user)
            elif action == "cancel":
                form = CancelForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(cancel_form=form), status=400)
                handling.order_cancel(order=order, reason=form.cleaned_data["reason"], by=request.user,
                                      refund_vnd=form.cleaned_data["refund_vnd"])
            elif action == "refund":
                form = RefundForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(refund_form=form), status=400)
                handling.order_refund(order=order, amount_vnd=form.cleaned_data["amount_vnd"], by=request.user,
                                      reason=form.cleaned_data["reason"])
            else:
                messages.error(request, _("Thao tác không hợp lệ."))
                return redirect("orders_admin_detail", order.pk)
        except services.OrderError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, SUCCESS[action] % {"ref": order.checkout.reference})
        return redirect("orders_admin_detail", order.pk)


def _transition_label(transition: OrderTransition) -> str:
    choices = F if transition.field == OrderTransition.Field.FULFILMENT else P
    labels = dict(choices.choices)
    to = str(labels.get(transition.to_state, transition.to_state))
    if not transition.from_state or transition.from_state == transition.to_state:
        return to
    return f"{labels.get(transition.from_state, transition.from_state)} → {to}"
