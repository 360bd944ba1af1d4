"""Time to send every reminder of one occurrence through a real Celery worker.

    python -m tests.benchmarks reminders [--subscribers N] [--batch N] [--json]

Builds a throw-away site in a temporary directory (SQLite and the filesystem broker there, or a
fresh database on the PostgreSQL server named by DATABASE_URL and the broker named by
CELERY_BROKER_URL), schedules one session starting in 23 hours (its 24-hour reminder is due),
subscribes N addresses (default 10,000), starts a worker process (`celery worker --pool solo`)
and enqueues the beat's dispatch task twice (as if beat fired twice). The clock runs from the
enqueue until every reminder is stamped sent and the worker's e-mail backend (a line per message
written to a file) holds N lines. Figures: seconds, reminders per second, messages sent (must be
N), duplicates (must be 0), and, measured in the same run, the baseline: a bare loop rendering
the same N messages in this process without any database or queue work. Target: under 60 s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from tests.benchmarks.pages import BenchmarkError, pg_database_create, pg_database_drop, run_reported

ROOT = Path(__file__).resolve().parents[2]
TARGET_SECONDS = 60.0
MAIL_BACKEND = "tests.integration.livestreams.mail_backend.LineLogBackend"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks reminders", description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000, help="subscribers of the occurrence (default 10000)")
    parser.add_argument("--batch", type=int, default=500, help="reminders claimed per batch (default 500)")
    parser.add_argument("--timeout", type=float, default=600, help="give up after this many seconds (default 600)")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = parser.parse_args(argv)
    if args.subscribers < 1 or args.batch < 1:
        parser.error("--subscribers and --batch must be positive")
    result = run_reported("reminders", RemindersBenchmark(args), args, report=_print)
    if result is None:
        return 1
    return 0 if result["sent"] == args.subscribers and result["duplicates"] == 0 else 1


class RemindersBenchmark:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
        self.mail_log = self.tmp / "mail.log"
        self.worker: subprocess.Popen | None = None
        self.worker_output: list[str] = []
        self.pg_admin_url: str | None = None
        self.pg_database: str | None = None

    # -- setup ---------------------------------------------------------------------------------
    def _environment(self) -> None:
        broker = os.environ.get("CELERY_BROKER_URL", "")
        os.environ.update({
            "DJANGO_SETTINGS_MODULE": "marketplace.settings.dev", "DEBUG": "0", "VAR_DIR": str(self.tmp),
            "DATABASE_URL": self._database_url(), "CELERY_BROKER_URL": broker if broker.startswith(("redis", "amqp")) else "filesystem://",
            "EMAIL_BACKEND": MAIL_BACKEND, "LIVESTREAM_MAIL_LOG": str(self.mail_log),
            "LIVESTREAM_REMINDER_BATCH": str(self.args.batch), "LOG_LEVEL": "WARNING", "SEARCH_BACKEND": "database",
        })
        self.mail_log.touch()

    def _database_url(self) -> str:
        given = os.environ.get("DATABASE_URL", "")
        if not given.startswith(("postgres://", "postgresql://")):
            return f"sqlite:///{self.tmp / 'db.sqlite3'}"
        self.pg_database, self.pg_admin_url, url = pg_database_create(given, "reminders")
        return url

    def _start_worker(self) -> None:
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "solo", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        ready = threading.Event()

        def drain() -> None:  # keep the pipe empty so the worker never blocks on its output
            for line in self.worker.stdout:
                self.worker_output.append(line)
                if " ready." in line:
                    ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(90):
            raise BenchmarkError("the worker did not start:\n" + "".join(self.worker_output[-40:]))

    # -- run -----------------------------------------------------------------------------------
    def run(self) -> dict:
        self._environment()
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        started = time.monotonic()
        call_command("migrate", verbosity=0, interactive=False)
        _log(f"migrate: {time.monotonic() - started:.1f} s ({'PostgreSQL' if self.pg_database else 'SQLite'}, temp dir {self.tmp})")
        occurrence = _world(self.args.subscribers)
        baseline = _baseline(occurrence, self.args.subscribers)
        _log(f"baseline (render {self.args.subscribers} messages, no database, no queue): {baseline:.2f} s")
        self._start_worker()
        return self._measure(occurrence, baseline)

    def _measure(self, occurrence, baseline: float) -> dict:
        from django.db import connection

        from marketplace.livestreams import tasks
        from marketplace.livestreams.models import ReminderSent

        n = self.args.subscribers
        began = time.monotonic()
        tasks.reminders_dispatch.delay()
        tasks.reminders_dispatch.delay()  # beat fired twice
        deadline = began + self.args.timeout
        sent_rows = 0
        while time.monotonic() < deadline:
            sent_rows = ReminderSent.objects.filter(sent_at__isnull=False).count()
            if sent_rows >= n and self._lines() >= n:
                break
            if self.worker.poll() is not None:
                raise BenchmarkError("the worker died:\n" + "".join(self.worker_output[-40:]))
            time.sleep(0.2)
        elapsed = time.monotonic() - began
        time.sleep(1.0)  # let a duplicate, if any, arrive before counting
        recipients = Counter(line.split("\t", 1)[0] for line in self.mail_log.read_text(encoding="utf-8").splitlines())
        connection.close()
        sent = sum(recipients.values())
        return {
            "subscribers": n, "batch": self.args.batch, "seconds": round(elapsed, 2),
            "reminders_per_s": round(sent / elapsed, 1) if elapsed else None, "sent": sent, "sent_rows": sent_rows,
            "duplicates": sum(c - 1 for c in recipients.values() if c > 1), "missing": max(n - len(recipients), 0),
            "baseline_seconds": round(baseline, 2), "ratio_to_baseline": round(elapsed / baseline, 2) if baseline else None,
            "database": "postgresql" if self.pg_database else "sqlite",
            "broker": os.environ["CELERY_BROKER_URL"].split(":", 1)[0], "target_seconds": TARGET_SECONDS,
            "target_met": elapsed < TARGET_SECONDS and sent == n, "occurrence_id": occurrence.pk,
        }

    def _lines(self) -> int:
        with open(self.mail_log, "rb") as log:
            return sum(1 for _ in log)

    # -- teardown ------------------------------------------------------------------------------
    def cleanup(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(timeout=5)
        if self.pg_database:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # noqa: BLE001 - Django may not be set up yet
                pass
            pg_database_drop(self.pg_admin_url, self.pg_database)
        shutil.rmtree(self.tmp, ignore_errors=True)


def _world(subscribers: int):
    """One producer, a verified host, a session starting in 23 hours and its subscribers."""
    import datetime as dt

    from django.utils import timezone

    from marketplace.catalog.models import AdminUnit, Producer
    from marketplace.livestreams import services
    from marketplace.livestreams.models import Host, Subscription
    from marketplace.livestreams.recurrence import to_local

    commune = AdminUnit.objects.filter(scheme="2025", level=AdminUnit.Level.COMMUNE).order_by("code").first()
    Producer.objects.create(name="HTX Benchmark", kind="cooperative", phone="0912345678", commune=commune,
                            status=Producer.Status.APPROVED)
    host = services.host_verify(host=services.host_save(host=Host(name="Người dẫn thử", id_number="001203004567")), by=None)
    start = to_local(timezone.now() + dt.timedelta(hours=23)).replace(tzinfo=None, second=0, microsecond=0)
    session = services.live_session_save(data=services.SessionData(
        title="Phiên live thử tải", commune_id=commune.pk, starts_local=start, ends_local=start + dt.timedelta(hours=2),
        host_ids=[host.pk], links={"facebook": "https://www.facebook.com/cho-ocop/live"}), schedule=True, by=None)
    Subscription.objects.bulk_create(
        [Subscription(session=session, email=f"khach{n:06d}@example.vn", confirmed_at=timezone.now()) for n in range(subscribers)],
        batch_size=2000)
    return session.occurrences.get()


def _baseline(occurrence, subscribers: int) -> float:
    """Render the same messages in a bare loop: what sending costs without database or queue."""
    from django.core.mail import EmailMessage

    from marketplace import notifications
    from marketplace.livestreams.services.reminders import _context, kind_for

    context = _context(occurrence, kind_for(1440))
    began = time.monotonic()
    for n in range(subscribers):
        message = notifications.render(template="livestream_reminder",
                                       context={**context, "unsubscribe_url": f"https://example.vn/huy/{n}"})
        # The same work as notify() up to the backend (the worker's backend writes one line per message).
        EmailMessage(message.subject, message.body, "a@example.vn", [f"khach{n:06d}@example.vn"])
    return time.monotonic() - began


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print(result: dict) -> None:
    print(f"Reminders benchmark — {result['subscribers']} subscribers of one occurrence; {result['database']}, "
          f"{result['broker']} broker; one worker (--pool solo); batches of {result['batch']}")
    print(f"sent {result['sent']} (rows stamped sent: {result['sent_rows']}), duplicates {result['duplicates']}, "
          f"missing {result['missing']}")
    print(f"time {result['seconds']:.2f} s ({result['reminders_per_s']} reminders/s); baseline (bare render loop) "
          f"{result['baseline_seconds']:.2f} s; ×{result['ratio_to_baseline']} the baseline")
    print(f"target: under {result['target_seconds']:.0f} s — {'met' if result['target_met'] else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())
