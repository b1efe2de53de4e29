from datetime import date, timedelta

import pytest

from households.tests.factories import HouseholdFactory
from reminders.models import Reminder
from reminders.selectors import due_household_ids, reminder_states

from .factories import due_enrolment

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)


def reminder(household, status, due_on=TODAY):
    enrolment = due_enrolment(ends=due_on + timedelta(days=7), household=household)
    return Reminder.objects.create(enrolment=enrolment, coverage_end=enrolment.coverage_end, stage=-7,
                                   channel="sms", household=household, due_on=due_on, status=status)


def test_the_today_list_gets_each_households_reminder_state_in_one_query(django_assert_num_queries):
    sent, failed, no_phone, queued, mixed, renewed, last_week, long_ago, elsewhere = (
        HouseholdFactory() for _ in range(9))
    reminder(sent, "sent")
    reminder(failed, "failed")
    reminder(no_phone, "no_phone")
    reminder(queued, "queued")
    reminder(mixed, "sent")
    reminder(mixed, "no_phone")  # one member could not be texted: the collector should go
    reminder(renewed, "skipped")
    reminder(last_week, "sent", due_on=TODAY - timedelta(days=7))
    reminder(long_ago, "failed", due_on=TODAY - timedelta(days=14))  # a fortnight ago: off the list
    reminder(elsewhere, "failed")
    ids = [h.pk for h in (sent, failed, no_phone, queued, mixed, renewed, last_week, long_ago)]

    with django_assert_num_queries(1):
        states = reminder_states(ids, on=TODAY)

    assert {pk: state.state for pk, state in states.items()} == {
        sent.pk: "sent", failed.pk: "failed", no_phone.pk: "no_phone", queued.pk: "queued", mixed.pk: "no_phone",
        last_week.pk: "sent"}


def test_an_undelivered_reminder_wins_over_a_delivered_one_and_carries_the_reason():
    household, arrived = HouseholdFactory(), HouseholdFactory()
    reminder(household, "delivered")
    undelivered = reminder(household, "undelivered")
    Reminder.objects.filter(pk=undelivered.pk).update(reason="expired (phone unreachable): stat:EXPIRED")
    reminder(arrived, "delivered")
    states = reminder_states([household.pk, arrived.pk], on=TODAY)
    assert states[household.pk].state == "undelivered"
    assert states[household.pk].reason == "expired (phone unreachable): stat:EXPIRED"
    assert (states[arrived.pk].state, states[arrived.pk].reason) == ("delivered", "")


def test_due_households_are_those_with_a_reminder_that_day_not_skipped():
    due, renewed, other_day = HouseholdFactory(), HouseholdFactory(), HouseholdFactory()
    reminder(due, "queued")
    reminder(renewed, "skipped")
    reminder(other_day, "sent", due_on=TODAY + timedelta(days=1))
    from households.models import Household

    assert list(Household.objects.filter(pk__in=due_household_ids(on=TODAY))) == [due]
