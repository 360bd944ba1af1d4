"""Serving a fake: a lean threaded HTTP/1.1 keep-alive server on 127.0.0.1."""
from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from tests.fakes.platforms import server

if TYPE_CHECKING:
    from tests.fakes.platforms.server import FakePlatform


class _Headers(dict):
    """Request headers by lower-case name (all the handler needs, much cheaper than email.parser)."""

    def get(self, name, default=None):
        return super().get(name.lower(), default)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    fake: FakePlatform  # set on the per-server subclass

    def log_message(self, format, *args):  # noqa: A002 - quiet
        pass

    def date_time_string(self, timestamp=None):
        """`Date` follows the platform's clock (which tests may set off by `clock_skew`)."""
        return super().date_time_string(self.fake.now() if timestamp is None else timestamp)

    def parse_request(self) -> bool:
        """A lean HTTP/1.x request parser: the fakes must keep up with a 10,000-SKU benchmark."""
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "iso-8859-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.1", "HTTP/1.0"):
            self.request_version = "HTTP/1.0"
            self.send_error(400, "Bad request line")
            return False
        self.command, self.path, self.request_version = words
        headers = _Headers()
        while True:
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("iso-8859-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (self.request_version == "HTTP/1.0" and connection != "keep-alive")
        return True

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        request = server.Request(self.command, parts.path, query, dict(self.headers), body)
        try:
            response = self.fake.handle(request)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake answers 500, visibly
            response = server.Response(500, f"fake error: {exc!r}".encode(), {"Content-Type": "text/plain"})
        if response is server.DROP:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        reason = self.responses.get(response.status, ("",))[0]
        head = [f"HTTP/1.1 {response.status} {reason}", f"Date: {self.date_time_string()}", "Server: fake-platform"]
        head += [f"{name}: {value}" for name, value in response.headers.items()]
        head.append(f"Content-Length: {len(response.body)}")
        if self.close_connection:
            head.append("Connection: close")
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, handler):
        self.open_sockets: set[socket.socket] = set()
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_all(self):
        for sock in list(self.open_sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.server_close()


@contextlib.contextmanager
def running(fake: FakePlatform, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[FakePlatform]:
    """Serve `fake` on host:port (0 = a free port) in a background thread; `fake.url` is set."""
    handler = type(f"{type(fake).__name__}Handler", (_Handler,), {"fake": fake})
    server = _Server((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                              name=f"{fake.name}-fake")
    thread.start()
    fake.url = f"http://{host}:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.close_all()
        thread.join(timeout=5)
