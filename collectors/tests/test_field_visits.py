"""Logging a visit from the phone: by form or by the outbox's JSON, stored
once per phone-made id, refused with a message beside the field when wrong."""

import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from collectors.models import Visit
from collectors.tests import fieldkit as kit

pytestmark = pytest.mark.django_db
# session, user with collector, area, household; its members and their cover, to tick whom the VssID help is for
VISIT_FORM_QUERIES = 6
# The outbox's post: the form's 4, then the insert in its own transaction (BEGIN, INSERT, COMMIT);
# the area check and the client id's uniqueness cost no query of their own.
VISIT_POST_QUERIES = 7


@pytest.fixture
def household(collector):
    return kit.household(collector)


def url(household):
    return reverse("field:visit", args=[household.pk])


def data(**fields):
    return {"client_id": str(uuid.uuid4()), "outcome": "interested", "visited_on": kit.today().isoformat(),
            "note": "", **fields}


def post_json(client, household, body):
    return client.post(url(household), json.dumps(body), content_type="application/json",
                       headers={"accept": "application/json"})


def test_the_visit_form_offers_every_outcome(client, household):
    html = client.get(url(household)).content.decode()
    for label in ["enrolled (paid elsewhere)", "renewed (paid elsewhere)", "will pay on a date", "interested",
                  "declined", "nobody home", "moved away"]:
        assert f"{label}</label>" in html
    assert 'name="client_id"' in html


def test_joined_and_renewed_say_they_are_not_a_payment_and_link_to_it(client, household):
    """A payment logs its own visit: the form says so, in English and in Vietnamese."""
    pay = reverse("field:pay", args=[household.pk])
    html = client.get(url(household)).content.decode()
    assert "record people who paid elsewhere: no receipt, no card extended" in html
    assert f'Use <a href="{pay}">Take a payment</a> instead: it records the receipt, extends the card' in html
    html = client.get(url(household), headers={"accept-language": "vi"}).content.decode()
    for label in ["đã tham gia (đã đóng ở nơi khác)", "đã gia hạn (đã đóng ở nơi khác)"]:
        assert f"{label}</label>" in html
    assert f'<a href="{pay}">Thu tiền</a>' in html and "không có biên lai, thẻ không được gia hạn" in html


def test_a_visit_logged_by_form_is_the_collectors_and_shows_on_the_household(client, collector, household):
    response = client.post(url(household), data(outcome="will_pay", follow_up_on=(kit.today() + timedelta(days=5))
                                                 .isoformat(), note="Chờ bán cà phê", latitude="12.710000",
                                                 longitude="108.230000", location_consent="on"))
    assert response.status_code == 302 and response.url == reverse("field:household", args=[household.pk])
    visit = Visit.objects.get()
    assert (visit.collector, visit.household, visit.outcome) == (collector, household, "will_pay")
    assert visit.follow_up_on == kit.today() + timedelta(days=5)
    assert (visit.latitude, visit.longitude) == (Decimal("12.710000"), Decimal("108.230000"))
    page = client.get(response.url).content.decode()
    assert "Visit saved." in page and "Chờ bán cà phê" in page


def test_a_visit_logged_for_an_earlier_day_keeps_that_day(client, household):
    yesterday = kit.today() - timedelta(days=1)
    client.post(url(household), data(visited_on=yesterday.isoformat()))
    from django.utils import timezone

    assert timezone.localtime(Visit.objects.get().visited_at).date() == yesterday


def test_the_same_visit_sent_twice_is_stored_once(client, household):
    body = data(outcome="nobody_home")
    first, second = post_json(client, household, body), post_json(client, household, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"] and second.json()["created"] is False
    assert Visit.objects.count() == 1
    again = client.post(url(household), body)  # and once more as a form: still one
    assert again.status_code == 302 and Visit.objects.count() == 1


def test_the_outbox_gets_json_errors_keyed_by_field(client, household):
    response = post_json(client, household, data(outcome="gone_fishing"))
    assert response.status_code == 400
    assert "outcome" in response.json()["errors"] and Visit.objects.count() == 0
    assert post_json(client, household, ["not", "a", "visit"]).status_code == 400


@pytest.mark.parametrize("fields, field, message", [
    ({"visited_on": "2099-01-01"}, "visited_on", "This date is in the future"),
    ({"outcome": "gone_fishing"}, "outcome", "Select a valid choice"),
    ({"outcome": "declined"}, "decline_reason", "Say why the household declined."),
    ({"outcome": "will_pay"}, "follow_up_on", "Enter the day they will pay."),
    ({"follow_up_on": "2000-01-01"}, "follow_up_on", "The follow-up date cannot be before the visit."),
    ({"client_id": "not-a-uuid"}, "client_id", "Enter a valid UUID."),
    ({"note": "x" * 1001}, "note", "at most 1000 characters"),
])
def test_bad_input_gets_a_message_beside_the_field_and_saves_nothing(client, household, fields, field, message):
    response = client.post(url(household), data(**fields))
    assert response.status_code == 200
    html = response.content.decode()
    beside = html.split(f'data-field="{field}"', 1)[1].split('data-error-for', 1)[1].split("</p>", 1)[0] \
        if field != "client_id" else html
    assert message in beside
    assert Visit.objects.count() == 0


def test_a_declined_visit_keeps_its_reason(client, household):
    client.post(url(household), data(outcome="declined", decline_reason="no_trust"))
    assert Visit.objects.get().decline_reason == "no_trust"


@pytest.mark.parametrize("households", [1, 30])
def test_the_visit_form_runs_a_fixed_number_of_queries(client, collector, households, django_assert_num_queries):
    for n in range(households):
        kit.household(collector, head=f"Người {n}")
    target = kit.household(collector)
    with django_assert_num_queries(VISIT_FORM_QUERIES):
        assert client.get(url(target)).status_code == 200


def test_an_outbox_post_runs_a_fixed_number_of_queries(client, collector, household, django_assert_num_queries):
    with django_assert_num_queries(VISIT_POST_QUERIES):
        assert post_json(client, household, data()).status_code == 201
    assert household.visits.count() == 1


def test_the_visit_service_refuses_a_decline_without_a_reason_whoever_calls_it():
    import uuid

    from django.core.exceptions import ValidationError

    from collectors.services import log_visit

    collector = kit.collector_with_area()
    household = kit.household(collector)
    with pytest.raises(ValidationError) as caught:
        log_visit(collector=collector, household=household, client_id=uuid.uuid4(), outcome="declined",
                  visited_on=kit.today())
    assert caught.value.message_dict == {"decline_reason": ["Say why the household declined."]}
    assert not household.visits.exists()


def test_a_visit_id_of_another_collector_is_refused_without_storing_anything(client, collector, household):
    body = data()
    other = kit.collector_with_area()
    Visit.objects.create(client_id=body["client_id"], collector=other, household=kit.household(other),
                         outcome="interested", visited_at=timezone.now())
    response = post_json(client, household, body)
    assert response.status_code == 400
    assert response.json()["errors"]["client_id"] == [
        "This visit id is already used. Reload the page and log the visit again."]
    assert not household.visits.exists()


def test_a_collector_of_one_village_may_not_log_visits_in_another_village_of_the_commune():
    from django.core.exceptions import ValidationError

    from collectors.services import log_visit
    from collectors.tests.factories import AssignmentFactory, CollectorFactory
    from households.tests.factories import VillageFactory

    owner = kit.collector_with_area()
    village_collector = CollectorFactory()
    AssignmentFactory(collector=village_collector, commune=owner.test_commune, village=owner.test_village,
                      start=kit.today() - timedelta(days=30))
    inside = kit.household(owner)
    outside = kit.household(owner, village=VillageFactory(commune=owner.test_commune))
    visit, created = log_visit(collector=village_collector, household=inside, client_id=uuid.uuid4(),
                               outcome="interested", visited_on=kit.today())
    assert created and visit.household == inside
    with pytest.raises(ValidationError) as caught:
        log_visit(collector=village_collector, household=outside, client_id=uuid.uuid4(), outcome="interested",
                  visited_on=kit.today())
    assert caught.value.message_dict == {"__all__": [f"Household {outside.code} is not in your area."]}
    assert not outside.visits.exists()


# --- the outbox's batch ------------------------------------------------------------

def post_batch(client, visits):
    return client.post(reverse("field:visits"), json.dumps({"visits": visits}), content_type="application/json",
                       headers={"accept": "application/json"})


def test_the_outbox_sends_its_visits_in_one_request_each_stored_once(client, collector, household):
    other = kit.household(collector, head="Y Bhin Ksor")
    first, second = data(household=household.pk), data(household=str(other.pk), outcome="nobody_home")
    response = post_batch(client, [first, second])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["client_id"], r["created"]) for r in results] == [(first["client_id"], True), (second["client_id"], True)]
    assert Visit.objects.get(pk=results[1]["id"]).household == other
    # Sent again (the answer was lost on the way): nothing stored twice.
    again = post_batch(client, [first, second]).json()["results"]
    assert [r["created"] for r in again] == [False, False] and [r["id"] for r in again] == [r["id"] for r in results]
    assert Visit.objects.count() == 2


def test_a_refused_visit_in_a_batch_says_why_and_the_others_are_stored(client, collector, household):
    outsider = kit.household(kit.collector_with_area())
    good = data(household=household.pk)
    declined = data(household=household.pk, outcome="declined")
    outside = data(household=outsider.pk)
    results = post_batch(client, [declined, good, outside, data(household="x")]).json()["results"]
    assert results[0] == {"client_id": declined["client_id"], "errors": {"decline_reason": ["Say why the household declined."]}}
    assert results[1]["created"] is True
    assert results[2]["errors"] == {"household": ["This household is not in your area."]}
    assert results[3]["errors"] == {"household": ["This household is not in your area."]}
    assert list(Visit.objects.values_list("client_id", flat=True)) == [uuid.UUID(good["client_id"])]


def test_a_batch_that_cannot_be_read_or_is_too_long_is_refused_whole(client, collector, household):
    from collectors.views import VISITS_PER_BATCH

    for body in ["not json", json.dumps(["a", "list"]), json.dumps({"visits": "none"}), json.dumps({"visits": [1]})]:
        response = client.post(reverse("field:visits"), body, content_type="application/json")
        assert response.status_code == 400 and response.json()["errors"]["__all__"] == ["The visits could not be read."]
    response = post_batch(client, [data(household=household.pk) for _ in range(VISITS_PER_BATCH + 1)])
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == [f"Send at most {VISITS_PER_BATCH} visits at once."]
    assert not Visit.objects.exists()


def test_a_batch_is_refused_to_whoever_is_not_a_signed_in_collector(client, household):
    client.logout()
    assert post_batch(client, [data(household=household.pk)]).status_code == 401
    assert not Visit.objects.exists()


@pytest.mark.parametrize("size", [1, 20])
def test_a_batch_runs_a_fixed_number_of_queries_per_visit(client, collector, size, django_assert_num_queries):
    households = [kit.household(collector, head=f"Người {n}") for n in range(size)]
    # session, user with collector, area, the households; one transaction (BEGIN, COMMIT) with a savepoint,
    # insert and release per visit
    with django_assert_num_queries(4 + 2 + 3 * size):
        results = post_batch(client, [data(household=h.pk) for h in households]).json()["results"]
    assert all(r["created"] for r in results) and Visit.objects.count() == size


def test_helping_with_vssid_from_a_visit_records_it_on_the_members_ticked(client, collector):
    household = kit.household(collector, vssid=False)
    spouse = kit.add_member(household, vssid_installed=False)
    other = kit.household(collector, head="Someone Else", vssid=False)
    # as the outbox sends a ticked box and the list of members ticked
    response = post_json(client, household, data(helped_vssid="on", help_members_shown="True",
                                                  helped_members=[str(spouse.pk)]))
    assert response.status_code == 201
    visit = Visit.objects.get()
    assert (visit.helped_vssid, visit.helped_vneid) == (True, False)
    assert list(household.members.order_by("pk").values_list("vssid_installed", "vneid_level2")) == [
        (False, False), (True, False)]
    assert list(visit.vssid_installed_for.all()) == [spouse]
    assert not kit.head_of(other).vssid_installed
    assert "helped install VssID" in client.get(reverse("field:household", args=[household.pk])).content.decode()


def test_the_visit_form_ticks_insured_people_of_14_and_over_without_vssid(client, collector):
    household = kit.household(collector, vssid=False)  # the head, born 1985
    kit.cover(kit.head_of(household), ends_in_days=200)
    child = kit.add_member(household, name="Bé Na", born=kit.today().replace(year=kit.today().year - 10),
                           relation="child", vssid_installed=False)
    kit.cover(child, ends_in_days=200)
    teen = kit.add_member(household, name="Cậu Tú", born=kit.today().replace(year=kit.today().year - 14),
                          relation="child", vssid_installed=False)
    kit.cover(teen, ends_in_days=200)
    uninsured = kit.add_member(household, name="Chưa Có Thẻ", vssid_installed=False)
    html = client.get(url(household)).content.decode()
    boxes = dict(re.findall(r'<input type="checkbox" name="helped_members" value="(\d+)"([^>]*)>', html))
    assert set(boxes) == {str(m.pk) for m in household.members.all()}  # anyone may be ticked
    checked = {int(pk) for pk, rest in boxes.items() if "checked" in rest}
    assert checked == {kit.head_of(household).pk, teen.pk}
    assert uninsured.pk not in checked and child.pk not in checked


def test_an_older_outbox_item_without_the_list_helps_the_usual_members_never_a_child(client, collector):
    household = kit.household(collector, vssid=False)
    kit.cover(kit.head_of(household), ends_in_days=200)
    baby = kit.add_member(household, name="Em Bé", born=kit.today().replace(year=kit.today().year - 1),
                          relation="child", vssid_installed=False)
    kit.cover(baby, ends_in_days=200)
    assert post_json(client, household, data(helped_vssid="on")).status_code == 201
    assert kit.head_of(household).vssid_installed is True
    baby.refresh_from_db()
    assert baby.vssid_installed is False


def test_a_child_is_helped_when_ticked(client, collector):
    household = kit.household(collector, vssid=False)
    child = kit.add_member(household, name="Bé Na", born=kit.today().replace(year=kit.today().year - 10),
                           relation="child", vssid_installed=False, vneid_level2=False)
    response = client.post(url(household), {**data(helped_vneid="on"), "help_members_shown": "True",
                                            "helped_members": [child.pk]})
    assert response.status_code == 302
    child.refresh_from_db()
    assert (child.vneid_level2, kit.head_of(household).vneid_level2) == (True, False)
    assert list(Visit.objects.get().vneid_activated_for.all()) == [child]


def test_help_ticked_without_anyone_says_whom_and_changes_nothing(client, collector):
    household = kit.household(collector, vssid=False)
    response = client.post(url(household), {**data(helped_vssid="on"), "help_members_shown": "True"})
    assert response.status_code == 200
    assert "Tick the members who were helped." in response.content.decode()
    assert not Visit.objects.exists() and not kit.head_of(household).vssid_installed


def test_a_member_of_another_household_cannot_be_ticked(client, collector):
    household = kit.household(collector, vssid=False)
    stranger = kit.head_of(kit.household(collector, head="Người Lạ", vssid=False))
    response = post_json(client, household, data(helped_vssid="on", help_members_shown="True",
                                                  helped_members=[stranger.pk]))
    assert response.status_code == 400 and "helped_members" in response.json()["errors"]
    stranger.refresh_from_db()
    assert not Visit.objects.exists() and not stranger.vssid_installed


def test_a_visit_without_help_changes_no_member(client, collector):
    household = kit.household(collector, vssid=False)
    client.post(url(household), data(helped_vneid=""))
    assert Visit.objects.get().helped_vneid is False
    assert list(household.members.values_list("vssid_installed", "vneid_level2")) == [(False, False)]


def directions(household, client):
    return re.findall(r'href="(geo:[^"]*)"[^>]*>Directions<', client.get(reverse("field:household",
                                                                                 args=[household.pk])).content.decode())


def test_without_the_households_consent_no_location_is_kept(client, household):
    """Consent is off by default: a location sent without it (a form, the outbox) is dropped."""
    html = client.get(url(household)).content.decode()
    assert re.search(r'<input type="checkbox" name="location_consent" id="id_location_consent">', html)
    client.post(url(household), data(latitude="12.710000", longitude="108.230000"))
    post_json(client, household, data(latitude=12.71, longitude=108.23, location_consent=False))
    assert list(Visit.objects.values_list("latitude", "longitude")) == [(None, None)] * 2
    household.refresh_from_db()
    assert (household.latitude, household.longitude, household.located_at) == (None, None, None)
    assert directions(household, client) == []


def test_with_consent_the_house_is_located_and_the_household_page_offers_directions(client, household):
    post_json(client, household, data(latitude=12.71, longitude=108.23, location_consent=True))
    household.refresh_from_db()
    assert (household.latitude, household.longitude) == (Decimal("12.710000"), Decimal("108.230000"))
    assert directions(household, client) == ["geo:12.710000,108.230000?q=12.710000,108.230000"]
    # Vietnamese pages write decimals with a comma: the link keeps the dot its format needs.
    html = client.get(reverse("field:household", args=[household.pk]), headers={"accept-language": "vi"})
    assert 'href="geo:12.710000,108.230000?q=12.710000,108.230000"' in html.content.decode()
    assert ">Chỉ đường</a>" in html.content.decode()


def test_the_household_keeps_the_location_of_its_latest_visit(client, household):
    """The outbox may send yesterday's visit after today's: today's location stays."""
    post_json(client, household, data(latitude=12.7, longitude=108.2, location_consent=True))
    post_json(client, household, data(latitude=13.1, longitude=108.9, location_consent=True,
                                      visited_on=(kit.today() - timedelta(days=1)).isoformat()))
    household.refresh_from_db()
    assert (household.latitude, household.longitude) == (Decimal("12.700000"), Decimal("108.200000"))
    post_json(client, household, data(latitude=12.8, longitude=108.3, location_consent="on"))
    household.refresh_from_db()
    assert (household.latitude, household.longitude) == (Decimal("12.800000"), Decimal("108.300000"))
