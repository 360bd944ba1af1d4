"""An e-mail backend for runs in another process (a Celery worker): one line per message,
`recipient<TAB>subject`, appended to the file named by LIVESTREAM_MAIL_LOG."""
import os

from django.core.mail.backends.base import BaseEmailBackend


class LineLogBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        lines = "".join(f"{','.join(m.to)}\t{m.subject}\n" for m in email_messages)
        with open(os.environ["LIVESTREAM_MAIL_LOG"], "a", encoding="utf-8") as log:
            log.write(lines)
        return len(email_messages)
