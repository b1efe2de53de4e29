"""After some members of a household have paid, every page quotes the same
amount: those whose cover still needs renewing, in the ladder places the law
gives them (those already paid keep theirs)."""

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from collectors.handovers import record_handover
from collectors.models import Payment
from collectors.office_lists import produce_lists
from collectors.payments import quote_for_collector, record_payment
from collectors.tests import fieldkit as kit
from collectors.tests.factories import AssignmentFactory, CollectorFactory, UserFactory
from households.contributions import format_vnd
from households.models import Household, Member
from households.tests.factories import CommuneFactory, EnrolmentFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_household_page_today_payment_page_and_calculator_quote_the_same_people_and_amount(client, collector):
    household = kit.household(collector, head="Already Paid")
    # Cover imported without a receipt that began this year: the head took part this year, keeps the 1st place.
    kit.cover(kit.head_of(household), ends_in_days=200, coverage_start=date(kit.today().year, 1, 1))
    kit.cover(kit.add_member(household, name="Spouse Due"), ends_in_days=5)
    kit.add_member(household, name="Parent Never Insured", born=date(1950, 1, 1), relation=Member.Relation.PARENT)
    kit.add_member(household, name="Pupil Due", born=date(2010, 1, 1), relation=Member.Relation.CHILD, student=True)
    kit.add_member(household, name="Small Child", born=kit.today().replace(year=kit.today().year - 3),
                   relation=Member.Relation.CHILD)
    # Parent 2nd (79,695), spouse 3rd (68,310), the pupil outside the ladder (45 % of 113,850 = 51,233).
    expected = 12 * (79_695 + 68_310 + 51_233)

    page = client.get(reverse("field:household", args=[household.pk]))
    assert page.context["renewal"].total == expected
    assert {line.member.full_name for line in page.context["renewal"].lines} == {
        "Spouse Due", "Parent Never Insured", "Pupil Due"}
    assert format_vnd(expected) in client.get(reverse("field:today")).content.decode()

    form = client.get(reverse("field:pay", args=[household.pk])).context["form"]
    body = {"client_id": str(form.initial["client_id"]), "scheme": "bhyt_hgd", "months": "12",
            "paid_on": kit.today().isoformat(), "members": form.initial["members"], "preview": "1"}
    quote = client.post(reverse("field:pay", args=[household.pk]), body).context["quote"]
    assert quote.total == expected

    staff = UserFactory(username="province", is_staff=True, is_superuser=True)
    client.force_login(staff)
    calculator = client.get(reverse("admin:households_calculator"), {"household": household.code})
    assert calculator.context["total_display"] == format_vnd(expected)


def all_four_quotes(client, collector, household):
    """The totals the household page, Today, the payment page and the admin calculator quote today."""
    page = client.get(reverse("field:household", args=[household.pk])).context["renewal"]
    today = client.get(reverse("field:today")).content.decode()
    form = client.get(reverse("field:pay", args=[household.pk])).context["form"]
    body = {"client_id": str(form.initial["client_id"]), "scheme": "bhyt_hgd", "months": "12",
            "paid_on": kit.today().isoformat(), "members": form.initial["members"], "preview": "1"}
    paying = client.post(reverse("field:pay", args=[household.pk]), body).context["quote"]
    client.force_login(UserFactory(username="province", is_staff=True, is_superuser=True))
    calculator = client.get(reverse("admin:households_calculator"), {"household": household.code})
    kit.phone_login(client, collector)
    return page.total, today, paying.total, calculator.context["total_display"]


def test_only_who_paid_this_calendar_year_keeps_a_place_whatever_cards_run(client, collector):
    household = kit.household(collector, head="Paid In January")
    head = kit.head_of(household)
    januarys = date(kit.today().year, 1, 1)
    first = quote_for_collector(collector=collector, household=household, members=[head], scheme="bhyt_hgd",
                                months=12, paid_on=januarys)
    record_payment(collector=collector, household=household, members=[head], scheme="bhyt_hgd", months=12,
                   paid_on=januarys, receipt_number="BL-1", amount=first.total, recorded_by=collector.user)
    # Insured until well after today, but on a card that began last year and no payment this year: no place.
    last_year = kit.add_member(household, name="Card From Last Year", born=date(1950, 1, 1),
                               relation=Member.Relation.PARENT)
    kit.cover(last_year, ends_in_days=200, coverage_start=date(kit.today().year - 1, 6, 1))
    kit.cover(kit.add_member(household, name="Spouse Due"), ends_in_days=5)
    expected = 12 * 79_695  # the spouse is the 2nd of the year (70 % of 113,850), not the 3rd
    page, today, paying, calculator = all_four_quotes(client, collector, household)
    assert (page, paying, calculator) == (expected, expected, format_vnd(expected))
    assert format_vnd(expected) in today


def test_places_in_the_ladder_go_by_who_paid_first_in_the_calendar_year():
    """The audit's household: X's card ends 10 days before a renewal, Y's 45 days. Counting whose card runs
    on the day, each was quoted 2nd in turn and nobody ever paid the 1st member's 100 %."""
    collector = CollectorFactory()
    household = HouseholdFactory()
    AssignmentFactory(collector=collector, commune=household.commune, start=date(2024, 1, 1))
    x = MemberFactory(household=household, relation=Member.Relation.HEAD, full_name="X", date_of_birth=date(1980, 1, 1))
    y = MemberFactory(household=household, relation=Member.Relation.SPOUSE, full_name="Y",
                      date_of_birth=date(1982, 1, 1))
    EnrolmentFactory(member=x, coverage_start=date(2024, 3, 11), coverage_end=date(2025, 3, 10))  # imported
    EnrolmentFactory(member=y, coverage_start=date(2024, 4, 15), coverage_end=date(2025, 4, 14))
    receipts = iter(range(1, 10))

    def renew(member, paid_on):
        quote = quote_for_collector(collector=collector, household=household, members=[member], scheme="bhyt_hgd",
                                    months=12, paid_on=paid_on)
        record_payment(collector=collector, household=household, members=[member], scheme="bhyt_hgd", months=12,
                       paid_on=paid_on, receipt_number=f"BL-{next(receipts)}", amount=quote.total,
                       recorded_by=collector.user)
        return quote.total

    # 2025 (base salary 2,340,000 ₫): X first, at 100 % of 105,300 ₫; Y a month later, 2nd, at 70 %.
    assert renew(x, date(2025, 2, 28)) == 1_263_600
    assert renew(y, date(2025, 3, 30)) == 884_520
    # The next year the places start again: this time Y pays first and is the 1st.
    assert renew(y, date(2026, 2, 20)) == 1_263_600
    assert renew(x, date(2026, 3, 5)) == 884_520
    # A household of 2 pays 1,263,600 + 884,520 = 2,148,120 ₫ a year at that base salary, not 884,520 × 2.


def near_poor_household_of_7_in_quang_phu(collector):
    """Seven near-poor people (certified this year) of Xã Quảng Phú, none insured yet: in Đắk Lắk the state's
    70 % and the province's 30 % pay all of each one's 113,850 ₫ a month."""
    commune = CommuneFactory(code=24259, name="Xã Quảng Phú")
    AssignmentFactory(collector=collector, commune=commune, start=date(2024, 1, 1))
    household = HouseholdFactory(commune=commune, economic_status=Household.EconomicStatus.NEAR_POOR,
                                 status_year=kit.today().year)
    people = [("Y Bhin Niê", date(1975, 3, 1), Member.Relation.HEAD), ("H'Hen Ksor", date(1978, 6, 1), "spouse"),
              ("Y Ngơ Ksor", date(2010, 9, 1), "child"), ("H'Ni Ksor", date(2012, 1, 5), "child"),
              ("Y Kô Ksor", date(2015, 4, 2), "child"), ("Ama Bhin", date(1950, 2, 2), "parent"),
              ("Ami Bhin", date(1952, 7, 7), "parent")]
    for name, born, relation in people:
        MemberFactory(household=household, full_name=name, date_of_birth=born, relation=relation,
                      vssid_installed=True)
    return household


def test_a_near_poor_household_of_7_in_quang_phu_is_quoted_0_everywhere_and_still_renewed(client):
    collector = CollectorFactory()
    household = near_poor_household_of_7_in_quang_phu(collector)
    kit.phone_login(client, collector)
    page, today, paying, calculator = all_four_quotes(client, collector, household)
    assert (page, paying, calculator) == (0, 0, "0 ₫")
    assert "0 ₫ to pay" in today and "the state pays it all, the cards still need renewing" in today
    detail = client.get(reverse("field:household", args=[household.pk]))
    assert len(detail.context["renewal"].lines) == 7  # each card is renewed, at 0 ₫
    html = client.get(reverse("field:household", args=[household.pk]), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert html.count("Hộ cận nghèo: Nhà nước hỗ trợ 70 % + tỉnh hỗ trợ 30 % = 113.850 ₫, "
                      "còn phải đóng 0 ₫/tháng") >= 7  # on each member's card (and in the worked-out lines)


def test_a_receipt_of_0_dong_renews_the_cards_and_goes_on_the_office_list(client):
    collector = CollectorFactory()
    household = near_poor_household_of_7_in_quang_phu(collector)
    kit.phone_login(client, collector)
    form = client.get(reverse("field:pay", args=[household.pk])).context["form"]
    body = {"client_id": str(form.initial["client_id"]), "scheme": "bhyt_hgd", "months": "12",
            "paid_on": kit.today().isoformat(), "members": form.initial["members"], "receipt_number": "BL-0",
            "amount": "0", "save": "1"}
    assert client.post(reverse("field:pay", args=[household.pk]), body).status_code == 302
    payment = Payment.objects.get(household=household)
    assert payment.amount == 0
    lines = list(payment.lines.select_related("enrolment"))
    assert len(lines) == 7
    assert {(line.amount, line.support_group, line.monthly_support) for line in lines} == {(0, "near_poor", 113_850)}
    assert all(line.enrolment.coverage_start == kit.today() + timedelta(days=30) for line in lines)
    staff = UserFactory(username="province", is_staff=True, is_superuser=True)
    record_handover(collector=collector, numbers=["BL-0"], total=0, handed_on=kit.today(), received_by="Phạm Thị Lan",
                    recorded_by=staff)
    produced = {item.office_list.form: item for item in produce_lists(agent=collector.agent,
                                                                      period=kit.today().replace(day=1))}
    listed = load_workbook(io.BytesIO(produced["D03-TS"].content)).active.iter_rows(values_only=True)
    assert sum(1 for row in listed if "BL-0" in row) == 7
