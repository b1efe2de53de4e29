from celery import shared_task
from django.utils import timezone

from . import imports, services


@shared_task(name="households.update_enrolment_statuses")
def update_enrolment_statuses(today: str | None = None) -> dict:
    """Nightly: cover past its end becomes lapsed, cover past its waiting period active.
    Idempotent, so a retry or a second beat changes nothing more."""
    day = timezone.datetime.fromisoformat(today).date() if today else timezone.localdate()
    return {
        "lapsed": services.mark_lapsed_enrolments(today=day),
        "activated": services.activate_started_enrolments(today=day),
    }


@shared_task(name="households.run_import_job")
def run_import_job(job_id: int, confirm: bool = False) -> str:
    """Check a large households-with-members file, or import it once the user
    confirmed; the admin polls the job for progress and shows its report."""
    return imports.run_job(job_id, confirm=confirm)


@shared_task(name="households.expire_unconfirmed_imports")
def expire_unconfirmed_imports() -> int:
    """Nightly: files checked but never confirmed are deleted (imports.expire_unconfirmed_jobs)."""
    return imports.expire_unconfirmed_jobs()


@shared_task(name="households.trim_audit_history")
def trim_audit_history() -> None:
    """Nightly: the audit trail is kept AUDIT_RETENTION_DAYS, then deleted."""
    from django.conf import settings
    from django.core.management import call_command

    call_command("clean_old_history", auto=True, days=settings.AUDIT_RETENTION_DAYS, verbosity=0)
