from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from households.models import Enrolment
from households.tasks import update_enrolment_statuses
from households.tests.factories import EnrolmentFactory

TODAY = date(2026, 11, 25)


def make_cover():
    ended = EnrolmentFactory(coverage_start=TODAY - timedelta(days=365), coverage_end=TODAY - timedelta(days=1))
    ends_today = EnrolmentFactory(coverage_start=TODAY - timedelta(days=364), coverage_end=TODAY)
    waiting_over = EnrolmentFactory(coverage_start=TODAY, coverage_end=TODAY + timedelta(days=364),
                                    status=Enrolment.Status.PENDING)
    still_waiting = EnrolmentFactory(coverage_start=TODAY + timedelta(days=5), coverage_end=TODAY + timedelta(days=369),
                                     status=Enrolment.Status.PENDING)
    cancelled = EnrolmentFactory(coverage_start=TODAY - timedelta(days=400), coverage_end=TODAY - timedelta(days=40),
                                 status=Enrolment.Status.CANCELLED)
    return ended, ends_today, waiting_over, still_waiting, cancelled


def statuses(*enrolments):
    return [Enrolment.objects.get(pk=e.pk).status for e in enrolments]


@pytest.mark.django_db
def test_ended_cover_lapses_and_started_cover_activates_once():
    cover = make_cover()
    assert update_enrolment_statuses(TODAY.isoformat()) == {"lapsed": 1, "activated": 1}
    assert statuses(*cover) == ["lapsed", "active", "active", "pending", "cancelled"]
    # Idempotent: a second run (a retry, a second beat) changes nothing.
    assert update_enrolment_statuses(TODAY.isoformat()) == {"lapsed": 0, "activated": 0}


@pytest.mark.django_db
def test_the_command_runs_the_nightly_job_without_celery():
    make_cover()
    out = StringIO()
    call_command("update_enrolment_statuses", "--date", TODAY.isoformat(), stdout=out)
    assert out.getvalue().strip() == "1 enrolments lapsed, 1 activated."


@pytest.mark.django_db
def test_the_nightly_job_is_scheduled_in_the_database_for_staff_to_see():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="households.update_enrolment_statuses")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("0", "15", "Asia/Ho_Chi_Minh")
    assert task.enabled


@pytest.mark.broker
def test_a_real_worker_runs_the_nightly_job_through_the_broker(celery_worker):
    assert not celery_worker.conf.task_always_eager
    cover = make_cover()
    result = update_enrolment_statuses.delay(TODAY.isoformat())
    assert result.get(timeout=30) == {"lapsed": 1, "activated": 1}
    assert statuses(*cover) == ["lapsed", "active", "active", "pending", "cancelled"]


@pytest.mark.django_db
def test_the_audit_trail_is_kept_for_the_retention_period_then_trimmed(settings):
    from datetime import datetime, timezone as tz

    from households.tasks import trim_audit_history
    from households.tests.factories import MemberFactory

    settings.AUDIT_RETENTION_DAYS = 30
    member = MemberFactory()
    member.full_name = "Đã sửa"
    member.save()
    old, new = member.history.order_by("history_date")
    type(old).objects.filter(pk=old.pk).update(history_date=datetime(2020, 1, 1, tzinfo=tz.utc))
    trim_audit_history()
    assert list(member.history.values_list("full_name", flat=True)) == ["Đã sửa"]
