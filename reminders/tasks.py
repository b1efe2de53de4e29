"""Celery tasks: thin wrappers over `services`. Every task is idempotent and
short (a chunk of messages), acknowledged late and rejected on worker loss
(settings), so a killed worker's task runs again and changes nothing twice."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="reminders.run_nightly_batch")
def run_nightly_batch(day: str | None = None) -> dict:
    """Beat, 01:30: claim and merge the night's reminders, then hand out what may go now
    (SMS wait for the end of the quiet hours; `dispatch_due` sends them at 07:00)."""
    night = date.fromisoformat(day) if day else timezone.localdate()
    summary = services.prepare_night(day=night)
    return {"claimed": summary.claimed, "waiting_for_next_night": summary.waiting_for_next_night,
            "dispatched": dispatch_due()}


@shared_task(name="reminders.dispatch_due", ignore_result=True)
def dispatch_due() -> int:
    """Beat, every 10 minutes: messages due (after quiet hours, back-off, or a lost worker) go to workers."""
    return services.dispatch_due(enqueue=lambda ids: send_messages.delay(ids))


@shared_task(name="reminders.send_messages", ignore_result=True)
def send_messages(message_ids: list[int]) -> dict:
    outcomes = {}
    for message_id in message_ids:
        outcome = services.send_message(message_id=message_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == services.RETRY:
            # Back-off; if this is lost, `dispatch_due` finds the message again.
            delay = services.seconds_to_next_attempt(message_id=message_id)
            send_messages.apply_async(([message_id],), countdown=delay)
    return outcomes
