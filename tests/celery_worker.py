"""A real Celery worker process for the `services` tests (PostgreSQL + Redis, run by .ci/run)."""
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

from django.db import connection


def start(**env_extra: str) -> subprocess.Popen:
    """A solo worker on the test database and the broker named by CELERY_BROKER_URL (or by
    `env_extra`, which is added to its environment)."""
    s = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
           "DJANGO_SETTINGS_MODULE": "marketplace.settings.test", **env_extra}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "marketplace", "worker", "--pool", "solo", "--loglevel", "WARNING"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def running() -> Iterator[subprocess.Popen]:
    process = start()
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(predicate: Callable[[], bool], worker: subprocess.Popen, seconds: float = 60) -> bool:
    """Poll `predicate` until it holds; fail at once with the worker's output if it died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.3)
    return False


def kill(process: subprocess.Popen) -> None:
    """kill -9: the worker gets no chance to requeue or acknowledge anything."""
    process.kill()
    process.wait(timeout=10)
