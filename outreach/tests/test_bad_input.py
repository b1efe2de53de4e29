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


# --- History pages given an id that is not one ---------------------------------------------------------


def history_admins():
    from django.contrib import admin

    from outreach.scoped_admin import HistoryAdmin

    return sorted((f"{model._meta.app_label}_{model._meta.model_name}" for model, model_admin in
                   admin.site._registry.items() if isinstance(model_admin, HistoryAdmin)))


@pytest.mark.parametrize("name", history_admins())
@pytest.mark.parametrize("object_id", ["abc", "%00", "1.5"])
def test_a_history_page_of_an_id_that_is_not_one_is_not_found(admin_client, name, object_id):
    app_label, model_name = name.split("_", 1)
    base = f"/admin/{app_label}/{model_name}/{object_id}/history/"
    for url in (base, base + "1/"):
        assert admin_client.get(url).status_code == 404, url


def test_a_history_version_that_is_not_a_number_is_not_found(admin_client):
    household = HouseholdFactory()
    for version in ("abc", "%00", "1.5"):
        assert admin_client.get(f"/admin/households/household/{household.pk}/history/{version}/").status_code == 404
        assert admin_client.post(f"/admin/households/household/{household.pk}/history/{version}/",
                                 {"code": "X"}).status_code == 404
    assert Household.objects.get().code == household.code


# --- Search terms longer than anyone types ----------------------------------------------------------------

LONG = "Nguyễn" * 20_000  # 120,000 characters: SQLite refused the LIKE pattern (a 500)
CUT = "A search takes at most 100 characters: it was cut to the first 100."


def searchable_admins():
    from django.contrib import admin

    return sorted(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
                  for model, model_admin in admin.site._registry.items()
                  if model_admin.search_fields or type(model_admin).get_search_results
                  is not admin.ModelAdmin.get_search_results)


def test_every_admin_list_with_a_search_box_is_checked():
    assert len(searchable_admins()) >= len(SEARCHES)
    assert set(SEARCHES) <= set(searchable_admins())


@pytest.mark.parametrize("name", searchable_admins())
def test_a_very_long_admin_search_is_cut_with_a_message(admin_client, name):
    MemberFactory(full_name="Nguyễn Văn An")
    response = admin_client.get(reverse(name), {"q": LONG})
    assert response.status_code == 200
    assert CUT in [str(message) for message in response.context["messages"]]
    assert response.context["cl"].query == LONG[:100]


def test_a_very_long_autocomplete_term_is_cut(admin_client):
    member = MemberFactory(full_name="Nguyễn Văn An")
    response = admin_client.get(reverse("admin:autocomplete"), {
        "term": member.household.code + "x" * 100_000, "app_label": "households", "model_name": "member",
        "field_name": "household"})
    assert response.status_code == 200 and response.json()["results"] == []


def test_a_very_long_search_on_the_field_pages_is_cut_with_a_message(client):
    from collectors.tests import fieldkit as kit

    collector = kit.collector_with_area()
    household = kit.household(collector)
    kit.phone_login(client, collector)
    for url in (reverse("field:find"), reverse("field:referral", args=[household.pk])):
        response = client.get(url, {"q": LONG})
        assert response.status_code == 200
        assert CUT in response.content.decode()
