"""Input nobody types, sent to the admin: answered with a message, never a 500."""

import pytest
from django.urls import reverse

from households.models import Household
from households.tests.factories import CommuneFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

SEARCHES = ["admin:households_household_changelist", "admin:households_member_changelist",
            "admin:households_enrolment_changelist", "admin:households_commune_changelist",
            "admin:households_village_changelist", "admin:collectors_collector_changelist",
            "admin:collectors_visit_changelist", "admin:collectors_payment_changelist"]


@pytest.mark.parametrize("name", SEARCHES)
def test_a_nul_character_in_an_admin_search_is_refused_with_a_message(staff_client, name):
    MemberFactory()
    response = staff_client.get(reverse(name), {"q": "Nguy\x00ễn"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_character_in_an_autocomplete_term_is_refused_with_a_message(staff_client):
    response = staff_client.get(reverse("admin:autocomplete"), {
        "term": "\x00", "app_label": "households", "model_name": "member", "field_name": "household"})
    assert response.status_code == 400 and "NUL character" in response.json()["error"]


def test_an_export_with_an_unknown_filter_is_answered(staff_client):
    HouseholdFactory()
    url = reverse("admin:households_household_export")
    for response in (staff_client.get(url, {"no_such_field__exact": "1"}, follow=True),
                     staff_client.post(url + "?no_such_field__exact=1", {"format": "0", "resource": "0"},
                                       follow=True)):
        assert response.redirect_chain == [(reverse("admin:households_household_changelist"), 302)]
        assert "These filters are not filters of this list" in response.content.decode()


def test_an_admin_management_form_that_is_not_a_number_is_refused(staff_client):
    commune = CommuneFactory()
    response = staff_client.post(reverse("admin:households_household_add"), {
        "code": "H-NEW", "commune": commune.pk, "economic_status": "other",
        "members-TOTAL_FORMS": "abc", "members-INITIAL_FORMS": "abc", "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 200
    assert not Household.objects.filter(code="H-NEW").exists()
