"""Input no phone sends, answered with a message and never a 500 (the attack
found 500s on each of these; nothing was written, but a 500 is no answer, and
a batch that fails whole makes the phone's outbox retry forever)."""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from collectors.models import Payment, Visit
from collectors.tests import fieldkit as kit
from households.models import Household

pytestmark = pytest.mark.django_db


@pytest.fixture
def household(collector):
    return kit.household(collector)


def visit(**fields):
    return {"client_id": str(uuid.uuid4()), "outcome": "interested", "visited_on": kit.today().isoformat(), **fields}


def post_json(client, url, body):
    return client.post(url, body if isinstance(body, str) else json.dumps(body), content_type="application/json",
                       headers={"accept": "application/json"})


@pytest.mark.parametrize("field", ["visited_on", "follow_up_on"])
@pytest.mark.parametrize("value", [20240101, 1.5, ["2024-01-01"], {"day": 1}, True])
def test_a_date_sent_as_a_number_or_a_list_is_refused_beside_the_field(client, household, field, value):
    response = post_json(client, reverse("field:visit", args=[household.pk]), visit(**{field: value}))
    assert response.status_code == 400
    assert response.json()["errors"][field] == ["Enter a valid date."]
    assert not Visit.objects.exists()


def test_deeply_nested_json_is_refused_as_unreadable(client, household):
    deep = "[" * 100_000 + "]" * 100_000
    for url, body in ((reverse("field:visit", args=[household.pk]), deep),
                      (reverse("field:visits"), '{"visits": ' + deep + "}")):
        response = post_json(client, url, body)
        assert response.status_code == 400 and "could not be read" in response.json()["errors"]["__all__"][0]
    assert not Visit.objects.exists()


def test_one_bad_visit_in_a_batch_is_refused_alone(client, household):
    good = {"household": household.pk, **visit()}
    response = post_json(client, reverse("field:visits"), {"visits": [
        {"household": "²", **visit()}, good, {"household": "9" * 30, **visit()}, {"household": True, **visit()},
        {"household": household.pk, **visit(visited_on=[1])}, {"household": household.pk, **visit(client_id=[1])}]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [sorted(result["errors"]) if "errors" in result else "stored" for result in results] == [
        ["household"], "stored", ["household"], ["household"], ["visited_on"], ["client_id"]]
    assert list(Visit.objects.values_list("client_id", flat=True)) == [uuid.UUID(good["client_id"])]


def test_an_empty_post_to_the_payment_page_shows_what_is_missing(client, household):
    response = client.post(reverse("field:pay", args=[household.pk]), {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Payment.objects.exists()


def test_an_empty_post_to_the_register_page_shows_what_is_missing(client, collector):
    response = client.post(reverse("field:register"), {})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Household.objects.exists()


@pytest.mark.parametrize("total", ["abc", "-3", "999999999999"])
def test_a_management_form_that_is_not_a_number_is_refused(client, collector, total):
    for extra in ({}, {"add_member": "1"}):
        response = client.post(reverse("field:register"), {"m-TOTAL_FORMS": total, "m-INITIAL_FORMS": "0", **extra})
        assert response.status_code == 200
    assert not Household.objects.exists()


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1899-12"])
def test_a_month_nobody_worked_shows_this_month(client, collector, month):
    response = client.get(reverse("field:month"), {"month": month})
    assert response.status_code == 200
    assert response.context["month"].first_day == kit.today().replace(day=1)


@pytest.mark.parametrize("page", ["-5", "0", "1" + "0" * 30])
def test_a_page_number_past_any_list_is_answered(client, household, page):
    assert client.get(reverse("field:today"), {"page": page}).status_code == 200


@pytest.mark.parametrize("url_name, parameter", [("field:find", "q"), ("field:today", "page")])
def test_a_nul_character_in_a_search_is_refused_with_a_message(client, household, url_name, parameter):
    response = client.get(reverse(url_name), {parameter: "Hi\x00ền"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_a_nul_character_in_a_referral_search_is_refused(client, household):
    response = client.get(reverse("field:referral", args=[household.pk]), {"q": "\x00"})
    assert response.status_code == 400


# --- dates nobody could mean ---------------------------------------------------------------


@pytest.mark.parametrize("fields, field, message", [
    ({"visited_on": "0001-01-01"}, "visited_on", "A visit is logged within a year: enter a day from"),
    ({"visited_on": "1899-12-31"}, "visited_on", "A visit is logged within a year"),
    ({"visited_on": "2099-01-01"}, "visited_on", "This date is in the future"),
    ({"follow_up_on": "9999-12-31", "outcome": "will_pay"}, "follow_up_on",
     "A follow-up is planned within a year: enter a day up to"),
])
def test_visit_dates_nobody_could_mean_are_refused_by_form_and_json(client, household, fields, field, message):
    url = reverse("field:visit", args=[household.pk])
    html = client.post(url, visit(**fields)).content.decode()
    assert message in html.split(f'data-field="{field}"', 1)[1][:2000]
    answer = post_json(client, url, visit(**fields)).json()
    assert message in answer["errors"][field][0]
    assert not Visit.objects.exists()


def test_a_visit_a_year_ago_and_a_follow_up_a_year_ahead_are_accepted(client, household):
    url = reverse("field:visit", args=[household.pk])
    response = post_json(client, url, visit(visited_on=(kit.today() - timedelta(days=365)).isoformat(),
                                            outcome="will_pay",
                                            follow_up_on=(kit.today() + timedelta(days=365)).isoformat()))
    assert response.status_code == 201


@pytest.mark.parametrize("born, message", [
    ("0001-01-01", "Date of birth 01/01/0001 is before 1900: check the year."),
    ("1899-12-31", "Date of birth 31/12/1899 is before 1900: check the year."),
    ("2999-01-01", "is in the future"),
])
def test_a_member_born_in_a_year_nobody_could_mean_is_refused_on_registering(client, collector, born, message):
    from collectors.tests.test_field_register import HEAD, form, register

    html = register(client, form(collector, {**HEAD, "date_of_birth": born})).content.decode()
    assert message in html.split('data-field="date_of_birth"', 1)[1][:2000]
    assert not Household.objects.exists()
