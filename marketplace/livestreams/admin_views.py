"""Admin views for live sessions: the list, the planning form (conflicts shown before saving),
occurrences (move, cancel), a featured producer's own products (or leaving), hosts (register,
verify) and the report with its CSV. Each checks `access`, parses the request, calls one service
and responds. Changing a session as a whole is for its managers (`access.can_manage`)."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from . import access, services
from .admin_forms import FeaturedFormSet, HostForm, MoveForm, SessionForm, featured_initial
from .models import Host, LiveSession, Occurrence
from .services.reports import session_report_csv


class LiveAdminView(WagtailAdminTemplateMixin, TemplateView):
    header_icon = "media"
    allowed = staticmethod(access.can_plan)

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": reverse("livestreams_admin_index"), "label": _("Phiên livestream")},
                                         {"url": "", "label": self.get_page_title()}]

    def session_or_404(self, pk) -> LiveSession:
        return get_object_or_404(access.sessions_for(self.request.user), pk=pk)

    def managed_session(self, pk) -> LiveSession:
        """The session, when `user` may change all of it: 404 when they may not see it, else 403."""
        session = self.session_or_404(pk)
        if not access.can_manage(self.request.user, session):
            raise PermissionDenied
        return session


class SessionIndexView(LiveAdminView):
    template_name = "livestreams/admin/session_index.html"
    page_title = _("Phiên livestream")

    def get_context_data(self, **kwargs):
        user = self.request.user
        sessions = access.sessions_for(user).select_related("commune").order_by("-starts_at", "pk")[:300]
        managed = set(access.sessions_managed_by(user).values_list("pk", flat=True))
        rows = [(session, session.pk in managed) for session in sessions]
        return super().get_context_data(rows=rows, can_verify=access.can_verify_hosts(user), **kwargs)


class SessionEditView(LiveAdminView):
    """Plan a session. "Kiểm tra" lists every problem and conflict without saving; "Lưu nháp"
    keeps a draft; "Lên lịch" saves and schedules only when nothing is wrong."""

    template_name = "livestreams/admin/session_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.session = None

    def get_page_title(self):
        return _("Sửa phiên livestream") if self.session else _("Lên kế hoạch phiên livestream")

    def forms(self):
        user, session = self.request.user, self.session
        form_kwargs = {"user": user, "session": session}
        if self.request.method == "POST":
            return (SessionForm(self.request.POST, **form_kwargs),
                    FeaturedFormSet(self.request.POST, prefix="featured", form_kwargs=form_kwargs))
        initial = SessionForm.initial_for(session) if session else {}
        featured = featured_initial(session) if session else []
        formset = FeaturedFormSet(initial=featured, prefix="featured", form_kwargs=form_kwargs)
        return SessionForm(initial=initial, **form_kwargs), formset

    def get(self, request, pk=None):
        self.session = self.managed_session(pk) if pk else None
        form, formset = self.forms()
        return self.render_to_response(self.get_context_data(form=form, formset=formset, session=self.session))

    def post(self, request, pk=None):
        self.session = self.managed_session(pk) if pk else None
        form, formset = self.forms()
        problems, checked = [], False
        if form.is_valid() and formset.is_valid():
            data = form.session_data([f for f in (row.featured() for row in formset.forms) if f])
            action = request.POST.get("action", "check")
            if action == "check":
                problems, checked = services.live_session_check(data=data, session=self.session), True
            else:
                try:
                    saved = services.live_session_save(data=data, session=self.session, schedule=action == "schedule", by=request.user)
                except services.LiveError as error:
                    problems = error.messages
                else:
                    messages.success(request, _("Đã lên lịch “%(title)s”.") % {"title": saved.title} if action == "schedule"
                                     else _("Đã lưu nháp “%(title)s”.") % {"title": saved.title})
                    return redirect("livestreams_admin_occurrences", pk=saved.pk)
        return self.render_to_response(self.get_context_data(form=form, formset=formset, session=self.session,
                                                             problems=problems, checked=checked), status=200 if checked else 400)


class OccurrencesView(LiveAdminView):
    template_name = "livestreams/admin/occurrences.html"
    page_title = _("Các buổi live")

    def get_context_data(self, **kwargs):
        user = self.request.user
        session = self.session_or_404(self.kwargs["pk"])
        rows = [(o, MoveForm(prefix=f"o{o.pk}")) for o in session.occurrences.order_by("starts_at", "pk")]
        return super().get_context_data(session=session, rows=rows, now=timezone.now(),
                                        can_manage=access.can_manage(user, session),
                                        is_featured=bool(access.own_producer_ids_in(user, session)), **kwargs)

    def post(self, request, pk):
        session = self.managed_session(pk)
        action = request.POST.get("action")
        try:
            if action == "cancel_session":
                services.live_session_cancel(session=session, reason=request.POST.get("reason", ""), by=request.user)
                messages.success(request, _("Đã huỷ phiên live."))
            else:
                occurrence = get_object_or_404(Occurrence, pk=request.POST.get("occurrence"), session=session)
                self._occurrence_action(occurrence, action)
        except services.LiveError as error:
            messages.error(request, error.message)
        return redirect("livestreams_admin_occurrences", pk=session.pk)

    def _occurrence_action(self, occurrence: Occurrence, action: str) -> None:
        if action == "cancel":
            services.occurrence_cancel(occurrence=occurrence, reason=self.request.POST.get("reason", ""), by=self.request.user)
            messages.success(self.request, _("Đã huỷ buổi live; người đăng ký sẽ nhận thông báo."))
            return
        form = MoveForm(self.request.POST, prefix=f"o{occurrence.pk}")
        if not form.is_valid():
            raise services.LiveError([str(m) for errors in form.errors.values() for m in errors])
        services.occurrence_move(occurrence=occurrence, starts_local=form.cleaned_data["starts_local"].replace(tzinfo=None),
                                 ends_local=form.cleaned_data["ends_local"].replace(tzinfo=None), by=self.request.user)
        messages.success(self.request, _("Đã dời buổi live; người đăng ký sẽ được nhắc theo giờ mới."))


class OwnFeaturedView(LiveAdminView):
    """A producer featured in a session: its own featured products there ("Lưu"), or "Rời phiên".
    Nothing else of the session can be changed here."""

    template_name = "livestreams/admin/own_featured.html"
    page_title = _("Sản phẩm của tôi trong phiên")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.session, self.producer_ids = None, []

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        self.session = self.session_or_404(kwargs["pk"])
        self.producer_ids = access.own_producer_ids_in(request.user, self.session)
        if not self.producer_ids:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def formset(self):
        form_kwargs = {"user": self.request.user, "own_only": True}
        if self.request.method == "POST":
            return FeaturedFormSet(self.request.POST, prefix="featured", form_kwargs=form_kwargs)
        initial = featured_initial(self.session, producer_ids=self.producer_ids)
        return FeaturedFormSet(initial=initial, prefix="featured", form_kwargs=form_kwargs)

    def get(self, request, pk):
        return self.render_to_response(self.get_context_data(session=self.session, formset=self.formset()))

    def post(self, request, pk):
        if request.POST.get("action") == "leave":
            return self._leave()
        formset, problems = self.formset(), []
        if formset.is_valid():
            featured = [f for f in (row.featured() for row in formset.forms) if f]
            try:
                services.live_session_featured_set(session=self.session, producer_ids=self.producer_ids, featured=featured)
            except services.LiveError as error:
                problems = error.messages
            else:
                messages.success(request, _("Đã lưu sản phẩm của bạn trong “%(title)s”.") % {"title": self.session.title})
                return redirect("livestreams_admin_own_featured", pk=self.session.pk)
        context = self.get_context_data(session=self.session, formset=formset, problems=problems)
        return self.render_to_response(context, status=400)

    def _leave(self):
        try:
            services.live_session_leave(session=self.session, producer_ids=self.producer_ids)
        except services.LiveError as error:
            messages.error(self.request, error.message)
            return redirect("livestreams_admin_own_featured", pk=self.session.pk)
        messages.success(self.request, _("Đã rời phiên “%(title)s”.") % {"title": self.session.title})
        return redirect("livestreams_admin_index")


class ReportView(LiveAdminView):
    """Orders, units and GMV attributed to each occurrence against the caps; `?format=csv`. A
    featured producer gets only its own rows (the service scopes the report to `by`)."""

    template_name = "livestreams/admin/report.html"
    page_title = _("Báo cáo phiên livestream")

    def get(self, request, pk):
        report = services.session_report(session=self.session_or_404(pk), by=request.user)
        if request.GET.get("format") == "csv":
            response = HttpResponse(session_report_csv(report=report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="bao-cao-livestream-{pk}.csv"'
            return response
        return self.render_to_response(self.get_context_data(report=report, session=report.session))


class HostsView(LiveAdminView):
    """Register hosts; editors verify the ID document (recorded: by whom, when)."""

    template_name = "livestreams/admin/hosts.html"
    page_title = _("Người dẫn live")

    def get_context_data(self, form=None, **kwargs):
        hosts = access.hosts_for(self.request.user).select_related("verified_by", "producer").order_by("verified_at", "name")
        return super().get_context_data(hosts=hosts, form=form or HostForm(user=self.request.user),
                                        can_verify=access.can_verify_hosts(self.request.user), **kwargs)

    def post(self, request):
        if request.POST.get("action") == "verify":
            if not access.can_verify_hosts(request.user):
                raise PermissionDenied
            host = get_object_or_404(Host, pk=request.POST.get("host"))
            services.host_verify(host=host, by=request.user)
            messages.success(request, _("Đã xác minh danh tính “%(name)s”.") % {"name": host.name})
            return redirect("livestreams_admin_hosts")
        form = HostForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                host = services.host_save(host=Host(**form.cleaned_data))
            except services.LiveError as error:
                form.add_error("id_number", error.message)
            else:
                messages.success(request, _("Đã thêm “%(name)s”; cần biên tập viên xác minh trước khi lên lịch.") % {"name": host.name})
                return redirect("livestreams_admin_hosts")
        return self.render_to_response(self.get_context_data(form=form), status=400)
