from datetime import date, timedelta

import pytest
from django.db import connection
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from collectors.payments import record_payment
from collectors.tests.factories import AssignmentFactory, CollectorFactory
from households.models import Enrolment, Member
from households.quotes import quote_household_payment
from households.tests.factories import EnrolmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def a_payment():
    collector = CollectorFactory()
    household = HouseholdFactory()
    AssignmentFactory(collector=collector, commune=household.commune, start=date(2020, 1, 1))
    head = MemberFactory(household=household, relation=Member.Relation.HEAD, date_of_birth=date(1970, 1, 1))
    today = date.today()
    cover = EnrolmentFactory(member=head, coverage_start=today - timedelta(days=300), coverage_end=today + timedelta(days=5))
    amount = quote_household_payment(household=household, members=[head], scheme="bhyt_hgd", months=3, day=today).total
    payment = record_payment(collector=collector, household=household, members=[head], scheme="bhyt_hgd", months=3,
                             paid_on=today, receipt_number="BL-42", amount=amount, recorded_by=collector.user)
    return payment, cover, today + timedelta(days=5)


def test_staff_cancel_a_wrong_receipt_with_a_reason_and_the_cover_is_restored(client, staff):
    payment, cover, old_end = a_payment()
    url = reverse("admin:collectors_payment_cancel", args=[payment.pk])
    response = client.post(url, {"reason": ""})
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"reason": "entered for the wrong household"}, follow=True)
    assert "Receipt BL-42 cancelled; the cover it bought was restored." in response.content.decode()
    cover.refresh_from_db()
    assert cover.coverage_end == old_end and cover.status == Enrolment.Status.ACTIVE
    payment.refresh_from_db()
    assert (payment.cancelled_by, payment.cancel_reason) == (staff, "entered for the wrong household")
    assert LogEntry.objects.get(object_id=str(payment.pk)).get_change_message() == (
        "Cancelled: entered for the wrong household")
    again = client.post(url, {"reason": "twice"})
    assert "was already cancelled" in again.content.decode()


def test_payments_are_listed_with_a_fixed_number_of_queries(client, staff, django_assert_num_queries):
    a_payment()
    url = reverse("admin:collectors_payment_changelist")
    # session, user, 2× permissions, the user's role (scoping), agents for the filter, count, the page's
    # ids, its rows (+ PostgreSQL's size estimate)
    expected = 9 + (connection.vendor == "postgresql")
    with django_assert_num_queries(expected):
        client.get(url)
    for _ in range(3):
        a_payment()
    with django_assert_num_queries(expected):
        assert len(client.get(url).context["cl"].result_list) == 4
