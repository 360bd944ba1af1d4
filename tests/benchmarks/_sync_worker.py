"""The sync benchmark's worker: runs inside the throw-away site (see sync.py for the phases)."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import random
import time

import requests

SEED = 20251124
CATEGORIES = ["Trà", "Đồ uống", "Thực phẩm", "Nông sản tươi", "Thảo dược", "Gia vị"]
NAMES = ["Mật ong hoa nhãn", "Trà mãng cầu túi lọc", "Gạo ST25", "Nước mắm cá cơm", "Chè Shan tuyết", "Hạt mắc ca sấy",
         "Miến dong", "Cao actiso", "Tiêu đen", "Bánh tráng phơi sương", "Kẹo dừa sáp", "Măng khô lưỡi lợn"]
UNITS = [("hộp 500g", 500), ("túi 1kg", 1000), ("chai 500ml", 600), ("hũ 300g", 300), ("gói 200g", 200)]


def run(config: dict) -> dict:
    import django

    django.setup()
    from connectors import registry

    lanes = registry.lanes()
    fakes = {lane.platform: lane.base_url for lane in lanes}
    size = config["size"]
    out = {"size": size, "lanes": len(lanes), "nghean37_keys": sum(lane.platform == "nghean37" for lane in lanes)}
    communes = [lane.account for lane in lanes if lane.platform == "nghean37"]
    started = time.perf_counter()
    _generate(size, communes)
    out["generate_s"] = round(time.perf_counter() - started, 1)
    out["bare"] = _bare(lanes, config["bare_calls"])
    if os.environ.get("SYNC_BENCH_PROFILE"):  # where the first sync's time goes, to stderr
        import cProfile
        import pstats
        import sys

        profile = cProfile.Profile()
        out["first_sync"] = profile.runcall(_first_sync, fakes, out["bare"]["calls_per_s"], size * 3)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(40)
    else:
        out["first_sync"] = _first_sync(fakes, out["bare"]["calls_per_s"], size * 3)
    out["limited"] = _limited(fakes, lanes, config["window"], config["limits"], size)
    out["finish"] = _finish(fakes)
    out["resync"] = _resync(fakes)
    return out


# -- data ---------------------------------------------------------------------------------------------
def _generate(size: int, communes: list[str]) -> None:
    from marketplace.catalog.models import AdminUnit, Category, OcopCertificate, Producer, Product, Sku, Stock

    rng = random.Random(SEED)
    units = {u.code: u for u in AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.COMMUNE, code__in=communes)}
    categories = [Category.objects.get_or_create(name=name, defaults={"slug": f"bench-{i}"})[0] for i, name in enumerate(CATEGORIES)]
    producers = Producer.objects.bulk_create([
        Producer(name=f"HTX Thử nghiệm {code}-{i}", kind=Producer.Kind.COOPERATIVE, phone="0912345678", commune=units[code],
                 status=Producer.Status.APPROVED) for code in communes for i in range(10)])
    products = Product.objects.bulk_create([
        Product(producer=producers[n % len(producers)], name=f"{rng.choice(NAMES)} {n}", description="Đặc sản OCOP của xã.",
                category=rng.choice(categories), is_published=True) for n in range(size)], batch_size=2000)
    skus = []
    for n, product in enumerate(products):
        unit, weight = rng.choice(UNITS)
        skus.append(Sku(product=product, code=f"BS-{n:06d}", unit=unit, price_vnd=rng.randint(20, 900) * 1000 + rng.choice((0, 50)),
                        weight_gram=weight))
    skus = Sku.objects.bulk_create(skus, batch_size=2000)
    Stock.objects.bulk_create([Stock(sku=s, on_hand=rng.choice((5, 12, 40, 150))) for s in skus], batch_size=2000)
    OcopCertificate.objects.bulk_create([OcopCertificate(product=p, stars=rng.choice((3, 4, 5))) for p in products[::3]],
                                        batch_size=2000)


# -- bare loop ------------------------------------------------------------------------------------------
def _bare(lanes, calls: int) -> dict:
    """Sequential raw creates, round-robin over the platforms (one keep-alive session)."""
    session = requests.Session()
    senders = [_sender(session, lane) for lane in lanes if lane.platform != "nghean37" or lane.account == lanes[-1].account]
    started = time.perf_counter()
    for n in range(calls):
        response = senders[n % len(senders)](n)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"bare loop: HTTP {response.status_code}: {response.text[:300]}")
    seconds = time.perf_counter() - started
    return {"calls": calls, "seconds": round(seconds, 2), "calls_per_s": round(calls / seconds, 1)}


def _sender(session, lane):
    base = lane.base_url
    if lane.platform == "postmart":
        token = session.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", "client_id": lane.key_id,
                                                           "client_secret": lane.secret}).json()["access_token"]
        category = next(c["id"] for c in session.get(f"{base}/api/v1/categories", headers={"Authorization": f"Bearer {token}"}).json()
                        if c["name"] == "Khác")

        def post(n):
            body = {"sku": f"BARE-{n}", "name": f"Sản phẩm {n}", "description_html": "<p>Mô tả</p>", "category_id": category,
                    "price_vnd": 120000, "stock": 5, "unit": "hộp", "images": [],
                    "origin": {"province_code": "40", "commune_code": "16941"}, "ocop_stars": None}
            return session.post(f"{base}/api/v1/products", json=body,
                                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"bare-{n}"})
        return post
    if lane.platform == "voso":
        def post(n):
            data = json.dumps({"outer_id": f"BARE-{n}", "title": f"Sản phẩm {n}", "cat_code": "KHAC", "price": 120000,
                               "quantity": 5, "weight_gram": 500, "images": [], "description": "Mô tả", "ocop_star": 0},
                              ensure_ascii=False)
            fields = {"app_key": lane.key_id, "shop_id": lane.shop_id, "timestamp": str(int(time.time())), "data": data}
            message = "&".join(f"{k}={fields[k]}" for k in sorted(fields))
            fields["sign"] = hmac.new(lane.secret.encode(), message.encode(), hashlib.sha256).hexdigest()
            response = session.post(f"{base}/openapi/item.add", data=fields)
            if response.json().get("code") != 0:
                raise RuntimeError(f"bare loop (Voso): {response.text[:300]}")
            return response
        return post

    def post(n):
        body = {"ma_noi_bo": f"BARE-{n}", "ten_san_pham": f"Sản phẩm {n}", "mo_ta": "Mô tả", "gia": 120000,
                "don_vi_tinh": "hộp", "so_luong": 5, "ma_xa": lane.account, "hang_sao_ocop": 0, "hinh_anh": []}
        return session.post(f"{base}/api/san-pham", json=body, headers={"X-Api-Key": lane.secret})
    return post


# -- fakes' controls -------------------------------------------------------------------------------------
def _fake(fakes: dict, name: str, action: str, payload: dict | None = None) -> dict:
    url = f"{fakes[name]}/_fake/{action}"
    response = requests.post(url, json=payload or {}) if payload is not None or action == "reset" else requests.get(url)
    response.raise_for_status()
    return response.json()


def _configure(fakes: dict, **payload) -> None:
    for name in fakes:
        _fake(fakes, name, "config", payload)


def _stats(fakes: dict, reset: bool = False) -> dict:
    stats = {name: _fake(fakes, name, "stats") for name in fakes}
    if reset:
        for name in fakes:
            _fake(fakes, name, "reset")
    return stats


def _settings(**values) -> None:
    from django.conf import settings

    for name, value in values.items():
        setattr(settings, name, value)


# -- phases -----------------------------------------------------------------------------------------------
def _first_sync(fakes: dict, bare_rate: float, expected: int) -> dict:
    from connectors import services
    from connectors.models import Binding

    _configure(fakes, rate_limits=False, review_after_reads=None, review_after_seconds=None)
    _settings(CONNECTOR_RATE_LIMITS=False)
    _stats(fakes, reset=True)
    started = time.perf_counter()
    summary = services.sync_listings(include_waiting=True)
    seconds = time.perf_counter() - started
    stats = _stats(fakes)
    calls = sum(s["total_calls"] for s in stats.values())
    listed = Binding.objects.exclude(external_id="").filter(sync_state="idle").count()
    return {"calls": calls, "our_count_of_calls": summary["calls"], "seconds": round(seconds, 1),
            "calls_per_s": round(calls / seconds, 1), "share_of_bare": round(calls / seconds / bare_rate, 3),
            "listed": listed, "expected": expected, "failed": summary["failed"], "retry": summary["retry"],
            "per_platform_calls": {name: s["total_calls"] for name, s in stats.items()}}


def _limited(fakes: dict, lanes, window: float, limits: dict, size: int) -> dict:
    from django.db import transaction
    from django.db.models import F

    from connectors import services
    from marketplace.catalog.models import Sku

    # Enough changed SKUs to keep every lane busy past the window.
    # (SKUs are spread evenly over the communes, so each 37nghean key gets its share.)
    nghean_keys = sum(1 for lane in lanes if lane.platform == "nghean37")
    count = min(size, int(1.5 * window * max(limits["postmart"], limits["voso"], limits["nghean37"] * nghean_keys)))
    ids = list(Sku.objects.order_by("pk").values_list("pk", flat=True)[:count])
    with transaction.atomic():
        Sku.objects.filter(pk__in=ids).update(price_vnd=F("price_vnd") + 1000)
        services.outbox_record(sku_ids=ids, reason="bench")
    services.outbox_fold(lanes=lanes)
    _configure(fakes, rate_limits=True)
    _settings(CONNECTOR_RATE_LIMITS=True)
    time.sleep(1.1)  # the fakes' windows start empty
    _stats(fakes, reset=True)
    started = time.perf_counter()
    services.drain(max_seconds=window, poll=False)
    seconds = time.perf_counter() - started
    stats = _stats(fakes)
    keys = {name: sum(1 for lane in lanes if lane.platform == name) for name in fakes}
    platforms = {}
    for name, s in stats.items():
        rate = s["total_calls"] / seconds
        limit = limits[name] * keys[name]
        platforms[name] = {"calls": s["total_calls"], "rate": round(rate, 2), "limit": limit, "share": round(rate / limit, 3),
                           "rate_limited": s["rate_limited"], "credentials": keys[name]}
    return {"window_s": round(seconds, 1), "changed_skus": len(ids), "platforms": platforms,
            "limiter": "redis" if os.environ.get("CONNECTOR_REDIS_URL") else "database"}


def _finish(fakes: dict) -> dict:
    from connectors import services

    _configure(fakes, rate_limits=False)
    _settings(CONNECTOR_RATE_LIMITS=False)
    started = time.perf_counter()
    summary = services.drain(include_waiting=True, poll=False)
    return {"seconds": round(time.perf_counter() - started, 1), "calls": summary.calls}


def _resync(fakes: dict) -> dict:
    from django.utils import timezone

    from connectors import services
    from connectors.models import Binding, RemoteState

    interval = 900
    _settings(CONNECTOR_POLL_INTERVAL_SECONDS=interval)
    _configure(fakes, review_after_reads=None, review_after_seconds=None)
    under_review = Binding.objects.filter(remote_status=RemoteState.PENDING_REVIEW)
    before = under_review.count()
    long_ago = timezone.now() - dt.timedelta(seconds=interval + 1)
    steps = []

    def step(label: str, expected: int) -> None:
        _stats(fakes, reset=True)
        services.sync_listings(include_waiting=True)
        stats = _stats(fakes)
        steps.append({"step": label, "writes": sum(s["write_calls"] for s in stats.values()),
                      "reads": sum(s["calls"].get("get", 0) for s in stats.values()), "expected_reads": expected})

    step("right away (nothing due)", 0)
    first = list(under_review.order_by("pk").values_list("pk", flat=True)[:2000])
    Binding.objects.filter(pk__in=first).update(last_polled_at=long_ago)
    _configure(fakes, review_after_reads=1)  # the fakes approve on this read
    step(f"interval passed for {len(first)} under review", len(first))
    more = list(under_review.order_by("pk").values_list("pk", flat=True)[:1000])
    Binding.objects.filter(pk__in=first + more).update(last_polled_at=long_ago)
    step(f"... for those (now live) and {len(more)} more under review", len(more))
    step("immediately again", 0)
    return {"poll_interval_s": interval, "under_review": before, "steps": steps}
