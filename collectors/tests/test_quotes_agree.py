"""After some members of a household have paid, every page quotes the same
amount: those whose cover still needs renewing, in the ladder places the law
gives them (those already paid keep theirs)."""

from datetime import date

import pytest
from django.urls import reverse

from collectors.tests import fieldkit as kit
from collectors.tests.factories import UserFactory
from households.contributions import format_vnd
from households.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def collector(client):
    collector = kit.collector_with_area()
    kit.phone_login(client, collector)
    return collector


def test_household_page_today_payment_page_and_calculator_quote_the_same_people_and_amount(client, collector):
    household = kit.household(collector, head="Already Paid")
    kit.cover(kit.head_of(household), ends_in_days=200)  # paid for this period: keeps the 1st place
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
