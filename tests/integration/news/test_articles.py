"""Articles: product cards (same commune, published, live price), sanitised rich text, the
commune's moderation workflow, scheduled publication and the page cache."""
from __future__ import annotations

import datetime as dt
import html
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cms.articles import services as news
from cms.articles.pages import ArticlePage
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Product, Sku

from .conftest import promotion

pytestmark = pytest.mark.django_db


def test_a_promotion_with_a_product_card_shows_the_live_price_and_stars(client, news_index, product):
    article = promotion(news_index, product=product)
    page = client.get(article.url).content.decode()
    assert "120.000 ₫" in page and "OCOP ★★★★" in page
    sku = Sku.objects.get(product=product)
    catalog.product_publish(product=product, name=product.name, description="", category=None,
                            skus=[catalog.SkuData(sku.code, sku.unit, 99000, sku.weight_gram)], url_path=product.url_path)
    page = client.get(article.url).content.decode()
    assert "99.000 ₫" in page and "120.000 ₫" not in page  # read from the catalogue at render time


def test_a_product_card_of_another_commune_is_refused_with_nothing_saved(news_index, other_product):
    with pytest.raises(ValidationError) as error:
        promotion(news_index, product=other_product)
    assert "Sản phẩm “Cam Vinh” không thuộc Xã Gia Phú; chỉ được giới thiệu sản phẩm của xã mình." in str(error.value.message_dict)
    assert not ArticlePage.objects.exists()


def test_a_product_card_of_an_unpublished_product_is_refused(news_index, product):
    catalog.product_unpublish(product_ids=[product.pk])
    with pytest.raises(ValidationError) as error:
        promotion(news_index, product=Product.objects.get(pk=product.pk))
    assert "chưa được đăng bán" in str(error.value.message_dict)
    assert not ArticlePage.objects.exists()


def test_a_card_whose_product_was_delisted_later_renders_nothing(client, news_index, product):
    article = promotion(news_index, product=product)
    catalog.product_unpublish(product_ids=[product.pk])
    response = client.get(article.url)
    assert response.status_code == 200
    assert "product-card" not in response.content.decode()


def test_scripts_and_event_handlers_are_removed_from_rich_text(client, news_index):
    raw = ('<p>Chào <b>bà con</b><script>alert("x")</script><img src="x" onerror="alert(1)">'
           '<a href="javascript:alert(2)" onclick="steal()">bấm</a><a href="https://ocop.vn">ocop</a></p>'
           '<p onmouseover="alert(3)">hết</p><iframe src="https://evil.example"></iframe>')
    article = news.article_create(news_index=news_index, title="Thử", intro="Thử", body=[("paragraph", raw)])
    stored = ArticlePage.objects.get(pk=article.pk).body.raw_data[0]["value"]
    html = client.get(article.url).content.decode()
    body = html[html.index('<div class="body">'):]
    for text in (stored, body):
        lowered = text.lower()
        assert "<script" not in lowered and "alert" not in lowered and "onerror" not in lowered
        assert "onclick" not in lowered and "onmouseover" not in lowered and "javascript:" not in lowered
        assert "<iframe" not in lowered and "<img" not in lowered
    assert "<b>bà con</b>" in body and 'href="https://ocop.vn"' in body


def test_an_article_scheduled_in_the_past_publishes_now(news_index):
    article = promotion(news_index, publish=False)
    article.go_live_at = timezone.now() - dt.timedelta(hours=3)
    article.save_revision().publish()
    article.refresh_from_db()
    assert article.live and article.first_published_at >= timezone.now() - dt.timedelta(minutes=1)


def test_a_future_article_waits_for_the_beat_task(client, news_index):
    article = promotion(news_index, publish=False)
    article.go_live_at = timezone.now() + dt.timedelta(hours=2)
    revision = article.save_revision()
    revision.publish()
    article.refresh_from_db()
    assert not article.live
    assert news.scheduled_publish_run() == {"expired": 0, "published": 0, "failed": 0}
    # Two hours pass: the schedule and the revision's go_live_at are now behind us.
    past = timezone.now() - dt.timedelta(seconds=1)
    revision.refresh_from_db()
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    from cms.tasks import scheduled_publish

    assert scheduled_publish.delay().get() == {"expired": 0, "published": 1, "failed": 0}
    article.refresh_from_db()
    assert article.live
    assert client.get(article.url).status_code == 200


def test_a_scheduled_article_whose_card_became_invalid_does_not_block_the_others(news_index, product):
    broken = promotion(news_index, product=product, title="Bài một", publish=False)
    fine = promotion(news_index, title="Bài hai", publish=False)
    past = timezone.now() - dt.timedelta(minutes=1)
    for article in (broken, fine):
        revision = article.save_revision()
        type(revision).objects.filter(pk=revision.pk).update(approved_go_live_at=past)
    catalog.product_unpublish(product_ids=[product.pk])
    assert news.scheduled_publish_run() == {"expired": 0, "published": 1, "failed": 1}
    assert ArticlePage.objects.get(pk=fine.pk).live
    assert not ArticlePage.objects.get(pk=broken.pk).live
    assert news.scheduled_publish_run()["failed"] == 0  # taken off the schedule, not retried every minute


def test_editor_submits_and_a_second_editor_approves_in_the_commune_workflow(news_index, editors, product):
    first, second = editors
    article = promotion(news_index, product=product, publish=False, user=first)
    workflow = article.get_workflow()
    assert workflow is not None and "Gia Phú" in workflow.name
    state = workflow.start(article, first)
    task_state = state.current_task_state
    assert second in [u for g in task_state.task.specific.groups.all() for u in g.user_set.all()]
    task_state.task.specific.on_action(task_state, second, "approve")
    article.refresh_from_db()
    assert article.live and article.current_workflow_state is None


def test_publishing_an_article_refreshes_the_cached_commune_page(client, news_index, commune_page):
    first = client.get(commune_page.url)
    assert client.get(commune_page.url)["X-Page-Cache"] == "hit"
    assert "Tin mới" not in first.content.decode()
    article = promotion(news_index)
    response = client.get(commune_page.url)
    assert response["X-Page-Cache"] == "miss"
    assert article.title in response.content.decode()


def test_only_one_news_index_per_commune(commune_page, news_index):
    from cms.articles.pages import NewsIndexPage

    assert not NewsIndexPage.can_create_at(commune_page)
    assert news.news_index_get_or_create(commune_page=commune_page).pk == news_index.pk
    assert ArticlePage.can_create_at(news_index) and not ArticlePage.can_create_at(commune_page)


def _form(product, **fields):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    return nested_form_data({
        "title": "Khuyến mại tháng này", "slug": "khuyen-mai", "kind": "promotion", "intro": "Ưu đãi",
        "body": streamfield([("product", {"product": product.pk, "note": "Đặt ngay"})]),
        "comments": inline_formset([]), **fields,
    })


def test_the_admin_editor_refuses_another_communes_product_at_the_card(client, news_index, editors, other_product):
    client.force_login(editors[0])
    response = client.post(f"/admin/pages/add/cms/articlepage/{news_index.pk}/", _form(other_product))
    assert response.status_code == 200
    # The editor shows the message at the card: it travels in the StreamField's JSON data.
    data = html.unescape(response.content.decode())
    message = "Sản phẩm “Cam Vinh” không thuộc Xã Gia Phú; chỉ được giới thiệu sản phẩm của xã mình."
    assert '"blockErrors": {"product": {"messages": [' + json.dumps(message) in data
    assert not ArticlePage.objects.exists()


def test_the_admin_editor_saves_a_draft_with_a_card_of_the_commune(client, news_index, editors, product):
    client.force_login(editors[0])
    response = client.post(f"/admin/pages/add/cms/articlepage/{news_index.pk}/", _form(product))
    assert response.status_code == 302
    article = ArticlePage.objects.get()
    assert not article.live
    assert article.get_latest_revision_as_object().body[0].value["product"].pk == product.pk


def test_the_product_chooser_lists_only_the_editors_commune(client, editors, product, other_product):
    client.force_login(editors[0])
    html = client.get("/admin/ocop/product-chooser/").json()["html"]
    assert product.name in html and other_product.name not in html
    assert product.name not in client.get("/admin/ocop/product-chooser/results/?q=cam").content.decode()
