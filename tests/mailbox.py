"""An e-mail backend for worker processes in tests: each message is appended to the file named
by TEST_MAILBOX as one line `SENT <to> <subject>`, after `TEST_MAIL_DELAY_SECONDS` (default 0)
spent "talking to the server", announced by a `BEGIN <to>` line (so a test knows when to kill
the worker in the middle of a send)."""
from __future__ import annotations

import os
import time

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, messages) -> int:
        path, delay = os.environ["TEST_MAILBOX"], float(os.environ.get("TEST_MAIL_DELAY_SECONDS", "0"))
        for message in messages:
            _append(path, f"BEGIN {message.to[0]}")
            time.sleep(delay)
            _append(path, f"SENT {message.to[0]} {message.subject}")
        return len(messages)


def _append(path: str, line: str) -> None:
    with open(path, "a", encoding="utf-8") as mailbox:
        mailbox.write(line + "\n")
        mailbox.flush()
        os.fsync(mailbox.fileno())


def lines(path, kind: str) -> list[str]:
    """The addresses of the lines of one kind (BEGIN or SENT) written so far."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as mailbox:
        return [line.split()[1] for line in mailbox if line.startswith(kind + " ")]
