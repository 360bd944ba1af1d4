"""One contract for every search backend (Wagtail's pattern): subclass `SearchBackendContract`
and provide `backend`. The database backend runs on whatever DATABASE_URL names: SQLite in the
first pass, PostgreSQL in .ci/run's second pass."""
from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection, transaction

from marketplace.catalog import services as catalog
from marketplace.catalog.models import Category, OcopCertificate, Product
from cms import services as cms_services
from search.backends import base as search_base
from search.backends.base import PRICE_RANGES_BY_KEY, SearchBackend, SearchQuery, SearchUnavailable, Sort
from search.backends.database import DatabaseBackend
from search.models import Synonym
from tests import factories

GIA_PHU, DAN_PHUONG, XUAN_LOC, NGHIA_DAN, NINH_KIEU, PHONG_DIEN = "02923", "09784", "26425", "16941", "31135", "31299"
DONG_NAI = {"Bưởi da xanh Tân Triều", "Tiêu đen Xuân Định", "Cà phê rang xay Đồng Nai", "Bơ sáp Xuân Lộc",
            "Trà mãng cầu Xuân Lộc"}

# name, description, commune, category, price, stars
PRODUCTS = [
    ("Trà mãng cầu Xuân Lộc", "Trà túi lọc từ lá và quả mãng cầu xiêm sấy khô của vùng đất đỏ.", XUAN_LOC, "do-uong", 85000, 4),
    ("Mật ong bạc hà", "Mật ong nguyên chất từ hoa bạc hà cao nguyên đá.", GIA_PHU, "thuc-pham", 280000, 4),
    ("Kẹo mật mía hình con ong", "Kẹo truyền thống nấu từ mía.", GIA_PHU, "banh-keo", 45000, 3),
    ("Sáp ong thơm", "Làm từ sáp của tổ mật ong rừng, dùng đánh bóng đồ gỗ.", GIA_PHU, "thu-cong", 60000, None),
    ("Nến thơm thủ công", "Nến có mùi mật mía và sáp ong tự nhiên.", DAN_PHUONG, "thu-cong", 70000, None),
    ("Hạt mắc ca sấy nứt vỏ", "Mắc ca Tây Nguyên sấy giòn, béo bùi.", NGHIA_DAN, "hat-dinh-duong", 250000, 4),
    ("Bưởi da xanh Tân Triều", "Đặc sản Đồng Nai, múi hồng, ngọt thanh.", XUAN_LOC, "trai-cay", 90000, 3),
    ("Tiêu đen Xuân Định", "Đặc sản tiêu đất đỏ, cay nồng.", XUAN_LOC, "gia-vi", 150000, 4),
    ("Cà phê rang xay Đồng Nai", "Cà phê robusta rang mộc.", XUAN_LOC, "do-uong", 180000, 3),
    ("Bơ sáp Xuân Lộc", "Bơ sáp dẻo, béo.", XUAN_LOC, "trai-cay", 70000, None),
    ("Gạo Séng Cù", "Gạo đặc sản vùng cao, hạt dài, dẻo thơm.", GIA_PHU, "nong-san", 35000, 3),
    ("Chuối sấy dẻo Gia Phú", "Chuối tây chín sấy dẻo không đường.", GIA_PHU, "thuc-pham", 55000, 4),
    ("Bánh tẻ Chàng Sơn", "Bánh gói lá dong, nhân thịt mộc nhĩ.", DAN_PHUONG, "banh-keo", 40000, 5),
    ("Mứt gừng Đan Phượng", "Mứt gừng non dẻo cay.", DAN_PHUONG, "banh-keo", 65000, 3),
    ("Miến dong Đan Phượng", "Miến làm từ củ dong riềng.", DAN_PHUONG, "nong-san", 75000, 3),
    ("Cam Vinh Nghĩa Đàn", "Cam xã đoài ngọt mát.", NGHIA_DAN, "trai-cay", 60000, 4),
    ("Sữa tươi Phủ Quỳ", "Sữa bò tươi thanh trùng.", NGHIA_DAN, "do-uong", 32000, 4),
    ("Chè xanh Thanh Chương", "Chè búp xanh sao khô.", NGHIA_DAN, "do-uong", 120000, 3),
    ("Bánh tráng Thuận Hưng", "Bánh tráng nướng giòn.", NINH_KIEU, "banh-keo", 30000, 3),
    ("Nem chua Thới Lai", "Nem chua lá ổi, chua cay.", NINH_KIEU, "thuc-pham", 50000, 3),
    ("Dừa sáp Vĩnh Thạnh", "Dừa sáp cơm dẻo đặc ruột.", NINH_KIEU, "trai-cay", 150000, 4),
    ("Trà thảo mộc Cửu Long", "Trà từ gừng, sả, lá dứa và hoa cúc.", NINH_KIEU, "do-uong", 95000, 3),
    ("Rượu mận Phong Điền", "Rượu mận lên men tự nhiên.", PHONG_DIEN, "do-uong", 150000, 3),
    ("Nấm rơm sấy khô", "Nấm rơm sạch sấy lạnh.", PHONG_DIEN, "nong-san", 110000, None),
    ("Sầu riêng Ri6", "Sầu riêng cơm vàng hạt lép.", PHONG_DIEN, "trai-cay", 1200000, 4),
    ("Mãng cầu xiêm tươi", "Trái cây tươi của miệt vườn.", PHONG_DIEN, "trai-cay", 45000, 3),
    ("Đường thốt nốt", "Đường nấu từ nhựa hoa thốt nốt.", PHONG_DIEN, "thuc-pham", 80000, 3),
]

# (query, names any of which must come first)
RELEVANCE = [
    ("tra mang cau", {"Trà mãng cầu Xuân Lộc"}), ("trà mãng cầu", {"Trà mãng cầu Xuân Lộc"}),
    ("TRÀ MÃNG CẦU", {"Trà mãng cầu Xuân Lộc"}), ("Tra Mang Cau", {"Trà mãng cầu Xuân Lộc"}),
    ("tra mang cua", {"Trà mãng cầu Xuân Lộc"}), ("trà mãng cầu xuân lộc", {"Trà mãng cầu Xuân Lộc"}),
    ("mật ong", {"Mật ong bạc hà"}), ("mat ong", {"Mật ong bạc hà"}), ("MẬT ONG", {"Mật ong bạc hà"}),
    ("mat ong bac ha", {"Mật ong bạc hà"}), ("dac san dong nai", DONG_NAI), ("đặc sản đồng nai", DONG_NAI),
    ("ĐẶC SẢN ĐỒNG NAI", DONG_NAI), ("macca", {"Hạt mắc ca sấy nứt vỏ"}), ("mắc ca", {"Hạt mắc ca sấy nứt vỏ"}),
    ("mac ca", {"Hạt mắc ca sấy nứt vỏ"}), ("bưởi da xanh", {"Bưởi da xanh Tân Triều"}),
    ("buoi da xanh", {"Bưởi da xanh Tân Triều"}), ("gao seng cu", {"Gạo Séng Cù"}), ("gạo séng cù", {"Gạo Séng Cù"}),
    ("banh te chang son", {"Bánh tẻ Chàng Sơn"}), ("bánh tẻ", {"Bánh tẻ Chàng Sơn"}), ("cam vinh", {"Cam Vinh Nghĩa Đàn"}),
    ("sua tuoi phu quy", {"Sữa tươi Phủ Quỳ"}), ("che xanh", {"Chè xanh Thanh Chương"}),
    ("banh trang thuan hung", {"Bánh tráng Thuận Hưng"}), ("banh trag", {"Bánh tráng Thuận Hưng"}),
    ("nem chua", {"Nem chua Thới Lai"}), ("nem chau", {"Nem chua Thới Lai"}), ("ruou man", {"Rượu mận Phong Điền"}),
    ("dua sap", {"Dừa sáp Vĩnh Thạnh"}), ("nam rom", {"Nấm rơm sấy khô"}), ("sầu riêng ri6", {"Sầu riêng Ri6"}),
    ("duong thot not", {"Đường thốt nốt"}), ("đường thốt nốt", {"Đường thốt nốt"}), ("DUONG THOT NOT", {"Đường thốt nốt"}),
    ("mien dong", {"Miến dong Đan Phượng"}), ("mứt gừng", {"Mứt gừng Đan Phượng"}), ("gung", {"Mứt gừng Đan Phượng"}),
    ("bo sap", {"Bơ sáp Xuân Lộc"}), ("chuoi say deo", {"Chuối sấy dẻo Gia Phú"}),
    ("gia phu", {"Chuối sấy dẻo Gia Phú"}), ("xuan loc", {"Bơ sáp Xuân Lộc", "Trà mãng cầu Xuân Lộc"}),
    ("nghia dan", {"Cam Vinh Nghĩa Đàn"}), ("phong dien", {"Rượu mận Phong Điền"}),
    ("tra thao moc", {"Trà thảo mộc Cửu Long"}), ("mang cau xiem", {"Mãng cầu xiêm tươi"}),
    ("TIÊU ĐEN", {"Tiêu đen Xuân Định"}), ("ca phe dong nai", {"Cà phê rang xay Đồng Nai"}),
    ("tiêu xuân định", {"Tiêu đen Xuân Định"}),
    ("cà phê rang xay đồng nai ngon", {"Cà phê rang xay Đồng Nai"}),  # all words but one
    ("bưởi da xanh tân triều ngọt lịm", {"Bưởi da xanh Tân Triều"}),
]


def publish(name, description, commune_code, category, price, stars, stock=10):
    producer = factories.ProducerFactory(commune=factories.commune(commune_code))
    category_obj, _ = Category.objects.get_or_create(slug=category, defaults={"name": category.replace("-", " ").title()})
    code = "S-" + str(Product.objects.count() + 1).zfill(4)
    product = catalog.product_publish(product=Product(producer=producer), name=name, description=description,
                                      category=category_obj, skus=[catalog.SkuData(code, "gói", price)])
    catalog.stock_set(sku=product.skus.get(), on_hand=stock)
    if stars:
        catalog.certificate_save(certificate=OcopCertificate(
            product=product, stars=stars, decision_number="1/QĐ", issuer="UBND tỉnh", issued_on=dt.date.today()))
    return product


def names(result) -> list[str]:
    return [hit.name for hit in result.results]


class SearchBackendContract:
    """Every backend gives these answers."""

    @pytest.fixture
    def backend(self) -> SearchBackend:
        raise NotImplementedError

    @pytest.fixture
    def catalogue(self, db, backend):
        Synonym.objects.create(terms="macca, mắc ca")
        products = {row[0]: publish(*row) for row in PRODUCTS}
        catalog.product_unpublish(product_ids=[publish("Chưa bán", "mật ong", GIA_PHU, "thuc-pham", 1000, 3).pk])
        backend.rebuild()
        return products

    def search(self, backend, text="", **kwargs):
        return backend.search(SearchQuery(text=text, **kwargs))

    def test_relevance_set_puts_the_expected_product_first(self, backend, catalogue):
        assert len(RELEVANCE) >= 40
        failures = []
        for text, expected in RELEVANCE:
            got = names(self.search(backend, text))
            if not got or got[0] not in expected:
                failures.append(f"{text!r}: expected one of {sorted(expected)} first, got {got[:3]}")
        assert not failures, "\n".join(failures)

    def test_only_published_products_are_indexed(self, backend, catalogue):
        assert "Chưa bán" not in names(self.search(backend, "chua ban"))
        assert self.search(backend).total == len(PRODUCTS)

    def test_phrase_ranks_words_together_above_words_apart(self, backend, catalogue):
        got = names(self.search(backend, "mật ong"))
        assert got.index("Mật ong bạc hà") < got.index("Kẹo mật mía hình con ong")  # both in the name
        assert got.index("Sáp ong thơm") < got.index("Nến thơm thủ công")  # both in the description

    def test_name_weighs_more_than_description(self, backend, catalogue):
        got = names(self.search(backend, "gừng"))
        assert got.index("Mứt gừng Đan Phượng") < got.index("Trà thảo mộc Cửu Long")

    def test_an_over_specific_query_keeps_products_matching_all_words_but_one(self, backend, catalogue):
        result = self.search(backend, "cà phê rang xay đồng nai ngon")
        assert names(result) == ["Cà phê rang xay Đồng Nai"] and result.did_you_mean is None
        assert self.search(backend, "bánh qqqzzz").total == 0  # two words: both must match

    def test_did_you_mean_when_nothing_matches_exactly(self, backend, catalogue):
        result = self.search(backend, "tra mang cua")
        assert result.did_you_mean == "trà mãng cầu"
        assert self.search(backend, "trà mãng cầu").did_you_mean is None
        nothing = self.search(backend, "qqqzzzxxx")
        assert nothing.total == 0 and nothing.results == []
        assert self.search(backend, "tra mang cua", sort=Sort.PRICE).did_you_mean == "trà mãng cầu"
        # Sorted otherwise, every page is judged on the best match of all, not on its own hits.
        literal = self.search(backend, "mật ong")
        for page in range(1, literal.total + 1):
            one = self.search(backend, "mật ong", sort=Sort.PRICE, per_page=1, page=page)
            assert (one.total, one.did_you_mean) == (literal.total, None)

    def test_synonyms_come_from_the_operator_list(self, backend, catalogue):
        Synonym.objects.create(terms="sầu riêng, durian")
        assert names(self.search(backend, "durian"))[:1] == ["Sầu riêng Ri6"]
        Synonym.objects.all().delete()
        assert "Hạt mắc ca sấy nứt vỏ" not in names(self.search(backend, "macca"))[:1]

    def test_filters_by_province_commune_category_stars_and_price(self, backend, catalogue):
        dong_nai = factories.commune(XUAN_LOC).parent.code
        assert set(names(self.search(backend, province=dong_nai, per_page=50))) == {
            n for n, _d, c, *_ in PRODUCTS if c == XUAN_LOC}  # Đồng Nai
        assert {h.commune_code for h in self.search(backend, commune=GIA_PHU, per_page=50).results} == {GIA_PHU}
        assert {h.category_slug for h in self.search(backend, category="trai-cay", per_page=50).results} == {"trai-cay"}
        assert {h.ocop_stars for h in self.search(backend, min_stars=4, per_page=50).results} <= {4, 5}
        cheap = self.search(backend, price=PRICE_RANGES_BY_KEY["0-100000"], per_page=50)
        assert cheap.total and all(h.price_vnd < 100000 for h in cheap.results)
        assert self.search(backend, "bac ha", province="01").total == 0
        assert self.search(backend, province="99").total == 0

    def test_facets_count_each_choice(self, backend, catalogue):
        result = self.search(backend, "dac san")
        provinces = {f.value: f.count for f in result.facets["province"]}
        # bưởi + tiêu in Đồng Nai, gạo in Lào Cai
        assert provinces[factories.commune(XUAN_LOC).parent.code] == 2 and provinces["15"] == 1
        assert {f.value for f in result.facets["commune"]} == {XUAN_LOC, GIA_PHU}
        everything = self.search(backend)
        stars = {f.value: f.count for f in everything.facets["ocop_stars"]}
        assert stars["5"] == 1 and stars["3"] == sum(1 for row in PRODUCTS if row[5])
        assert sum(f.count for f in everything.facets["price"]) == len(PRODUCTS)
        assert all(f.label for group in everything.facets.values() for f in group)

    def test_facets_list_the_most_frequent_first_then_by_label(self, backend, catalogue):
        facets = self.search(backend).facets
        for name in ("province", "commune", "category"):
            assert facets[name] == sorted(facets[name], key=lambda facet: (-facet.count, facet.label))

    def test_communes_nationwide_are_the_busiest_and_within_a_province_all(self, backend, catalogue, monkeypatch):
        monkeypatch.setattr(search_base, "NATIONWIDE_COMMUNE_LIMIT", 1)
        communes = self.search(backend).facets["commune"]
        assert len(communes) == 1 and communes[0].count == max(Counter(c for _n, _d, c, *_ in PRODUCTS).values())
        dong_nai = factories.commune(XUAN_LOC).parent.code
        in_dong_nai = {c for _n, _d, c, *_ in PRODUCTS if factories.commune(c).parent.code == dong_nai}
        assert {f.value for f in self.search(backend, province=dong_nai).facets["commune"]} == in_dong_nai

    def test_the_words_that_matched_are_marked_in_the_name(self, backend, catalogue):
        hit = self.search(backend, "mat ong bac ha").results[0]
        assert hit.highlight == "<mark>Mật</mark> <mark>ong</mark> <mark>bạc</mark> <mark>hà</mark>"
        hit = self.search(backend, "tra mang cua").results[0]  # a typo: the word it was taken for is marked
        assert hit.name.startswith("Trà mãng cầu") and "<mark>cầu</mark>" in hit.highlight
        assert self.search(backend).results[0].highlight == ""  # nothing typed, nothing marked
        product = publish("Mắm tôm <Hà Nội> & chả", "", GIA_PHU, "thuc-pham", 30000, None)
        backend.index_products([product.pk])
        hit = self.search(backend, "mam tom ha noi").results[0]
        assert hit.highlight == "<mark>Mắm</mark> <mark>tôm</mark> &lt;<mark>Hà</mark> <mark>Nội</mark>&gt; &amp; chả"

    def test_sorts_and_pages(self, backend, catalogue):
        prices = [h.price_vnd for h in self.search(backend, sort=Sort.PRICE, per_page=50).results]
        assert prices == sorted(prices)
        prices = [h.price_vnd for h in self.search(backend, sort=Sort.PRICE_DESC, per_page=50).results]
        assert prices == sorted(prices, reverse=True)
        stars = [h.ocop_stars or 0 for h in self.search(backend, sort=Sort.STARS, per_page=50).results]
        assert stars == sorted(stars, reverse=True)
        newest = self.search(backend, sort=Sort.NEWEST, per_page=1).results[0]
        assert newest.name == PRODUCTS[-1][0]
        first, second = self.search(backend, per_page=10), self.search(backend, per_page=10, page=2)
        assert first.total == second.total == len(PRODUCTS) and first.pages == 3
        assert not set(names(first)) & set(names(second))
        assert self.search(backend, page=99).results == []

    def test_one_result_per_product_with_its_first_sku(self, backend, catalogue):
        product = catalogue["Mật ong bạc hà"]
        catalog.product_publish(product=product, name=product.name, description=product.description, category=product.category,
                                skus=[catalog.SkuData("MO-500", "chai 500ml", 280000),
                                      catalog.SkuData("MO-1L", "chai 1 lít", 520000)])
        backend.index_products([product.pk])
        hits = [h for h in self.search(backend, "mat ong bac ha").results if h.product_id == product.pk]
        assert len(hits) == 1 and hits[0].sku == "MO-500" and hits[0].price_vnd == 280000

    def test_autocomplete_completes_the_last_word(self, backend, catalogue):
        assert [s.text for s in backend.autocomplete("mat o")][:1] == ["Mật ong bạc hà"]
        assert [s.text for s in backend.autocomplete("TRÀ MÃ")][:1] == ["Trà mãng cầu Xuân Lộc"]
        assert backend.autocomplete("") == [] and backend.autocomplete("🍯") == []

    @pytest.mark.parametrize("text", ['"', "*", "NEAR(", "OR", "mật OR ong", "title:(", "a AND", "-", "^", "'; DROP TABLE x; --",
                                      "🍯🍯", "x" * 10000, "蜂蜜 mật ong", "\x00", "((((", "NOT", "name:*"])
    def test_query_syntax_is_never_an_error(self, backend, catalogue, text):
        result = self.search(backend, text)
        assert result.total >= 0
        backend.autocomplete(text)

    def test_remove_and_reindex(self, backend, catalogue):
        product = catalogue["Nem chua Thới Lai"]
        backend.remove_products([product.pk])
        assert "Nem chua Thới Lai" not in names(self.search(backend, "nem chua"))
        backend.index_products([product.pk])
        assert names(self.search(backend, "nem chua"))[:1] == ["Nem chua Thới Lai"]
        backend.remove_products([product.pk, 10**9])  # unknown ids are ignored

    # -- indexing follows the catalogue, after commit ------------------------------------------
    @pytest.fixture
    def configured(self, settings, backend):
        settings.SEARCH_BACKEND = backend.name
        return backend

    def test_publish_price_stock_and_unpublish_reach_the_index_after_commit(
        self, configured, make_listing, django_capture_on_commit_callbacks
    ):
        backend = configured
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            page = make_listing(name="Mật ong hoa nhãn", price_vnd=300000, stock=5, stars=4)
            assert self.search(backend, "mat ong hoa nhan").total == 0  # not before the commit
        assert callbacks
        [hit] = self.search(backend, "mat ong hoa nhan").results
        assert (hit.price_vnd, hit.stock, hit.ocop_stars, hit.commune_code) == (300000, 5, 4, "02923")

        sku = page.product.skus.get()
        with django_capture_on_commit_callbacks(execute=True):
            cms_services.listing_update(page=page, name="Mật ong hoa nhãn", category=page.category,
                                        skus=[catalog.SkuData(sku.code, sku.unit, 150000, 500)])
        assert self.search(backend, "mat ong hoa nhan").results[0].price_vnd == 150000
        assert self.search(backend, "mat ong hoa nhan", price=PRICE_RANGES_BY_KEY["100000-300000"]).total == 1

        with django_capture_on_commit_callbacks(execute=True):
            catalog.stock_set(sku=sku, on_hand=0)
        assert self.search(backend, "mat ong hoa nhan").results[0].stock == 0
        assert self.search(backend, "mat ong hoa nhan", in_stock=True).total == 0

        with django_capture_on_commit_callbacks(execute=True):
            cms_services.listing_unpublish(page=page)
        assert self.search(backend, "mat ong hoa nhan").total == 0

    @pytest.mark.parametrize("delist", [True, False])
    def test_certificate_expiry_reaches_the_index(self, configured, make_listing, django_capture_on_commit_callbacks,
                                                  settings, delist):
        backend = configured
        settings.OCOP_EXPIRED_UNPUBLISH = delist
        with django_capture_on_commit_callbacks(execute=True):
            make_listing(name="Chè shan tuyết", stars=5)
        assert self.search(backend, "che shan tuyet", min_stars=5).total == 1
        with django_capture_on_commit_callbacks(execute=True):
            catalog.certificates_expire(today=dt.date.today() + dt.timedelta(days=40 * 31))
        assert self.search(backend, "che shan tuyet", min_stars=3).total == 0
        assert self.search(backend, "che shan tuyet").total == (0 if delist else 1)

    def test_a_rolled_back_write_is_never_indexed(self, configured, make_listing, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            with pytest.raises(RuntimeError), transaction.atomic():
                make_listing(name="Rượu ngô men lá")
                raise RuntimeError("rolled back")
        assert self.search(configured, "ruou ngo").total == 0

    def test_search_service_failure_never_loses_the_write(self, configured, make_listing, django_capture_on_commit_callbacks,
                                                          monkeypatch, caplog):
        def down(self, product_ids):
            raise SearchUnavailable("index is down")

        monkeypatch.setattr(type(configured), "index_products", down)
        with django_capture_on_commit_callbacks(execute=True):
            page = make_listing(name="Măng khô Gia Phú")
        assert Product.objects.get(pk=page.product_id).is_published
        assert "index is down" in caplog.text
        monkeypatch.undo()
        configured.rebuild()
        assert self.search(configured, "mang kho").total == 1


class TestDatabaseBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self):
        assert connection.vendor in {"sqlite", "postgresql"}
        return DatabaseBackend()

    def test_vocabulary_knows_which_words_are_in_names(self, db, backend, django_capture_on_commit_callbacks):
        from search.models import SearchTerm

        publish("Mật ong rừng", "Thu hoạch ở Xín Mần.", GIA_PHU, "thuc-pham", 200000, None)
        backend.rebuild()
        in_names = dict(SearchTerm.objects.values_list("term", "in_names"))
        assert in_names["mat"] and in_names["ong"] and in_names["rung"]
        assert in_names["xin"] is False and in_names["man"] is False
        with django_capture_on_commit_callbacks(execute=True):  # indexed one by one after commit
            publish("Chè Xín Mần", "Chè búp.", GIA_PHU, "che", 90000, None)
        in_names = dict(SearchTerm.objects.values_list("term", "in_names"))
        assert in_names["xin"] and in_names["man"] and in_names["bup"] is False
        backend.rebuild()
        assert dict(SearchTerm.objects.values_list("term", "in_names")) == in_names


@pytest.fixture(scope="session")
def osmem():
    """osmem-server (PyPI: an in-memory OpenSearch-compatible server), started once on 127.0.0.1."""
    osmem_server = pytest.importorskip("osmem_server")
    server = osmem_server.OsmemServer.start(japanese=False)
    yield server
    server.close()


class TestElasticsearchBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, osmem, settings):
        from search.backends.elasticsearch import ElasticsearchBackend

        with osmem.clone() as clone:
            settings.ELASTICSEARCH_URL = clone.url
            assert clone.url.startswith("http://127.0.0.1:")
            yield ElasticsearchBackend(url=clone.url)

    def test_rebuild_swaps_an_alias_while_search_keeps_answering(self, backend, catalogue):
        answered = []
        backend.rebuild(progress=lambda done, total: answered.append(self.search(backend, "mat ong bac ha").total))
        assert answered and all(answered)
        assert len(backend.client.indices.get_alias(name=backend.alias)) == 1
        assert names(self.search(backend, "mat ong bac ha"))[:1] == ["Mật ong bạc hà"]

    def test_an_unreachable_server_is_reported_as_unavailable(self, db, backend):
        from search.backends.elasticsearch import ElasticsearchBackend

        down = ElasticsearchBackend(url="http://127.0.0.1:9", timeout=1)
        with pytest.raises(SearchUnavailable):
            down.search(SearchQuery(text="mat ong"))
        with pytest.raises(SearchUnavailable):
            down.remove_products([1])

    def test_an_error_answer_is_raised_as_the_client_raises_it(self, backend, catalogue):
        from elasticsearch import BadRequestError, NotFoundError

        with pytest.raises(BadRequestError):
            backend._search_request({"query": {"no_such_query": {}}}, "hits")
        backend.search_path = "/no-such-index/_search"
        with pytest.raises(NotFoundError):
            backend._search_request({"query": {"match_all": {}}}, "hits")
        assert self.search(backend, "mat ong").total == 0  # nothing indexed there: no results, no error

    def test_an_index_built_before_the_facet_fields_asks_for_a_rebuild(self, db, backend, caplog):
        from search.backends import elasticsearch as es

        es._warn_old_index.cache_clear()
        old = es.Index("old-products")
        old.document(es.ProductIndexDocument)
        body = old.to_dict()  # today's index, less the facet fields
        for name in ("province", "commune", "category"):
            del body["mappings"]["properties"][f"{name}_label_code"]
        backend.client.indices.create(index="old-products", **body)
        backend.client.indices.put_alias(index="old-products", name=backend.alias)
        backend.client.index(index="old-products", id="1", refresh=True, document={
            "product_id": 1, "name": "Mật ong rừng", "sku": "OLD-1", "price_vnd": 100000, "stock": 1, "stars": 4,
            "province_code": "15", "province_name": "Tỉnh Lào Cai", "commune_code": "02923", "commune_name": "Xã Gia Phú"})
        with caplog.at_level("WARNING", logger="search.backends.elasticsearch"):
            result = self.search(backend, "mat ong")
        assert result.total == 1 and result.facets["province"] == []  # still answers
        assert "rebuild_search_index" in caplog.text
