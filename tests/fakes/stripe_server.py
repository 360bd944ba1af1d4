"""A local fake Stripe: `localstripe` bound to 127.0.0.1, state in memory only.

    python -m tests.fakes.stripe_server --port 8420     # run it by hand (e.g. for the demo)

`running()` starts it in a subprocess on a free port and yields its base URL (for
`STRIPE_API_BASE`). localstripe normally pickles its state to a file in the temp folder after
every write and loads it at start; both are turned off here, so parallel runs never share state.
"""
from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


def _serve(port: int) -> None:
    from aiohttp import web
    from localstripe import resources, server

    resources.Store.dump_to_disk = lambda self: None  # memory only
    resources.Store.try_load_from_disk = lambda self: None
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_listening(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited: {process.stdout.read().decode() if process.stdout else ''}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError("localstripe did not start")


@contextlib.contextmanager
def running() -> Iterator[str]:
    """Start localstripe on a free 127.0.0.1 port; yield its base URL; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tests.fakes.stripe_server", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    _serve(parser.parse_args().port)
