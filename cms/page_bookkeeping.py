"""Wagtail's own per-page bookkeeping for pages written in bulk (the listings import).

Wagtail does three things when a page is saved or published one by one: it writes page log
entries (the page's history), updates its admin search index and its reference index ("usage").
Bulk-written pages get none of that from signals, so the import asks for it here: the log
entries in the same short transactions as the pages (they are undone with them), and the two
indexes after the commit, by a task per batch of ids (indexing is idempotent and reads only
committed pages), so that the import's transactions stay short and its run time does not grow.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends_with_name

logger = logging.getLogger(__name__)

IMPORT_ACTION = "cms.listing_import"
IMPORT_LABEL = _("Nhập danh sách")
IMPORT_MESSAGE = _("Tạo và xuất bản bằng lệnh nhập danh sách sản phẩm")
INDEX_BATCH = 200


def import_log_entries_create(*, pages: Sequence[Page], revisions: Sequence[Revision]) -> list[int]:
    """Two history entries per page, as an import has no user: made by the import, and published
    (with its revision, which Wagtail's reports of last publication read). Returns their ids."""
    now = timezone.now()
    entries = []
    for page, revision in zip(pages, revisions):
        common = {"content_type": ContentType.objects.get_for_model(page, for_concrete_model=False),
                  "label": page.draft_title, "page_id": page.pk, "timestamp": now, "uuid": uuid.uuid4(),
                  "content_changed": True}
        entries.append(PageLogEntry(action=IMPORT_ACTION, data={}, **common))
        entries.append(PageLogEntry(action="wagtail.publish", revision=revision, data={}, **common))
    return [entry.pk for entry in PageLogEntry.objects.bulk_create(entries)]


def imported_pages_index_enqueue(*, page_ids: Sequence[int]) -> None:
    """Once the current transaction commits: index the pages, a task per batch."""
    from . import tasks

    ids = sorted(int(pk) for pk in page_ids)
    for start in range(0, len(ids), INDEX_BATCH):
        batch = ids[start:start + INDEX_BATCH]
        transaction.on_commit(lambda batch=batch: tasks.index_imported_pages.delay(batch), robust=True)


def imported_pages_index(*, page_ids: Sequence[int]) -> int:
    """Wagtail's search index and reference index for these pages, as a save would leave them.
    Idempotent; pages deleted meanwhile are skipped. Returns how many pages were indexed."""
    pages = list(Page.objects.filter(pk__in=list(page_ids)).order_by("pk").specific())
    by_model: dict[type[Page], list[Page]] = {}
    for page in pages:
        by_model.setdefault(type(page), []).append(page)
        if not ReferenceIndex.is_indexed(type(page)):
            continue
        with transaction.atomic():  # one short write per page, as Wagtail's own save does
            ReferenceIndex.create_or_update_for_object(page)
    for model, objects in by_model.items():
        _search_index_add(model, objects)
    return len(pages)


def _search_index_add(model: type[Page], objects: list[Page]) -> None:
    for name, backend in get_search_backends_with_name(with_auto_update=True):
        try:
            backend.add_bulk(model, objects)
        except Exception:
            # As Wagtail's own signal handler does: an external index being down must not fail
            # the work; the pages are found again after `update_index`.
            logger.exception("Could not add %s imported pages to the '%s' search index", len(objects), name)
            if not backend.catch_indexing_errors:
                raise
