"""Services that join pages to the catalogue: publishing a listing, onboarding a producer."""
from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from wagtail.models import Collection, GroupApprovalTask, GroupCollectionPermission, GroupPagePermission, Workflow, WorkflowPage, WorkflowTask

from marketplace import access
from marketplace.access import OPERATORS_GROUP  # noqa: F401 - the role groups are named here together
from marketplace.catalog import services as catalog
from marketplace.catalog.models import AdminUnit, Product

from .models import CommunePage, HomePage, ProducerPage, ProductPage, ProvincePage

PRODUCERS_GROUP = "Nhà sản xuất"
EDITORS_GROUP = "Biên tập viên xã"


class ListingPublishRefused(Exception):
    """The catalogue refused a listing's content (e.g. a stale revision naming another
    producer's SKU). Raised out of the page's publish so that its transaction rolls back: the page
    stays unpublished and the catalogue untouched. `message` is for the approver."""

    def __init__(self, page: ProductPage, message: str):
        super().__init__(message)
        self.page, self.message = page, message


def listing_publish(*, page: ProductPage) -> Product:
    """Copy an approved listing's content into the catalogue (called on page publish).

    Raises ListingPublishRefused when the listing would take over another product's SKU."""
    with transaction.atomic():
        producer = page.get_parent().specific.producer
        if page.product is not None and page.product.producer_id != producer.pk:
            raise ListingPublishRefused(page, _(
                'Không xuất bản "%(page)s": sản phẩm đã gắn với trang thuộc nhà sản xuất "%(owner)s", không phải '
                '"%(producer)s". Không có gì thay đổi.') % {
                    "page": page.title, "owner": page.product.producer.name, "producer": producer.name})
        product = page.product or Product.objects.create(producer=producer, name=page.title)
        first_image = page.gallery.first()
        try:
            catalog.product_publish(
                product=product,
                name=page.title,
                description=page.summary or strip_tags(page.story)[:500],
                category=page.category,
                skus=[catalog.SkuData(r.code, r.unit, r.price_vnd, r.weight_gram) for r in page.sku_rows.all()],
                url_path=page.url or "",
                image_id=first_image.image_id if first_image else None,
            )
        except catalog.SkuTaken as exc:
            raise ListingPublishRefused(page, sku_taken_message(page_title=page.title, taken=exc.taken)) from exc
        if page.product_id != product.pk:
            ProductPage.objects.filter(pk=page.pk).update(product=product)
            page.product = product
    return product


def sku_taken_message(*, page_title: str, taken) -> str:
    owners = "; ".join(
        _('%(code)s thuộc "%(product)s" của "%(producer)s"') % {
            "code": sku.code, "product": sku.product.name, "producer": sku.product.producer.name}
        for sku in taken
    )
    return _('Không xuất bản "%(page)s": mã SKU đã thuộc sản phẩm khác (%(owners)s). Bản này có thể đã cũ: '
             "hãy đổi mã SKU rồi gửi duyệt lại. Trang và SKU không thay đổi.") % {"page": page_title, "owners": owners}


def listing_unpublish(*, page: ProductPage) -> None:
    if page.product_id:
        catalog.product_unpublish(product_ids=[page.product_id])


def commune_editors_setup(*, page: CommunePage) -> Group:
    """A group that moderates this commune's subtree, and the workflow that asks it to approve."""
    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=f"Biên tập {page.admin_unit.name} ({page.admin_unit.code})")
        group.permissions.add(*Permission.objects.filter(codename="access_admin"))
        for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
            GroupPagePermission.objects.get_or_create(group=group, page=page, permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename))
        task, _ = GroupApprovalTask.objects.get_or_create(name=f"Duyệt tin: {page.admin_unit.name} ({page.admin_unit.code})")
        task.groups.add(group)
        workflow, _ = Workflow.objects.get_or_create(name=f"Duyệt xã {page.admin_unit.name} ({page.admin_unit.code})")
        # workflow.workflow_tasks is a modelcluster relation: create the row directly so it is saved.
        WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
        WorkflowPage.objects.update_or_create(page=page, defaults={"workflow": workflow})
        if page.editors_group_id != group.pk:
            CommunePage.objects.filter(pk=page.pk).update(editors_group=group)
            page.editors_group = group
        # Scope is decided at the catalogue level (marketplace.access), which knows no pages.
        access.commune_editors_set(commune=page.admin_unit, group=group)
    return group


def producer_page_setup(*, producer_page: ProducerPage) -> Group:
    """The producer's own group: it may add and edit (not publish) pages in its subtree."""
    with transaction.atomic():
        producer = producer_page.producer
        group, _ = Group.objects.get_or_create(name=f"NSX {producer.name} #{producer.pk}")
        group.permissions.add(*Permission.objects.filter(codename="access_admin"))
        for codename in ("add_page", "change_page"):
            GroupPagePermission.objects.get_or_create(group=group, page=producer_page, permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename))
        for user in producer.users.all():
            user.groups.add(group, Group.objects.get_or_create(name=PRODUCERS_GROUP)[0])
        if producer_page.owners_group_id != group.pk:
            ProducerPage.objects.filter(pk=producer_page.pk).update(owners_group=group)
            producer_page.owners_group = group
    return group


def producer_page_create(*, producer) -> ProducerPage:
    """Give an approved producer its page under its commune's page (idempotent)."""
    existing = ProducerPage.objects.filter(producer=producer).first()
    if existing:
        producer_page_setup(producer_page=existing)
        return existing
    commune_page = commune_page_get_or_create(commune=producer.commune)
    page = ProducerPage(title=producer.name, slug=_slug(producer.name), producer=producer, story=f"<p>{producer.story}</p>" if producer.story else "")
    commune_page.add_child(instance=page)
    page.save_revision().publish()
    producer_page_setup(producer_page=page)
    return page


def commune_page_get_or_create(*, commune: AdminUnit) -> CommunePage:
    """The commune's page, created (with its province's page) when missing."""
    page = CommunePage.objects.filter(admin_unit=commune).first()
    if page:
        return page
    province = commune.parent
    province_page = ProvincePage.objects.filter(admin_unit=province).first()
    if province_page is None:
        province_page = ProvincePage(title=province.name, admin_unit=province, slug=_slug(province.name))
        HomePage.objects.get().add_child(instance=province_page)
    page = CommunePage(title=commune.name, admin_unit=commune, slug=_slug(commune.name))
    province_page.add_child(instance=page)
    commune_editors_setup(page=page)
    return page


def _slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(catalog.fold_vietnamese(name))


def listing_create(
    *,
    producer_page: ProducerPage,
    name: str,
    skus: list[catalog.SkuData],
    category=None,
    summary: str = "",
    story: str = "",
    image=None,
    publish: bool = True,
) -> ProductPage:
    """Create a listing page with its SKU rows; publishing it fills the catalogue."""
    from .models import ProductPageImage, ProductPageSku

    page = ProductPage(title=name, slug=_unique_slug(producer_page, name), category=category, summary=summary, story=story,
                       live=publish)
    page.sku_rows = [ProductPageSku(code=s.code, unit=s.unit, price_vnd=s.price_vnd, weight_gram=s.weight_gram) for s in skus]
    if image is not None:
        page.gallery = [ProductPageImage(image=image)]
    producer_page.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page


def listing_update(*, page: ProductPage, name: str, skus: list[catalog.SkuData], category=None, summary: str | None = None) -> ProductPage:
    """Replace a listing's title, category, summary and SKU rows, and publish the new revision."""
    from .models import ProductPageSku

    page = page.get_latest_revision_as_object()
    page.title, page.category = name, category
    if summary is not None:
        page.summary = summary
    page.sku_rows = [ProductPageSku(code=s.code, unit=s.unit, price_vnd=s.price_vnd, weight_gram=s.weight_gram) for s in skus]
    page.save_revision().publish()
    return ProductPage.objects.get(pk=page.pk)


def _unique_slug(parent, name: str) -> str:
    base = _slug(name)[:70] or "san-pham"
    slug, n = base, 2
    while parent.get_children().filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def roles_setup() -> None:
    """The role groups and their model permissions (object-level limits are in wagtail_hooks)."""
    model_perms = {
        PRODUCERS_GROUP: ["access_admin", "add_batch", "change_batch", "delete_batch", "view_batch",
                          "add_image", "change_image", "choose_image", "view_stock", "change_stock",
                          "view_producer", "change_producer"],
        EDITORS_GROUP: ["access_admin", "view_producer", "change_producer", "add_ocopcertificate",
                        "change_ocopcertificate", "delete_ocopcertificate", "view_ocopcertificate",
                        "view_batch", "add_image", "choose_image", "view_stock", "change_stock"],
    }
    image_perms = Permission.objects.filter(content_type__app_label="wagtailimages", codename__in=["add_image", "choose_image"])
    for name, codenames in model_perms.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(codename__in=codenames))
        # Wagtail checks image permissions per collection: grant them on the root collection.
        for permission in image_perms:
            GroupCollectionPermission.objects.get_or_create(group=group, collection=Collection.get_first_root_node(), permission=permission)
    Group.objects.get_or_create(name=OPERATORS_GROUP)


def editor_assign(*, user, commune_page: CommunePage) -> None:
    """Make `user` an editor of this commune (and nothing else)."""
    group = commune_page.editors_group or commune_editors_setup(page=commune_page)
    user.groups.add(group, Group.objects.get_or_create(name=EDITORS_GROUP)[0])


def site_configure() -> None:
    """Point the default Wagtail site at SITE_BASE_URL, so sitemaps and full URLs use it."""
    from urllib.parse import urlsplit

    from django.conf import settings
    from wagtail.models import Site

    url = urlsplit(settings.SITE_BASE_URL)
    port = url.port or (443 if url.scheme == "https" else 80)
    Site.objects.filter(is_default_site=True).update(hostname=url.hostname, port=port)


def producer_approve(*, producer) -> ProducerPage:
    """Approve a sign-up: the producer becomes visible, gets its page and its users their group.

    The row lock makes two editors approving at once create one page, not fail on the second."""
    from marketplace.catalog.models import Producer

    with transaction.atomic():
        producer = Producer.objects.select_for_update().get(pk=producer.pk)
        if not producer.is_approved:
            catalog.producer_decide(producer=producer, approve=True)
        return producer_page_create(producer=producer)


def producer_reject(*, producer, reason: str) -> None:
    """Reject a sign-up; the record stays, with the reason, so the producer can be told why."""
    catalog.producer_decide(producer=producer, approve=False, reason=reason.strip())
