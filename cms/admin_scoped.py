"""Snippet views limited to the rows a user may act on, by the model's registered permission
policy (see `cms.permissions`). Wagtail checks model permissions; these add the row check to
every view of one object, the listing and the chooser."""
from django.core.exceptions import PermissionDenied
from wagtail.permissions import policy_registry
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.chooser import (
    ChooseResultsView, ChooseView, SnippetChooserViewSet, SnippetChosenMultipleView, SnippetChosenView,
)
from wagtail.snippets.views.snippets import SnippetViewSet


class ScopedObjectMixin:
    """A view of one object: refused unless the policy allows one of `object_actions` on it."""

    object_actions = ("change",)

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not self.permission_policy.user_has_any_permission_for_instance(self.request.user, self.object_actions, obj):
            raise PermissionDenied
        return obj


class ScopedEditView(ScopedObjectMixin, snippet_views.EditView):
    object_actions = ("change",)


class ScopedDeleteView(ScopedObjectMixin, snippet_views.DeleteView):
    object_actions = ("delete",)


class ScopedInspectView(ScopedObjectMixin, snippet_views.InspectView):
    object_actions = ("view", "change")


class ScopedHistoryView(ScopedObjectMixin, snippet_views.HistoryView):
    object_actions = ("view", "change")


class ScopedUsageView(ScopedObjectMixin, snippet_views.UsageView):
    object_actions = ("view", "change")


class ScopedChooserMixin:
    """Rows the user may choose: those the policy lets them see, less those not meant to be
    linked (e.g. pending sign-ups; see `OcopScopePermissionPolicy.choosable`)."""

    def get_object_list(self):
        return policy_registry.get_by_type(self.model_class).instances_user_may_choose(self.request.user)


class ScopedChosenView(ScopedChooserMixin, SnippetChosenView):
    def get_object(self, pk):
        return self.get_object_list().get(pk=pk)


class ScopedChosenMultipleView(ScopedChooserMixin, SnippetChosenMultipleView):
    def get_objects(self, pks):
        return self.get_object_list().filter(pk__in=pks)


class ScopedChooserViewSet(SnippetChooserViewSet):
    """The chooser lists and returns only rows the user may see (e.g. the producer field of a
    producer page): the "chosen" URLs answer 404 for any other id, as the list never shows it."""

    choose_view_class = type("ScopedChooseView", (ScopedChooserMixin, ChooseView), {})
    choose_results_view_class = type("ScopedChooseResultsView", (ScopedChooserMixin, ChooseResultsView), {})
    chosen_view_class = ScopedChosenView
    chosen_multiple_view_class = ScopedChosenMultipleView


class ScopedSnippetViewSet(SnippetViewSet):
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    chooser_viewset_class = ScopedChooserViewSet
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False  # their outgoing links are not worth a write on every save (CSV imports)
    select_related: tuple[str, ...] = ()

    def get_queryset(self, request):
        policy = policy_registry.get_by_type(self.model)
        rows = policy.instances_user_has_any_permission_for(request.user, ["view", "change", "delete"])
        return rows.select_related(*self.select_related)
