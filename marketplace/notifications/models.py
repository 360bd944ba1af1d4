"""Durable records of what is to be told: one row per message (`Notification`) and one per
event-driven notice task (`Dispatch`). Both are keyed, so recording twice keeps one row, and
both carry `due_at`: when the beat sweep should take the row up again if it is still pending
(its task was lost with a worker, or the send failed and waits for its retry)."""
from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("chờ gửi")
        SENT = "sent", _("đã gửi")
        FAILED = "failed", _("gửi không được")

    key = models.CharField(max_length=255, unique=True, help_text="idempotency key: one message per key")
    channel = models.CharField(max_length=20)
    recipient = models.CharField(max_length=254, help_text="the channel's address: e-mail or phone number")
    recipient_name = models.CharField(max_length=200, blank=True)
    template = models.CharField(max_length=60)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        indexes = [models.Index(fields=["status", "due_at"], name="notification_pending_due")]

    def __str__(self) -> str:
        return self.key


class Dispatch(models.Model):
    """A notice task (it works out who is told what, then sends) that has not finished yet.

    Written before the task is enqueued and deleted when it succeeds; the sweep enqueues the
    task again by its registered Celery name while the row is still here."""

    key = models.CharField(max_length=255, unique=True)
    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key
