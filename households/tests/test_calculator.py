from datetime import date

import pytest
from django.urls import reverse

from django.contrib.auth.models import Permission
from django.utils import timezone

from collectors.tests.factories import UserFactory
from households.models import Member
from households.tests.factories import CommuneFactory, EnrolmentFactory, HouseholdFactory, MemberFactory

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


def test_staff_quote_household_group_and_supported_members(staff_client):
    response = calculate(staff_client, scheme="bhyt_hgd", months=12, day="01/12/2026", members=3,
                         supported=["near_poor"])
    assert response.context["total_display"] == "3.142.260 ₫"
    response = calculate(staff_client, scheme="bhyt_hgd", months=12, day="01/12/2026", members=0,
                         supported=["agri_average"])
    assert response.context["total_display"] == "546.480 ₫"


def test_opened_from_a_household_it_starts_filled_in_for_12_months_from_today(staff_client):
    household = HouseholdFactory(code="24259000002")
    MemberFactory(household=household, relation=Member.Relation.HEAD, date_of_birth=date(1970, 1, 1))
    response = calculate(staff_client, household="24259000002")
    form = response.context["form"]
    assert not form.errors
    assert (form.cleaned_data["months"], form.cleaned_data["day"]) == (12, timezone.localdate())
    assert response.context["total_display"] != ""


def test_a_household_quote_names_only_who_still_has_to_pay(staff_client):
    household = HouseholdFactory(code="24259000003")
    head = MemberFactory(household=household, relation=Member.Relation.HEAD, date_of_birth=date(1970, 1, 1))
    spouse = MemberFactory(household=household, date_of_birth=date(1972, 1, 1), full_name="Spouse Due")
    EnrolmentFactory(member=head, coverage_start=date(2026, 6, 1), coverage_end=date(2027, 5, 31))
    EnrolmentFactory(member=spouse, coverage_start=date(2025, 12, 1), coverage_end=date(2026, 11, 30))
    response = calculate(staff_client, scheme="bhyt_hgd", months=12, day="25/11/2026", household="24259000003")
    # The head, whose cover began this year, keeps the first place: the spouse pays as the 2nd member.
    assert response.context["total_display"] == "956.340 ₫"  # 79,695 × 12
    explanation = response.context["explanation"]
    assert explanation[0] == f"Already paid in 2026, keeping their places in the household's ladder: 1. {head.full_name}"
    assert head.full_name not in " ".join(explanation[1:])


def test_a_commune_officer_cannot_read_another_communes_household_by_its_code(client):
    mine, theirs = CommuneFactory(), CommuneFactory()
    officer = UserFactory(username="officer", is_staff=True)
    officer.user_permissions.add(*Permission.objects.filter(codename__in=["view_household", "view_member"]))
    mine.officers.add(officer)
    elsewhere = HouseholdFactory(code="OTHER-1", commune=theirs)
    MemberFactory(household=elsewhere, relation=Member.Relation.HEAD, full_name="Hidden Person",
                  date_of_birth=date(1970, 1, 1))
    HouseholdFactory(code="MINE-1", commune=mine)
    client.force_login(officer)
    response = calculate(client, household="OTHER-1")
    assert "No household has the code OTHER-1." in " ".join(response.context["form"].errors["household"])
    assert "Hidden Person" not in response.content.decode()
    assert calculate(client, household="MINE-1").context["form"].errors.get("household") is None
