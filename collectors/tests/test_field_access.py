"""Who may use the field pages, and that a collector reaches only their own area."""

import json
import uuid

import pytest
from django.urls import reverse

from collectors.models import Collector, Payment, Referral, Visit
from collectors.tests import fieldkit as kit
from collectors.tests.factories import UserFactory
from households.models import Enrolment, Household, Member

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def sign_in(client, username):
    return client.post(reverse("field:login"), {"username": username, "password": PASSWORD})


def test_a_collector_signs_in_and_lands_on_today(client):
    collector = kit.collector_with_area()
    response = sign_in(client, collector.user.username)
    assert response.status_code == 302 and response.url == reverse("field:today")
    assert client.get(reverse("field:today")).status_code == 200


def test_signing_in_returns_the_collector_to_the_page_they_asked_for(client):
    collector = kit.collector_with_area()
    wanted = reverse("field:find") + "?q=hien"
    response = client.get(wanted)
    assert response.status_code == 302 and response.url.startswith(reverse("field:login"))
    response = client.post(response.url, {"username": collector.user.username, "password": PASSWORD,
                                          "next": wanted})
    assert response.url == wanted


def test_staff_without_a_collector_account_are_sent_to_the_admin(client):
    UserFactory(username="province", is_staff=True)
    response = sign_in(client, "province")
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.get(reverse("field:today")).url == reverse("admin:index")


def test_an_inactive_collector_is_refused_with_a_reason(client):
    collector = kit.collector_with_area(active=False)
    response = sign_in(client, collector.user.username)
    assert response.status_code == 200
    assert "Your collector account is not active" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_someone_who_is_not_a_collector_is_refused(client):
    UserFactory(username="neighbour")
    response = sign_in(client, "neighbour")
    assert "This account is not a collector" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_says_so(client):
    collector = kit.collector_with_area()
    response = client.post(reverse("field:login"), {"username": collector.user.username, "password": "nope"})
    assert "Please enter a correct username and password" in response.content.decode()


def test_the_front_door_sends_each_user_to_their_pages(client):
    assert client.get("/").url == reverse("field:login")
    collector = kit.collector_with_area()
    client.force_login(collector.user)
    assert client.get("/").url == reverse("field:today")
    client.force_login(UserFactory(username="province", is_staff=True))
    assert client.get("/").url == reverse("admin:index")


def test_a_collector_deactivated_after_signing_in_is_locked_out(client):
    collector = kit.collector_with_area()
    kit.phone_login(client, collector)
    Collector.objects.filter(pk=collector.pk).update(active=False)
    response = client.get(reverse("field:today"))
    assert response.status_code == 302 and response.url.startswith(reverse("field:login"))


def test_the_outbox_is_told_to_sign_in_again_rather_than_redirected(client):
    household = kit.household(kit.collector_with_area())
    response = client.post(reverse("field:visit", args=[household.pk]), "{}", content_type="application/json")
    assert response.status_code == 401 and response.json()["error"]


def test_the_service_worker_is_served_for_the_field_pages(client):
    response = client.get(reverse("field:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    assert b"addEventListener(\"fetch\"" in response.content


def test_the_offline_page_needs_no_sign_in(client):
    assert client.get(reverse("field:offline")).status_code == 200


# --- another collector's households ---------------------------------------------------


@pytest.fixture
def two_areas(client):
    """Me, signed in; a household of another collector's area, with a member,
    cover, a visit and a payment — all of which I must not see or change."""
    me, other = kit.collector_with_area(), kit.collector_with_area()
    mine = kit.household(me, head="Lê Thị Mai")
    theirs = kit.household(other, head="Nguyễn Thị Hiền", phone="0912000111")
    kit.cover(kit.head_of(theirs), ends_in_days=5)
    their_visit = Visit.objects.create(client_id=uuid.uuid4(), collector=other, household=theirs,
                                       visited_at="2026-01-05T10:00:00+07:00", outcome=Visit.Outcome.INTERESTED)
    Payment.objects.create(agent=other.agent, collector=other, household=theirs, scheme="bhyt_hgd",
                           receipt_number="THEIRS-1", paid_on="2026-01-05", months=12, amount=1, recorded_by=other.user)
    kit.phone_login(client, me)
    return me, mine, theirs, their_visit


def snapshot():
    return (Household.objects.count(), Member.objects.count(), Visit.objects.count(), Payment.objects.count(),
            Referral.objects.count(), list(Enrolment.objects.values_list("coverage_end", flat=True)))


def visit_data(**extra):
    return {"client_id": str(uuid.uuid4()), "outcome": "interested", "visited_on": kit.today().isoformat(), **extra}


def payment_data(theirs, **extra):
    return {"client_id": str(uuid.uuid4()), "members": [kit.head_of(theirs).pk], "scheme": "bhyt_hgd",
            "months": 12, "paid_on": kit.today().isoformat(), "receipt_number": "R-1", "amount": 1_366_200, **extra}


OTHER_HOUSEHOLD_REQUESTS = [
    ("get", "field:household", None),
    ("get", "field:visit", None),
    ("post", "field:visit", "visit"),
    ("post-json", "field:visit", "visit"),
    ("get", "field:pay", None),
    ("post", "field:pay", "preview"),
    ("post", "field:pay", "save"),
    ("get", "field:referral", None),
    ("post", "field:referral", "referral"),
    ("get", "field:add_member", None),
    ("post", "field:add_member", "member"),
]


@pytest.mark.parametrize("method, name, body", OTHER_HOUSEHOLD_REQUESTS)
def test_another_collectors_household_is_a_404_and_nothing_changes(client, two_areas, method, name, body):
    me, mine, theirs, _visit = two_areas
    url = reverse(name, args=[theirs.pk])
    data = {"visit": visit_data(), "preview": {**payment_data(theirs), "preview": "1"},
            "save": {**payment_data(theirs), "save": "1"}, "referral": {"member": kit.head_of(mine).pk},
            "member": {"full_name": "Trần Bảo Na", "date_of_birth": "2025-11-02", "sex": "F", "relation": "child",
                       "ethnicity": "01"}}.get(body)
    before = snapshot()
    if method == "get":
        response = client.get(url)
    elif method == "post":
        response = client.post(url, data)
    else:
        response = client.post(url, json.dumps(data), content_type="application/json")
    assert response.status_code == 404
    assert snapshot() == before


def test_a_referrer_from_another_area_is_a_404(client, two_areas):
    me, mine, theirs, _visit = two_areas
    url = reverse("field:referral", args=[mine.pk])
    before = snapshot()
    assert client.post(url, {"member": kit.head_of(theirs).pk}).status_code == 404
    assert client.post(url, {"household": theirs.pk}).status_code == 404
    assert snapshot() == before


def test_search_and_today_never_show_another_collectors_households(client, two_areas):
    me, mine, theirs, _visit = two_areas
    for term in ["nguyen thi hien", "0912000111", kit.head_of(theirs).citizen_id]:
        page = client.get(reverse("field:find"), {"q": term}).content.decode()
        assert theirs.code not in page and "No household in your area matches" in page
    assert theirs.code not in client.get(reverse("field:today")).content.decode()
    assert "Nguyễn Thị Hiền" not in client.get(reverse("field:referral", args=[mine.pk]), {"q": "hien"}).content.decode()


def test_my_month_never_lists_another_collectors_receipts(client, two_areas):
    assert "THEIRS-1" not in client.get(reverse("field:month"), {"month": "2026-01"}).content.decode()


def test_a_new_household_cannot_be_placed_outside_the_area(client, two_areas):
    me, mine, theirs, _visit = two_areas
    before = snapshot()
    response = client.post(reverse("field:register"), {
        "client_id": str(uuid.uuid4()), "place": f"village:{theirs.village_id}", "economic_status": "other",
        "m-TOTAL_FORMS": "1", "m-INITIAL_FORMS": "0", "m-0-full_name": "Lò Văn Tâm", "m-0-date_of_birth": "1990-01-01",
        "m-0-sex": "M", "m-0-relation": "head", "m-0-ethnicity": "01",
    })
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert snapshot() == before


def test_a_visit_id_of_another_collector_is_refused_without_saying_whose(client, two_areas):
    me, mine, theirs, their_visit = two_areas
    response = client.post(reverse("field:visit", args=[mine.pk]),
                           json.dumps(visit_data(client_id=str(their_visit.client_id), note="mine now")),
                           content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["errors"] and list(response.json()["errors"]) == ["client_id"]
    assert theirs.code not in response.content.decode()
    their_visit.refresh_from_db()
    assert their_visit.household == theirs and their_visit.note == "" and Visit.objects.count() == 1
