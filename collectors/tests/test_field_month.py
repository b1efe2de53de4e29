"""My month: visits, new enrolments, renewals and money against the target,
and the receipts to hand over to the agent."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from collectors.models import Payment, PaymentLine, Target, Visit
from collectors.tests import fieldkit as kit
from households.tests.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db
MONTH_QUERIES = 9  # session, user with collector, area, visits, people, receipts, amount, target, money still held


def first_of_month():
    return kit.today().replace(day=1)


def receipt(collector, household, number, amount, *, day=None, new_people=0, renewed_people=0, cancelled=False):
    payment = Payment.objects.create(
        agent=collector.agent, collector=collector, household=household, scheme="bhyt_hgd", receipt_number=number,
        paid_on=day or kit.today(), months=12, amount=amount, recorded_by=collector.user,
        cancelled_at=timezone.now() if cancelled else None)
    for n in range(new_people + renewed_people):
        PaymentLine.objects.create(payment=payment, enrolment=EnrolmentFactory(),
                                   amount=1, monthly_amount=1, created_enrolment=n < new_people,
                                   new_end=kit.today())
    return payment


def visit_on(collector, household, when):
    Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=household, outcome="interested",
                         visited_at=when)


def test_the_month_counts_my_work_against_my_target(client, collector):
    household = kit.household(collector)
    Target.objects.create(collector=collector, month=first_of_month(), visits=40, new_enrolments=10, renewals=20,
                          amount=30_000_000)
    start = timezone.make_aware(datetime.combine(first_of_month(), datetime.min.time()))
    for hours in [0, 1, 2]:
        visit_on(collector, household, start + timedelta(hours=hours))
    visit_on(collector, household, start - timedelta(minutes=1))  # the last minute of the month before
    receipt(collector, household, "BL-1", 2_322_540, new_people=1, renewed_people=1)
    receipt(collector, household, "BL-2", 1_366_200, renewed_people=1)
    receipt(collector, household, "BL-3", 999_999, renewed_people=1, cancelled=True)
    receipt(collector, household, "BL-0", 5_000, day=first_of_month() - timedelta(days=1))
    html = client.get(reverse("field:month")).content.decode()
    stats = {label: html.split(f"<span class=\"muted\">{label}</span><b>")[1].split("</b>")[0]
             for label in ["Visits", "New enrolments", "Renewals", "Collected"]}
    assert stats == {"Visits": "3", "New enrolments": "1", "Renewals": "2", "Collected": "3.688.740 ₫"}
    assert "target 40" in html and "target 30.000.000 ₫" in html


def test_the_receipts_to_hand_over_are_listed_with_their_total(client, collector):
    household = kit.household(collector)
    receipt(collector, household, "BL-1", 2_322_540)
    receipt(collector, household, "BL-2", 1_366_200)
    receipt(collector, household, "BL-3", 999_999, cancelled=True)
    html = client.get(reverse("field:month")).content.decode()
    rows = html.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.index("BL-1") < rows.index("BL-2") < rows.index("BL-3")
    assert "cancelled" in rows.split("BL-3")[1][:80]
    assert "Total to hand over</th><th class=\"num\">3.688.740 ₫" in html


def test_an_earlier_month_can_be_read(client, collector):
    household = kit.household(collector)
    previous = (first_of_month() - timedelta(days=1)).replace(day=1)
    receipt(collector, household, "OLD-1", 1_000, day=previous)
    html = client.get(reverse("field:month"), {"month": previous.strftime("%Y-%m")}).content.decode()
    assert "OLD-1" in html and previous.strftime("%m/%Y") in html
    assert "OLD-1" not in client.get(reverse("field:month")).content.decode()


def test_a_month_without_target_or_receipts_says_so(client, collector):
    html = client.get(reverse("field:month")).content.decode()
    assert "No target set for this month." in html and "No receipt this month." in html


@pytest.mark.parametrize("receipts", [1, 120])
def test_my_month_runs_a_fixed_number_of_queries_in_a_light_page(client, collector, receipts,
                                                                 django_assert_num_queries):
    household = kit.household(collector)
    Target.objects.create(collector=collector, month=first_of_month(), visits=40)
    for n in range(receipts):
        receipt(collector, household, f"BL-{n:05d}", 1_366_200, renewed_people=1)
        visit_on(collector, household, timezone.now())
    with django_assert_num_queries(MONTH_QUERIES):
        response = client.get(reverse("field:month"))
    assert response.content.decode().count("BL-") == receipts and len(response.content) < 100_000
