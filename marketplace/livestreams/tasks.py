"""Beat work for live sessions. Tasks take ids, call one service and are idempotent."""
import datetime as dt

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def windows_tick() -> dict:
    return services.windows_tick()


@shared_task(acks_late=True)
def reminders_dispatch() -> int:
    """Enqueue one sending task per (occurrence, kind, start) with subscribers still to tell."""
    due = services.reminders_due()
    for item in due:
        reminders_send.delay(item.occurrence_id, item.kind, item.scheduled_start.isoformat())
    return len(due)


@shared_task(acks_late=True)
def reminders_send(occurrence_id: int, kind: str, scheduled_start: str) -> int:
    return services.reminders_send(occurrence_id=occurrence_id, kind=kind, scheduled_start=dt.datetime.fromisoformat(scheduled_start))
