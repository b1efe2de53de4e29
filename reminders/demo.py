"""The reminders of the demo's past year: what the nightly batch would have
claimed and sent for every cover that ran out in it (seed_demo).

Each cover end of the year — the end a receipt later extended (its payment
line's previous end) or the end that stands — gets its active stages that
fell due before today: sent, failed now and then, skipped once renewed,
"no phone" for households without one; the sent ones in one message per
household and day, with the text the rules give. Deterministic for a seed."""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone, translation

from collectors.models import PaymentLine
from households.models import Enrolment

from .models import Channel, Message, Reminder, ReminderRule
from .services import NoContactPhone, no_contact_reason, render

FAILED_SHARE = 0.06
DELIVERED_SHARE, UNDELIVERED_SHARE = 0.88, 0.08  # of those sent; the rest expired


@transaction.atomic
def seed_reminders(*, seed: int, today: date) -> int:
    rng = random.Random(f"reminders-{seed}")
    start = today - timedelta(days=365)
    rules = list(ReminderRule.objects.filter(active=True, channel=Channel.SMS).order_by("scheme", "offset_days"))
    renewed_on = {}  # (enrolment id, previous end) → the day a receipt extended it
    for enrolment_id, previous_end, paid_on in (PaymentLine.objects.filter(
            payment__cancelled_at__isnull=True, previous_end__isnull=False)
            .values_list("enrolment_id", "previous_end", "payment__paid_on")):
        renewed_on[(enrolment_id, previous_end)] = paid_on
    ends = defaultdict(set)
    for enrolment_id, previous_end in renewed_on:
        ends[enrolment_id].add(previous_end)
    enrolments = {e.pk: e for e in Enrolment.objects.select_related("member__household").order_by("pk").filter(
        pk__in=[*ends, *Enrolment.objects.filter(coverage_end__gte=start - timedelta(days=30),
                                                  coverage_end__lte=today + timedelta(days=30))
                .exclude(status=Enrolment.Status.CANCELLED).values_list("pk", flat=True)])}
    for enrolment in enrolments.values():
        ends[enrolment.pk].add(enrolment.coverage_end)
    reminders = []
    for enrolment_id in sorted(ends):
        enrolment = enrolments[enrolment_id]
        household = enrolment.member.household
        for end in sorted(ends[enrolment_id]):
            paid = renewed_on.get((enrolment_id, end))
            for rule in (r for r in rules if r.scheme == enrolment.scheme):
                due = end + timedelta(days=rule.offset_days)
                if not start <= due < today:
                    continue
                if paid and paid <= due:
                    status = Reminder.Status.SKIPPED
                elif not (household.phone or enrolment.member.phone):
                    status = Reminder.Status.NO_PHONE
                else:
                    status = Reminder.Status.SENT  # or failed: decided per message below
                claimed = timezone.make_aware(datetime.combine(due, time(1, 30)))
                reminders.append(Reminder(enrolment=enrolment, coverage_end=end, stage=rule.offset_days,
                                          channel=rule.channel, household=household, due_on=due, status=status,
                                          created_at=claimed, updated_at=claimed))
    _messages(rng, [r for r in reminders if r.status == Reminder.Status.SENT])
    Reminder.objects.bulk_create(reminders, batch_size=2_000)
    return len(reminders)


def _messages(rng, reminders):
    """One sealed message per household, channel and day for the reminders that
    went out; now and then the gateway refused one (its reminders failed)."""
    groups = defaultdict(list)
    for reminder in reminders:
        groups[(reminder.household_id, reminder.channel, reminder.due_on)].append(reminder)
    messages, members = [], []
    for (_household, channel, due), items in sorted(groups.items()):
        household = items[0].household
        failed = rng.random() < FAILED_SHARE
        if failed:
            for reminder in items:
                reminder.status = Reminder.Status.FAILED
        moment = timezone.make_aware(datetime.combine(due, time(7, 5)))
        phones = {r.enrolment.member.phone for r in items if r.enrolment.member.phone}
        message = Message(household=household, channel=channel, due_on=due, night=due,
                          status=Message.Status.FAILED if failed else Message.Status.SENT,
                          recipient=household.phone or min(phones), sealed_at=moment, attempts=1,
                          sent_at=None if failed else moment, gave_up=failed,
                          error="invalid_number" if failed else "")
        if not failed:  # the operator's delivery report: most arrive, some phones are off or out of reach
            report = rng.random()
            message.delivery = (Message.Delivery.DELIVERED if report < DELIVERED_SHARE else
                                Message.Delivery.UNDELIVERED if report < DELIVERED_SHARE + UNDELIVERED_SHARE else
                                Message.Delivery.EXPIRED)
            if message.delivery == Message.Delivery.UNDELIVERED:
                message.delivery_reason = "absent subscriber"
            message.delivery_reported_at = moment + timedelta(minutes=2)
        try:
            message.text = render(message, items)
        except NoContactPhone:  # as the batch does: not sent, failed with why (REMINDERS_OFFICE_PHONE unset)
            message.status, message.sent_at, message.sealed_at, message.gave_up = Message.Status.FAILED, None, None, True
            with translation.override("vi"):  # the demo is Đắk Lắk's office, in Vietnamese
                message.error = no_contact_reason()
            message.delivery, message.delivery_reason = "", ""
            message.delivery_reported_at = None
            for reminder in items:
                reminder.status, reminder.reason = Reminder.Status.FAILED, message.error
        messages.append(message)
        members.append(items)
    Message.objects.bulk_create(messages, batch_size=1_000)
    for message, items in zip(messages, members):
        for reminder in items:
            reminder.message = message
