"""Sending: one text per household, retries, give-ups, quiet hours, renewals."""

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F
from django.utils import timezone

from collectors.tests.factories import AssignmentFactory, CollectorFactory
from households.contributions import format_vnd
from households.models import Enrolment
from households.tests.factories import EnrolmentFactory, HouseholdFactory
from reminders import services, tasks
from reminders.models import ChannelPolicy, DeliveryAttempt, Message, Reminder

from .factories import ReminderOptOutFactory, due_enrolment

pytestmark = pytest.mark.django_db
NIGHT = date(2026, 11, 25)
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=HCM)


@pytest.fixture(autouse=True)
def _dispatch_again_at_once(settings):
    # Here the dispatcher stands in for the workers' own back-off tasks.
    settings.REMINDERS_REDISPATCH_AFTER = 0


def send_all(now=None):
    outcomes = []
    services.dispatch_due(now=now, enqueue=lambda ids: outcomes.extend(
        services.send_message(message_id=i, now=now) for i in ids))
    return outcomes


def test_one_text_per_household_names_every_member_due_the_amount_and_the_collector(outbox, any_hour):
    head = due_enrolment(ends=NIGHT + timedelta(days=7), name="Nguyễn Văn An", phone=None,
                         household=HouseholdFactory(phone="0912000111"))
    household = head.member.household
    due_enrolment(ends=NIGHT + timedelta(days=7), household=household, name="Trần Thị Hoa", phone=None)
    due_enrolment(ends=NIGHT + timedelta(days=30), household=household, name="Nguyễn Văn Bình", phone=None)
    AssignmentFactory(commune=household.commune, start=NIGHT - timedelta(days=100),
                      collector=CollectorFactory(full_name="Hoàng Thị Mai", phone="0905111222"))

    services.prepare_night(day=NIGHT)
    assert send_all() == ["sent"]

    # Two stages due the same night: one sentence (it was a paragraph per stage, two SMS parts),
    # everyone due named, the earliest end, one renewal of the household's health insurance.
    [sms] = outbox
    assert sms["to"] == "0912000111"
    amount = format_vnd(services.renewal_amount(household, timezone.localdate())).replace("₫", "d")
    assert sms["text"] == (
        f"BHXH Dak Lak: BHYT cua Nguyen Van An va 2 nguoi khac het han tu {(NIGHT + timedelta(days=7)):%d/%m/%Y}. "
        f"Can dong: {amount}. LH Hoang Thi Mai 0905111222")
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


def test_a_member_alone_is_texted_on_their_own_phone(outbox, any_hour):
    due_enrolment(ends=NIGHT, phone="0987000001", household=HouseholdFactory(phone="0912000222"))
    services.prepare_night(day=NIGHT)
    send_all()
    assert [sms["to"] for sms in outbox] == ["0987000001"]


def test_the_gateway_gets_the_token_the_idempotency_key_and_unaccented_text(gateway, any_hour):
    enrolment = due_enrolment(ends=NIGHT, name="Nguyễn Thị Hiền", phone="0912345678")
    services.prepare_night(day=NIGHT)
    assert send_all() == ["sent"]
    message = Message.objects.get()
    [delivery] = gateway.deliveries.values()
    assert delivery.key == str(message.key) and delivery.to == "0912345678"
    assert delivery.text.startswith("BHXH Dak Lak: The BHYT cua Nguyen Thi Hien het han hom nay")
    assert message.status == "sent" and message.provider_id == str(message.key)
    assert list(message.attempts_made.values_list("outcome", "http_status")) == [("sent", 200)]
    assert Reminder.objects.get(enrolment=enrolment).status == "sent"


def test_running_the_batch_twice_for_the_same_night_sends_nothing_the_second_time(gateway, any_hour, eager_tasks):
    for _ in range(3):
        due_enrolment(ends=NIGHT + timedelta(days=7))
    tasks.run_nightly_batch(NIGHT.isoformat())
    tasks.run_nightly_batch(NIGHT.isoformat())
    assert len(gateway.requests) == 3 and gateway.repeats() == 0
    assert sum(gateway.delivered_per_phone().values()) == 3


def test_cover_renewed_or_cancelled_after_the_scan_is_not_reminded(outbox, any_hour):
    extended = due_enrolment(ends=NIGHT + timedelta(days=7))
    new_period = due_enrolment(ends=NIGHT + timedelta(days=7))
    cancelled = due_enrolment(ends=NIGHT + timedelta(days=7))
    opted_out = due_enrolment(ends=NIGHT + timedelta(days=7))
    still_due = due_enrolment(ends=NIGHT + timedelta(days=7))
    services.prepare_night(day=NIGHT)
    # Paid in the meantime: the end moves, or a new period follows; another was cancelled; one opted out.
    Enrolment.objects.filter(pk=extended.pk).update(coverage_end=F("coverage_end") + timedelta(days=365))
    EnrolmentFactory(member=new_period.member, coverage_start=NIGHT + timedelta(days=8),
                     coverage_end=NIGHT + timedelta(days=372))
    Enrolment.objects.filter(pk=cancelled.pk).update(status=Enrolment.Status.CANCELLED)
    ReminderOptOutFactory(household=opted_out.member.household)

    assert sorted(send_all()) == ["sent", "skipped", "skipped", "skipped", "skipped"]

    assert [sms["to"] for sms in outbox] == [still_due.member.phone]
    reasons = dict(Reminder.objects.values_list("enrolment_id", "reason"))
    assert reasons[extended.pk] == reasons[new_period.pk] == reasons[cancelled.pk] == "renewed or paid since the scan"
    assert reasons[opted_out.pk] == "opted out"


def test_no_sms_in_quiet_hours_they_go_at_seven(outbox):
    due_enrolment(ends=NIGHT)
    sms_policy = ChannelPolicy.objects.get(channel="sms")
    assert (sms_policy.quiet_from, sms_policy.quiet_until) == (time(21), time(7))
    services.prepare_night(day=NIGHT)
    night = datetime(2026, 11, 25, 1, 30, tzinfo=HCM)
    assert send_all(now=night) == []  # the dispatcher hands out no SMS at night
    message = Message.objects.get()
    # A worker that gets it anyway (a late task) holds it until 07:00.
    assert services.send_message(message_id=message.pk, now=night) == "held"
    message.refresh_from_db()
    assert message.next_attempt_at == datetime(2026, 11, 25, 7, 0, tzinfo=HCM)
    assert send_all(now=datetime(2026, 11, 25, 6, 59, tzinfo=HCM)) == [] and outbox == []
    assert send_all(now=datetime(2026, 11, 25, 7, 0, tzinfo=HCM)) == ["sent"]
    # 22:30 is quiet too: the next window opens tomorrow at 07:00.
    late = datetime(2026, 11, 25, 22, 30, tzinfo=HCM)
    assert sms_policy.quiet_ends_after(late) == datetime(2026, 11, 26, 7, 0, tzinfo=HCM)


def test_transient_failures_are_retried_with_growing_back_off_and_every_attempt_recorded(gateway, any_hour,
                                                                                          settings):
    settings.REMINDERS_RETRY_DELAY, settings.REMINDERS_RETRY_DELAY_MAX = 60, 300
    gateway.failure_rate, gateway.timeout_share = 1.0, 0.0  # every call fails with a 503
    due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    now = MORNING
    delays = []
    for _ in range(4):
        assert send_all(now=now) == ["retry"]
        message = Message.objects.get()
        delays.append((message.next_attempt_at - now).total_seconds())
        assert send_all(now=now + timedelta(seconds=delays[-1] - 1)) == []  # not before its time
        now = message.next_attempt_at
    assert delays == [60, 120, 240, 300]
    assert list(message.attempts_made.values_list("number", "outcome")) == [(n, "retry") for n in range(1, 5)]
    assert message.error == "overloaded: try later"

    gateway.failure_rate = 0.0
    assert send_all(now=now) == ["sent"]
    assert sum(gateway.delivered_per_phone().values()) == 1


def test_after_the_last_allowed_attempt_the_message_fails_with_the_reason(gateway, any_hour, settings):
    settings.REMINDERS_MAX_ATTEMPTS = 2
    gateway.failure_rate, gateway.timeout_share = 1.0, 0.0
    due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    assert send_all(now=MORNING) == ["retry"]
    assert send_all(now=MORNING + timedelta(hours=1)) == ["failed"]
    message = Message.objects.get()
    assert message.status == "failed" and not message.gave_up
    assert Reminder.objects.get().status == "failed"


def test_invalid_number_is_failed_at_once_with_the_gateways_reason_and_not_retried(gateway, any_hour):
    due_enrolment(ends=NIGHT, phone="0912999999")
    gateway.invalid_numbers = {"0912999999"}
    services.prepare_night(day=NIGHT)
    assert send_all(now=MORNING) == ["failed"]
    assert send_all(now=MORNING + timedelta(days=1)) == []
    message = Message.objects.get()
    assert message.gave_up and message.error == "invalid_number: Số điện thoại không hợp lệ"
    assert len(gateway.requests) == 1
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.reason) == ("failed", message.error)


def test_a_timed_out_call_is_sent_again_with_the_same_key_and_delivered_once(gateway, any_hour):
    due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    gateway.failure_rate, gateway.timeout_share = 1.0, 1.0  # accepted, but answered too late
    phone = Reminder.objects.get().enrolment.member.phone
    assert send_all(now=MORNING) == ["retry"]
    assert Message.objects.get().attempts_made.get().code == "timeout"
    gateway.failure_rate = 0.0
    assert send_all(now=MORNING + timedelta(hours=1)) == ["sent"]
    assert gateway.answers() == {"timeout": 1, "duplicate": 1}
    assert gateway.delivered_per_phone() == {phone: 1}


def test_a_message_left_sending_by_a_lost_worker_is_taken_over_after_its_lease(outbox, any_hour, settings):
    due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    message = Message.objects.get()
    # A worker claims the message and dies before the call returns.
    assert services._claim_message(message.pk, MORNING) == 1
    with services.transaction.atomic():
        message.refresh_from_db()
        services._seal(message, MORNING)
        DeliveryAttempt.objects.create(message=message, number=1, started_at=MORNING)
    assert send_all(now=MORNING + timedelta(seconds=10)) == []  # still within the lease
    later = MORNING + timedelta(seconds=settings.REMINDERS_SEND_LEASE + 1)
    assert send_all(now=later) == ["sent"]
    assert list(message.attempts_made.values_list("number", "outcome")) == [(1, "interrupted"), (2, "sent")]
    assert len(outbox) == 1


def test_staff_retry_requeues_a_refused_message_with_a_new_key_and_the_corrected_phone(gateway, any_hour):
    enrolment = due_enrolment(ends=NIGHT, phone="0912999999")
    gateway.invalid_numbers = {"0912999999"}
    services.prepare_night(day=NIGHT)
    send_all(now=MORNING)
    message = Message.objects.get()
    old_key = message.key
    member = enrolment.member
    member.phone = "0912888888"
    member.save()

    assert services.retry_failed(message_ids=[message.pk]) == 1
    assert send_all(now=MORNING + timedelta(hours=1)) == ["sent"]
    message.refresh_from_db()
    assert message.key != old_key and message.recipient == "0912888888"
    assert gateway.delivered_per_phone() == {"0912888888": 1}
    assert Reminder.objects.get().status == "sent"


def test_a_file_backend_writes_one_json_line_per_message(settings, tmp_path, any_hour):
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.file.FileBackend"
    settings.REMINDERS_FILE_PATH = str(tmp_path)
    due_enrolment(ends=NIGHT, phone="0912345678")
    services.prepare_night(day=NIGHT)
    send_all()
    [written] = tmp_path.iterdir()
    [line] = written.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["to"] == "0912345678"


def test_the_console_backend_prints_messages(settings, capsys, any_hour):
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.console.ConsoleBackend"
    due_enrolment(ends=NIGHT, phone="0912345678", name="Lê Thị Lan")
    services.prepare_night(day=NIGHT)
    send_all()
    out = capsys.readouterr().out
    assert "reminder to 0912345678" in out and "Le Thi Lan" in out  # SMS go without diacritics


def test_email_reminders_go_through_djangos_mail_with_the_key_as_message_id(settings, mailoutbox, any_hour):
    from reminders.models import ReminderRule

    from .factories import HouseholdEmailFactory

    settings.REMINDERS_EMAIL_BACKEND = "reminders.channels.email.EmailBackend"
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.locmem.LocmemBackend"
    settings.REMINDERS_MESSAGE_LANGUAGE = "en"  # the English template, and an English subject
    ReminderRule.objects.create(scheme="bhyt_hgd", offset_days=0, channel="email",
                                template_vi="Thẻ BHYT của {names} hết hạn {end_date}.",
                                template_en="The card of {names} ends on {end_date}.")
    enrolment = due_enrolment(ends=NIGHT, name="Lê Văn Tám")
    HouseholdEmailFactory(household=enrolment.member.household, email="tam@example.vn")
    services.prepare_night(day=NIGHT)
    assert sorted(send_all()) == ["sent", "sent"]  # the SMS and the e-mail

    [email] = mailoutbox
    message = Message.objects.get(channel="email")
    assert email.to == ["tam@example.vn"] and email.body == f"The card of Lê Văn Tám ends on {NIGHT:%d/%m/%Y}."
    assert email.subject == "Your insurance cover is running out"
    assert email.extra_headers["Message-ID"] == f"<{message.key}@reminders.outreach>"
