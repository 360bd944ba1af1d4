"""Connectors: first sync throughput, rate-limit utilisation, and a re-sync with nothing changed.

    python -m tests.benchmarks sync [--size N] [--window SECONDS] [--bare-calls N] [--json]

A throw-away site (temporary directory, SQLite there; migrated with `manage.py migrate`) and the
three fake platforms in their own process (`python -m tests.fakes.platforms`, free ports on
127.0.0.1, driven through their `/_fake/` controls). One worker process (Django set up on the
throw-away site, production settings) then:

1. generates N SKUs (one product each, default 10,000) of approved producers in the six communes
   that hold a 37nghean key, as bare catalogue rows — the platforms were not configured when
   they were created, so the sync's reconcile is what finds them;
2. **bare loop**: sequential raw HTTP creates (prebuilt bodies, PostMart token / Voso signature /
   37nghean key, one keep-alive session) round-robin against the three fakes — the ceiling;
3. **(a) first sync**, the fakes' rate limits off and ours off: `sync_listings` (reconcile + drain,
   one process, sequential like the bare loop) lists every SKU on the three platforms; figure:
   platform calls/s as a share of the bare loop's (target ≥ 50 %), and its time;
4. **(b) limits on**: the fakes enforce their published limits (PostMart 10/s, Voso 5/s, 37nghean
   2/s per commune key) and our limiter is on; a price change of enough SKUs to keep every lane
   busy is drained for `--window` seconds (default 60); figure: calls per second achieved per
   platform as a share of its published limit (target ≥ 90 %), and the 429s received (0 expected);
5. the rest of that change is drained with the limits off;
6. **(c) re-sync with nothing changed**, four steps: right away (nothing due: expect 0 writes,
   0 status reads); after the polling interval passed for 2,000 listings under review (expect
   exactly those read; the fakes approve them on that read); after it passed for those and for
   1,000 more still under review (expect only the 1,000 read: live listings are not polled); and
   immediately again (expect 0: at most once per interval). Writes must be 0 throughout.

Targets are reported, not enforced; the exit code is non-zero only when something failed.
`SYNC_BENCH_PROFILE=1` prints a profile of the first sync (heaviest functions) to stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.pages import BenchmarkError, _free_port, _log, run_reported, throwaway_site_env, throwaway_site_migrate

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
TARGETS = {"first_sync_share_of_bare_min": 0.5, "limited_share_of_limit_min": 0.9}
LIMITS = {"postmart": 10, "voso": 5, "nghean37": 2}  # published calls per rolling second per credential


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--worker"]:
        from tests.benchmarks import _sync_worker

        print(json.dumps(_sync_worker.run(json.loads(argv[1])), ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks sync", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="SKUs to list (default 10000)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds of rate-limited work measured (default 60)")
    parser.add_argument("--bare-calls", type=int, default=3000, help="calls in the bare HTTP loop (default 3000)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.size < 10 or args.window <= 0 or args.bare_calls < 30:
        parser.error("--size >= 10, --window > 0, --bare-calls >= 30")
    result = run_reported("sync", Site(args), args, report=_report, error_chars=3000)
    return 1 if result is None else 0


def _report(result: dict) -> None:
    _verdicts(result)
    _print_report(result)


class Site:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
        self.fakes: subprocess.Popen | None = None
        self.env = throwaway_site_env(self.tmp, database_url=f"sqlite:///{self.tmp / 'db.sqlite3'}",
                                      CONNECTOR_ALLOW_PRIVATE_URLS="1")  # the fake platforms listen on HOST

    def run(self) -> dict:
        args = self.args
        started = time.monotonic()
        throwaway_site_migrate(self.env)
        ports = [_free_port() for _ in range(3)]
        self.fakes = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.platforms", "--host", HOST, "--postmart-port", str(ports[0]),
             "--voso-port", str(ports[1]), "--nghean37-port", str(ports[2]), "--no-rate-limits"],
            cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        connector_env = self._fake_env()
        config = {"size": args.size, "window": args.window, "bare_calls": args.bare_calls, "limits": LIMITS}
        worker = subprocess.run([sys.executable, "-m", "tests.benchmarks", "sync", "--worker", json.dumps(config)],
                                cwd=ROOT, env={**self.env, **connector_env}, capture_output=True, text=True, timeout=7200)
        if worker.returncode:
            raise BenchmarkError(f"worker exited {worker.returncode}:\n{worker.stdout[-2000:]}{worker.stderr[-6000:]}")
        if os.environ.get("SYNC_BENCH_PROFILE"):
            _log(worker.stderr[-20000:])
        _log(f"worker: {time.monotonic() - started:.1f} s in all")
        return json.loads(worker.stdout.strip().splitlines()[-1])

    def _fake_env(self) -> dict[str, str]:
        env, deadline = {}, time.monotonic() + 30
        while len(env) < 9 and time.monotonic() < deadline:
            line = self.fakes.stdout.readline()
            if not line:
                raise BenchmarkError("the fake platforms exited")
            if line.startswith("export "):
                name, _, value = line[len("export "):].strip().partition("=")
                env[name] = value.strip("'")
        if len(env) < 9:
            raise BenchmarkError("the fake platforms did not print their CONNECTOR_* variables")
        return env

    def cleanup(self) -> None:
        if self.fakes is not None and self.fakes.poll() is None:
            self.fakes.terminate()
            try:
                self.fakes.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.fakes.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _verdicts(result: dict) -> None:
    first, limited, resync = result["first_sync"], result["limited"], result["resync"]
    result["targets"] = TARGETS
    result["target_met"] = {
        "first_sync_share_of_bare": first["share_of_bare"] >= TARGETS["first_sync_share_of_bare_min"],
        "limited_share_of_limit": all(p["share"] >= TARGETS["limited_share_of_limit_min"] for p in limited["platforms"].values()),
        "resync_no_writes": all(step["writes"] == 0 for step in resync["steps"]),
        "resync_reads_only_due_under_review": all(step["reads"] == step["expected_reads"] for step in resync["steps"]),
    }


def _print_report(result: dict) -> None:
    bare, first, limited, resync = result["bare"], result["first_sync"], result["limited"], result["resync"]
    print(f"Sync benchmark — {result['size']} SKUs × {result['lanes']} lanes (3 fake platforms, "
          f"{result['nghean37_keys']} 37nghean commune keys); SQLite; {os.cpu_count()} CPUs")
    print(f"bare HTTP loop: {bare['calls']} creates in {bare['seconds']:.1f} s = {bare['calls_per_s']:.0f} calls/s")
    print(f"(a) first sync, limits off: {first['calls']} platform calls in {first['seconds']:.1f} s = "
          f"{first['calls_per_s']:.0f} calls/s = {first['share_of_bare']:.0%} of the bare loop "
          f"(target ≥ {TARGETS['first_sync_share_of_bare_min']:.0%}); listed {first['listed']}, failed {first['failed']}")
    print(f"(b) limits on, {limited['window_s']:.0f} s window:")
    for name, row in limited["platforms"].items():
        print(f"    {name:<9} {row['calls']:>6} calls = {row['rate']:.2f}/s of {row['limit']}/s = {row['share']:.0%}"
              f"  (429 received: {row['rate_limited']})")
    print(f"(c) re-sync with nothing changed (polling interval {resync['poll_interval_s']} s, "
          f"{resync['under_review']} listings under review before):")
    for step in resync["steps"]:
        print(f"    {step['step']:<44} writes {step['writes']:>3}, status reads {step['reads']:>5} "
              f"(expected {step['expected_reads']})")
    met = result["target_met"]
    print("targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in met.items()))


if __name__ == "__main__":
    sys.exit(main())
