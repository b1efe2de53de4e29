"""Registering a prospect household in the field, warned of likely
duplicates first; recording who referred it."""

import uuid
from datetime import date

import pytest
from django.urls import reverse

from collectors.models import Referral, RefusedRegistration
from collectors.tests import fieldkit as kit
from households.models import Household, Member
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db
REGISTER_FORM_QUERIES = 5  # session, user with collector, area, assignments with places, villages of whole communes


def form(collector, *people, **fields):
    data = {"client_id": str(uuid.uuid4()), "place": f"village:{collector.test_village.pk}", "address": "Thôn 3",
            "phone": "", "economic_status": "other", "status_year": "", "m-TOTAL_FORMS": str(len(people)),
            "m-INITIAL_FORMS": "0", "m-MIN_NUM_FORMS": "1", "m-MAX_NUM_FORMS": "20", **fields}
    for n, person in enumerate(people):
        person = {"full_name": "", "date_of_birth": "", "sex": "M", "relation": "child", "ethnicity": "01",
                  "citizen_id": "", "si_number": "", "phone": "", **person}
        data.update({f"m-{n}-{key}": value for key, value in person.items()})
    return data


HEAD = {"full_name": "Y Bhin Niê", "date_of_birth": "1979-03-01", "sex": "M", "relation": "head",
        "ethnicity": "12", "citizen_id": "066079000111", "phone": "+84 912 000 111"}
WIFE = {"full_name": "H'Hen Ksor", "date_of_birth": "1982-06-01", "sex": "F", "relation": "spouse",
        "ethnicity": "12"}


def register(client, data):
    return client.post(reverse("field:register"), data)


def test_a_new_household_is_registered_with_its_members(client, collector):
    response = register(client, form(collector, HEAD, WIFE, phone="0912 000 111"))
    household = Household.objects.get()
    assert response.status_code == 302 and response.url == reverse("field:household", args=[household.pk])
    assert (household.commune, household.village, household.phone) == (collector.test_commune,
                                                                      collector.test_village, "0912000111")
    assert [(m.full_name, m.relation, m.phone) for m in household.members.order_by("pk")] == [
        ("Y Bhin Niê", "head", "0912000111"), ("H'Hen Ksor", "spouse", None)]
    page = client.get(response.url).content.decode()
    assert f"Household {household.code} registered." in page and "Who brought this household in?" in page


def test_a_registered_household_gets_the_communes_next_code_of_the_registrys_shape(client, collector):
    commune = collector.test_commune.pk
    HouseholdFactory(commune=collector.test_commune, code=f"{commune}0001366")
    HouseholdFactory(commune=collector.test_commune, code=f"{commune}-OLDSHAPE1")  # another shape: skipped
    register(client, form(collector, HEAD))
    register(client, form(collector, {**WIFE, "relation": "head"}))
    assert sorted(Household.objects.filter(client_id__isnull=False).values_list("code", flat=True)) == [
        f"{commune}0001367", f"{commune}0001368"]


def test_a_code_taken_meanwhile_is_tried_again(collector, monkeypatch):
    """Two phones registering in one commune at once read the same serial: the
    second's insert meets the unique code and takes the next one."""
    from collectors import services

    commune = collector.test_commune
    HouseholdFactory(commune=commune, code=f"{commune.pk}0000001")
    real = services.next_household_code
    stale = iter([f"{commune.pk}0000001"])  # what the other phone's transaction had just taken
    monkeypatch.setattr(services, "next_household_code", lambda c: next(stale, None) or real(c))
    household, created = services.register_household(
        collector=collector, client_id=uuid.uuid4(), commune_id=commune.pk, village_id=None, address="",
        phone=None, economic_status="other", status_year=None,
        members=[{"full_name": "Y Bhin", "date_of_birth": date(1979, 3, 1), "sex": "M", "relation": "head"}])
    assert created and household.code == f"{commune.pk}0000002"


def test_registering_twice_creates_one_household(client, collector):
    data = form(collector, HEAD)
    register(client, data)
    assert register(client, data).status_code == 302
    assert Household.objects.count() == 1 and Member.objects.count() == 1


def test_the_form_can_grow_by_one_member_at_a_time(client, collector):
    response = register(client, {**form(collector, HEAD), "add_member": "1"})
    html = response.content.decode()
    assert 'name="m-1-full_name"' in html and "This field is required" not in html
    assert Household.objects.count() == 0


def test_the_household_needs_exactly_one_head(client, collector):
    html = register(client, form(collector, WIFE)).content.decode()
    assert "Choose exactly one head of household." in html and Household.objects.count() == 0


def test_a_poor_household_needs_the_year_it_was_certified(client, collector):
    html = register(client, form(collector, HEAD, economic_status="poor")).content.decode()
    assert "A poor or near-poor status needs the year it was certified." in html
    assert Household.objects.count() == 0


def test_same_name_and_birth_date_in_the_commune_is_a_warning_then_allowed(client, collector):
    existing = kit.household(collector, head="Y Bhin Niê")
    Member.objects.filter(household=existing).update(date_of_birth=date(1979, 3, 1), citizen_id=None)
    data = form(collector, {**HEAD, "full_name": "y bhin nie", "citizen_id": "", "phone": ""})
    html = register(client, data).content.decode()
    assert "These households may already have these people:" in html and "same name and date of birth" in html
    assert reverse("field:household", args=[existing.pk]) in html
    assert Household.objects.count() == 1
    assert register(client, {**data, "confirm_new": "on"}).status_code == 302
    assert Household.objects.count() == 2


def test_a_citizen_id_registered_outside_the_area_cannot_be_used_and_nothing_says_it_exists(client, collector, caplog):
    """The attack: the page said "A person registered outside your area — same
    citizen ID" and "Member with this Citizen ID already exists.", so a
    collector could learn who is registered anywhere in the province."""
    elsewhere = MemberFactory(household=HouseholdFactory(), citizen_id="066079000111", full_name="Lê Văn Xa",
                              si_number="6601000111")
    person = {**HEAD, "si_number": "6601000111"}
    html = register(client, form(collector, person, confirm_new="on")).content.decode()
    assert "This citizen ID cannot be used here: the office will check it." in html.split(
        'data-field="citizen_id"')[1][:2500]
    assert "This social-insurance number cannot be used here: the office will check it." in html.split(
        'data-field="si_number"')[1][:2500]
    for leak in ("already exists", "outside your area", "same citizen ID", "may already",
                 elsewhere.household.code, "Lê Văn Xa"):
        assert leak not in html
    assert Household.objects.count() == 1
    # The office is told who typed whose ID: the citizen ID on the admin's list, the other identifier in the log.
    refusal = RefusedRegistration.objects.get()
    assert (refusal.collector, refusal.member, refusal.full_name, refusal.attempts) == (
        collector, elsewhere, HEAD["full_name"], 1)
    assert [r.getMessage() for r in caplog.records if "registered outside their area" in r.getMessage()] == [
        f"Collector {collector.code} (id {collector.pk}) typed the si_number of member {elsewhere.pk}, registered "
        "outside their area, while registering a household or adding a member"]
    register(client, form(collector, person, confirm_new="on"))
    assert RefusedRegistration.objects.get().attempts == 2


def test_a_citizen_id_registered_in_the_area_is_shown_with_its_household(client, collector):
    mine = kit.household(collector)
    kit.head_of(mine).__class__.objects.filter(pk=kit.head_of(mine).pk).update(citizen_id="066079000111")
    html = register(client, form(collector, HEAD, confirm_new="on")).content.decode()
    assert "Member with this Citizen ID already exists." in html.split('data-field="citizen_id"')[1][:2500]
    assert reverse("field:household", args=[mine.pk]) in html and "same citizen ID" in html
    assert Household.objects.count() == 1


def test_a_phone_already_used_by_a_household_is_a_warning(client, collector):
    kit.household(collector, head="Chủ Cũ", phone="0912000111")
    html = register(client, form(collector, {**HEAD, "phone": "", "citizen_id": ""}, phone="0912000111")).content.decode()
    assert "same phone" in html and Household.objects.count() == 1


def test_a_shared_phone_lists_the_household_once_with_how_many_matched(client, collector):
    shared = kit.household(collector, head="Chủ Hộ", phone="0912000111")
    for n in range(6):
        kit.add_member(shared, name=f"Người {n}", phone=None)
    html = register(client, form(collector, {**HEAD, "phone": "", "citizen_id": ""}, phone="0912000111")).content.decode()
    warning = html.split('class="warn"')[1].split("</ul>")[0]
    assert warning.count("<li>") == 1
    assert shared.code in warning and "Chủ Hộ" in warning and collector.test_village.name in warning
    assert "7 people matched" in warning and "same phone" in warning


def test_register_records_whether_the_household_could_join_and_the_electronic_card(client, collector):
    month = kit.today().replace(day=1)
    response = register(client, form(collector, {**HEAD, "vssid_installed": "on"}, potential="later",
                                     potential_reason="chờ thu hoạch cà phê",
                                     potential_return_month=f"{month.year + 1}-{month.month:02d}"))
    assert response.status_code == 302
    household = Household.objects.get()
    assert (household.potential, household.potential_reason, household.potential_return_month) == (
        "later", "chờ thu hoạch cà phê", month.replace(year=month.year + 1))
    assert household.potential_set_by == collector.user and household.potential_set_at is not None
    head = household.members.get()
    assert (head.vssid_installed, head.vneid_level2) == (True, False)


def test_a_reason_without_saying_whether_they_could_join_is_refused(client, collector):
    html = register(client, form(collector, HEAD, potential_reason="chờ thu hoạch")).content.decode()
    assert "Choose whether the household could join." in html and not Household.objects.exists()


@pytest.mark.parametrize("households", [1, 30])
def test_the_register_form_runs_a_fixed_number_of_queries(client, collector, households, django_assert_num_queries):
    for n in range(households):
        kit.household(collector, head=f"Người {n}")
    with django_assert_num_queries(REGISTER_FORM_QUERIES):
        assert client.get(reverse("field:register")).status_code == 200


# --- referrals ------------------------------------------------------------------------------


def test_who_referred_a_new_household_is_found_by_name_and_recorded(client, collector):
    newcomer = kit.household(collector, head="Người Mới")
    referrer = kit.household(collector, head="Nguyễn Thị Hiền")
    url = reverse("field:referral", args=[newcomer.pk])
    html = client.get(url, {"q": "nguyen thi hien"}).content.decode()
    assert "Nguyễn Thị Hiền" in html and "Người Mới" not in html.split("<form method=\"post\"")[-1]
    response = client.post(url, {"member": kit.head_of(referrer).pk})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.household, referral.referred_by_member, referral.referred_by_household, referral.collector) == (
        newcomer, kit.head_of(referrer), referrer, collector)
    assert "Nguyễn Thị Hiền" in client.get(response.url).content.decode()


def test_a_whole_household_can_be_the_referrer_and_the_answer_can_change(client, collector):
    newcomer, first, second = (kit.household(collector, head=name) for name in ["Mới", "Thứ Nhất", "Thứ Hai"])
    url = reverse("field:referral", args=[newcomer.pk])
    client.post(url, {"member": kit.head_of(first).pk})
    client.post(url, {"household": second.pk})
    referral = Referral.objects.get()
    assert (referral.referred_by_household, referral.referred_by_member) == (second, None)


def test_a_household_cannot_refer_itself(client, collector):
    newcomer = kit.household(collector, head="Mới")
    response = client.post(reverse("field:referral", args=[newcomer.pk]), {"household": newcomer.pk})
    assert "A household cannot refer itself" in response.content.decode()
    assert Referral.objects.count() == 0


def test_the_migration_renumbers_codes_the_phone_made_before_and_says_how_many(collector, capsys):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("households.migrations.0018_household_potential_and_field_codes")
    commune = collector.test_commune
    HouseholdFactory(commune=commune, code=f"{commune.pk}0000041")
    old = [HouseholdFactory(commune=commune, code=f"{commune.pk}-BA023EFBC{n}") for n in range(2)]
    official = HouseholdFactory(commune=commune, code="HGD-0001")  # another shape: left alone
    migration.renumber_field_codes(apps, None)
    assert [Household.objects.get(pk=h.pk).code for h in old] == [f"{commune.pk}0000042", f"{commune.pk}0000043"]
    assert Household.objects.get(pk=official.pk).code == "HGD-0001"
    assert "Renumbered 2 households registered on a phone." in capsys.readouterr().out
