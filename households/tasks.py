from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="households.update_enrolment_statuses")
def update_enrolment_statuses(today: str | None = None) -> dict:
    """Nightly: cover past its end becomes lapsed, cover past its waiting period active.
    Idempotent, so a retry or a second beat changes nothing more."""
    day = timezone.datetime.fromisoformat(today).date() if today else timezone.localdate()
    return {
        "lapsed": services.mark_lapsed_enrolments(today=day),
        "activated": services.activate_started_enrolments(today=day),
    }
