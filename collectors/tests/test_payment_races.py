"""Payments posted at the same moment (two phones, a form sent five times):
each extends cover from the end the one before left, or is refused; never
charged twice for one extension, never a 500. Real concurrency: threads with
their own PostgreSQL connections, on committed data."""

import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from collectors.models import Payment, Visit
from collectors.payments import quote_for_collector
from collectors.services import record_payment_with_visit
from collectors.tests.factories import AssignmentFactory, CollectorFactory
from households.contributions import period_end
from households.models import Enrolment, Household, Member
from households.tests.factories import EnrolmentFactory, HouseholdFactory, MemberFactory, seed_rules_of_law

pytestmark = [pytest.mark.postgres]

TODAY = date(2026, 11, 25)


@pytest.fixture
def rules_of_law(transactional_db, monkeypatch):
    """The dated rates the migrations seed (a transactional test empties every table)."""
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)
    seed_rules_of_law()


@pytest.fixture
def setting(rules_of_law):
    collector = CollectorFactory()
    household = HouseholdFactory(economic_status=Household.EconomicStatus.OTHER)
    AssignmentFactory(collector=collector, commune=household.commune, start=date(2026, 1, 1))
    head = MemberFactory(household=household, relation=Member.Relation.HEAD, date_of_birth=date(1975, 3, 1))
    spouse = MemberFactory(household=household, relation=Member.Relation.SPOUSE, date_of_birth=date(1978, 6, 1))
    return collector, household, [head, spouse]


def at_once(calls):
    """Run each call in its own thread and connection, all released together;
    returns what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 - the test looks at every outcome
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def posted(collector, household, receipt, client_id=None, months=12):
    """What the payment page does on save: members read with their cover before, the quote shown, then record."""
    members = list(Member.objects.filter(household=household).prefetch_related("enrolments"))
    amount = quote_for_collector(collector=collector, household=household, members=members, scheme="bhyt_hgd",
                                 months=months, paid_on=TODAY).total
    import uuid

    client_id = client_id or uuid.uuid4()
    return lambda: record_payment_with_visit(
        collector=collector, household=household, client_id=client_id, members=members, scheme="bhyt_hgd",
        months=months, paid_on=TODAY, receipt_number=receipt, amount=amount, recorded_by=collector.user)


def test_two_phones_paying_a_renewal_at_once_each_extend_the_cover_from_where_the_other_left(setting):
    collector, household, members = setting
    end = TODAY + timedelta(days=10)
    for member in members:
        EnrolmentFactory(member=member, coverage_start=end - timedelta(days=364), coverage_end=end)
    results = at_once([posted(collector, household, "BL-1"), posted(collector, household, "BL-2")])
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
    paid = Payment.objects.filter(cancelled_at__isnull=True).count()
    ends = set(Enrolment.objects.exclude(status="cancelled").values_list("coverage_end", flat=True))
    # 12 months from 6 Dec 2026 per payment that was kept: never two receipts for one extension.
    assert ends == {date(2026 + paid, 12, 5)}
    assert paid == 2


def test_a_first_enrolment_paid_twice_at_once_is_no_500_and_no_double_charge(setting):
    collector, household, _members = setting
    results = at_once([posted(collector, household, "BL-1"), posted(collector, household, "BL-2")])
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)], results
    paid = Payment.objects.count()
    enrolments = Enrolment.objects.exclude(status="cancelled")
    assert enrolments.count() == 2  # one period of cover per member
    # The card starts 30 days after payment and runs 12 months per payment kept.
    start = TODAY + timedelta(days=30)
    assert {(e.coverage_start, e.coverage_end) for e in enrolments} == {(start, period_end(start, 12 * paid))}


def test_one_form_posted_five_times_with_five_receipt_numbers_is_one_payment(setting):
    import uuid

    collector, household, members = setting
    end = TODAY + timedelta(days=10)
    for member in members:
        EnrolmentFactory(member=member, coverage_start=end - timedelta(days=364), coverage_end=end)
    form = uuid.uuid4()
    results = at_once([posted(collector, household, f"BL-{n}", client_id=form) for n in range(5)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert (Payment.objects.count(), Visit.objects.count()) == (1, 1)
    assert set(Enrolment.objects.values_list("coverage_end", flat=True)) == {date(2027, 12, 5)}


def test_households_registered_at_once_in_one_commune_get_distinct_serial_codes(transactional_db):
    """Phones registering in one commune at the same moment read the same last
    serial: the unique code sends the later ones to the next serial."""
    import uuid

    from collectors.services import register_household

    collector = CollectorFactory()
    commune = HouseholdFactory(code="000").commune
    AssignmentFactory(collector=collector, commune=commune, start=date(2026, 1, 1))

    def register(n):
        return lambda: register_household(
            collector=collector, client_id=uuid.uuid4(), commune_id=commune.pk, village_id=None, address="",
            phone=None, economic_status="other", status_year=None,
            members=[{"full_name": f"Người {n}", "date_of_birth": date(1980, 1, 1), "sex": "M", "relation": "head"}])

    results = at_once([register(n) for n in range(4)])
    assert all(isinstance(r, tuple) and r[1] for r in results), results
    assert sorted(r[0].code for r in results) == [f"{commune.pk}{n:07d}" for n in range(1, 5)]
