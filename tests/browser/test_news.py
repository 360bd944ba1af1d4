"""A commune editor writes a promotion article with a product card in Wagtail's StreamField
editor and submits it; a second editor approves it; it appears on the commune page, in the
commune's RSS feed and on the compliance dashboard."""
import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from cms import services
from cms.articles import services as news
from cms.articles.pages import ArticlePage
from tests import factories

pytestmark = pytest.mark.browser

PASSWORD = "mat-khau-an-toan-123"
COMMUNE_CODE = "02923"  # Xã Gia Phú, Lào Cai
TITLE = "Mật ong bạc hà Gia Phú vào mùa"


def _login(page, username: str) -> None:
    page.goto("/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/admin/")


def _logout(page) -> None:
    page.locator(".sidebar-footer__account").click()
    page.locator("form[action='/admin/logout/'] button[type=submit]").click()
    page.wait_for_url("**/admin/login/**")


def _add_block(page, label: str) -> None:
    """Open the StreamField's last "+" menu and pick a block type by its label."""
    page.locator("button.c-sf-add-button").last.click()
    page.get_by_role("option", name=label).click()


def _world():
    services.roles_setup()
    producer_page = factories.producer_page(commune=factories.commune(COMMUNE_CODE), name="HTX Ong mật Gia Phú")
    listing = factories.listing(producer_page=producer_page, name="Mật ong bạc hà", price_vnd=120000, stars=4,
                                issued_on=timezone.localdate() - dt.timedelta(days=90))
    commune_page = producer_page.get_parent().specific
    index = news.news_index_get_or_create(commune_page=commune_page)
    writer = factories.UserFactory(username="bientap.mot")
    approver = factories.UserFactory(username="bientap.hai")
    for user in (writer, approver):
        services.editor_assign(user=user, commune_page=commune_page)
    return commune_page, index, listing.product, writer, approver


def test_editor_writes_a_promotion_a_second_editor_approves_it_and_it_is_published_everywhere(live_site, new_context):
    commune_page, index, product, writer, approver = _world()
    page = new_context().new_page()
    errors = []
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.request.method} {r.url}"))

    _login(page, writer.username)
    page.goto(f"/admin/pages/add/cms/articlepage/{index.pk}/")
    page.fill("#id_title", TITLE)
    page.select_option("#id_kind", "promotion")
    page.fill("#id_intro", "Mật ong bạc hà Gia Phú mùa mới, đạt OCOP 4 sao.")

    _add_block(page, "Đoạn văn")
    editor = page.locator(".public-DraftEditor-content").last
    editor.click()
    editor.type("Mùa hoa bạc hà đã về trên cao nguyên.")

    _add_block(page, "Thẻ sản phẩm")
    page.get_by_role("button", name="Chọn sản phẩm").last.click()
    modal = page.locator(".modal-dialog")
    modal.get_by_role("link", name=product.name).click()
    modal.wait_for(state="hidden")
    page.locator("input[name$='-value-note']").last.fill("Đặt mua ngay")

    page.locator("footer .w-dropdown__toggle").click()
    submit = page.locator("footer button[name=action-submit]")
    with page.expect_navigation():
        submit.click()
    assert not errors, errors
    article = ArticlePage.objects.get(title=TITLE)
    assert not article.live and article.current_workflow_state is not None, page.locator(".messages").inner_text()
    body = article.get_latest_revision_as_object().body
    assert [b.block_type for b in body] == ["paragraph", "product"]
    assert body[1].value["product"].pk == product.pk
    _logout(page)

    _login(page, approver.username)
    row = page.locator("#awaiting-review-section tr", has=page.get_by_role("link", name=TITLE))
    row.locator("button.w-dropdown__toggle").click()
    with page.expect_navigation():
        row.locator("button[data-workflow-action-url*='/approve/']:not([data-launch-modal])").click()
    page.wait_for_load_state()
    assert not errors, errors
    article.refresh_from_db()
    assert article.live

    public = new_context().new_page()
    public.goto(commune_page.url)
    public.get_by_role("link", name=TITLE).click()
    public.wait_for_url(f"**{article.url}")
    card = public.locator(".product-card")
    assert "120.000 ₫" in card.inner_text() and "OCOP ★★★★" in card.inner_text()
    assert public.locator("meta[property='og:title']").get_attribute("content") == TITLE

    feed = public.request.get(f"/tin-tuc/xa/{COMMUNE_CODE}/rss.xml")
    assert [i.findtext("title") for i in ET.fromstring(feed.body()).iter("item")] == [TITLE]

    page.goto("/admin/ocop/news/compliance/?months=1")
    cell = page.locator(f"#compliance-table tr[data-commune='{COMMUNE_CODE}'] td").last
    assert cell.get_attribute("class") == "compliance-published"
    assert "✔ 1" in cell.inner_text()
