"""The nightly scan: which reminders are claimed, and how they are merged."""

from datetime import date, timedelta

import pytest
from django.db import connection

from households.models import Enrolment
from households.tests.factories import EnrolmentFactory, HouseholdFactory
from reminders import services
from reminders.models import ChannelPolicy, Message, Reminder, ReminderRule
from reminders.text import unaccented

from .factories import HouseholdEmailFactory, ReminderOptOutFactory, due_enrolment

pytestmark = pytest.mark.django_db
NIGHT = date(2026, 11, 25)


def claimed():
    return {(r.enrolment_id, r.stage, r.channel, r.status) for r in Reminder.objects.all()}


def test_each_default_stage_claims_the_enrolments_it_is_due_for_and_nothing_else():
    in_30 = due_enrolment(ends=NIGHT + timedelta(days=30))
    in_7 = due_enrolment(ends=NIGHT + timedelta(days=7), scheme=Enrolment.Scheme.BHXH_VOLUNTARY)
    today = due_enrolment(ends=NIGHT)
    # 15 days after the end the nightly status job has made the cover lapsed: still reminded.
    ended = due_enrolment(ends=NIGHT - timedelta(days=15), status=Enrolment.Status.LAPSED)
    due_enrolment(ends=NIGHT + timedelta(days=29))  # no stage tonight
    due_enrolment(ends=NIGHT + timedelta(days=30), status=Enrolment.Status.CANCELLED)
    due_enrolment(ends=NIGHT + timedelta(days=7), status=Enrolment.Status.PENDING)

    summary = services.prepare_night(day=NIGHT)

    assert summary.claimed == 4
    assert claimed() == {(in_30.pk, -30, "sms", "queued"), (in_7.pk, -7, "sms", "queued"),
                         (today.pk, 0, "sms", "queued"), (ended.pk, 15, "sms", "queued")}
    assert set(Reminder.objects.values_list("due_on", flat=True)) == {NIGHT}


def test_running_the_scan_again_claims_nothing_more():
    due_enrolment(ends=NIGHT + timedelta(days=7))
    assert services.prepare_night(day=NIGHT).claimed == 1
    assert services.prepare_night(day=NIGHT).claimed == 0
    assert Reminder.objects.count() == 1 and Message.objects.count() == 1


def test_cover_renewed_as_a_new_period_is_not_reminded():
    old = due_enrolment(ends=NIGHT - timedelta(days=15), status=Enrolment.Status.LAPSED)
    EnrolmentFactory(member=old.member, coverage_start=NIGHT - timedelta(days=2),
                     coverage_end=NIGHT + timedelta(days=360), status=Enrolment.Status.PENDING)
    services.prepare_night(day=NIGHT)
    assert Reminder.objects.count() == 0


def test_opted_out_households_members_and_channels_are_not_reminded():
    whole = due_enrolment(ends=NIGHT)
    ReminderOptOutFactory(household=whole.member.household)
    one = due_enrolment(ends=NIGHT)
    sibling = due_enrolment(ends=NIGHT, household=one.member.household)
    ReminderOptOutFactory(household=one.member.household, member=one.member)
    email_only = due_enrolment(ends=NIGHT)
    ReminderOptOutFactory(household=email_only.member.household, channel="email")

    services.prepare_night(day=NIGHT)

    assert {r.enrolment_id for r in Reminder.objects.all()} == {sibling.pk, email_only.pk}


def test_without_a_usable_phone_the_reminder_is_marked_for_the_collectors_list():
    no_phone = due_enrolment(ends=NIGHT, phone=None)
    household_phone = due_enrolment(ends=NIGHT, phone=None, household=HouseholdFactory(phone="0987654321"))
    services.prepare_night(day=NIGHT)
    states = dict(Reminder.objects.values_list("enrolment_id", "status"))
    assert states == {no_phone.pk: "no_phone", household_phone.pk: "queued"}
    # Only the reachable household gets a message.
    assert list(Message.objects.values_list("household_id", flat=True)) == [household_phone.member.household_id]


def test_members_of_a_household_due_the_same_day_share_one_message():
    head = due_enrolment(ends=NIGHT + timedelta(days=7), name="Y Bhin Niê")
    household = head.member.household
    wife = due_enrolment(ends=NIGHT + timedelta(days=7), household=household, name="H'Hen Ksor")
    son = due_enrolment(ends=NIGHT + timedelta(days=30), household=household, name="Y Sươn Niê")
    due_enrolment(ends=NIGHT + timedelta(days=8), household=household)  # not due tonight

    services.prepare_night(day=NIGHT)

    message = Message.objects.get()
    assert {r.enrolment_id for r in message.reminders.all()} == {head.pk, wife.pk, son.pk}
    assert message.night == NIGHT


def test_email_goes_only_to_households_that_gave_an_address():
    ReminderRule.objects.create(scheme="bhyt_hgd", offset_days=-7, channel="email",
                                template_vi="{names}: {end_date}", template_en="{names}: {end_date}")
    with_address = due_enrolment(ends=NIGHT + timedelta(days=7))
    HouseholdEmailFactory(household=with_address.member.household)
    without = due_enrolment(ends=NIGHT + timedelta(days=7))

    services.prepare_night(day=NIGHT)

    assert claimed() == {(with_address.pk, -7, "sms", "queued"), (with_address.pk, -7, "email", "queued"),
                         (without.pk, -7, "sms", "queued")}
    assert Message.objects.filter(channel="email").count() == 1


def test_inactive_rules_claim_nothing():
    ReminderRule.objects.filter(offset_days=-7).update(active=False)
    due_enrolment(ends=NIGHT + timedelta(days=7))
    assert services.prepare_night(day=NIGHT).claimed == 0


def test_messages_over_the_nightly_cap_wait_for_the_next_night_oldest_first():
    ChannelPolicy.objects.filter(channel="sms").update(nightly_cap=2)
    for _ in range(3):
        due_enrolment(ends=NIGHT + timedelta(days=7))
    summary = services.prepare_night(day=NIGHT)
    assert summary.waiting_for_next_night["sms"] == 1
    assert Message.objects.filter(night=NIGHT).count() == 2

    tomorrow = NIGHT + timedelta(days=1)
    for _ in range(2):
        due_enrolment(ends=tomorrow + timedelta(days=7))
    services.prepare_night(day=tomorrow)
    allotted = Message.objects.filter(night=tomorrow).order_by("due_on")
    # Yesterday's leftover goes first, then one of tonight's; one of tonight's waits.
    assert [m.due_on for m in allotted] == [NIGHT, tomorrow]
    assert Message.objects.filter(night__isnull=True).count() == 1


def test_a_reminder_claimed_after_its_households_message_was_sent_gets_a_message_of_its_own(outbox, any_hour):
    first = due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])
    # Staff add a member's cover afterwards and run the night again.
    late = due_enrolment(ends=NIGHT, household=first.member.household)
    services.prepare_night(day=NIGHT)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])

    assert len(outbox) == 2
    assert unaccented(late.member.full_name) in outbox[1]["text"]
    assert unaccented(first.member.full_name) not in outbox[1]["text"]
    assert set(Reminder.objects.values_list("status", flat=True)) == {"sent"}


def test_the_dry_run_plan_matches_what_the_scan_then_claims():
    due_enrolment(ends=NIGHT + timedelta(days=30))
    due_enrolment(ends=NIGHT, phone=None)
    planned = services.plan_night(day=NIGHT)
    assert Reminder.objects.count() == 0
    services.prepare_night(day=NIGHT)
    assert planned == services.outcomes_for(day=NIGHT)
    assert services.plan_night(day=NIGHT) == {}


@pytest.mark.postgres
def test_the_set_based_insert_and_the_portable_fallback_claim_the_same_rows(monkeypatch):
    due_enrolment(ends=NIGHT + timedelta(days=30))
    due_enrolment(ends=NIGHT, phone=None)
    due_enrolment(ends=NIGHT - timedelta(days=15), status=Enrolment.Status.LAPSED)
    rules = list(ReminderRule.objects.filter(active=True))
    for rule in rules:
        services.claim_reminders(rule=rule, day=NIGHT, now=services.timezone.now())
    set_based = {(r.enrolment_id, r.coverage_end, r.stage, r.channel, r.household_id, r.status)
                 for r in Reminder.objects.all()}
    Reminder.objects.all().delete()
    monkeypatch.setattr(connection, "vendor", "other")
    for rule in rules:
        assert services.claim_reminders(rule=rule, day=NIGHT, now=services.timezone.now()) >= 0
    fallback = {(r.enrolment_id, r.coverage_end, r.stage, r.channel, r.household_id, r.status)
                for r in Reminder.objects.all()}
    assert set_based == fallback and len(set_based) == 3
