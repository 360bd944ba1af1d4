"""Checkout over HTTP on PostgreSQL: many buyers race for the last units (never oversold), then
checkout throughput with ample stock beside a trivial view's.

    python -m tests.benchmarks checkout [--buyers N] [--stock S] [--orders M] [--concurrency C]
                                        [--workers W] [--seconds N] [--json]

Builds a throw-away site like the pages benchmark (whose setup, gunicorn start and teardown it
reuses): a fresh database `bench_checkout_<pid>_<hex>` on the PostgreSQL server named by
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; dropped afterwards), production
settings, collected static files, gunicorn with 2 sync workers on a free port of 127.0.0.1, and
one published SKU of one approved producer, created through the catalogue services.

Every buyer is its own HTTP session, as a browser would be: it puts 1 unit in its cart through
the real cart endpoint (`POST /gio-hang/them/`), opens the checkout page (`GET /thanh-toan/`,
for the CSRF cookie and token and the form's one-time key) and posts the real checkout form (cash on delivery).

1. Race: N buyers (default 200) get their carts ready while S units (default 50) are in stock,
   then all post the checkout form at once (a barrier; one connection each). Figures: `sold`
   (answers that led to the order page; must equal S), `refused` (a clear "out of stock"
   answer), `oversold` (units in orders beyond S, counted in the database; must be 0).
2. Throughput: ample stock; M buyers (default 1,000) get their carts ready, then their checkout
   posts are sent from C client threads (default 16). Figures: `orders_per_s` (checkout posts
   answered per second), p50/p95 of one checkout post, server CPU per order, and the trivial
   view's (`/healthz`) req/s measured with the same client and concurrency in the same run.

Target (issue #5): orders_per_s >= 100 and oversold == 0. The exit code is non-zero when the
race sold a different number than S, anything was oversold, requests failed or setup failed.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.benchmarks.pages import (
    HOST, BenchmarkError, PagesBenchmark, _cpu_seconds, _log, _percentile_ms, load, pg_database_create, run_reported,
)

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"
TARGET_ORDERS_PER_S = 100.0
COMMUNE = "02923"  # Xã Gia Phú, Lào Cai: the buyers' delivery commune
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY_INPUT = re.compile(rb'name="checkout_key" value="([^"]+)"')  # the form's one-time key

SETUP = r"""
import json
from marketplace.catalog import services
from marketplace.catalog.models import AdminUnit, Producer, Product
commune = AdminUnit.objects.get(scheme=AdminUnit.Scheme.Y2025, level=AdminUnit.Level.COMMUNE, code="02923")
producer = Producer.objects.create(name="HTX Chuối Gia Phú (đo tải)", kind=Producer.Kind.COOPERATIVE, phone="0912345678",
                                   commune=commune, status=Producer.Status.APPROVED)
product = Product.objects.create(producer=producer, name="Chuối sấy dẻo Gia Phú")
services.product_publish(product=product, name=product.name, description="Đo tải thanh toán", category=None,
                         skus=[services.SkuData("BENCH-CHECKOUT-1", "gói 500g", 45000, 500)])
print(json.dumps({"sku": product.skus.get().pk}))
"""

STOCK_SET = r"""
from marketplace.catalog import services
from marketplace.catalog.models import Sku
services.stock_set(sku=Sku.objects.get(pk={sku}), on_hand={on_hand})
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks checkout", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--buyers", type=int, default=200, help="concurrent buyers in the race (default 200)")
    parser.add_argument("--stock", type=int, default=50, help="units in stock for the race (default 50)")
    parser.add_argument("--orders", type=int, default=1000, help="checkouts in the throughput phase (default 1000)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads in the throughput phase (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as in the Procfile)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of the /healthz baseline (default 5)")
    args = parser.parse_args(argv)
    if min(args.buyers, args.stock, args.orders, args.concurrency, args.workers) < 1 or args.seconds <= 0:
        parser.error("all counts and --seconds must be positive")
    args.cache_url = ""  # the pages benchmark's setup reads it: the production file cache

    result = run_reported("checkout", CheckoutBenchmark(args), args, report=_print_report,
                          errors=(BenchmarkError, OSError, http.client.HTTPException))
    if result is None:
        return 1
    race, throughput = result["race"], result["throughput"]
    failed = race["sold"] != args.stock or race["oversold"] or race["errors"] or throughput["errors"]
    return 1 if failed else 0


class CheckoutBenchmark(PagesBenchmark):
    """The pages benchmark's site (environment, migrate, collectstatic, gunicorn, cleanup) with
    a PostgreSQL database of its own and one SKU to sell."""

    def _database_url(self) -> str:
        given = os.environ.get("DATABASE_URL", "")
        url = given if given.startswith(("postgres://", "postgresql://")) else DEFAULT_PG
        self.pg_database, self.pg_admin_url, self.db_url = pg_database_create(url, "checkout")
        return self.db_url

    def _stock_set(self, on_hand: int) -> None:
        self._manage("shell", "-c", STOCK_SET.format(sku=self.sku, on_hand=on_hand))

    def _sold_in_database(self) -> dict:
        import psycopg

        with psycopg.connect(self.db_url) as conn:
            units, orders = conn.execute(
                "SELECT COALESCE(SUM(quantity), 0), COUNT(DISTINCT order_id) FROM orders_orderline WHERE sku_id = %s",
                [self.sku]).fetchone()
            on_hand, reserved = conn.execute("SELECT on_hand, reserved FROM catalog_stock WHERE sku_id = %s", [self.sku]).fetchone()
        return {"units": int(units), "orders": int(orders), "on_hand": on_hand, "reserved": reserved}

    def run(self) -> dict:
        self.env = self._environment()
        _log(f"temp dir {self.tmp}; database PostgreSQL {self.pg_database}")
        self._manage("migrate", "--noinput")
        self._collectstatic()
        self.sku = json.loads(self._manage("shell", "-c", SETUP).strip().splitlines()[-1])["sku"]
        port = self._start_server()
        _log(f"gunicorn on http://{HOST}:{port}/ ({self.args.workers} workers)")
        result = {"setup": {
            "server": f"gunicorn, {self.args.workers} sync workers, marketplace.settings.production",
            "database": "postgresql", "cpus": os.cpu_count(), "buyers": self.args.buyers, "stock": self.args.stock,
            "orders": self.args.orders, "concurrency": self.args.concurrency, "warnings": self.warnings,
        }}
        result["race"] = self._race(port)
        result["throughput"] = self._throughput(port)
        orders_per_s = result["throughput"]["orders_per_s"]
        result["sold"], result["oversold"], result["orders_per_s"] = result["race"]["sold"], result["race"]["oversold"], orders_per_s
        result["target"] = {"orders_per_s_min": TARGET_ORDERS_PER_S, "met": orders_per_s >= TARGET_ORDERS_PER_S
                            and result["oversold"] == 0 and result["sold"] == self.args.stock}
        return result

    # -- phase 1: the race -----------------------------------------------------------------------
    def _race(self, port: int) -> dict:
        buyers, stock = self.args.buyers, self.args.stock
        self._stock_set(stock)
        _log(f"race: {buyers} buyers get their carts ready ...")
        sessions = _prepare(port, self.sku, buyers, concurrency=min(buyers, 16))
        gate = threading.Barrier(buyers)
        outcomes: list[tuple[str, float]] = [("", 0.0)] * buyers

        def buy(i: int) -> None:
            gate.wait(timeout=120)
            outcomes[i] = _checkout(port, sessions[i], i, timeout=300)

        _log(f"race: {buyers} buyers post the checkout form at once for {stock} units ...")
        threads = [threading.Thread(target=buy, args=(i,), daemon=True) for i in range(buyers)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        elapsed = time.perf_counter() - began
        kinds = [kind for kind, _t in outcomes]
        db = self._sold_in_database()
        return {
            "sold": kinds.count("sold"), "refused": kinds.count("refused"), "errors": buyers - kinds.count("sold") - kinds.count("refused"),
            "oversold": max(db["units"] - stock, 0) + max(db["reserved"] - db["on_hand"], 0),
            "orders_in_database": db["orders"], "units_in_orders": db["units"], "stock_after": db,
            "elapsed_s": round(elapsed, 2),
            "error_samples": sorted({kind for kind in kinds if kind not in ("sold", "refused")})[:5],
        }

    # -- phase 2: throughput -------------------------------------------------------------------
    def _throughput(self, port: int) -> dict:
        count, concurrency = self.args.orders, self.args.concurrency
        self._stock_set(self.args.stock + count * 2 + 1000)
        _log(f"throughput: {count} buyers get their carts ready ...")
        began = time.perf_counter()
        sessions = _prepare(port, self.sku, count, concurrency=concurrency)
        prepare_s = time.perf_counter() - began
        _log(f"throughput: baseline /healthz for {self.args.seconds:g} s ...")
        baseline = load(port, "/healthz", seconds=self.args.seconds, concurrency=concurrency, max_requests=1_000_000)
        _log(f"throughput: {count} checkout posts from {concurrency} threads ...")
        before_db = self._sold_in_database()["orders"]
        server_before = _cpu_seconds(self.server.pid)
        began = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            outcomes = list(pool.map(lambda i: _checkout(port, sessions[i], i), range(count)))
        elapsed = time.perf_counter() - began
        server_cpu = _cpu_seconds(self.server.pid) - server_before
        sold = [seconds for kind, seconds in outcomes if kind == "sold"]
        created = self._sold_in_database()["orders"] - before_db
        latencies = sorted(sold)
        return {
            "orders_per_s": round(len(sold) / elapsed, 1), "orders": len(sold), "orders_in_database": created,
            "errors": count - len(sold), "elapsed_s": round(elapsed, 2),
            "checkout_p50_ms": _percentile_ms(latencies, 0.50), "checkout_p95_ms": _percentile_ms(latencies, 0.95),
            "server_cpu_ms_per_order": round(server_cpu * 1000 / len(sold), 2) if sold else None,
            "cart_ready_per_s": round(count / prepare_s, 1),
            "baseline": {"path": "/healthz", "req_per_s": baseline["req_per_s"], "p95_ms": baseline["p95_ms"],
                         "errors": baseline["errors"]},
            "ratio_to_baseline": round(len(sold) / elapsed / baseline["req_per_s"], 3) if baseline["req_per_s"] else None,
            "error_samples": sorted({kind for kind, _t in outcomes if kind != "sold"})[:5],
        }


# -- one buyer's HTTP session ----------------------------------------------------------------------
class Session:
    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.checkout_key = ""

    def request(self, port: int, method: str, path: str, form: dict | None = None, timeout: float = 60):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.getheader("Location", ""), content
        finally:
            conn.close()


def _prepare(port: int, sku: int, count: int, *, concurrency: int) -> list[Session]:
    """`count` sessions, each with 1 unit in its cart and the checkout form's CSRF token."""

    def ready(_i: int) -> Session:
        session = Session()
        status, _location, body = session.request(port, "POST", "/gio-hang/them/", {"sku": sku, "quantity": 1})
        if status != 302:
            raise BenchmarkError(f"adding to the cart answered {status}: {body[:300]!r}")
        status, _location, body = session.request(port, "GET", "/thanh-toan/")
        match = CSRF_INPUT.search(body)
        if status != 200 or not match or "csrftoken" not in session.cookies:
            raise BenchmarkError(f"the checkout page answered {status} without a CSRF token")
        session.csrf = match.group(1).decode()
        key = KEY_INPUT.search(body)
        session.checkout_key = key.group(1).decode() if key else ""
        return session

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(ready, range(count)))


def _checkout(port: int, session: Session, n: int, timeout: float = 120) -> tuple[str, float]:
    """Post the checkout form once: ("sold" | "refused" | an error description, seconds)."""
    form = {
        "csrfmiddlewaretoken": session.csrf, "buyer_name": f"Người mua thử {n}", "phone": "0912 345 678", "email": "",
        "delivery": "address", "commune_code": COMMUNE, "address_line": f"Nhà số {n}, thôn Cóc 2",
        "payment_method": "cod", "consent": "on", "checkout_key": session.checkout_key,
    }
    t0 = time.perf_counter()
    try:
        status, location, body = session.request(port, "POST", "/thanh-toan/", form, timeout=timeout)
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}", time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if status in (302, 303) and "/don-hang/" in location:
        return "sold", seconds
    if status == 400 and "chỉ còn".encode() in body:
        return "refused", seconds
    return f"HTTP {status} {location}".strip(), seconds


# -- report ------------------------------------------------------------------------------------------
def _print_report(result: dict) -> None:
    setup, race, tp = result["setup"], result["race"], result["throughput"]
    print(f"Checkout benchmark — {setup['server']}; PostgreSQL; {setup['cpus']} CPUs")
    print(f"race: {setup['buyers']} buyers, {setup['stock']} units, cash on delivery, 1 unit each")
    print(f"  sold {race['sold']}  refused {race['refused']}  errors {race['errors']}  oversold {race['oversold']}  "
          f"(database: {race['units_in_orders']} units in {race['orders_in_database']} orders; stock on hand "
          f"{race['stock_after']['on_hand']}, reserved {race['stock_after']['reserved']}; {race['elapsed_s']} s)")
    print(f"throughput: {tp['orders']} checkouts from {setup['concurrency']} client threads")
    print(f"  orders_per_s {tp['orders_per_s']}  p50 {tp['checkout_p50_ms']} ms  p95 {tp['checkout_p95_ms']} ms  "
          f"errors {tp['errors']}  server cpu {tp['server_cpu_ms_per_order']} ms/order")
    print(f"  baseline {tp['baseline']['path']}: {tp['baseline']['req_per_s']} req/s (p95 {tp['baseline']['p95_ms']} ms); "
          f"checkout = {tp['ratio_to_baseline']:.0%} of it; carts made ready at {tp['cart_ready_per_s']} buyers/s")
    for samples in (race["error_samples"], tp["error_samples"]):
        for sample in samples:
            print(f"  error: {sample}")
    target = result["target"]
    print(f"target: ≥ {target['orders_per_s_min']:g} orders/s and 0 oversold — {'met' if target['met'] else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
