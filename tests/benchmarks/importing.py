"""Listings import: rows per second, and how long a stock update waits while it runs.

    python -m tests.benchmarks import [--rows N] [--postgres] [--json]

A throw-away site (temporary directory, SQLite there, production settings; migrated with
`manage.py migrate`). With `--postgres`, a fresh PostgreSQL database instead, on the server of
DATABASE_URL when it names one, otherwise of postgres://postgres@127.0.0.1:5432/test; it is
dropped afterwards. A worker process (Django set up on that site) then:

1. makes one listing with 20 SKUs through the admin's services: the SKUs whose stock changes;
2. writes a listings CSV of N rows (default 20,000): 2 SKUs per product, 50 products per new
   producer (with phone), 4 communes, 6 categories, stars on half of the products;
3. **baseline, no import**: a second process changes stock through the catalogue's stock service
   (`stock_adjust`, +1 then −1, on the same database) for 3 s; figure: its longest wait;
4. **plain bulk insert**: the same rows as bare products, SKUs and stock (`bulk_create`, one
   transaction, rolled back) — the ceiling for rows/s;
5. **the import** (`cms.listing_io.import_listings`, as the management command runs it) while the
   second process keeps changing stock; figures: rows/s (target ≥ 500) and the stock update's
   longest wait during it (target ≤ 1 s), its 99th percentile, updates done and failed.

Targets are reported, not enforced; the exit code is non-zero only when something failed.
`IMPORT_BENCH_PROFILE=1` prints a profile of the import (heaviest functions) to stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.pages import (BenchmarkError, _log, pg_database_create, pg_database_drop, run_reported,
                                    throwaway_site_env, throwaway_site_migrate)

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
TARGETS = {"rows_per_s_min": 500, "stock_wait_max_s": 1.0}
COMMUNES = ["02923", "09784", "31150", "00004"]
CATEGORIES = ["Trà", "Đồ uống", "Thực phẩm", "Nông sản tươi", "Thảo dược", "Gia vị"]
NAMES = ["Mật ong hoa nhãn", "Trà mãng cầu", "Gạo ST25", "Nước mắm cá cơm", "Chè Shan tuyết", "Hạt mắc ca sấy",
         "Miến dong", "Cao actiso"]
BASELINE_S = 3.0
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/test"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        print(json.dumps(_worker(json.loads(argv[1])), ensure_ascii=False))
        return 0
    if argv[:1] == ["--stock-updater"]:
        print(json.dumps(_stock_updater(json.loads(argv[1]))))
        return 0
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks import", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000, help="CSV rows to import (default 20000)")
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL (see above) instead of SQLite")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.rows < 10:
        parser.error("--rows >= 10")
    result = run_reported("import", Site(args), args, report=_report, error_chars=3000)
    return 1 if result is None else 0


class Site:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
        self.pg: tuple[str, str] | None = None
        database_url = f"sqlite:///{self.tmp / 'db.sqlite3'}"
        if args.postgres:
            given = os.environ.get("DATABASE_URL", "")
            name, admin_url, database_url = pg_database_create(
                given if given.startswith(("postgres://", "postgresql://")) else DEFAULT_PG, "import")
            self.pg = (admin_url, name)
        self.env = throwaway_site_env(self.tmp, database_url=database_url)

    def run(self) -> dict:
        started = time.monotonic()
        throwaway_site_migrate(self.env)
        config = {"rows": self.args.rows, "tmp": str(self.tmp)}
        worker = subprocess.run([sys.executable, "-m", "tests.benchmarks", "import", "--worker", json.dumps(config)],
                                cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=7200)
        if worker.returncode:
            raise BenchmarkError(f"worker exited {worker.returncode}:\n{worker.stdout[-2000:]}{worker.stderr[-6000:]}")
        if os.environ.get("IMPORT_BENCH_PROFILE"):
            _log(worker.stderr[-20000:])
        _log(f"worker: {time.monotonic() - started:.1f} s in all")
        return json.loads(worker.stdout.strip().splitlines()[-1])

    def cleanup(self) -> None:
        if self.pg:
            pg_database_drop(*self.pg)
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- inside the throw-away site -------------------------------------------------------------------
def _worker(config: dict) -> dict:
    import django

    django.setup()
    rows, tmp = config["rows"], Path(config["tmp"])
    sku_ids = _stock_skus()
    data = listings_csv(rows)
    from django.db import connection

    out: dict = {"rows": rows, "database": connection.vendor, "cpus": os.cpu_count()}
    with StockUpdater(sku_ids, tmp, "baseline") as updater:
        time.sleep(BASELINE_S)
    out["stock_baseline"] = updater.result
    out["bulk_insert"] = _bulk_insert(data)
    with StockUpdater(sku_ids, tmp, "during") as updater:
        out["import"] = _import(data)
    out["stock_during_import"] = updater.result
    return out


def listings_csv(rows: int, seed: int = 20251206) -> bytes:
    """N rows in the import format: 2 SKUs per product, 50 products per new producer."""
    import csv
    import io

    from marketplace.catalog.listing_csv import COLUMNS

    rng, out = random.Random(seed), io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + ("weight_gram", "producer_phone"))
    n = product = 0
    while n < rows:
        product += 1
        producer, commune = f"HTX Thử nghiệm {product // 50}", COMMUNES[(product // 50) % len(COMMUNES)]
        name = f"{NAMES[product % len(NAMES)]} {product}"
        stars = rng.choice(["", "3", "4", "5"])
        for unit, weight in (("túi 500g", 500), ("túi 1kg", 1000))[: min(2, rows - n)]:
            n += 1
            writer.writerow([f"NB-{n:06d}", name, f"Mô tả {name}", CATEGORIES[product % len(CATEGORIES)], unit,
                             rng.randint(1, 500) * 1000, rng.randint(0, 200), stars, producer, commune, weight, "0912345678"])
    return out.getvalue().encode()


def _stock_skus() -> list[int]:
    from cms import services
    from marketplace.catalog import services as catalog
    from marketplace.catalog.models import AdminUnit, Producer, Sku

    commune = AdminUnit.objects.get(scheme="2025", level=AdminUnit.Level.COMMUNE, code=COMMUNES[0])
    producer = Producer.objects.create(name="HTX Kho hàng", kind=Producer.Kind.COOPERATIVE, phone="0912345678",
                                       commune=commune, status=Producer.Status.APPROVED)
    page = services.producer_page_create(producer=producer)
    skus = [catalog.SkuData(f"KHO-{i:02d}", "túi 1kg", 100000, 1000) for i in range(20)]
    listing = services.listing_create(producer_page=page, name="Hàng trong kho", skus=skus)
    ids = list(Sku.objects.filter(product=listing.product).values_list("pk", flat=True))
    for sku in Sku.objects.filter(pk__in=ids):
        catalog.stock_set(sku=sku, on_hand=1000)
    return ids


def _bulk_insert(data: bytes) -> dict:
    """The same rows as bare catalogue rows in one transaction (rolled back): the ceiling."""
    from django.db import transaction

    from marketplace.catalog.listing_csv import parse_listings
    from marketplace.catalog.models import Producer, Product, Sku, Stock

    rows, _errors = parse_listings(data)
    producer = Producer.objects.get(name="HTX Kho hàng")
    started = time.perf_counter()
    with transaction.atomic():
        products = {}
        for row in rows:
            products.setdefault(row.product_key, Product(producer=producer, name=row.name, description=row.description))
        Product.objects.bulk_create(list(products.values()))
        skus = Sku.objects.bulk_create([Sku(product=products[r.product_key], code=f"BULK-{r.sku}", unit=r.unit,
                                            price_vnd=r.price_vnd, weight_gram=r.weight_gram) for r in rows])
        Stock.objects.bulk_create([Stock(sku=sku, on_hand=r.stock) for sku, r in zip(skus, rows)])
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return {"seconds": round(seconds, 2), "rows_per_s": round(len(rows) / seconds, 1)}


def _timed_steps() -> dict[str, list[float]]:
    """Time each write step of the import (each is one transaction): the longest is how long
    the import held the write lock at a time."""
    from cms import listing_write

    spans: dict[str, list[float]] = {}
    for name in ("_write_producers", "_write_new_products", "_commit_point"):
        original = getattr(listing_write, name)

        def timed(*args, _original=original, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spans.setdefault(_name, []).append(time.perf_counter() - started)

        setattr(listing_write, name, timed)
    return spans


def _import(data: bytes) -> dict:
    from cms import listing_io

    spans = _timed_steps()
    started = time.perf_counter()
    if os.environ.get("IMPORT_BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        plan, errors = profile.runcall(listing_io.import_listings, data)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(50)
    else:
        plan, errors = listing_io.import_listings(data)
    seconds = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"import refused: {[str(e) for e in errors[:5]]}")
    rows = sum(len(p.rows) for p in plan.products)
    steps = {name: {"count": len(times), "max_s": round(max(times), 3), "total_s": round(sum(times), 1)}
             for name, times in spans.items()}
    return {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds, 1), "summary": plan.summary(),
            "write_steps": steps}


class StockUpdater:
    """A second process changing stock through the catalogue's service while the block runs."""

    def __init__(self, sku_ids: list[int], tmp: Path, label: str):
        self.stop_file = tmp / f"stop-{label}"
        self.config = {"sku_ids": sku_ids, "stop_file": str(self.stop_file)}
        self.result: dict = {}

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks", "import", "--stock-updater", json.dumps(self.config)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        ready = self.process.stdout.readline()  # "ready" once Django is set up
        if ready.strip() != "ready":
            raise BenchmarkError(f"stock updater did not start: {ready}{self.process.stderr.read()[-3000:]}")
        return self

    def __exit__(self, *exc):
        self.stop_file.touch()
        stdout, stderr = self.process.communicate(timeout=120)
        if self.process.returncode:
            raise BenchmarkError(f"stock updater exited {self.process.returncode}: {stderr[-3000:]}")
        self.result = json.loads(stdout.strip().splitlines()[-1])
        return False


def _stock_updater(config: dict) -> dict:
    """Adjust stock (+1, then −1) on random SKUs until the stop file appears; time every call."""
    import django

    django.setup()
    from django.db import OperationalError

    from marketplace.catalog import services as catalog

    rng, stop = random.Random(7), Path(config["stop_file"])
    waits, failed, delta = [], 0, 1
    print("ready", flush=True)
    while not stop.exists():
        sku_id = rng.choice(config["sku_ids"])
        started = time.perf_counter()
        try:
            catalog.stock_adjust(sku_id=sku_id, delta=delta)
            delta = -delta
        except OperationalError:  # SQLite's "database is locked": waited out the whole timeout
            failed += 1
        waits.append(time.perf_counter() - started)
        time.sleep(0.01)
    waits.sort()
    return {"updates": len(waits) - failed, "failed": failed, "wait_max_s": round(waits[-1], 3) if waits else None,
            "wait_p99_s": round(waits[int(len(waits) * 0.99)], 3) if waits else None,
            "wait_median_s": round(waits[len(waits) // 2], 4) if waits else None}


def _report(result: dict) -> None:
    imp, during, base, bulk = result["import"], result["stock_during_import"], result["stock_baseline"], result["bulk_insert"]
    result["targets"] = TARGETS
    result["rows_per_s"] = imp["rows_per_s"]
    result["stock_wait_max_s"] = during["wait_max_s"]
    result["target_met"] = {
        "rows_per_s": imp["rows_per_s"] >= TARGETS["rows_per_s_min"],
        "stock_wait_max": during["wait_max_s"] is not None and during["wait_max_s"] <= TARGETS["stock_wait_max_s"]
        and during["failed"] == 0,
    }
    print(f"Import benchmark — {result['rows']} rows; {result['database']}; {result['cpus']} CPUs")
    print(f"plain bulk insert of the same rows: {bulk['seconds']:.1f} s = {bulk['rows_per_s']:.0f} rows/s")
    print(f"import: {imp['seconds']:.1f} s = {imp['rows_per_s']:.0f} rows/s (target ≥ {TARGETS['rows_per_s_min']}); {imp['summary']}")
    print(f"stock updates, no import: {base['updates']} done, longest wait {base['wait_max_s']} s, p99 {base['wait_p99_s']} s")
    print(f"stock updates during the import: {during['updates']} done, {during['failed']} failed, longest wait "
          f"{during['wait_max_s']} s (target ≤ {TARGETS['stock_wait_max_s']} s), p99 {during['wait_p99_s']} s")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in result["target_met"].items()))


if __name__ == "__main__":
    sys.exit(main())
