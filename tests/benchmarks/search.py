"""Search: index throughput, query latency, search page req/s, publish-to-searchable rate.

    python -m tests.benchmarks search [--size N] [--es-size N] [--e2e N] [--quick] [--json]
                                      [--backends database-sqlite,database-postgres,elasticsearch]

For each backend, in a throw-away site (temporary directory; SQLite there, or a fresh database
`bench_search_<pid>_<hex>` on the PostgreSQL server named by DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/test; dropped afterwards):

1. N listings are GENERATED (realistic Vietnamese product names and descriptions across all 34
   provinces and their communes from catalog AdminUnit, 12 categories, OCOP stars, prices) as
   bare catalogue rows (producers, products; no Wagtail pages, no SKUs) and the index is filled
   DIRECTLY from the generated documents through the backend's bulk path
   (`SearchBackend.rebuild_from`, the code `rebuild` uses after it has read the catalogue).
   Index throughput = N / time of that call (folding, vocabulary, SQL / bulk requests).
2. A fixed mixed query set (full text with and without diacritics, facets + filters, typos,
   autocomplete) is run in-process through the backend's search API: p50/p95 latency.
3. gunicorn (2 sync workers, production settings, 127.0.0.1, free port) serves the search page
   (`/tim-kiem/?q=…`, cycling through a fixed list) and the trivial view (`/healthz`) under the
   same bounded load (threads, fixed duration, hard request cap): req/s side by side.
4. End to end: E real products (default 5,000) are published one by one through
   `catalog.services.product_publish` (its own transaction each, so the catalogue signal →
   `transaction.on_commit` → `search.tasks.index_products` path runs as in production, with the
   Celery task executed eagerly in-process instead of via a broker); the clock stops when a search
   finds the last one. Figure: products published per second until searchable.

Elasticsearch runs against osmem-server (an in-memory OpenSearch-compatible server that answers by
scanning), so its absolute speed is not ours; reported instead: the rebuild's rate as a share of a
raw bulk load of already-built documents into the same server in the same run, and the time our
code spends building a query and reading its answer (search call minus the HTTP round trip).

Targets (reported, not enforced): database backends p95 <= 25 ms at 100,000 listings and reindex
>= 5,000 listings/s; elasticsearch rebuild share >= 80 % and our time per query <= 1 ms. The exit
code is non-zero only when something failed (setup, HTTP errors, an e2e product never found).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from tests.benchmarks.pages import (
    BenchmarkError, PagesBenchmark, _cpu_seconds, _free_port, _get, _percentile_ms, load, pg_database_create, pg_database_drop,
)

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
ALL_BACKENDS = ("database-sqlite", "database-postgres", "elasticsearch")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"
TARGETS = {"db_p95_ms_max": 25.0, "db_reindex_per_s_min": 5000.0, "es_rebuild_share_min": 0.80, "es_our_ms_max": 1.0}
SEED = 20251124

# -- the generated catalogue -------------------------------------------------------------------------
CATEGORIES = [
    ("thuc-pham", "Thực phẩm"), ("do-uong", "Đồ uống"), ("nong-san", "Nông sản"), ("trai-cay", "Trái cây"),
    ("banh-keo", "Bánh kẹo"), ("gia-vi", "Gia vị"), ("hat-dinh-duong", "Hạt dinh dưỡng"), ("thu-cong", "Thủ công mỹ nghệ"),
    ("duoc-lieu", "Dược liệu"), ("thuy-san", "Thủy sản"), ("ruou", "Rượu truyền thống"), ("che-tra", "Chè và trà"),
]
# (base name, category slug, price range in thousand VND, units)
PRODUCTS = [
    ("Mật ong", "thuc-pham", (120, 650), ["hoa nhãn", "hoa cà phê", "rừng", "bạc hà", "hoa xuyến chi", "nguyên chất"]),
    ("Trà mãng cầu", "do-uong", (60, 250), ["túi lọc", "sấy lạnh", "xiêm", ""]),
    ("Cà phê", "do-uong", (90, 480), ["rang xay", "robusta", "arabica", "chồn", "phin giấy", "hạt rang mộc"]),
    ("Gạo", "nong-san", (25, 180), ["ST25", "tám thơm", "nếp cái hoa vàng", "Séng Cù", "lứt đỏ", "Bắc Hương"]),
    ("Nước mắm", "gia-vi", (45, 320), ["cá cơm", "nhĩ", "truyền thống", "40 độ đạm"]),
    ("Bưởi", "trai-cay", (40, 160), ["da xanh", "Diễn", "Phúc Trạch", "năm roi", "Tân Triều"]),
    ("Chè", "che-tra", (80, 900), ["Shan tuyết", "búp xanh", "Tân Cương", "móc câu", "ướp sen"]),
    ("Hạt mắc ca", "hat-dinh-duong", (180, 480), ["sấy nứt vỏ", "rang muối", "tách vỏ"]),
    ("Hạt điều", "hat-dinh-duong", (160, 420), ["rang muối", "vỏ lụa", "sấy giòn"]),
    ("Tiêu", "gia-vi", (90, 350), ["đen", "đỏ", "sọ", "xanh ngâm"]),
    ("Bánh tráng", "banh-keo", (25, 120), ["phơi sương", "nướng mè đen", "dẻo", "cuốn"]),
    ("Kẹo dừa", "banh-keo", (35, 140), ["sáp", "lá dứa", "sầu riêng", "đậu phộng"]),
    ("Mứt gừng", "banh-keo", (50, 160), ["dẻo", "non", "sấy"]),
    ("Miến dong", "nong-san", (55, 150), ["sợi nhỏ", "làng So", "nguyên chất"]),
    ("Sâm", "duoc-lieu", (800, 9500), ["Ngọc Linh", "Lai Châu", "dây", "đương quy"]),
    ("Cao actiso", "duoc-lieu", (150, 600), ["đặc", "lỏng", "túi lọc"]),
    ("Tôm khô", "thuy-san", (350, 1400), ["đất", "sú", "Cà Mau"]),
    ("Mực một nắng", "thuy-san", (400, 950), ["câu", "lá", "ống"]),
    ("Rượu", "ruou", (90, 600), ["ngô men lá", "mận", "táo mèo", "nếp cẩm", "Bàu Đá"]),
    ("Giỏ mây tre đan", "thu-cong", (70, 450), ["thủ công", "quai xách", "đựng quà"]),
    ("Nón lá", "thu-cong", (40, 250), ["bài thơ", "chuông", "vẽ tay"]),
    ("Chuối sấy", "trai-cay", (40, 140), ["dẻo", "giòn", "không đường"]),
    ("Dừa sáp", "trai-cay", (100, 260), ["Cầu Kè", "cơm dẻo"]),
    ("Sầu riêng", "trai-cay", (150, 1300), ["Ri6", "Monthong", "cơm vàng hạt lép"]),
    ("Nem chua", "thuc-pham", (40, 160), ["lá ổi", "Thanh Hóa", "nướng"]),
    ("Đường thốt nốt", "thuc-pham", (60, 200), ["viên", "nước", "cát"]),
    ("Nấm", "nong-san", (80, 420), ["rơm sấy khô", "hương rừng", "linh chi đỏ", "mối"]),
    ("Măng khô", "nong-san", (150, 480), ["lưỡi lợn", "nứa", "vầu"]),
]
UNITS = ["hộp 500g", "túi 1kg", "chai 500ml", "hũ 300g", "gói 200g", "thùng 5kg", "chiếc"]
PRODUCER_KINDS = ["Hợp tác xã", "Công ty TNHH", "Hộ kinh doanh", "Tổ hợp tác"]
PRODUCER_NAMES = ["Nông nghiệp xanh", "Thành Đạt", "Phú Quý", "Hương Quê", "Tân Tiến", "Minh Phát", "An Khang",
                  "Đồng Xanh", "Bình An", "Sơn Thủy", "Hòa Bình", "Phúc Lộc", "Đại Việt", "Thiên Nhiên"]
PHRASES = [
    "Sản phẩm OCOP của {commune}, {province}.", "Đặc sản {province} được người tiêu dùng tin chọn.",
    "Nguyên liệu tự nhiên, không chất bảo quản, đạt chứng nhận VietGAP.",
    "Được chế biến theo phương pháp truyền thống của bà con {commune}.",
    "Đóng gói {unit}, bảo quản nơi khô ráo thoáng mát, tránh ánh nắng trực tiếp.",
    "Hương vị đậm đà, thơm ngon, thích hợp làm quà biếu dịp lễ Tết.",
    "Vùng nguyên liệu được truy xuất nguồn gốc bằng mã QR trên bao bì.",
    "Hợp tác xã liên kết với hơn {n} hộ nông dân trong xã.", "Giao hàng toàn quốc, đổi trả trong 7 ngày.",
    "Sản phẩm đạt {stars} sao OCOP cấp tỉnh năm {year}.", "Ngon hơn khi dùng cùng gia đình và bạn bè.",
]


def _strip_unit_prefix(name: str) -> str:
    for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _listing(rng: random.Random, commune, province) -> dict:
    base, category, (low, high), variants = rng.choice(PRODUCTS)
    variant = rng.choice(variants)
    place = _strip_unit_prefix(rng.choice((commune.name, commune.name, province.name)))
    name = " ".join(part for part in (base, variant, place) if part)
    stars = rng.choices((None, 3, 4, 5), weights=(2, 5, 3, 1))[0]
    unit = rng.choice(UNITS)
    phrases = rng.sample(PHRASES, 4)
    description = f"{name}. " + " ".join(p.format(commune=commune.name, province=province.name, unit=unit, n=rng.randint(20, 400),
                                                 stars=stars or 3, year=rng.randint(2020, 2025)) for p in phrases)
    price = int(rng.uniform(low, high)) * 1000
    return {"name": name[:200], "description": description, "category": category, "stars": stars, "price": price,
            "stock": rng.choice((0, 5, 12, 40, 150, 600))}


# -- worker: runs inside the throw-away site (Django set up) -----------------------------------------
def _django():
    import django

    django.setup()


def _geo():
    from marketplace.catalog.models import AdminUnit

    provinces = {p.pk: p for p in AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.PROVINCE)}
    communes = list(AdminUnit.objects.filter(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE).order_by("code"))
    if len(provinces) != 34 or len(communes) < 3000:
        raise BenchmarkError(f"expected 34 provinces and ~3,321 communes, found {len(provinces)} and {len(communes)}")
    return provinces, communes


def _producers(rng, communes, count):
    from marketplace.catalog.models import Producer

    chosen = [communes[i % len(communes)] for i in range(count)]  # every commune has at least one when count >= communes
    producers = [Producer(name=f"{rng.choice(PRODUCER_KINDS)} {rng.choice(PRODUCER_NAMES)} {_strip_unit_prefix(c.name)}",
                          kind=rng.choice(list(Producer.Kind.values)), phone="0912345678", commune=c,
                          status=Producer.Status.APPROVED) for c in chosen]
    return Producer.objects.bulk_create(producers, batch_size=1000)


def _categories():
    from marketplace.catalog.models import Category

    for slug, name in CATEGORIES:
        Category.objects.get_or_create(slug=slug, defaults={"name": name})
    return {c.slug: c for c in Category.objects.all()}


def generate(size: int, seed: int = SEED, product_rows: bool = True):
    """Bare catalogue rows (approved producers, published products) and one document per product."""
    import datetime as dt

    from django.utils import timezone

    from marketplace.catalog.models import Product
    from search.documents import ProductDocument

    rng = random.Random(seed)
    provinces, communes = _geo()
    categories = _categories()
    producers = _producers(rng, communes, max(len(communes), size // 25))
    listings = []
    for i in range(size):
        producer = producers[rng.randrange(len(producers))]
        commune = producer.commune
        listings.append((producer, commune, provinces[commune.parent_id], _listing(rng, commune, provinces[commune.parent_id])))
    if product_rows:
        products = Product.objects.bulk_create(
            [Product(producer=p, name=l["name"], description=l["description"], category=categories[l["category"]],
                     is_published=True, url_path=f"/san-pham/bench-{i}/") for i, (p, _c, _pr, l) in enumerate(listings)],
            batch_size=2000)
        ids = [p.pk for p in products]
    else:
        ids = list(range(1, size + 1))
    now = timezone.now()
    documents = [
        ProductDocument(
            product_id=pk, name=l["name"], description=l["description"], sku=f"B-{pk:07d}", price_vnd=l["price"],
            stock=l["stock"], stars=l["stars"], province_code=province.code, province_name=province.name,
            commune_code=commune.code, commune_name=commune.name, category_slug=l["category"],
            category_name=categories[l["category"]].name, producer_name=producer.name, url=f"/san-pham/bench-{pk}/",
            created_at=now - dt.timedelta(minutes=i),
        )
        for i, (pk, (producer, commune, province, l)) in enumerate(zip(ids, listings))
    ]
    return documents, provinces, communes


def query_set(documents):
    """The fixed mixed query set (kind, SearchQuery or autocomplete prefix), chosen from the data."""
    from search.backends.base import PRICE_RANGES_BY_KEY, SearchQuery, Sort

    province = documents[len(documents) // 3].province_code
    commune_doc = documents[len(documents) // 2]
    Q = SearchQuery
    return [
        ("fulltext", Q(text="mật ong")), ("fulltext", Q(text="mat ong")), ("fulltext", Q(text="Trà mãng cầu")),
        ("fulltext", Q(text="tra mang cau")), ("fulltext", Q(text="NƯỚC MẮM CÁ CƠM")), ("fulltext", Q(text="ca phe rang xay")),
        ("fulltext", Q(text="dac san dong nai")), ("fulltext", Q(text="gạo st25")), ("fulltext", Q(text="sam ngoc linh")),
        ("fulltext", Q(text=_strip_unit_prefix(commune_doc.commune_name))),
        ("facets", Q(text="mat ong", province=province)), ("facets", Q(text="tra", min_stars=4)),
        ("facets", Q(text="banh", category="banh-keo", price=PRICE_RANGES_BY_KEY["0-100000"])),
        ("facets", Q(text="ca phe", sort=Sort.PRICE, page=3)), ("facets", Q(province=province)),
        ("facets", Q(commune=commune_doc.commune_code)), ("facets", Q(text="gao", in_stock=True, sort=Sort.STARS)),
        ("typo", Q(text="tra mang cua")), ("typo", Q(text="mat ogn")), ("typo", Q(text="nuoc mam ca coom")),
        ("typo", Q(text="buoi da xnah")), ("typo", Q(text="sầu riêg")),
        ("autocomplete", "mat o"), ("autocomplete", "tra ma"), ("autocomplete", "ca p"), ("autocomplete", "gạo s"),
        ("autocomplete", "nuoc mam c"),
    ]


def _describe(item) -> str:
    kind, q = item
    if kind == "autocomplete":
        return f"autocomplete {q!r}"
    extra = {k: v for k, v in (("province", q.province), ("commune", q.commune), ("category", q.category),
                               ("stars", q.min_stars), ("price", q.price.key if q.price else None),
                               ("sort", q.sort.value if q.sort != "relevance" else None), ("page", q.page if q.page != 1 else None),
                               ("in_stock", q.in_stock or None)) if v is not None}
    return f"{q.text!r}" + (f" {extra}" if extra else "")


def measure_queries(backend, queries, rounds: int, per_call=None):
    """Warm once, then `rounds` passes over the set; latencies in ms (all, per kind, per query)."""
    def run(item):
        kind, q = item
        return backend.autocomplete(q) if kind == "autocomplete" else backend.search(q)

    totals = {}
    for item in queries:
        answer = run(item)
        totals[_describe(item)] = len(answer) if item[0] == "autocomplete" else answer.total
    samples: dict[str, list[float]] = {_describe(item): [] for item in queries}
    by_kind: dict[str, list[float]] = {}
    extra: list[dict] = []
    for _ in range(rounds):
        for item in queries:
            before = per_call() if per_call else None
            t0 = time.perf_counter()
            run(item)
            ms = (time.perf_counter() - t0) * 1000
            samples[_describe(item)].append(ms)
            by_kind.setdefault(item[0], []).append(ms)
            if per_call:
                extra.append({"kind": item[0], "total_ms": ms, **per_call(before)})
    every = sorted(x for values in samples.values() for x in values)
    result = {
        "queries": len(queries), "rounds": rounds, "samples": len(every),
        "p50_ms": _pct(every, 0.5), "p95_ms": _pct(every, 0.95), "max_ms": round(every[-1], 2),
        "by_kind": {kind: {"p50_ms": _pct(sorted(v), 0.5), "p95_ms": _pct(sorted(v), 0.95)} for kind, v in by_kind.items()},
        "slowest": sorted(({"query": k, "median_ms": round(statistics.median(v), 2), "hits": totals[k]}
                           for k, v in samples.items()), key=lambda r: -r["median_ms"])[:5],
    }
    return result, extra


def _pct(sorted_values, q):
    return _percentile_ms([v / 1000 for v in sorted_values], q)


def _batches(items, size=1000):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def worker_index(config: dict) -> dict:
    _django()
    from django.db import connection

    from search.backends import get_backend

    backend_name = config["backend"]
    size = config["size"]
    t0 = time.perf_counter()
    documents, provinces, communes = generate(size, product_rows=backend_name == "database")
    generated_s = time.perf_counter() - t0
    backend = get_backend(backend_name)
    out: dict = {"listings": size, "provinces": len({d.province_code for d in documents}),
                 "communes": len({d.commune_code for d in documents}), "generate_s": round(generated_s, 1),
                 "filled_from": "generated documents (rebuild_from), not the catalogue"}
    if backend_name == "database":
        out["engine"] = connection.vendor
        t0 = time.perf_counter()
        indexed = backend.rebuild_from(_batches(documents), total=size)
        elapsed = time.perf_counter() - t0
        out["index"] = {"indexed": indexed, "seconds": round(elapsed, 2), "listings_per_s": round(indexed / elapsed, 1)}
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE search_searchdocument; ANALYZE search_searchterm")
        from search.models import SearchTerm

        out["vocabulary"] = SearchTerm.objects.count()
        out["latency"], _ = measure_queries(backend, query_set(documents), config["rounds"])
    else:
        out.update(_es_index(backend, documents, config))
    return out


def _es_index(backend, documents, config) -> dict:
    from elasticsearch import helpers

    from search.backends import elasticsearch as es

    # Raw bulk load of already-built documents into a fresh index with the same mapping.
    actions = [{"_index": None, "_id": d.product_id, "_source": es._source(d)} for d in documents]
    raw_index = backend._new_index()
    for action in actions:
        action["_index"] = raw_index
    t0 = time.perf_counter()
    for batch in _batches(actions):
        helpers.bulk(backend.client, batch)
    backend.client.indices.refresh(index=raw_index)
    raw_s = time.perf_counter() - t0
    backend.client.indices.delete(index=raw_index)
    # Our rebuild from the same (generated) documents: new index, bulk, refresh, alias swap.
    t0 = time.perf_counter()
    indexed = backend.rebuild_from(_batches(documents), total=len(documents))
    rebuild_s = time.perf_counter() - t0
    raw_rate, rebuild_rate = len(documents) / raw_s, indexed / rebuild_s
    out = {"index": {"indexed": indexed, "seconds": round(rebuild_s, 2), "listings_per_s": round(rebuild_rate, 1),
                     "raw_bulk_seconds": round(raw_s, 2), "raw_bulk_per_s": round(raw_rate, 1),
                     "share_of_raw": round(rebuild_rate / raw_rate, 3)}}
    # Our time per query: whole call minus the HTTP round trips (node.perform_request), and
    # minus the whole client call (`_search_request`: our code alone, without the client's
    # transport and JSON work).
    clock = {"http": 0.0, "client": 0.0, "requests": 0}
    original_perform = es.PlainJsonNode.perform_request
    original_search = es.ElasticsearchBackend._search_request

    def timed_perform(self, *args, **kwargs):
        t = time.perf_counter()
        clock["requests"] += 1
        try:
            return original_perform(self, *args, **kwargs)
        finally:
            clock["http"] += time.perf_counter() - t

    def timed_search(self, *args, **kwargs):
        t = time.perf_counter()
        try:
            return original_search(self, *args, **kwargs)
        finally:
            clock["client"] += time.perf_counter() - t

    def per_call(before=None):
        now = dict(clock)
        if before is None:
            return now
        return {"http_ms": (now["http"] - before["http"]) * 1000, "client_ms": (now["client"] - before["client"]) * 1000,
                "requests": now["requests"] - before["requests"]}

    es.PlainJsonNode.perform_request = timed_perform
    es.ElasticsearchBackend._search_request = timed_search
    try:
        latency, calls = measure_queries(backend, query_set(documents), config["rounds"], per_call=per_call)
    finally:
        es.PlainJsonNode.perform_request = original_perform
        es.ElasticsearchBackend._search_request = original_search
    ours = sorted(c["total_ms"] - c["http_ms"] for c in calls)
    ours_only = sorted(c["total_ms"] - c["client_ms"] for c in calls)
    latency["ours_excluding_round_trip"] = {
        "p50_ms": _pct(ours, 0.5), "p95_ms": _pct(ours, 0.95), "mean_ms": round(statistics.fmean(ours), 3),
        "note": "search() time minus the HTTP round trips (includes the client's JSON encoding/decoding)"}
    latency["ours_excluding_client"] = {
        "p50_ms": _pct(ours_only, 0.5), "p95_ms": _pct(ours_only, 0.95), "mean_ms": round(statistics.fmean(ours_only), 3),
        "note": "search() time minus the whole elasticsearch client call, _search_request (our query building and answer reading only)"}
    per_request = sorted((c["total_ms"] - c["http_ms"]) / max(1, c["requests"]) for c in calls)
    latency["ours_per_request"] = {
        "p50_ms": _pct(per_request, 0.5), "p95_ms": _pct(per_request, 0.95), "mean_ms": round(statistics.fmean(per_request), 3),
        "requests_per_query": round(statistics.fmean(c["requests"] for c in calls), 2),
        "note": "the same, divided by the server requests the call made (the typo path asks up to 3 times)"}
    latency["http_ms_per_query"] = round(
        sum(1 for _ in calls) and statistics.fmean(c["http_ms"] for c in calls), 2)
    out["latency"] = latency
    return out


def worker_e2e(config: dict) -> dict:
    """Publish E products through the catalogue service (one transaction each); indexing runs
    on commit via the Celery task (eager); stop the clock when search finds the last one."""
    _django()
    from marketplace.catalog import services as catalog
    from marketplace.catalog.models import Producer, Product
    from marketplace.celery import app
    from search.backends import get_backend
    from search.backends.base import SearchQuery

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = False
    count = config["count"]
    rng = random.Random(SEED + 1)
    categories = _categories()
    producers = list(Producer.objects.filter(status=Producer.Status.APPROVED).select_related("commune__parent")[:5000])
    if not producers:
        _provinces, communes = _geo()
        producers = _producers(rng, communes, 3400)
        producers = list(Producer.objects.filter(status=Producer.Status.APPROVED).select_related("commune__parent"))
    plans = []
    for i in range(count):
        producer = producers[rng.randrange(len(producers))]
        listing = _listing(rng, producer.commune, producer.commune.parent)
        listing["name"] = f"{listing['name']} mã E{i:05d}"[:200]
        plans.append((producer, listing))
    backend = get_backend(config["backend"])
    published = []
    t0 = time.perf_counter()
    for i, (producer, listing) in enumerate(plans):
        product = catalog.product_publish(
            product=Product(producer=producer), name=listing["name"], description=listing["description"],
            category=categories[listing["category"]], skus=[catalog.SkuData(f"E-{os.getpid()}-{i:05d}", "gói", listing["price"])],
            url_path=f"/san-pham/e2e-{i}/")
        published.append(product.pk)
    publish_s = time.perf_counter() - t0
    last_name, last_pk = plans[-1][1]["name"], published[-1]
    found_s, polls = None, 0
    while time.perf_counter() - t0 < publish_s + 120:
        polls += 1
        result = backend.search(SearchQuery(text=last_name, facets=False))
        if any(hit.product_id == last_pk for hit in result.results):
            found_s = time.perf_counter() - t0
            break
        time.sleep(0.05)
    # Spot check: a sample of the others is searchable too.
    sample = list(range(0, count, max(1, count // 20)))
    missing = [i for i in sample if not any(h.product_id == published[i] for h in backend.search(
        SearchQuery(text=plans[i][1]["name"], facets=False)).results)]
    return {"products": count, "publish_s": round(publish_s, 2),
            "until_searchable_s": round(found_s, 2) if found_s else None,
            "products_per_s": round(count / found_s, 1) if found_s else None,
            "polls": polls, "sample_checked": len(sample), "sample_missing": len(missing),
            "path": "catalog.services.product_publish → product_published signal → on_commit → "
                    "search.tasks.index_products (eager Celery) → backend.index_products"}


# -- orchestrator -----------------------------------------------------------------------------------
SEARCH_PATHS = ["/tim-kiem/?q=" + quote(q) for q in
                ("mật ong", "tra mang cau", "ca phe rang xay", "gạo st25", "nuoc mam ca com", "tra mang cua")]


class Site:
    """A throw-away site: temp dir, its own database, gunicorn on demand."""

    def __init__(self, label: str, postgres: bool, extra_env: dict[str, str]):
        self.label = label
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bench-search-{label}-"))
        self.pg_admin_url = self.pg_database = None
        self.server = None
        self.log_file = None
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "CACHE_URL", "DATABASE_URL",
                                                                "SEARCH_BACKEND", "ELASTICSEARCH_URL", "CELERY_BROKER_URL"}}
        env.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings.production", "SECRET_KEY": "bench-only",
                    "ALLOWED_HOSTS": HOST, "SECURE_SSL_REDIRECT": "0", "VAR_DIR": str(self.tmp), "LOG_LEVEL": "WARNING",
                    "PYTHONUNBUFFERED": "1", **extra_env})
        for name in ("STATIC_ROOT", "MEDIA_ROOT"):
            env.pop(name, None)  # keep both inside the temp dir (VAR_DIR)
        self.warnings: list[str] = []
        env["DATABASE_URL"] = self._database_url() if postgres else f"sqlite:///{self.tmp / 'db.sqlite3'}"
        self.env = env

    def _database_url(self) -> str:
        given = os.environ.get("DATABASE_URL", "")
        given = given if given.startswith(("postgres://", "postgresql://")) else DEFAULT_PG
        self.pg_database, self.pg_admin_url, url = pg_database_create(given, "search")
        return url

    def manage(self, *args: str, timeout: float = 900) -> str:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode:
            raise BenchmarkError(f"manage.py {' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
        _log(f"[{self.label}] manage.py {args[0]}: {time.monotonic() - started:.1f} s")
        return done.stdout

    _manage = manage

    def collectstatic(self) -> None:
        PagesBenchmark._collectstatic(self)  # the same deploy step (and stub) as the pages benchmark

    def worker(self, phase: str, config: dict, timeout: float = 1800) -> dict:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "tests.benchmarks", "search", "--worker", phase, json.dumps(config)],
                              cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise BenchmarkError(f"[{self.label}] worker {phase} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-6000:]}")
        _log(f"[{self.label}] {phase}: {time.monotonic() - started:.1f} s")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def start_server(self, workers: int) -> int:
        port = _free_port()
        self.log_file = open(self.tmp / "gunicorn.log", "wb")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "marketplace.wsgi", "--bind", f"{HOST}:{port}", "--workers", str(workers),
             "--log-level", "warning", "--timeout", "120"],
            cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise BenchmarkError(f"gunicorn exited {self.server.returncode}:\n{self.server_log()}")
            try:
                if _get(port, "/healthz", timeout=2)[0] == 200:
                    return port
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchmarkError(f"gunicorn did not answer /healthz within 60 s:\n{self.server_log()}")

    def server_log(self) -> str:
        try:
            return (self.tmp / "gunicorn.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop_server(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=5)
        self.server = None
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    def cleanup(self) -> None:
        self.stop_server()
        if self.pg_database:
            pg_database_drop(self.pg_admin_url, self.pg_database)
        shutil.rmtree(self.tmp, ignore_errors=True)


def run_backend(label: str, args, osmem_url: str | None) -> dict:
    backend = "elasticsearch" if label == "elasticsearch" else "database"
    extra = {"SEARCH_BACKEND": backend}
    if osmem_url:
        extra["ELASTICSEARCH_URL"] = osmem_url
    size = args.es_size if backend == "elasticsearch" else args.size
    e2e = args.es_e2e if backend == "elasticsearch" else args.e2e
    site = Site(label, postgres=label == "database-postgres", extra_env=extra)
    try:
        _log(f"[{label}] temp dir {site.tmp}" + (f"; database {site.pg_database}" if site.pg_database else ""))
        site.manage("migrate", "--noinput")
        site.collectstatic()
        result = site.worker("index", {"backend": backend, "size": size, "rounds": args.rounds})
        _log(f"[{label}] index {result['index']['listings_per_s']} listings/s; p50 {result['latency']['p50_ms']} ms, "
             f"p95 {result['latency']['p95_ms']} ms")
        port = site.start_server(args.workers)
        for path in ["/healthz", *SEARCH_PATHS]:
            status, headers, _body = _get(port, path)
            if status != 200:
                raise BenchmarkError(f"{path} answered {status}:\n{site.server_log()}")
        http_figures = {}
        for name, paths in (("trivial", ["/healthz"]), ("search_page", SEARCH_PATHS)):
            cpu0 = _cpu_seconds(site.server.pid)
            figures = load(port, paths, seconds=args.seconds, concurrency=args.concurrency, max_requests=args.max_requests)
            cpu = _cpu_seconds(site.server.pid) - cpu0
            figures["server_cpu_ms_per_req"] = round(cpu * 1000 / figures["requests"], 2) if figures["requests"] else None
            http_figures[name] = figures
        http_figures["search_page"]["ratio_to_trivial"] = round(
            http_figures["search_page"]["req_per_s"] / (http_figures["trivial"]["req_per_s"] or 1e-9), 3)
        http_figures["setup"] = {"workers": args.workers, "concurrency": args.concurrency, "seconds": args.seconds,
                                 "search_paths": SEARCH_PATHS}
        result["http"] = http_figures
        site.stop_server()
        result["e2e"] = site.worker("e2e", {"backend": backend, "count": e2e}) if e2e else None
        return result
    finally:
        site.cleanup()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        phase, config = argv[1], json.loads(argv[2])
        out = worker_index(config) if phase == "index" else worker_e2e(config)
        print(json.dumps(out, ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks search", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="generated listings per database backend (default 100000)")
    parser.add_argument("--es-size", type=int, default=20_000, help="generated listings for elasticsearch/osmem (default 20000)")
    parser.add_argument("--e2e", type=int, default=5000, help="real products published end to end (default 5000; 0 = skip)")
    parser.add_argument("--es-e2e", type=int, default=1000, help="the same on elasticsearch/osmem (default 1000; 0 = skip)")
    parser.add_argument("--backends", default=",".join(ALL_BACKENDS), help=f"comma-separated subset of {', '.join(ALL_BACKENDS)}")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the query set (default 5)")
    parser.add_argument("--seconds", type=float, default=5.0, help="HTTP load per view (default 5)")
    parser.add_argument("--concurrency", type=int, default=4, help="HTTP client connections (default 4)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="hard cap on requests per view (default 50000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--quick", action="store_true", help="small sizes: 5000 listings (2000 on osmem), 300 e2e, 2 s loads")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.quick:  # small defaults; options given explicitly still win
        given = {a.split("=")[0] for a in argv if a.startswith("--")}
        for option, value in (("size", 5000), ("es_size", 2000), ("e2e", 300), ("es_e2e", 100), ("seconds", 2.0), ("rounds", 3)):
            if "--" + option.replace("_", "-") not in given:
                setattr(args, option, value)
    labels = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in labels if b not in ALL_BACKENDS]
    if unknown or not labels:
        parser.error(f"unknown backend(s) {unknown}; choose from {', '.join(ALL_BACKENDS)}")

    result: dict = {"setup": {"cpus": os.cpu_count(), "size": args.size, "es_size": args.es_size, "e2e": args.e2e,
                              "es_e2e": args.es_e2e, "filled": "index filled directly from generated documents"},
                    "targets": TARGETS}
    failed = False
    osmem = None
    for label in labels:
        try:
            osmem_url = None
            if label == "elasticsearch":
                import osmem_server

                osmem = osmem_server.OsmemServer.start(japanese=False)
                osmem_url = osmem.url
                if not osmem_url.startswith(f"http://{HOST}:"):
                    raise BenchmarkError(f"osmem-server is not on {HOST}: {osmem_url}")
            result[label] = run_backend(label, args, osmem_url)
        except (BenchmarkError, OSError, subprocess.SubprocessError, ImportError) as exc:
            print(f"search benchmark: {label} failed: {exc}", file=sys.stderr)
            result[label] = {"error": str(exc)[-3000:]}
            failed = True
        finally:
            if osmem is not None:
                osmem.close()
                osmem = None
    _verdicts(result, labels)
    _print_report(result, labels)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    for label in labels:
        row = result[label]
        if "error" in row or any(row.get("http", {}).get(k, {}).get("errors") for k in ("trivial", "search_page")):
            failed = True
        if row.get("e2e") and (row["e2e"]["until_searchable_s"] is None or row["e2e"]["sample_missing"]):
            failed = True
    return 1 if failed else 0


def _verdicts(result: dict, labels: list[str]) -> None:
    for label in labels:
        row = result[label]
        if "error" in row:
            continue
        if label == "elasticsearch":
            row["target_met"] = {
                "rebuild_share": row["index"]["share_of_raw"] >= TARGETS["es_rebuild_share_min"],
                "our_ms_per_query": row["latency"]["ours_excluding_round_trip"]["p95_ms"] <= TARGETS["es_our_ms_max"],
            }
        else:
            row["target_met"] = {
                "p95": row["latency"]["p95_ms"] <= TARGETS["db_p95_ms_max"],
                "reindex": row["index"]["listings_per_s"] >= TARGETS["db_reindex_per_s_min"],
                "at_100k": row["listings"] >= 100_000,
            }


def _print_report(result: dict, labels: list[str]) -> None:
    print(f"Search benchmark — index FILLED DIRECTLY FROM GENERATED DOCUMENTS (bare catalogue rows, no Wagtail pages); "
          f"{result['setup']['cpus']} CPUs")
    for label in labels:
        row = result[label]
        print(f"\n== {label}")
        if "error" in row:
            print(f"   FAILED: {row['error'][:500]}")
            continue
        index, latency = row["index"], row["latency"]
        print(f"   data: {row['listings']:,} generated listings, {row['provinces']} provinces, {row['communes']:,} communes"
              + (f", vocabulary {row['vocabulary']:,} words" if "vocabulary" in row else ""))
        print(f"   index throughput: {index['listings_per_s']:,.0f} listings/s ({index['indexed']:,} in {index['seconds']} s)")
        if "share_of_raw" in index:
            print(f"   raw bulk load of built documents: {index['raw_bulk_per_s']:,.0f} docs/s; rebuild share {index['share_of_raw']:.0%}")
        print(f"   query latency ({latency['queries']} queries x {latency['rounds']} rounds, in-process): "
              f"p50 {latency['p50_ms']} ms, p95 {latency['p95_ms']} ms, max {latency['max_ms']} ms")
        print("   by kind: " + ", ".join(f"{k} p50 {v['p50_ms']} / p95 {v['p95_ms']} ms" for k, v in latency["by_kind"].items()))
        if "ours_excluding_round_trip" in latency:
            ours, only = latency["ours_excluding_round_trip"], latency["ours_excluding_client"]
            each = latency["ours_per_request"]
            print(f"   our time per query (minus HTTP round trips): p50 {ours['p50_ms']} ms, p95 {ours['p95_ms']} ms; "
                  f"per server request: p50 {each['p50_ms']} ms, p95 {each['p95_ms']} ms "
                  f"({each['requests_per_query']} requests/query); our code alone (minus the client call): "
                  f"p50 {only['p50_ms']} ms, p95 {only['p95_ms']} ms")
        http_rows = row["http"]
        for name in ("trivial", "search_page"):
            r = http_rows[name]
            print(f"   {name:<12} {r['req_per_s']:>8.1f} req/s  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  errors {r['errors']}"
                  f"  server cpu {r['server_cpu_ms_per_req']} ms/req")
        print(f"   search page / trivial: {http_rows['search_page']['ratio_to_trivial']:.1%} "
              f"(gunicorn {http_rows['setup']['workers']} workers, {http_rows['setup']['concurrency']} connections)")
        e2e = row.get("e2e")
        if e2e:
            print(f"   end to end: {e2e['products']:,} real products published → searchable in {e2e['until_searchable_s']} s = "
                  f"{e2e['products_per_s']} products/s (sample missing: {e2e['sample_missing']})")
        print(f"   targets: {row['target_met']}")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
