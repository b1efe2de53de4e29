"""The registry's admin: lists that stay fast, search that ignores diacritics."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households.models import Enrolment, Member
from households.tests.factories import (
    CommuneFactory,
    EnrolmentFactory,
    HouseholdFactory,
    MemberFactory,
)

pytestmark = pytest.mark.django_db


def make_registry(households: int):
    for _ in range(households):
        household = HouseholdFactory()
        head = MemberFactory(household=household, relation=Member.Relation.HEAD, phone=None)
        MemberFactory(household=household, relation=Member.Relation.SPOUSE)
        EnrolmentFactory(member=head)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("model", ["household", "member", "enrolment"])
def test_changelists_run_a_fixed_number_of_queries_whatever_the_rows(staff_client, model):
    # session, user, 2× permissions, the user's role (scoping), the commune filter's choices,
    # count, the page's ids, its rows; PostgreSQL first asks its planner for the table's size.
    expected = 9 + (connection.vendor == "postgresql")
    url = reverse(f"admin:households_{model}_changelist")
    make_registry(3)
    few, _ = count_queries(staff_client, url)
    make_registry(30)
    many, response = count_queries(staff_client, url)
    assert few == many == expected
    assert len(response.context["cl"].result_list) == min(50, {"household": 33, "member": 66, "enrolment": 33}[model])


def test_household_list_shows_the_head_and_member_count(staff_client):
    household = HouseholdFactory(code="HGD-1")
    MemberFactory(household=household, full_name="Nguyễn Thị Hiền", relation=Member.Relation.HEAD)
    MemberFactory(household=household)
    response = staff_client.get(reverse("admin:households_household_changelist"))
    row = response.context["cl"].result_list[0]
    assert (row.head_name, row.member_count) == ("Nguyễn Thị Hiền", 2)
    assert "Nguyễn Thị Hiền" in response.content.decode()


def search(client, model, term):
    response = client.get(reverse(f"admin:households_{model}_changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_member_search_ignores_diacritics_and_case(staff_client):
    hien = MemberFactory(full_name="Nguyễn Thị Hiền")
    MemberFactory(full_name="Nguyễn Văn Hiển Long")
    MemberFactory(full_name="Trần Văn Đức")
    assert search(staff_client, "member", "nguyen thi hien") == [hien]
    assert search(staff_client, "member", "NGUYEN THI HIEN") == [hien]
    assert [m.full_name for m in search(staff_client, "member", "van duc")] == ["Trần Văn Đức"]
    assert len(search(staff_client, "member", "hien")) == 2


def test_member_search_by_identifiers_in_any_typed_form(staff_client):
    member = MemberFactory(citizen_id="066080012345", si_number="6601234567", phone="0912345678")
    MemberFactory()
    assert search(staff_client, "member", "066 080 012 345") == [member]
    assert search(staff_client, "member", "+84 912 345 678") == [member]
    assert search(staff_client, "member", "6601234567") == [member]
    # The older 15-character card code carries the SI number.
    assert search(staff_client, "member", "GD4666601234567") == [member]


def test_household_search_finds_by_code_or_member_name_without_duplicates(staff_client):
    household = HouseholdFactory(code="24259000123")
    MemberFactory(household=household, full_name="H'Hen Ksor", relation=Member.Relation.HEAD)
    MemberFactory(household=household, full_name="Y Bhin Ksor")
    HouseholdFactory()
    assert search(staff_client, "household", "24259000123") == [household]
    assert search(staff_client, "household", "ksor") == [household]
    assert search(staff_client, "household", "hhen") == [household]
    assert search(staff_client, "household", "y bhin ksor") == [household]
    lettered = HouseholdFactory(code="DL-0001")
    assert search(staff_client, "household", "DL-0001") == [lettered]


def test_household_search_by_its_phone_or_a_members_identifiers(staff_client):
    household = HouseholdFactory(phone="0912000111")
    MemberFactory(household=household, citizen_id="066080012345", relation=Member.Relation.HEAD)
    MemberFactory(household=household, si_number="6601234567")
    HouseholdFactory(phone="0912000222")
    assert search(staff_client, "household", "+84 912 000 111") == [household]
    assert search(staff_client, "household", "066 080 012 345") == [household]
    assert search(staff_client, "household", "6601234567") == [household]


@pytest.mark.parametrize("model", ["households.household", "households.member", "households.enrolment"])
def test_every_sortable_column_sorts_the_page_read_in_two_steps(staff_client, model):
    from django.apps import apps
    from django.contrib import admin

    make_registry(4)
    model_admin = admin.site._registry[apps.get_model(model)]
    url = reverse(f"admin:{model.replace('.', '_')}_changelist")
    for position in range(1, len(model_admin.list_display) + 1):
        for order in (str(position), f"-{position}"):
            response = staff_client.get(url, {"o": order})
            assert response.status_code == 200
            cl = response.context["cl"]
            # The page holds the same rows, in the same order, as the list's own query.
            assert list(cl.result_list) == list(cl.queryset), (model, order)


def test_a_page_of_a_long_list_keeps_the_lists_order(staff_client):
    codes = [f"24259{n:06d}" for n in range(120)]
    for code in reversed(codes):
        HouseholdFactory(code=code)
    url = reverse("admin:households_household_changelist")
    second = staff_client.get(url, {"p": "2"}).context["cl"].result_list
    assert [h.code for h in second] == codes[50:100]
    newest_first = staff_client.get(url, {"p": "3", "o": "-1"}).context["cl"].result_list
    assert [h.code for h in newest_first] == codes[::-1][100:]


def test_enrolment_search_by_card_number_in_either_form(staff_client):
    enrolment = EnrolmentFactory(card_number="GD4660123456789")
    EnrolmentFactory()
    assert search(staff_client, "enrolment", "GD4660123456789") == [enrolment]
    assert search(staff_client, "enrolment", enrolment.member.full_name.lower()) == [enrolment]
    assert search(staff_client, "enrolment", enrolment.member.search_key) == [enrolment]


def test_enrolments_filtered_by_coverage_end(staff_client):
    today = date.today()
    soon = EnrolmentFactory(coverage_start=today - timedelta(days=300), coverage_end=today + timedelta(days=10))
    EnrolmentFactory(coverage_start=today - timedelta(days=10), coverage_end=today + timedelta(days=200))
    lapsed = EnrolmentFactory(coverage_start=today - timedelta(days=400), coverage_end=today - timedelta(days=20),
                              status=Enrolment.Status.LAPSED)
    url = reverse("admin:households_enrolment_changelist")
    assert list(staff_client.get(url, {"coverage": "30"}).context["cl"].result_list) == [soon]
    assert list(staff_client.get(url, {"coverage": "lapsed60"}).context["cl"].result_list) == [lapsed]


def test_member_list_masks_citizen_id_and_phone(staff_client):
    MemberFactory(citizen_id="066080012345", phone="0912345678")
    html = staff_client.get(reverse("admin:households_member_changelist")).content.decode()
    assert "066080012345" not in html and "•••••••••345" in html
    assert "0912345678" not in html and "•••••••678" in html


def test_saving_a_member_whose_citizen_id_contradicts_the_birth_year_warns(staff_client):
    household = HouseholdFactory()
    response = staff_client.post(
        reverse("admin:households_member_add"),
        {
            "household": household.pk, "full_name": "Lê Thị Lan", "date_of_birth": "17/05/1985", "sex": "F",
            "ethnicity": "01", "relation": "head", "citizen_id": "066 190 012345", "si_number": "",
            "phone": "+84 912 345 678",
            "enrolments-TOTAL_FORMS": "0", "enrolments-INITIAL_FORMS": "0",
        },
        follow=True,
    )
    member = Member.objects.get(full_name="Lê Thị Lan")
    assert (member.citizen_id, member.phone) == ("066190012345", "0912345678")
    messages = [str(m) for m in response.context["messages"]]
    assert "Lê Thị Lan: Citizen ID 066190012345 says born in 1990, but the record says born in 1985: check both." in messages


def test_adding_a_member_with_a_bad_citizen_id_shows_the_message_and_saves_nothing(staff_client):
    household = HouseholdFactory()
    response = staff_client.post(
        reverse("admin:households_member_add"),
        {
            "household": household.pk, "full_name": "Lê Thị Lan", "date_of_birth": "17/05/1985", "sex": "F",
            "ethnicity": "01", "relation": "head", "citizen_id": "06619001234",
            "enrolments-TOTAL_FORMS": "0", "enrolments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "Citizen ID “06619001234” must be exactly 12 digits." in response.content.decode()
    assert not Member.objects.exists()


def test_autocomplete_finds_households_by_member_name_without_diacritics(staff_client):
    household = HouseholdFactory(code="X-1")
    MemberFactory(household=household, full_name="Phạm Đình Thắng", relation=Member.Relation.HEAD)
    response = staff_client.get(
        reverse("admin:autocomplete"),
        {"term": "dinh thang", "app_label": "households", "model_name": "member", "field_name": "household"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["X-1"]


def test_commune_search_ignores_diacritics(staff_client):
    CommuneFactory(code=24259, name="Xã Quảng Phú")
    CommuneFactory(code=24580, name="Xã Liên Sơn Lắk")
    response = staff_client.get(reverse("admin:households_commune_changelist"), {"q": "quang phu"})
    assert [c.code for c in response.context["cl"].result_list] == [24259]


@pytest.mark.postgres
def test_unfiltered_large_lists_show_an_estimate_instead_of_counting(staff_client, settings):
    settings.ADMIN_EXACT_COUNT_LIMIT = 10
    make_registry(12)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE households_member")
    with CaptureQueriesContext(connection) as ctx:
        response = staff_client.get(reverse("admin:households_member_changelist"))
    assert response.status_code == 200
    assert not [q["sql"] for q in ctx.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert response.context["cl"].result_count == 24  # ANALYZE counted a table this small exactly
    assert "about 24 members" in response.content.decode()
    # A filtered list is counted, up to the limit.
    response = staff_client.get(reverse("admin:households_member_changelist"), {"sex__exact": "F"})
    assert response.context["cl"].result_count == 0


def test_a_filtered_list_is_counted_up_to_the_limit_and_says_more_than(staff_client, settings):
    settings.ADMIN_EXACT_COUNT_LIMIT = 10
    make_registry(12)  # 24 members, 12 of each sex
    url = reverse("admin:households_member_changelist")
    with CaptureQueriesContext(connection) as ctx:
        response = staff_client.get(url, {"relation__exact": "head"})
    # (read now: the next request empties Django's query log)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 11" in counts[0]
    html = response.content.decode()
    paginator = html.split('<p class="paginator">')[1].split("</p>")[0]
    assert "more than 10 members" in paginator and "12" not in paginator
    assert len(response.context["cl"].result_list) == 12  # the page itself still lists every head
    assert "more than 10 results" in staff_client.get(url, {"relation__exact": "head", "q": "a"}).content.decode()
    small = staff_client.get(url, {"relation__exact": "head", "q": "no such name"})
    assert "0 members" in small.content.decode()


def test_every_change_to_a_member_is_audited_with_who_and_what(staff_client):
    member = MemberFactory(full_name="Lê Văn Tám", phone="0912345678")
    data = {
        "household": member.household.pk, "full_name": "Lê Văn Tám", "date_of_birth": "17/05/1980", "sex": "M",
        "ethnicity": "01", "relation": "child", "citizen_id": member.citizen_id, "si_number": "",
        "phone": "0987654321", "enrolments-TOTAL_FORMS": "0", "enrolments-INITIAL_FORMS": "0",
    }
    staff_client.post(reverse("admin:households_member_change", args=[member.pk]), data)
    latest, before = member.history.all()[:2]
    assert latest.history_user.username == "staff"
    assert [(c.field, c.old, c.new) for c in latest.diff_against(before).changes] == [
        ("phone", "0912345678", "0987654321")]
    history_page = staff_client.get(reverse("admin:households_member_history", args=[member.pk]))
    assert history_page.status_code == 200
    assert "staff" in history_page.content.decode()


def test_whether_a_household_could_join_is_shown_edited_filtered_and_audited_in_the_admin(staff_client):
    household = HouseholdFactory()
    other = HouseholdFactory()
    page = staff_client.get(reverse("admin:households_household_change", args=[household.pk])).content.decode()
    assert 'name="potential"' in page and 'name="potential_reason"' in page and 'name="potential_return_month"' in page
    data = {"code": household.code, "commune": household.commune_id, "village": "", "address": "", "phone": "",
            "economic_status": "other", "status_year": "", "average_standard_year": "", "potential": "later",
            "potential_reason": "chờ thu hoạch cà phê", "potential_return_month": "01/12/2030",
            "members-TOTAL_FORMS": "0", "members-INITIAL_FORMS": "0"}
    response = staff_client.post(reverse("admin:households_household_change", args=[household.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    household.refresh_from_db()
    assert (household.potential, household.potential_reason, household.potential_return_month) == (
        "later", "chờ thu hoạch cà phê", date(2030, 12, 1))
    assert household.potential_set_by.username == "staff"
    assert household.history.first().history_user.username == "staff"
    listed = staff_client.get(reverse("admin:households_household_changelist"), {"potential": "later"})
    text = listed.content.decode()
    assert household.code in text and other.code not in text


def test_a_members_social_pension_year_is_entered_in_the_admin(staff_client):
    household = HouseholdFactory()
    staff_client.post(reverse("admin:households_member_add"), {
        "household": household.pk, "full_name": "Bà Nội", "date_of_birth": "01/01/1945", "sex": "F",
        "ethnicity": "01", "relation": "head", "social_pension_since": "2023",
        "enrolments-TOTAL_FORMS": "0", "enrolments-INITIAL_FORMS": "0",
    })
    assert Member.objects.get(full_name="Bà Nội").social_pension_since == 2023


def _commune_form(commune, **flags):
    return {"code": commune.code, "name": commune.name, "kind": commune.kind, "province_code": 66,
            **{name: "on" for name, on in flags.items() if on},
            "villages-TOTAL_FORMS": "0", "villages-INITIAL_FORMS": "0"}


def test_a_communes_classification_is_edited_in_the_admin_and_never_both_disadvantaged_and_left(staff_client):
    from households.models import Commune

    commune = CommuneFactory()
    url = reverse("admin:households_commune_change", args=[commune.pk])
    response = staff_client.post(url, _commune_form(commune, disadvantaged_area=True, poor_commune=True,
                                                    island=True))
    assert response.status_code == 302
    commune.refresh_from_db()
    assert (commune.disadvantaged_area, commune.poor_commune, commune.island) == (True, True, True)
    response = staff_client.post(url, _commune_form(commune, disadvantaged_area=True, left_disadvantaged_area=True))
    assert response.status_code == 200
    assert "either still a disadvantaged area or no longer one, not both" in response.content.decode()
    commune.refresh_from_db()
    assert (commune.left_disadvantaged_area, commune.poor_commune) == (False, True)  # nothing changed
    assert Commune.objects.filter(disadvantaged_area=True).count() == 1


def test_the_province_top_up_rows_say_no_dak_lak_top_up_for_voluntary_social_insurance_was_found(staff_client):
    html = staff_client.get(reverse("admin:households_contributionrate_add")).content.decode()
    assert "No Đắk Lắk top-up for voluntary social insurance (BHXH tự nguyện) was found (check)." in html
