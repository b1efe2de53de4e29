"""Taking a payment on the phone: the amount and its explanation are shown
before saving; saving moves the cover and logs the visit for the collector."""

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from collectors.models import Payment, PaymentLine, Visit
from collectors.tests import fieldkit as kit
from households.contributions import format_vnd
from households.models import ContributionRate, Enrolment, Member, PaymentPeriod
from households.quotes import quote_household_payment

pytestmark = pytest.mark.django_db
PAY_FORM_QUERIES = 9  # session, user with collector, area, household, members, cover, 3 rates
# The form's 9; rates (3). Who already pays in the ladder now comes from the members the page read (one fewer).
PREVIEW_QUERIES = 12


@pytest.fixture
def household(collector):
    """Hiền's card ends in 10 days; her husband's ended 20 days ago; their
    daughter (4) is insured by the state."""
    household = kit.household(collector)
    kit.cover(kit.head_of(household), ends_in_days=10)
    kit.cover(kit.add_member(household, name="Trần Văn Bình"), ends_in_days=-20)
    kit.add_member(household, name="Trần Bảo Na", born=kit.today() - timedelta(days=4 * 365),
                   relation=Member.Relation.CHILD, citizen_id=None)
    return household


def paying(household):
    return list(household.members.exclude(full_name="Trần Bảo Na"))


def url(household):
    return reverse("field:pay", args=[household.pk])


def choice(household, **fields):
    return {"client_id": str(uuid.uuid4()), "members": [m.pk for m in paying(household)], "scheme": "bhyt_hgd",
            "months": "12", "paid_on": kit.today().isoformat(), **fields}


def expected(household, months=12):
    return quote_household_payment(household=household, members=paying(household), scheme="bhyt_hgd",
                                   months=months, day=kit.today())


def test_the_form_preselects_the_people_who_are_due(client, household):
    html = client.get(url(household)).content.decode()
    checked = [m.full_name for m in household.members.all() if f'value="{m.pk}"' in html.split(m.full_name)[0][-300:]
               and "checked" in html.split(m.full_name)[0][-300:].rsplit("<input", 1)[1]]
    assert checked == ["Nguyễn Thị Hiền", "Trần Văn Bình"]


def test_the_page_opens_with_the_amount_of_the_usual_choice(client, household):
    """Everyone due, 12 months: shown without a tap; the button stays for changes."""
    html = client.get(url(household)).content.decode()
    total = expected(household).total
    assert f'<p class="total" data-total>{format_vnd(total)}</p>' in html and total == 12 * (113_850 + 79_695)
    assert f'name="amount" value="{total}"' in html
    assert re.search(r'<option value="12" selected>', html)
    assert "Save the payment" in html and "Work out the amount" in html
    assert Payment.objects.count() == 0


def test_nobody_due_opens_without_an_amount(client, collector):
    household = kit.household(collector)
    kit.cover(kit.head_of(household), ends_in_days=200)
    html = client.get(url(household)).content.decode()
    assert "data-total" not in html and "Save the payment" not in html and "Work out the amount" in html


def test_the_amount_and_its_explanation_are_shown_before_saving(client, household):
    response = client.post(url(household), {**choice(household), "preview": "1"})
    html = response.content.decode()
    quote = expected(household)
    assert format_vnd(quote.total) in html and quote.total == 12 * (113_850 + 79_695)
    assert "Member 1 of the household (Nguyễn Thị Hiền)" in html
    assert "Renewal without a break" in html
    assert 'name="receipt_number"' in html and "Save the payment" in html
    assert Payment.objects.count() == 0 and Visit.objects.count() == 0


def test_changing_a_choice_updates_the_amount_in_place(client, household):
    response = client.post(url(household), {**choice(household, months="6")}, headers={"hx-request": "true"})
    html = response.content.decode()
    assert html.startswith('<div id="quote">') and "<html" not in html
    assert format_vnd(expected(household, months=6).total) in html


def test_saving_records_the_payment_moves_the_cover_and_logs_the_visit(client, collector, household):
    hien = kit.head_of(household)
    old_end = hien.enrolments.get().coverage_end
    quote = expected(household)
    body = {**choice(household), "receipt_number": "BL 000123", "amount": str(quote.total), "save": "1"}
    response = client.post(url(household), body)
    assert response.status_code == 302 and response.url == reverse("field:household", args=[household.pk])
    payment = Payment.objects.get()
    assert (payment.collector, payment.agent, payment.amount, payment.months) == (collector, collector.agent,
                                                                                  quote.total, 12)
    assert payment.recorded_by == collector.user and payment.receipt_number == "BL 000123"
    visit = Visit.objects.get()
    assert (visit.collector, visit.payment, visit.outcome, str(visit.client_id)) == (
        collector, payment, "renewed", body["client_id"])
    assert hien.enrolments.get().coverage_end > old_end
    page = client.get(response.url).content.decode()
    assert f"Payment saved: {format_vnd(quote.total)}, receipt BL 000123." in page


def test_saving_twice_stores_one_payment(client, household):
    body = {**choice(household), "receipt_number": "BL-1", "amount": str(expected(household).total), "save": "1"}
    assert client.post(url(household), body).status_code == 302
    assert client.post(url(household), body).status_code == 302
    assert Payment.objects.count() == 1 and Visit.objects.count() == 1


def test_a_first_enrolment_is_logged_as_enrolled(client, collector):
    household = kit.household(collector)
    amount = quote_household_payment(household=household, members=[kit.head_of(household)], scheme="bhyt_hgd",
                                     months=12, day=kit.today()).total
    client.post(url(household), {**choice(household, members=[kit.head_of(household).pk]), "receipt_number": "N-1",
                                 "amount": str(amount), "save": "1"})
    assert Visit.objects.get().outcome == "enrolled"
    assert PaymentLine.objects.get().created_enrolment


def test_voluntary_social_insurance_needs_the_chosen_income(client, household):
    hien = kit.head_of(household)
    fields = choice(household, scheme="bhxh_tn", members=[hien.pk], bhxh_months="3")
    html = client.post(url(household), {**fields, "preview": "1"}).content.decode()
    assert "Enter the monthly income the person chooses" in html.split('data-field="income"')[1][:1500]
    html = client.post(url(household), {**fields, "income": "1500000", "preview": "1"}).content.decode()
    assert "Contribution: 22% of the chosen income 1.500.000 ₫ = 330.000 ₫/month" in html


def save(client, household, **fields):
    body = {**choice(household), "receipt_number": "BL-9", "amount": str(expected(household).total), "save": "1",
            **fields}
    return client.post(url(household), body)


def beside(html, field):
    """The message shown beside a field."""
    return html.split(f'data-field="{field}"', 1)[1].split("data-error-for", 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize("fields, field, message", [
    ({"months": "-3"}, "months", "Choose one of the payment periods in the list."),
    ({"months": "1"}, "months", "Choose one of the payment periods in the list."),
    ({"months": "24"}, "months", "Choose one of the payment periods in the list."),
    ({"paid_on": "2099-01-01"}, "paid_on", "This date is in the future"),
    ({"members": []}, "members", "This field is required."),
    ({"receipt_number": ""}, "receipt_number", "This field is required."),
])
def test_bad_input_gets_a_message_beside_the_field_and_saves_nothing(client, household, fields, field, message):
    ends = list(Enrolment.objects.values_list("coverage_end", flat=True))
    response = save(client, household, **fields)
    assert response.status_code == 200
    assert message in beside(response.content.decode(), field)
    assert Payment.objects.count() == 0 and Visit.objects.count() == 0
    assert list(Enrolment.objects.values_list("coverage_end", flat=True)) == ends


def test_a_receipt_number_already_used_is_refused_beside_it(client, collector, household):
    Payment.objects.create(agent=collector.agent, collector=collector, household=household, scheme="bhyt_hgd",
                           receipt_number="BL-9", paid_on=date(2026, 1, 2), months=12, amount=1,
                           recorded_by=collector.user)
    response = save(client, household)
    assert "Receipt number BL-9 was already used on 02/01/2026" in beside(response.content.decode(), "receipt_number")
    assert Payment.objects.count() == 1 and Visit.objects.count() == 0


def test_an_amount_that_no_longer_matches_the_rules_is_refused(client, household):
    response = save(client, household, amount="1000")
    assert "The amount for this payment is" in response.content.decode()
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("members", [1, 9])
def test_the_payment_page_runs_a_fixed_number_of_queries(client, collector, members, django_assert_num_queries):
    household = kit.household(collector)
    for n in range(members):
        kit.cover(kit.add_member(household, name=f"Thành Viên {n}", citizen_id=None), ends_in_days=n * 10)
    kit.household(collector, head="Someone Else")
    with django_assert_num_queries(PAY_FORM_QUERIES):
        response = client.get(url(household))
    assert len(response.content) < 100_000
    body = {**choice(household), "preview": "1"}
    with django_assert_num_queries(PREVIEW_QUERIES):
        response = client.post(url(household), body, headers={"hx-request": "true"})
    assert "₫" in response.content.decode()


def offered(html, field):
    select = html.split(f'name="{field}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="(\d+)"', select)


def test_only_the_periods_the_law_allows_are_offered_for_each_scheme(client, household):
    html = client.get(url(household)).content.decode()
    assert offered(html, "months") == ["3", "6", "12"]
    # Several years ahead only once the fund's interest rate of the year is entered (the lump sum needs it).
    assert offered(html, "bhxh_months") == ["1", "3", "6", "12"]
    assert "which the office has not entered yet" in html
    ContributionRate.objects.create(key=ContributionRate.Key.BHXH_FUND_MONTHLY_INTEREST, value=Decimal("0.004"),
                                    effective_from=kit.today().replace(month=1, day=1))
    html = client.get(url(household)).content.decode()
    assert offered(html, "bhxh_months") == ["1", "3", "6", "12", "24", "36", "48", "60"]


def test_every_period_offered_is_one_the_payment_accepts(client, household):
    ContributionRate.objects.create(key=ContributionRate.Key.BHXH_FUND_MONTHLY_INTEREST, value=Decimal("0.004"),
                                    effective_from=kit.today().replace(month=1, day=1))
    html = client.get(url(household)).content.decode()
    hien = kit.head_of(household)
    for field, scheme, extra in (("months", "bhyt_hgd", {}),
                                 ("bhxh_months", "bhxh_tn", {"members": [hien.pk], "income": "1500000"})):
        for months in offered(html, field):
            body = {**choice(household, scheme=scheme, **extra), field: months, "preview": "1"}
            response = client.post(url(household), body, headers={"hx-request": "true"})
            assert "data-total" in response.content.decode(), (scheme, months)


def test_a_payment_dated_earlier_is_held_to_the_periods_of_its_day_with_a_message_beside_the_field(client, household):
    """The lists offer today's periods; a payment dated last year follows last year's rules."""
    ContributionRate.objects.create(key=ContributionRate.Key.BHXH_FUND_MONTHLY_INTEREST, value=Decimal("0.004"),
                                    effective_from=kit.today().replace(month=1, day=1))
    hien = kit.head_of(household)
    last_year = kit.today().replace(year=kit.today().year - 1, month=12, day=20)
    body = {**choice(household, scheme="bhxh_tn", members=[hien.pk], income="1500000", paid_on=last_year.isoformat()),
            "bhxh_months": "24", "receipt_number": "BL-77", "amount": "1", "save": "1"}
    response = client.post(url(household), body)
    assert response.status_code == 200 and response.context["quote"] is None
    assert response.context["form"].errors["bhxh_months"] == [
        f"On 20/12/{last_year.year} this scheme could be paid for 1, 3, 6, 12 months, not 24 (a payment follows the "
        "rules in force on the day it was paid): choose one of those, or check the date paid."]
    htmx = client.post(url(household), {**body, "save": ""}, headers={"hx-request": "true"}).content.decode()
    assert "Months of voluntary social insurance:</b> On 20/12/" in htmx  # said where the quote would be
    # A period allowed from today only (a new rule) is refused for a payment dated before it, the same way.
    PaymentPeriod.objects.create(scheme="bhyt_hgd", months=1, effective_from=kit.today())
    body = {**choice(household, months="1", paid_on=(kit.today() - timedelta(days=1)).isoformat()), "preview": "1"}
    errors = client.post(url(household), body).context["form"].errors
    assert "could be paid for 3, 6, 12 months, not 1" in errors["months"][0]
    body = {**choice(household, paid_on="2017-06-01"), "preview": "1"}
    assert client.post(url(household), body).context["form"].errors["paid_on"] == [
        "No contribution rules were in force on 01/06/2017: check the date paid."]
    assert not Payment.objects.exists()
