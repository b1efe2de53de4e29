"""Receipts move cover exactly as the rules say, and cancelling undoes them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.models import Payment
from collectors.payments import cancel_payment, quote_for_collector, record_payment
from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory
from households.models import ContributionRate, Enrolment, Household, Member
from households.tests.factories import EnrolmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)  # base salary 2,530,000 ₫: the first member pays 113,850 ₫ a month


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


@pytest.fixture
def collector():
    return CollectorFactory()


def household_in_area(collector, status=Household.EconomicStatus.OTHER, **members):
    household = HouseholdFactory(economic_status=status, status_year=2025 if status != "other" else None)
    AssignmentFactory(collector=collector, commune=household.commune, start=date(2026, 1, 1))
    head = MemberFactory(household=household, relation=Member.Relation.HEAD, full_name="Y Bhin Niê",
                         date_of_birth=date(1975, 3, 1), ethnicity="12")
    spouse = MemberFactory(household=household, relation=Member.Relation.SPOUSE, full_name="H'Hen Ksor",
                           date_of_birth=date(1978, 6, 1), sex="F", ethnicity="12")
    child = MemberFactory(household=household, relation=Member.Relation.CHILD, full_name="Y Ngơ Ksor",
                          date_of_birth=date(2012, 9, 1), ethnicity="12")
    return household, [head, spouse, child]


def insure(member, end, start=None, status=Enrolment.Status.ACTIVE):
    return EnrolmentFactory(member=member, coverage_start=start or end - timedelta(days=364), coverage_end=end,
                            status=status)


def pay(collector, household, members, months=12, amount=None, receipt="BL-0001", scheme="bhyt_hgd", **extra):
    if amount is None:
        amount = quote_for_collector(collector=collector, household=household, members=members, scheme=scheme,
                                     months=months, paid_on=TODAY, income=extra.get("income")).total
    return record_payment(collector=collector, household=household, members=members, scheme=scheme, months=months,
                          paid_on=extra.pop("paid_on", TODAY), receipt_number=receipt, amount=amount,
                          recorded_by=collector.user, **extra)


def errors(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_a_household_of_three_renewing_for_12_months_pays_3142260_and_runs_on_without_a_gap(collector):
    household, members = household_in_area(collector)
    ends = [insure(m, TODAY + timedelta(days=10)) for m in members]
    payment = pay(collector, household, members, amount=3_142_260)
    assert (payment.amount, payment.collector, payment.agent) == (3_142_260, collector, collector.agent)
    for enrolment in ends:
        enrolment.refresh_from_db()
        assert enrolment.coverage_end == date(2027, 12, 5)  # 6 Dec 2026 + 12 months − 1 day
        assert enrolment.status == "active"
    assert sorted(payment.lines.values_list("monthly_amount", flat=True)) == [68_310, 79_695, 113_850]


def test_a_first_enrolment_takes_effect_30_days_after_payment(collector):
    household, members = household_in_area(collector)
    payment = pay(collector, household, members[:1], months=6, amount=113_850 * 6)
    enrolment = payment.lines.get().enrolment
    assert (enrolment.coverage_start, enrolment.coverage_end, enrolment.status) == (
        date(2026, 12, 25), date(2027, 6, 24), "pending")
    assert enrolment.card_number == (members[0].si_number or "")


def test_cover_lapsed_more_than_3_months_ago_starts_a_new_period_with_the_wait(collector):
    household, members = household_in_area(collector)
    old = insure(members[0], TODAY - timedelta(days=120), status=Enrolment.Status.LAPSED)
    payment = pay(collector, household, members[:1], months=3)
    new = payment.lines.get().enrolment
    assert new != old and new.coverage_start == TODAY + timedelta(days=30)
    old.refresh_from_db()
    assert old.status == "lapsed"


def test_cover_lapsed_two_months_ago_is_renewed_from_the_day_after_it_ended(collector):
    household, members = household_in_area(collector)
    old = insure(members[0], date(2026, 9, 30), status=Enrolment.Status.LAPSED)
    pay(collector, household, members[:1], months=3)
    old.refresh_from_db()
    assert (old.coverage_end, old.status) == (date(2026, 12, 31), "active")


def test_a_member_joining_an_insured_household_pays_at_their_place_in_the_ladder(collector):
    household, (head, spouse, child) = household_in_area(collector)
    insure(head, TODAY + timedelta(days=200))
    insure(spouse, TODAY + timedelta(days=200))
    quote = quote_for_collector(collector=collector, household=household, members=[child], scheme="bhyt_hgd",
                                months=12, paid_on=TODAY)
    assert quote.total == 68_310 * 12  # the 3rd member: 60 % of 113,850 ₫


def test_near_poor_members_pay_nothing_in_dak_lak_the_state_and_the_province_pay_it_all(collector):
    household, members = household_in_area(collector, status=Household.EconomicStatus.NEAR_POOR)
    # Their card is still renewed and listed for the office: a receipt of 0 ₫ (it was refused before).
    payment = pay(collector, household, members[:1], amount=0)
    line = payment.lines.get()
    assert (payment.amount, line.amount, line.support_group, line.monthly_support) == (0, 0, "near_poor", 113_850)


def test_members_of_an_average_standard_farm_household_pay_40_percent_outside_the_ladder(collector):
    household, members = household_in_area(collector)
    Household.objects.filter(pk=household.pk).update(average_standard_year=2026)
    household.refresh_from_db()
    payment = pay(collector, household, members, amount=3 * 12 * 45_540)
    assert sorted(payment.lines.values_list("monthly_amount", flat=True)) == [45_540] * 3


def test_a_student_pays_outside_the_ladder_and_moves_no_one_s_place(collector):
    household, (head, spouse, child) = household_in_area(collector)
    Member.objects.filter(pk=child.pk).update(student=True)
    child.refresh_from_db()
    quote = quote_for_collector(collector=collector, household=household, members=[head, spouse, child],
                                scheme="bhyt_hgd", months=12, paid_on=TODAY)
    assert [line.monthly_amount for line in quote.lines] == [113_850, 79_695, 51_233]  # 45 % of 113,850


def test_a_member_insured_by_another_scheme_is_refused_and_not_counted(collector):
    household, (head, spouse, child) = household_in_area(collector)
    Member.objects.filter(pk=head.pk).update(insured_elsewhere=True)
    head.refresh_from_db()
    assert errors(lambda: pay(collector, household, [head], amount=1)) == {
        "members": ["Y Bhin Niê pays nothing here: insured by another scheme."]}
    quote = quote_for_collector(collector=collector, household=household, members=[spouse], scheme="bhyt_hgd",
                                months=12, paid_on=TODAY)
    assert quote.total == 113_850 * 12


def test_a_recorded_payment_keeps_its_amount_when_the_rules_change(collector):
    household, members = household_in_area(collector)
    payment = pay(collector, household, members[:1], amount=113_850 * 12)
    ContributionRate.objects.create(key=ContributionRate.Key.BHYT_RATE, value=Decimal("0.05"),
                                    effective_from=TODAY - timedelta(days=1))
    payment.refresh_from_db()
    assert (payment.amount, payment.lines.get().amount) == (113_850 * 12, 113_850 * 12)


@pytest.mark.parametrize("status, child_born, message", [
    ("poor", date(2012, 9, 1), "Y Ngơ Ksor pays nothing here: members of poor households are insured by the state."),
    ("other", date(2022, 1, 1), "Y Ngơ Ksor pays nothing here: children under 6 are insured by the state."),
])
def test_people_the_state_insures_are_refused(collector, status, child_born, message):
    household, members = household_in_area(collector, status=status)
    Member.objects.filter(pk=members[2].pk).update(date_of_birth=child_born)
    members[2].refresh_from_db()
    assert errors(lambda: pay(collector, household, [members[2]], amount=1)) == {"members": [message]}


def test_voluntary_social_insurance_for_an_ethnic_minority_member_at_the_minimum_income(collector):
    household, members = household_in_area(collector)
    payment = pay(collector, household, members[:1], scheme="bhxh_tn", months=12, income=1_500_000,
                  amount=231_000 * 12)
    enrolment = payment.lines.get().enrolment
    assert (enrolment.coverage_start, enrolment.coverage_end) == (date(2026, 11, 1), date(2027, 10, 31))
    assert payment.lines.get().support_months == 12 and payment.income == 1_500_000


def test_voluntary_social_insurance_is_paid_per_person(collector):
    household, members = household_in_area(collector)
    assert errors(lambda: pay(collector, household, members, scheme="bhxh_tn", income=1_500_000, amount=1)) == {
        "members": ["Voluntary social insurance is paid per person: choose one member."]}


def test_bad_input_is_refused_with_what_is_allowed_and_changes_nothing(collector):
    household, members = household_in_area(collector)
    cover = insure(members[0], TODAY + timedelta(days=10))
    assert errors(lambda: pay(collector, household, members[:1], amount=1_000_000)) == {
        "amount": ["The amount for this payment is 1.366.200 ₫, not 1.000.000 ₫."]}
    assert errors(lambda: pay(collector, household, members[:1], months=5, amount=1)) == {
        "months": ["Payment period must be one of 3, 6, 12 months."]}
    assert errors(lambda: pay(collector, household, members[:1], months=-1, amount=1)) == {
        "months": ["Months paid must be 1 or more, not -1."]}
    assert errors(lambda: pay(collector, household, members[:1], scheme="bhxh_tn", income=1_000_000, amount=1)) == {
        "income": ["Monthly income 1.000.000 ₫ is outside the allowed range: choose an amount from 1.500.000 ₫ "
                   "to 50.600.000 ₫."]}
    assert "paid_on" in errors(lambda: pay(collector, household, members[:1], paid_on=TODAY + timedelta(days=1),
                                           amount=1_366_200))
    assert not Payment.objects.exists()
    cover.refresh_from_db()
    assert cover.coverage_end == TODAY + timedelta(days=10)


def test_a_receipt_number_is_used_once_per_agent(collector):
    household, members = household_in_area(collector)
    pay(collector, household, members[:1], receipt="BL-7")
    assert errors(lambda: pay(collector, household, members[1:2], receipt=" BL-7 ")) == {
        "receipt_number": ["Receipt number BL-7 was already used on 25/11/2026: enter the number of this receipt."]}
    other_agent = CollectorFactory(agent=AgentFactory())
    AssignmentFactory(collector=other_agent, commune=household.commune, start=date(2026, 1, 1))
    pay(other_agent, household, members[1:2], receipt="BL-7")
    assert Payment.objects.filter(receipt_number="BL-7").count() == 2


def test_a_household_outside_the_collectors_area_is_refused(collector):
    household, members = household_in_area(CollectorFactory())
    assert errors(lambda: pay(collector, household, members[:1], amount=1)) == {
        "__all__": [f"Household {household.code} is not in your area."]}
    assert not Payment.objects.exists()


def snapshot(household):
    return sorted(Enrolment.objects.filter(member__household=household).exclude(status="cancelled")
                  .values_list("member_id", "scheme", "coverage_start", "coverage_end", "status", "monthly_amount"))


def test_cancelling_restores_the_cover_and_records_who_and_why(collector):
    household, members = household_in_area(collector)
    insure(members[0], TODAY + timedelta(days=10))
    before = snapshot(household)
    payment = pay(collector, household, members)
    assert snapshot(household) != before
    cancel_payment(payment=payment, user=collector.user, reason="wrong household")
    assert snapshot(household) == before
    payment.refresh_from_db()
    assert (payment.cancelled_by, payment.cancel_reason) == (collector.user, "wrong household")
    assert errors(lambda: cancel_payment(payment=payment, user=collector.user, reason="again")) == {
        "__all__": [f"Receipt BL-0001 was already cancelled on {timezone.localtime():%d/%m/%Y}."]}


def test_a_payment_extended_by_a_later_one_cannot_be_cancelled_first(collector):
    household, members = household_in_area(collector)
    insure(members[0], TODAY + timedelta(days=10))
    first = pay(collector, household, members[:1], months=3, receipt="BL-1")
    pay(collector, household, members[:1], months=3, receipt="BL-2")
    assert errors(lambda: cancel_payment(payment=first, user=collector.user, reason="typo")) == {
        "__all__": ["The cover of Y Bhin Niê was changed after this payment (receipt BL-2): cancel that first."]}
    assert errors(lambda: cancel_payment(payment=first, user=collector.user, reason=" ")) == {
        "reason": ["Say why the payment is cancelled."]}


@settings(max_examples=25, deadline=None)
@given(
    months=st.sampled_from([3, 6, 12]),
    previous_ends=st.lists(st.one_of(st.none(), st.integers(-200, 300)), min_size=3, max_size=3),
    chosen=st.sets(st.integers(0, 2), min_size=1),
)
def test_a_payment_followed_by_its_cancellation_leaves_cover_unchanged(months, previous_ends, chosen):
    collector = CollectorFactory()
    household, members = household_in_area(collector)
    for member, offset in zip(members, previous_ends):
        if offset is not None:
            insure(member, TODAY + timedelta(days=offset),
                   status="active" if offset >= 0 else "lapsed")
    before = snapshot(household)
    payment = pay(collector, household, [members[i] for i in sorted(chosen)], months=months,
                  receipt=f"P-{household.pk}")
    assert payment.amount > 0
    cancel_payment(payment=payment, user=collector.user, reason="test")
    assert snapshot(household) == before


def test_an_outdated_status_or_list_gives_no_support_and_the_years_it_holds_are_data(collector):
    """A near-poor status or an average-standard list holds in its own year and the next (the dated row
    'calendar years it holds' = 2, check): one of 2019 or 2024 gives no support in 2026."""
    household, (head, spouse, child) = household_in_area(collector, status=Household.EconomicStatus.NEAR_POOR)

    def quoted(**evidence):
        Household.objects.filter(pk=household.pk).update(**evidence)
        household.refresh_from_db()
        return quote_for_collector(collector=collector, household=household, members=[head], scheme="bhyt_hgd",
                                   months=12, paid_on=TODAY)

    assert quoted(status_year=2025).total == 0  # last year's status: 70 % + 30 %
    stale = quoted(status_year=2019)
    assert stale.total == 12 * 113_850  # the head pays as the household's 1st member
    assert stale.explanation[0] == "Near-poor household of 2019: no longer valid"
    stale_list = quoted(economic_status="other", status_year=None, average_standard_year=2024)
    assert stale_list.total == 12 * 113_850
    assert stale_list.explanation[0] == ("Farming, forestry or fishery household of average living standard "
                                         "(list of 2024): no longer valid")
    assert quoted(average_standard_year=2025).total == 12 * 45_540  # 30 % + 30 %: pays 40 %
    ContributionRate.objects.create(key="average_list_valid_years", value=3, effective_from=date(2026, 1, 1),
                                    source="test")
    assert quoted(average_standard_year=2024).total == 12 * 45_540


def test_a_poor_status_of_an_earlier_period_no_longer_makes_the_state_pay(collector):
    household, members = household_in_area(collector, status=Household.EconomicStatus.POOR)
    assert "insured by the state" in errors(lambda: pay(collector, household, members[:1], amount=0))["members"][0]
    Household.objects.filter(pk=household.pk).update(status_year=2019)
    household.refresh_from_db()
    assert pay(collector, household, members[:1], amount=12 * 113_850).amount == 12 * 113_850
