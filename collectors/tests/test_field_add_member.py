"""Adding a member to a household already registered (a newborn, a spouse
who moved in) from the household page; its citizen ID card can be scanned
into the form (the scan itself: browser/test_field_scan.py)."""

import pytest
from django.urls import reverse

from collectors.models import RefusedRegistration
from collectors.tests import fieldkit as kit
from households.models import Member

pytestmark = pytest.mark.django_db
ADD_MEMBER_FORM_QUERIES = 4  # session, user with collector, area, household

BABY = {"full_name": "Trần Bảo Na", "date_of_birth": "2025-11-02", "sex": "F", "relation": "child",
        "ethnicity": "01", "citizen_id": "066325000123", "si_number": "", "phone": ""}


@pytest.fixture
def household(collector):
    return kit.household(collector)


def url(household):
    return reverse("field:add_member", args=[household.pk])


def test_the_household_page_offers_to_add_a_member_with_a_scan_of_the_card(client, household, django_assert_num_queries):
    page = client.get(reverse("field:household", args=[household.pk])).content.decode()
    assert f'href="{url(household)}">Add a member</a>' in page
    with django_assert_num_queries(ADD_MEMBER_FORM_QUERIES):
        html = client.get(url(household)).content.decode()
    assert "Scan the citizen ID card</button>" in html and "field/scan.js" in html
    assert 'name="citizen_id"' in html and 'name="full_name"' in html


def test_a_member_is_added_once_even_when_sent_twice(client, household):
    response = client.post(url(household), BABY)
    assert response.status_code == 302 and response.url == reverse("field:household", args=[household.pk])
    again = client.post(url(household), BABY, follow=True).content.decode()
    assert "Trần Bảo Na is already a member of this household." in again
    assert [(m.full_name, m.relation) for m in household.members.order_by("pk")] == [
        ("Nguyễn Thị Hiền", "head"), ("Trần Bảo Na", "child")]
    assert household.members.get(relation="child").citizen_id == "066325000123"


def test_the_message_names_the_member_added(client, household):
    page = client.post(url(household), BABY, follow=True).content.decode()
    assert "Member added: Trần Bảo Na." in page and "Trần Bảo Na" in page.split("Members", 1)[1]


@pytest.mark.parametrize("fields, field, message", [
    ({"relation": "head"}, "relation", "This household already has a head."),
    ({"citizen_id": "12345"}, "citizen_id", "must be exactly 12 digits"),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth", ""),
    ({"full_name": ""}, "full_name", "This field is required."),
])
def test_bad_input_is_refused_beside_the_field_and_adds_nobody(client, household, fields, field, message):
    response = client.post(url(household), {**BABY, **fields})
    assert response.status_code == 200
    html = response.content.decode()
    error = html.split(f'data-error-for="{field}"', 1)[1].split("</p>", 1)[0]
    assert message in error and error.strip("> \n")
    assert household.members.count() == 1


def test_a_citizen_id_registered_outside_the_area_cannot_be_used_and_the_office_is_told(client, collector, household):
    elsewhere = kit.household(kit.collector_with_area(), head="Người Nơi Khác")
    kit.head_of(elsewhere).__class__.objects.filter(pk=kit.head_of(elsewhere).pk).update(citizen_id="066325000123")
    html = client.post(url(household), BABY).content.decode()
    assert "This citizen ID cannot be used here: the office will check it." in html
    assert "Người Nơi Khác" not in html
    assert household.members.count() == 1
    refusal = RefusedRegistration.objects.get()
    assert (refusal.collector, refusal.full_name) == (collector, "Trần Bảo Na")


def test_another_collectors_household_is_a_404_and_nobody_is_added(client, collector):
    theirs = kit.household(kit.collector_with_area())
    assert client.get(url(theirs)).status_code == 404
    assert client.post(url(theirs), BABY).status_code == 404
    assert Member.objects.filter(household=theirs).count() == 1 and not Member.objects.filter(full_name="Trần Bảo Na")
