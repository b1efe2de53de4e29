from celery import shared_task
from django.utils import timezone

from . import services


@shared_task(name="reports.refresh_summaries")
def refresh_summaries(day: str | None = None) -> dict:
    """Nightly (and on staff's request): recompute the dashboards' summaries."""
    as_of = timezone.datetime.fromisoformat(day).date() if day else None
    run = services.refresh_summaries(as_of=as_of)
    return {"run": run.pk, "as_of": run.as_of.isoformat(), "seconds": run.seconds}
