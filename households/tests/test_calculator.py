from datetime import date

import pytest
from django.urls import reverse

from households.models import Member
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def calculate(client, **params):
    response = client.get(reverse("admin:households_calculator"), params)
    assert response.status_code == 200
    return response


def test_staff_quote_a_number_of_members(staff_client):
    response = calculate(staff_client, scheme="bhyt_hgd", months=12, day="25/11/2026", members=3)
    assert response.context["total_display"] == "3.142.260 ₫"
    assert "Member 3 of the household (#3): 60% of 113.850 ₫ = 68.310 ₫/month" in response.content.decode()


def test_staff_quote_a_household_leaving_out_whom_the_state_insures(staff_client):
    household = HouseholdFactory(code="24259000001")
    MemberFactory(household=household, relation=Member.Relation.HEAD, date_of_birth=date(1970, 1, 1))
    MemberFactory(household=household, date_of_birth=date(2010, 1, 1))
    MemberFactory(household=household, date_of_birth=date(2023, 1, 1))  # under 6: the state pays
    response = calculate(staff_client, scheme="bhyt_hgd", months=12, day="25/11/2026", household="24259000001")
    assert response.context["total_display"] == "2.322.540 ₫"  # (113,850 + 79,695) × 12


def test_staff_quote_voluntary_social_insurance(staff_client):
    response = calculate(staff_client, scheme="bhxh_tn", months=1, day="25/11/2026", income=1_500_000,
                         group="ethnic_minority")
    assert response.context["total_display"] == "231.000 ₫"


@pytest.mark.parametrize("params, field, message", [
    ({"scheme": "bhyt_hgd", "months": 5, "day": "25/11/2026", "members": 2}, "months",
     "Payment period must be one of 3, 6, 12 months."),
    ({"scheme": "bhxh_tn", "months": 1, "day": "25/11/2026", "income": 900_000, "group": "other"}, "income",
     "Monthly income 900.000 ₫ is outside the allowed range"),
    ({"scheme": "bhyt_hgd", "months": 3, "day": "25/11/2026", "household": "nope"}, "household",
     "No household has the code nope."),
    ({"scheme": "bhyt_hgd", "months": 3, "day": "25/11/2026"}, "__all__",
     "Choose a household or type how many members pay."),
])
def test_inputs_the_rules_do_not_allow_are_shown_beside_the_field(staff_client, params, field, message):
    response = calculate(staff_client, **params)
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context["total_display"] == ""


def test_the_household_page_links_to_its_quote(staff_client):
    household = HouseholdFactory(code="HGD 7")
    html = staff_client.get(reverse("admin:households_household_change", args=[household.pk])).content.decode()
    assert reverse("admin:households_calculator") + "?household=HGD%207" in html
