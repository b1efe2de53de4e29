"""`manage.py send_reminders`: the batch without beat, and what it prints."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from reminders.models import ChannelPolicy, Message, NightlyRun, Reminder

from .factories import due_enrolment

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def due_tonight():
    today = timezone.localdate()
    due_enrolment(ends=today + timedelta(days=30))
    due_enrolment(ends=today + timedelta(days=30))
    due_enrolment(ends=today, phone=None)
    return today


def test_the_command_runs_the_batch_and_prints_counts_per_stage_channel_and_outcome(outbox, any_hour, due_tonight):
    out = run("--date", due_tonight.isoformat())
    assert out.splitlines() == [
        f"Reminders due on {due_tonight:%d/%m/%Y} (3 newly claimed):",
        "  stage             channel          sent    no phone",
        "  30 days before    SMS                 2           0",
        "  on the day        SMS                 0           1",
        "Messages this run: 2 sent, 0 to retry later, 0 failed, 0 not needed any more.",
    ]
    assert len(outbox) == 2
    # Again: everything was done, nothing is sent twice.
    assert "0 newly claimed" in run("--date", due_tonight.isoformat())
    assert len(outbox) == 2


def test_a_dry_run_prints_the_plan_and_changes_nothing(outbox, any_hour, due_tonight):
    out = run("--date", due_tonight.isoformat(), "--dry-run")
    assert out.splitlines() == [
        f"Reminders of the night of {due_tonight:%d/%m/%Y} that would be claimed (dry run, nothing changed):",
        "  stage             channel        queued    no phone",
        "  30 days before    SMS                 2           0",
        "  on the day        SMS                 0           1",
    ]
    assert (Reminder.objects.count(), Message.objects.count(), NightlyRun.objects.count(), len(outbox)) == (0, 0, 0, 0)


def test_the_command_says_what_waits_for_the_next_night(outbox, any_hour, due_tonight):
    ChannelPolicy.objects.filter(channel="sms").update(nightly_cap=1)
    out = run("--date", due_tonight.isoformat())
    assert "1 SMS messages are over tonight's cap and stay queued for the next night." in out
    assert len(outbox) == 1


def test_in_quiet_hours_the_command_says_the_sms_wait(outbox, due_tonight):
    ChannelPolicy.objects.filter(channel="sms").update(quiet_from="00:00", quiet_until="23:59")
    out = run("--date", due_tonight.isoformat())
    assert "Messages this run: 0 sent" in out
    assert "2 SMS messages wait for the end of quiet hours at 23:59." in out
    assert outbox == [] and Message.objects.filter(status="queued").count() == 2
