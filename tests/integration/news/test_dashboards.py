"""The compliance and coverage dashboards: states per month, filters, CSV, bad input and who
sees which communes."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone
from wagtail.models import Page

from cms.articles import services as news
from cms.articles.pages import ArticlePage
from cms.visits import visits_add
from tests import factories

from .conftest import promotion

pytestmark = pytest.mark.django_db
URL = "/admin/ocop/news/compliance/"
COVERAGE = "/admin/ocop/news/coverage/"


def _backdate(article, when: dt.datetime):
    ArticlePage.objects.filter(pk=article.pk).update(first_published_at=when, last_published_at=when)


@pytest.fixture
def operator(db):
    return factories.UserFactory(username="vanhanh", is_superuser=True, is_staff=True)


@pytest.fixture
def history(news_index):
    """A promotion two months ago and a news article last month (so last month has data)."""
    this_month = timezone.localdate().replace(day=1)
    two_ago, last = this_month - relativedelta(months=2), this_month - relativedelta(months=1)
    _backdate(promotion(news_index, title="Khuyến mại"), timezone.make_aware(dt.datetime.combine(two_ago, dt.time(0, 30))))
    news_article = news.article_create(news_index=news_index, title="Tin", intro="x", body=[])
    _backdate(news_article, timezone.make_aware(dt.datetime.combine(last, dt.time(10))))
    return two_ago, last, this_month


def test_compliance_shows_published_missed_running_and_no_data(client, operator, history):
    two_ago, last, this_month = history
    client.force_login(operator)
    html = client.get(URL + f"?until={this_month:%Y-%m}&months=4").content.decode()
    row = html[html.index('data-commune="02923"'):].split("</tr>")[0]
    cells = [c.split('"')[0] for c in row.split('class="compliance-')[1:]]
    assert cells == ["no_data", "published", "missed", "in_progress"]
    assert 'id="compliance-no-data"' not in html


def test_promotion_month_is_counted_in_vietnam_time(client, operator, news_index):
    """00:30 on the 1st in Hà Nội is still the previous month in UTC."""
    this_month = timezone.localdate().replace(day=1)
    month = this_month - relativedelta(months=1)
    _backdate(promotion(news_index), timezone.make_aware(dt.datetime.combine(month, dt.time(0, 30))))
    client.force_login(operator)
    html = client.get(URL + f"?until={month:%Y-%m}&months=2").content.decode()
    row = html[html.index('data-commune="02923"'):].split("</tr>")[0]
    assert [c.split('"')[0] for c in row.split('class="compliance-')[1:]] == ["no_data", "published"]


def test_a_range_without_data_says_so(client, operator, history):
    client.force_login(operator)
    html = client.get(URL + "?until=2021-03&months=2").content.decode()
    assert "Chưa có dữ liệu: không xã nào đăng bài trong các tháng đã chọn." in html
    assert "không có dữ liệu" in html


@pytest.mark.parametrize("query, message", [
    ("until=2025-13", "Tháng “2025-13” không hợp lệ; nhập theo dạng NNNN-TT, ví dụ 2025-07."),
    ("until=abc", "Tháng “abc” không hợp lệ"),
    ("months=0", "Số tháng phải từ 1 đến 24."),
    ("months=x", "Số tháng phải từ 1 đến 24."),
    ("until=2999-01", "Tháng 2999-01 chưa tới; bảng dừng ở tháng này."),
])
def test_bad_filter_input_gets_a_vietnamese_message_and_the_default_view(client, operator, history, query, message):
    client.force_login(operator)
    response = client.get(URL + "?" + query, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_csv_export_has_a_row_per_commune_and_a_column_per_month(client, operator, history):
    two_ago, last, this_month = history
    client.force_login(operator)
    response = client.get(URL + f"?until={last:%Y-%m}&months=2&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Mã xã", "Xã/phường", "Tỉnh/thành phố", f"{two_ago:%m/%Y}", f"{last:%m/%Y}"]
    assert rows[1] == ["02923", "Xã Gia Phú", "Tỉnh Lào Cai", "đã đăng (1)", "thiếu"]


def test_province_filter(client, operator, history):
    other = factories.producer_page(commune=factories.commune("16941")).get_parent().specific
    client.force_login(operator)
    html = client.get(URL + f"?province={other.admin_unit.parent.code}").content.decode()
    assert 'data-commune="16941"' in html and 'data-commune="02923"' not in html


def test_editors_see_their_commune_only_and_others_are_refused(client, editors, news_index):
    factories.producer_page(commune=factories.commune("16941"))
    client.force_login(editors[0])
    for url in (URL, COVERAGE):
        html = client.get(url).content.decode()
        assert 'data-commune="02923"' in html and 'data-commune="16941"' not in html
    outsider = factories.UserFactory(username="khach")
    client.force_login(outsider)
    assert client.get(URL).status_code in (302, 403)
    client.logout()
    assert client.get(URL).status_code == 302  # to the login page


def test_province_officer_sees_the_province(client, commune_page):
    other = factories.producer_page(commune=factories.commune("16941")).get_parent().specific
    officer = factories.UserFactory(username="canbo")
    news.province_officer_assign(user=officer, province_page=commune_page.get_parent().specific)
    client.force_login(officer)
    html = client.get(COVERAGE).content.decode()
    assert 'data-commune="02923"' in html and f'data-commune="{other.admin_unit.code}"' not in html


def test_coverage_counts_products_certificates_visits_and_no_platform(client, operator, commune_page, make_listing):
    make_listing(stars=4)
    make_listing(stars=3, issued_on=timezone.localdate() - relativedelta(months=35))  # expires within 60 days
    make_listing(stars=None)
    product_page = make_listing(stars=5)
    today = timezone.localdate()
    visits_add(counts={(commune_page.pk, today): 7, (product_page.pk, today): 5,
                       (product_page.pk, today - dt.timedelta(days=40)): 100})
    client.force_login(operator)
    html = client.get(COVERAGE).content.decode()
    row = html[html.index('data-commune="02923"'):].split("</tr>")[0]
    assert '<td class="ocop">3</td>' in row and '<td class="valid">3</td>' in row
    assert '<td class="expiring">1</td>' in row
    assert '<td class="visits">12</td>' in row
    assert "chưa có kết nối" in row


def test_coverage_uses_the_connectors_when_a_platform_is_configured(monkeypatch, commune_page, make_listing):
    import sys
    import types

    from cms.articles.coverage import commune_coverage

    live, other = make_listing().product, make_listing().product
    fake = types.ModuleType("connectors.selectors")
    fake.configured_platforms = lambda: ["postmart"]
    fake.live_product_ids = lambda *, product_ids=None: {live.pk} & set(product_ids or ())
    monkeypatch.setitem(sys.modules, "connectors.selectors", fake)
    [row] = commune_coverage(communes=[commune_page])
    assert row.live_on_platforms == 1
    fake.configured_platforms = lambda: []
    assert commune_coverage(communes=[commune_page])[0].live_on_platforms is None
    assert other.pk


def test_dashboard_menu_items_for_editors(client, editors):
    client.force_login(editors[0])
    html = client.get("/admin/").content.decode()
    assert URL in html and COVERAGE in html
    assert Page.objects.exists()
