"""Requests per second and latency of the public pages against a trivial view.

    python -m tests.benchmarks pages [--json] [--seconds N] [--concurrency N] [--max-requests N]

Builds a throw-away site in a temporary directory (SQLite there, or a fresh database on the
PostgreSQL server named by DATABASE_URL), loads the demo data, collects static files, starts
gunicorn as the Procfile does (2 sync workers, `marketplace.wsgi`, production settings) on a
free port of 127.0.0.1, and loads `/healthz` (the trivial view), the home page, one commune page
and one product page with a bounded load generator: threads, one `http.client` connection each
(re-opened when the server closes it: gunicorn's sync workers answer `Connection: close`), a
fixed duration per page and a hard cap on requests. All traffic goes to 127.0.0.1.

Figures per page: req/s, p50 and p95 latency (ms), errors, and req/s as a ratio of the trivial
view's. The target (issue: product page ≥ 50 % of the trivial view) is reported, not enforced:
the exit code is non-zero only when requests failed or the site could not be set up.

Production settings serve plain HTTP here with SECURE_SSL_REDIRECT=0: HSTS is only sent on
HTTPS requests and secure cookies do not matter to anonymous GETs, so nothing else is needed.
The page cache is the production default (the file cache under VAR_DIR, shared by both
workers) unless --cache-url names another one (use a dedicated Redis database: keys are not
prefixed). Access logging is off so it does not weigh on the figures.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
PAGES = ("trivial", "product", "commune", "home")
# The product page past the cache: a (made-up) session cookie makes a request ineligible.
UNCACHED = "product_uncached"
UNCACHED_HEADERS = {"Cookie": "sessionid=bench-no-such-session"}
ROWS = (*PAGES, UNCACHED)
TARGET_RATIO = 0.5

DISCOVER = r"""
import json
from marketplace.catalog.models import Producer, Product
from cms.models import CommunePage, HomePage, ProductPage

def pick_product():
    pages = ProductPage.objects.live().filter(product__is_published=True).order_by("path")
    for page in pages:
        if page.gallery.exists() and page.product.certificates.exclude(decision_number="").exists():
            return page
    return pages.first()

product = pick_product()
commune = CommunePage.objects.live().ancestor_of(product).first() if product else CommunePage.objects.live().first()
home = HomePage.objects.live().first()
print(json.dumps({
    "data": {
        "products": Product.objects.filter(is_published=True).count(),
        "producers": Producer.objects.filter(status=Producer.Status.APPROVED).count(),
    },
    "paths": {
        "trivial": "/healthz",
        "product": product.get_url() if product else None,
        "commune": commune.get_url() if commune else None,
        "home": home.get_url() if home else "/",
    },
}))
"""

STOCK_SET = r"""
from cms.models import ProductPage
from marketplace.catalog import services
page = [p for p in ProductPage.objects.live() if p.get_url() == {path}][0]
services.stock_set(sku=page.product.skus.filter(is_active=True).order_by("position", "pk").first(), on_hand={on_hand})
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks pages", description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.add_argument("--seconds", type=float, default=5.0, help="load duration per page (default 5)")
    parser.add_argument("--concurrency", type=int, default=8, help="client connections (default 8)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap on requests per page (default 200000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as in the Procfile)")
    parser.add_argument("--cache-url", default="", help="CACHE_URL for the site (default: the file cache in the temp dir)")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.concurrency < 1 or args.max_requests < 1 or args.workers < 1:
        parser.error("--seconds, --concurrency, --max-requests and --workers must be positive")

    result = run_reported("pages", PagesBenchmark(args), args, report=_print_table)
    if result is None:
        return 1
    return 1 if any(result[name]["errors"] for name in ROWS) else 0


class BenchmarkError(RuntimeError):
    pass


RUN_ERRORS = (BenchmarkError, OSError, subprocess.SubprocessError)


def run_reported(name: str, bench, args, *, report, errors: tuple = RUN_ERRORS, error_chars: int | None = None) -> dict | None:
    """Run `bench.run()` and always `bench.cleanup()`. On one of `errors`: say so on stderr (and,
    with --json, print `{"error": ...}` as the last line) and return None. Otherwise `report` the
    result (and, with --json, print it as the last line) and return it."""
    try:
        result = bench.run()
    except errors as exc:
        print(f"{name} benchmark failed: {exc}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": str(exc)[-error_chars:] if error_chars else str(exc)}))
        return None
    finally:
        bench.cleanup()
    report(result)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    return result


class PagesBenchmark:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
        self.server: subprocess.Popen | None = None
        self.log_file = None
        self.pg_admin_url: str | None = None
        self.pg_database: str | None = None
        self.warnings: list[str] = []
        self.env: dict[str, str] = {}

    # -- setup ---------------------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "CACHE_URL", "DATABASE_URL"}}
        env.update({
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.production",
            "SECRET_KEY": "bench-only",
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "VAR_DIR": str(self.tmp),
            "DATABASE_URL": self._database_url(),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        })
        if self.args.cache_url:
            env["CACHE_URL"] = self.args.cache_url
        for name in ("STATIC_ROOT", "MEDIA_ROOT"):
            env.pop(name, None)  # keep both inside the temp dir (VAR_DIR)
        return env

    def _database_url(self) -> str:
        given = os.environ.get("DATABASE_URL", "")
        if not given.startswith(("postgres://", "postgresql://")):
            return f"sqlite:///{self.tmp / 'db.sqlite3'}"
        self.pg_database, self.pg_admin_url, url = pg_database_create(given, "pages")
        return url

    def _manage(self, *args: str, timeout: float = 900) -> str:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise BenchmarkError(f"manage.py {' '.join(args)} exited {done.returncode}:\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-4000:]}")
        _log(f"manage.py {args[0]}: {time.monotonic() - started:.1f} s")
        return done.stdout

    def _collectstatic(self) -> None:
        """`collectstatic` as a deploy runs it. A source map named by a vendored file but not
        vendored makes the manifest storage fail; stub it in the temp STATIC_ROOT (only there)
        and say so, since a real deploy fails the same way."""
        static_root = self.tmp / "static"
        for source in sorted((ROOT / "static_src").rglob("*.js")) + sorted((ROOT / "static_src").rglob("*.css")):
            tail = source.read_bytes()[-300:].decode("utf-8", "replace")
            marker = "sourceMappingURL="
            if marker not in tail:
                continue
            target = tail.rsplit(marker, 1)[1].split()[0].rstrip("*/")
            if "://" in target or target.startswith("data:") or (source.parent / target).exists():
                continue
            relative = source.parent.relative_to(ROOT / "static_src") / target
            stub = static_root / relative
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text('{"version":3,"sources":[],"names":[],"mappings":""}')
            self.warnings.append(f"static_src/{relative} is missing (named by {source.relative_to(ROOT)}): "
                                 f"collectstatic with the production storage fails; the benchmark stubbed it")
        for warning in self.warnings:
            _log(f"WARNING: {warning}")
        self._manage("collectstatic", "--noinput")

    def _start_server(self) -> int:
        port = _free_port()
        self.log_file = open(self.tmp / "gunicorn.log", "wb")
        self.server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "marketplace.wsgi", "--bind", f"{HOST}:{port}",
             "--workers", str(self.args.workers), "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise BenchmarkError(f"gunicorn exited {self.server.returncode}:\n{self._server_log()}")
            try:
                status, _headers, _body = _get(port, "/healthz", timeout=2)
                if status == 200:
                    return port
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchmarkError(f"gunicorn did not answer /healthz within 60 s:\n{self._server_log()}")

    def _server_log(self) -> str:
        try:
            return (self.tmp / "gunicorn.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    # -- run -----------------------------------------------------------------------------------
    def run(self) -> dict:
        self.env = self._environment()
        _log(f"temp dir {self.tmp}; database {'PostgreSQL ' + self.pg_database if self.pg_database else 'SQLite'}")
        self._manage("migrate", "--noinput")
        self._manage("load_demo")
        self._collectstatic()
        discovered = json.loads(self._manage("shell", "-c", DISCOVER).strip().splitlines()[-1])
        paths = discovered["paths"]
        missing = [name for name, path in paths.items() if not path]
        if missing:
            raise BenchmarkError(f"no page found for {', '.join(missing)}")

        port = self._start_server()
        _log(f"gunicorn on http://{HOST}:{port}/ ({self.args.workers} workers)")
        paths[UNCACHED] = paths["product"]
        cache_state = {}
        for name in ROWS:
            cache_state[name] = self._warm(port, name, paths[name])

        result: dict = {
            "data": discovered["data"],
            "setup": {
                "warnings": self.warnings,
                "server": f"gunicorn, {self.args.workers} sync workers, marketplace.settings.production",
                "database": "postgresql" if self.pg_database else "sqlite",
                "cache": "redis" if self.args.cache_url.startswith("redis") else "file",
                "concurrency": self.args.concurrency,
                "seconds": self.args.seconds,
                "max_requests": self.args.max_requests,
                "cpus": os.cpu_count(),
            },
        }
        for name in ROWS:
            _log(f"loading {name} {paths[name]} for {self.args.seconds:g} s ...")
            server_before, client_before = _cpu_seconds(self.server.pid), time.process_time()
            figures = load(port, paths[name], seconds=self.args.seconds, concurrency=self.args.concurrency,
                           max_requests=self.args.max_requests, headers=UNCACHED_HEADERS if name == UNCACHED else None)
            server_cpu, client_cpu = _cpu_seconds(self.server.pid) - server_before, time.process_time() - client_before
            elapsed = figures.pop("elapsed_s")
            result[name] = {
                "path": paths[name], **figures, "page_cache": cache_state[name],
                # CPU the server (master + workers) spent per answered request, and how busy the
                # client was: with the client near one full CPU, req/s ratios understate the gaps.
                "server_cpu_ms_per_req": round(server_cpu * 1000 / figures["requests"], 3) if figures["requests"] else None,
                "client_cpu_share": round(client_cpu / elapsed, 2),
            }
        result["setup"]["invalidation_checked"] = self._check_invalidation(port, paths["product"])
        trivial = result["trivial"]["req_per_s"] or 1e-9
        trivial_cpu = result["trivial"]["server_cpu_ms_per_req"]
        for name in ROWS:
            row = result[name]
            row["ratio_to_trivial"] = round(row["req_per_s"] / trivial, 3)
            row["cpu_ratio_to_trivial"] = (round(trivial_cpu / row["server_cpu_ms_per_req"], 3)
                                           if trivial_cpu and row["server_cpu_ms_per_req"] else None)
        result["target"] = {"product_ratio_min": TARGET_RATIO, "met": result["product"]["ratio_to_trivial"] >= TARGET_RATIO}
        return result

    def _warm(self, port: int, name: str, path: str) -> str:
        """Fetch a page a few times; say whether the page cache answered the repeats."""
        states = []
        for _ in range(4):
            status, headers, _body = _get(port, path, headers=UNCACHED_HEADERS if name == UNCACHED else None)
            if status != 200:
                raise BenchmarkError(f"{name} {path} answered {status} while warming:\n{self._server_log()}")
            states.append(headers.get("x-page-cache", "-"))
        if name == "trivial":
            return "n/a"
        if name == UNCACHED:
            if "hit" in states:
                raise BenchmarkError(f"the page cache answered a request with a session cookie ({path})")
            return "off"
        if states[-1] != "hit":
            raise BenchmarkError(f"the page cache does not answer {path} (X-Page-Cache: {states})")
        return "hit"

    def _check_invalidation(self, port: int, path: str) -> bool:
        """A stock change made by another process shows on the next request (workers share
        the cache; the version bump must reach them)."""
        on_hand = 4000 + secrets.randbelow(999)
        self._manage("shell", "-c", STOCK_SET.format(path=json.dumps(path), on_hand=on_hand))
        status, headers, body = _get(port, path)
        if status != 200 or headers.get("x-page-cache") == "hit" or f"<td>{on_hand}</td>".encode() not in body:
            raise BenchmarkError(f"after a stock change the product page still shows the old stock (X-Page-Cache: "
                                 f"{headers.get('x-page-cache')})")
        for _ in range(2):
            status, headers, _body = _get(port, path)
        if headers.get("x-page-cache") != "hit":
            raise BenchmarkError("the product page is not cached again after the stock change")
        return True

    # -- teardown ------------------------------------------------------------------------------
    def cleanup(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(timeout=5)
        if self.log_file is not None:
            self.log_file.close()
        if self.pg_database:
            pg_database_drop(self.pg_admin_url, self.pg_database)
        shutil.rmtree(self.tmp, ignore_errors=True)


# -- load generator ------------------------------------------------------------------------------
def load(port: int, path: str | list[str], *, seconds: float, concurrency: int, max_requests: int,
         headers: dict | None = None) -> dict:
    """GET `path` (or each of a list of paths in turn) from `concurrency` threads for `seconds`
    (at most `max_requests` in all)."""
    headers = headers or {}
    paths = [path] if isinstance(path, str) else list(path)
    budget = itertools.count()  # next() on a count is atomic under the GIL
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    start_gate = threading.Barrier(concurrency + 1)
    state = {"deadline": 0.0}

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        mine = latencies[i]
        start_gate.wait()
        deadline = state["deadline"]
        try:
            while time.perf_counter() < deadline and (n := next(budget)) < max_requests:
                t0 = time.perf_counter()
                try:
                    conn.request("GET", paths[n % len(paths)], headers=headers)
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    conn.close()
                    ok = False
                if ok:
                    mine.append(time.perf_counter() - t0)
                else:
                    errors[i] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    state["deadline"] = began + seconds
    start_gate.wait()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - began
    all_latencies = sorted(x for per_thread in latencies for x in per_thread)
    return {
        "requests": len(all_latencies),
        "req_per_s": round(len(all_latencies) / elapsed, 1),
        "p50_ms": _percentile_ms(all_latencies, 0.50),
        "p95_ms": _percentile_ms(all_latencies, 0.95),
        "errors": sum(errors),
        "elapsed_s": elapsed,
    }


def _percentile_ms(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    return round(sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000, 2)


def _get(port: int, path: str, timeout: float = 30, headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def _cpu_seconds(root_pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc; 0 elsewhere)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    pids, total = {root_pid}, 0
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _cpu) in stats.items():
            if ppid in pids and pid not in pids:
                pids.add(pid)
                changed = True
    total = sum(stats[pid][1] for pid in pids if pid in stats)
    return total / ticks


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]



def pg_database_create(server_url: str, purpose: str) -> tuple[str, str, str]:
    """A fresh database `bench_<purpose>_<pid>_<hex>` on the PostgreSQL server of `server_url`:
    (its name, the server's admin URL, its URL). `pg_database_drop` removes it."""
    import psycopg

    parts = urlsplit(server_url)
    name = f"bench_{purpose}_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, admin_url, urlunsplit(parts._replace(path=f"/{name}"))


def pg_database_drop(admin_url: str, name: str) -> None:
    """Drop a database made by `pg_database_create` (a failure is reported, not raised)."""
    import psycopg

    try:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as exc:
        print(f"could not drop database {name}: {exc}", file=sys.stderr)

def throwaway_site_env(tmp: Path, *, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a throw-away production site in `tmp` (no platform, cache or broker
    settings inherited from the caller's shell; static and media files under VAR_DIR)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTOR_") and k not in {
        "DJANGO_SETTINGS_MODULE", "CACHE_URL", "DATABASE_URL", "CELERY_BROKER_URL", "STATIC_ROOT", "MEDIA_ROOT"}}
    env.update({"DJANGO_SETTINGS_MODULE": "marketplace.settings.production", "SECRET_KEY": "bench-only",
                "ALLOWED_HOSTS": HOST, "SECURE_SSL_REDIRECT": "0", "VAR_DIR": str(tmp), "LOG_LEVEL": "ERROR",
                "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **extra})
    return env


def throwaway_site_migrate(env: dict[str, str]) -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    if done.returncode:
        raise BenchmarkError(f"migrate exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    _log(f"migrate: {time.monotonic() - started:.1f} s")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_table(result: dict) -> None:
    data, setup = result["data"], result["setup"]
    print(f"Pages benchmark — {setup['server']}; {setup['database']}, {setup['cache']} cache; "
          f"{setup['concurrency']} connections, {setup['seconds']:g} s per page; {setup['cpus']} CPUs")
    print(f"data: {data['products']} published products, {data['producers']} approved producers")
    header = (f"{'page':<16} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6} {'× trivial':>9} "
              f"{'srv cpu ms/req':>14} {'× trivial (cpu)':>15} {'client cpu':>10} {'cache':>5}")
    print(header)
    print("-" * len(header))
    for name in ROWS:
        row = result[name]
        print(f"{name:<16} {row['req_per_s']:>8.1f} {_fmt(row['p50_ms']):>7} {_fmt(row['p95_ms']):>7} {row['errors']:>6} "
              f"{row['ratio_to_trivial']:>9.2f} {_fmt(row['server_cpu_ms_per_req'], 3):>14} "
              f"{_fmt(row['cpu_ratio_to_trivial']):>15} {row['client_cpu_share']:>10.0%} {row['page_cache']:>5}")
    for name in ROWS:
        print(f"  {name}: {result[name]['path']}")
    target = result["target"]
    print(f"target: product page ≥ {target['product_ratio_min']:.0%} of the trivial view's req/s — "
          f"{'met' if target['met'] else 'NOT met'} ({result['product']['ratio_to_trivial']:.0%})")


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


if __name__ == "__main__":
    sys.exit(main())
