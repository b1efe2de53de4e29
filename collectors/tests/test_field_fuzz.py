"""Arbitrary JSON and form data thrown at the phone's endpoints and at every
search box: never a 500 (the test client raises what a view lets through),
and never a partial write — a request either did all it answers it did, or
changed nothing."""

import json
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.models import Payment, PaymentLine, Visit
from collectors.payments import quote_for_collector
from collectors.tests import fieldkit as kit
from households.models import Enrolment, Household, Member

pytestmark = pytest.mark.django_db

# Deterministic, so that CI runs the same examples each time; enough to reach past the parsing.
FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Anything a string can hold and a request can carry (lone surrogates cannot be sent as UTF-8),
# with the characters that broke pages before.
text = st.sampled_from(["\x00", "Nguy\x00ễn", "²", "%", "'", "\\"]) | st.text(
    st.characters(exclude_categories=("Cs",)), max_size=30)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=8)


def rows():
    return tuple(model.objects.count() for model in (Household, Member, Enrolment, Visit, Payment, PaymentLine))


@pytest.fixture
def household(collector):
    household = kit.household(collector)
    kit.cover(kit.head_of(household), ends_in_days=10)
    return household


def plausible(today):
    """Values a field might take, good and bad, so that examples reach the services too."""
    return {
        "client_id": st.uuids().map(str) | text,
        "outcome": st.sampled_from(["interested", "declined", "will_pay", "enrolled", "nobody_home"]) | json_values,
        "decline_reason": st.sampled_from(["", "cost", "other"]) | json_values,
        "visited_on": st.sampled_from([today.isoformat(), (today - timedelta(days=3)).isoformat(), "0001-01-01",
                                       "9999-12-31"]) | json_values,
        "follow_up_on": st.sampled_from([(today + timedelta(days=5)).isoformat(), "9999-12-31", ""]) | json_values,
        "note": text | json_values,
        "latitude": st.sampled_from(["12.7", "91", "1e400", ""]) | json_values,
        "longitude": st.sampled_from(["108.2", "-181", "NaN", ""]) | json_values,
    }


def visit_items(today, household_ids):
    fields = plausible(today)
    return st.fixed_dictionaries({}, optional={**fields, "household": st.sampled_from(household_ids) | json_values})


MISSING = object()
SOME = 3  # of the 40 examples, at least this many are stored: the services are reached, not only the forms


def mutated(data, valid: dict, bad: dict, label: str) -> dict:
    """`valid` with some of its fields (none, often: a valid request) given a value of `bad` or left out,
    so that examples reach the services as well as the forms' refusals."""
    chosen = data.draw(st.just(frozenset()) | st.sets(st.sampled_from(sorted(bad)), min_size=1, max_size=3),
                       label=f"{label}: fields changed")
    form = dict(valid)
    for name in sorted(chosen):
        value = data.draw(bad[name] | st.just(MISSING), label=f"{label}: {name}")
        if value is MISSING:
            form.pop(name, None)
        else:
            form[name] = value
    return form


def as_posted(value):
    return value if isinstance(value, (str, list)) else json.dumps(value)


def test_the_visit_endpoint_stores_a_whole_visit_or_nothing(client, household):
    """From a valid visit, fields changed to anything (JSON too) or left out, or the whole body replaced."""
    today = kit.today()
    url = reverse("field:visit", args=[household.pk])
    stored = []

    @FUZZ
    @given(data=st.data())
    def post(data):
        valid = {"client_id": str(uuid.uuid4()), "outcome": "interested", "visited_on": today.isoformat(),
                 "note": "Hẹn quay lại"}
        body = mutated(data, valid, plausible(today), "visit")
        if data.draw(st.integers(0, 4), label="the whole body replaced") == 0:
            body = data.draw(json_values, label="body")
        as_form = data.draw(st.booleans(), label="as form")
        before = rows()
        if as_form and isinstance(body, dict):
            response = client.post(url, {key: as_posted(value) for key, value in body.items()})
        else:
            response = client.post(url, json.dumps(body), content_type="application/json",
                                   headers={"accept": "application/json"})
        assert response.status_code in (200, 201, 302, 400)
        after = rows()
        if after != before:  # stored: the visit, and nothing else
            assert response.status_code in (201, 302)
            assert after == (*before[:3], before[3] + 1, *before[4:])
            stored.append(body)

    post()
    assert len(stored) >= SOME  # the service was reached, not only the form's refusals



@FUZZ
@given(data=st.data())
def test_the_outbox_stores_or_refuses_each_visit_on_its_own(client, collector, household, data):
    today = kit.today()
    ids = [household.pk, str(household.pk), household.pk + 1000, "²", "9" * 30, -1]
    items = data.draw(st.lists(visit_items(today, ids) | json_values, max_size=5), label="items")
    body = data.draw(st.sampled_from(["visits", "other"]), label="key")
    before = rows()
    response = client.post(reverse("field:visits"), json.dumps({body: items}), content_type="application/json",
                           headers={"accept": "application/json"})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert rows() == before
        return
    results = response.json()["results"]
    assert len(results) == len(items)
    created = sum(1 for result in results if result.get("created"))
    assert all(("id" in result) != ("errors" in result) for result in results)
    assert rows() == (before[0], before[1], before[2], before[3] + created, *before[4:])


def test_the_payment_page_stores_a_whole_payment_or_nothing(client, collector, household):
    """From a valid payment (the amount the page quotes), fields changed to anything or left out: stored
    whole (the payment, a line per person with the enrolments it starts, its visit) or nothing at all."""
    today = kit.today()
    url = reverse("field:pay", args=[household.pk])
    head = kit.head_of(household)
    members = [m.pk for m in household.members.all()]
    bad = {
        "client_id": text,
        "scheme": st.sampled_from(["bhxh_tn"]) | text,
        "members": st.lists(st.sampled_from(members) | st.integers().map(str) | text, max_size=3),
        "months": st.sampled_from(["1", "3", "6", "0", "-1", "99999999999999999999"]) | text,
        "income": st.sampled_from(["", "1500000", "-5", "1e9"]) | text,
        "paid_on": st.sampled_from([(today - timedelta(days=2)).isoformat(), "0001-01-01", "9999-12-31"]) | text,
        "receipt_number": text,
        "amount": st.sampled_from(["0", "1", "99999999999999999999"]) | text,
        "save": st.just("1"),
    }
    stored = []

    @FUZZ
    @given(data=st.data())
    def post(data):
        quote = quote_for_collector(collector=collector, household=household, members=[head], scheme="bhyt_hgd",
                                    months=12, paid_on=today)
        valid = {"client_id": str(uuid.uuid4()), "scheme": "bhyt_hgd", "members": [str(head.pk)], "months": "12",
                 "paid_on": today.isoformat(), "receipt_number": f"BL-{uuid.uuid4().hex[:10]}",
                 "amount": str(quote.total), "save": "1"}
        form = mutated(data, valid, bad, "payment")
        htmx = data.draw(st.booleans(), label="htmx")
        before = rows()
        response = client.post(url, form, headers={"hx-request": "true"} if htmx else {})
        assert response.status_code in (200, 302)
        after = rows()
        if after == before:
            return
        payment = Payment.objects.latest("pk")
        lines = list(payment.lines.all())
        assert response.status_code == 302 and lines
        assert after == (before[0], before[1], before[2] + sum(line.created_enrolment for line in lines),
                         before[3] + 1, before[4] + 1, before[5] + len(lines))
        stored.append(form)

    post()
    assert len(stored) >= SOME


def test_the_register_page_stores_a_whole_household_or_nothing(client, collector):
    """From a valid registration of one or two people, fields of the household and of each person changed
    to anything or left out: stored whole (the household and its members, nothing else) or nothing."""
    place = f"village:{collector.test_village.pk}"
    person_bad = {
        "full_name": text, "date_of_birth": st.sampled_from(["0001-01-01", "2999-01-01", "1899-12-31"]) | text,
        "sex": text, "relation": st.sampled_from(["head", "child"]) | text, "ethnicity": text,
        "citizen_id": st.sampled_from(["066085012345", "1"]) | text, "si_number": st.sampled_from(["66"]) | text,
        "phone": st.sampled_from(["0912345678", "123"]) | text}
    household_bad = {
        "client_id": text, "place": st.sampled_from(["commune:1"]) | text, "address": text, "phone": text,
        "economic_status": st.sampled_from(["poor"]) | text, "status_year": st.sampled_from(["2025", "99999"]) | text,
        "confirm_new": st.just(""), "add_member": st.just("1"),
        "m-TOTAL_FORMS": st.sampled_from(["abc", "-1", "1000000"]) | text, "m-INITIAL_FORMS": text}
    stored = []

    @FUZZ
    @given(data=st.data())
    def post(data):
        count = data.draw(st.integers(1, 2), label="people")
        form = mutated(data, {"client_id": str(uuid.uuid4()), "place": place, "address": "Thôn 1", "phone": "",
                              "economic_status": "other", "status_year": "", "confirm_new": "on",
                              "m-TOTAL_FORMS": str(count), "m-INITIAL_FORMS": "0"}, household_bad, "household")
        for n in range(count):
            person = mutated(data, {"full_name": f"Phạm Văn Thử {n}", "date_of_birth": "1985-05-17", "sex": "M",
                                    "relation": "head" if n == 0 else "child", "ethnicity": "01", "citizen_id": "",
                                    "si_number": "", "phone": ""}, person_bad, f"person {n}")
            form.update({f"m-{n}-{key}": value for key, value in person.items()})
        before = rows()
        response = client.post(reverse("field:register"), form)
        assert response.status_code in (200, 302)
        after = rows()
        if after == before:
            return
        created = Household.objects.latest("pk")
        assert response.status_code == 302 and 1 <= created.members.count() <= count
        assert after == (before[0] + 1, before[1] + created.members.count(), *before[2:])
        stored.append(form)

    post()
    assert len(stored) >= SOME


@FUZZ
@given(term=text)
def test_the_field_search_boxes_answer_any_text(client, household, term):
    for url in (reverse("field:find"), reverse("field:referral", args=[household.pk])):
        response = client.get(url, {"q": term})
        assert response.status_code == (400 if "\x00" in term else 200)


@FUZZ
@given(term=text)
def test_the_admin_search_boxes_and_autocomplete_answer_any_text(staff_client, term):
    for name in ("admin:households_household_changelist", "admin:households_member_changelist",
                 "admin:households_enrolment_changelist", "admin:collectors_visit_changelist"):
        response = staff_client.get(reverse(name), {"q": term})
        assert response.status_code == (400 if "\x00" in term else 200)
    response = staff_client.get(reverse("admin:autocomplete"), {
        "term": term, "app_label": "households", "model_name": "member", "field_name": "household"})
    assert response.status_code == (400 if "\x00" in term else 200)


def test_a_valid_visit_still_goes_through(client, household):
    """The fuzzing's own control: the endpoints are not simply refusing everything."""
    response = client.post(reverse("field:visit", args=[household.pk]),
                           json.dumps({"client_id": str(uuid.uuid4()), "outcome": "interested",
                                       "visited_on": kit.today().isoformat()}),
                           content_type="application/json", headers={"accept": "application/json"})
    assert response.status_code == 201
