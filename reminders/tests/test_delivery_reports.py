"""Delivery reports: Kannel's dlr-url and the JSON gateway's callback — authenticated per
backend, idempotent, never a 500, and right in the end whatever order they come in."""

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
from django.utils import timezone

from reminders import services
from reminders.channels.kannel import dlr_url, signature
from reminders.models import Message, Reminder
from reminders.selectors import reminder_states

from .factories import due_enrolment

KANNEL = "/reminders/dlr/kannel/"
GATEWAY = "/reminders/dlr/gateway/"
NIGHT = date(2026, 11, 25)


@pytest.fixture(autouse=True)
def secrets(settings):
    settings.KANNEL_DLR_SECRET = "kannel-secret"
    settings.SMS_GATEWAY_CALLBACK_SECRET = "gateway-secret"
    settings.KANNEL_DLR_URL = "https://outreach.example/reminders/dlr/kannel/"


def sent_messages(count=1):
    for _ in range(count):
        due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])
    return list(Message.objects.order_by("pk"))


def kannel_params(message, type_, answer=""):
    key = str(message.key)
    return {"key": key, "sig": signature(key), "type": str(type_), "answer": answer}


@pytest.mark.django_db
def test_the_dlr_url_given_to_kannel_carries_the_key_its_signature_and_kannels_fields():
    url = dlr_url("6f1c0a4e-0000-4000-8000-000000000001")
    assert url == ("https://outreach.example/reminders/dlr/kannel/?key=6f1c0a4e-0000-4000-8000-000000000001"
                   f"&sig={signature('6f1c0a4e-0000-4000-8000-000000000001')}&type=%d&answer=%A")


@pytest.mark.django_db
def test_kannel_reports_delivered_once_however_often_it_says_so(client, outbox, any_hour):
    [message] = sent_messages()
    first = client.get(KANNEL, kannel_params(message, 1))
    again = client.get(KANNEL, kannel_params(message, 1))
    assert (first.status_code, first.content, again.status_code, again.content) == (
        200, b"recorded", 200, b"already recorded")
    message.refresh_from_db()
    assert (message.status, message.delivery) == ("sent", "delivered")
    assert Reminder.objects.get().status == "delivered"


@pytest.mark.django_db
def test_an_undelivered_report_puts_the_household_on_the_collectors_list_with_the_reason(client, outbox, any_hour):
    [message] = sent_messages()
    client.get(KANNEL, kannel_params(message, 2, "id:1 sub:001 dlvrd:000 stat:UNDELIV err:011"))
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.reason) == ("undelivered", "not delivered: id:1 sub:001 dlvrd:000 "
                                                                 "stat:UNDELIV err:011")
    state = reminder_states([reminder.household_id], on=NIGHT)[reminder.household_id]
    assert (state.state, state.reason) == ("undelivered", reminder.reason)


@pytest.mark.django_db
def test_an_expired_report_is_told_apart(client, outbox, any_hour):
    [message] = sent_messages()
    client.get(KANNEL, kannel_params(message, 2, "id:1 stat:EXPIRED err:000"))
    message.refresh_from_db()
    assert message.delivery == "expired"
    assert Reminder.objects.get().reason.startswith("expired (phone unreachable)")


@pytest.mark.django_db
def test_a_late_accepted_report_does_not_undo_delivered_and_delivered_wins_over_undelivered(
        client, outbox, any_hour):
    first, second = sent_messages(2)
    for type_ in (1, 8, 4):  # delivered, then "accepted by the SMSC" and "queued" arriving late
        client.get(KANNEL, kannel_params(first, type_))
    for type_ in (2, 1):  # the SMSC's retry got through after all
        client.get(KANNEL, kannel_params(second, type_))
    assert list(Message.objects.order_by("pk").values_list("delivery", flat=True)) == ["delivered", "delivered"]


@pytest.mark.django_db
@pytest.mark.parametrize("params, status", [
    ({}, 403),
    ({"key": "not-a-uuid", "sig": "x", "type": "1"}, 403),
    ({"sig": "0" * 32, "type": "1"}, 403),  # a forged signature (key added below)
    ({"type": "99"}, 400),
    ({"type": "delivered"}, 400),
    ({"type": "%d"}, 400),  # Kannel's escape left unfilled
], ids=["nothing", "bad key", "forged", "unknown type", "words", "escape"])
def test_bad_reports_get_a_4xx_that_says_why_and_change_nothing(client, outbox, any_hour, params, status):
    [message] = sent_messages()
    given = {**kannel_params(message, 1), **params} if params else {}
    response = client.get(KANNEL, given)
    assert response.status_code == status and response.content
    message.refresh_from_db()
    assert message.delivery == "" and Reminder.objects.get().status == "sent"


@pytest.mark.django_db
def test_without_a_secret_configured_every_report_is_refused(client, outbox, any_hour, settings):
    [message] = sent_messages()
    params = kannel_params(message, 1)
    settings.KANNEL_DLR_SECRET = ""
    assert client.get(KANNEL, params).status_code == 403
    assert client.post(GATEWAY, {}, content_type="application/json").status_code == 403


@pytest.mark.django_db
def test_a_report_for_an_unknown_message_is_a_404(client):
    key = "6f1c0a4e-0000-4000-8000-000000000001"
    assert client.get(KANNEL, {"key": key, "sig": signature(key), "type": "1"}).status_code == 404


def gateway_post(client, body, secret="gateway-secret"):
    return client.post(GATEWAY, body if isinstance(body, str) else json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {secret}"})


@pytest.mark.django_db
def test_the_json_gateways_callback(client, outbox, any_hour):
    [message] = sent_messages()
    assert gateway_post(client, {"client_ref": str(message.key), "status": "delivered"}, secret="wrong"
                        ).status_code == 403
    for body, error in [("{not json", "the body must be JSON"), ("[1]", "the body must be a JSON object"),
                        ({"client_ref": "x", "status": "delivered"}, "client_ref must be the message's key (a UUID)"),
                        ({"client_ref": str(message.key), "status": "lost"}, "status must be one of")]:
        response = gateway_post(client, body)
        assert response.status_code == 400 and response.json()["error"].startswith(error)
    response = gateway_post(client, {"client_ref": str(message.key), "status": "undelivered", "reason": "blocked"})
    assert response.json() == {"recorded": True}
    assert Reminder.objects.get().reason == "not delivered: blocked"
    assert gateway_post(client, {"client_ref": str(message.key), "status": "undelivered"}).json() == {
        "recorded": False}


@pytest.mark.django_db
def test_a_report_that_comes_before_the_workers_answer_closes_the_message_and_it_is_not_sent_again(
        client, outbox, any_hour):
    due_enrolment(ends=NIGHT)
    services.prepare_night(day=NIGHT)
    message = Message.objects.get()
    # The worker was killed after the gateway took the message: "sending" with its lease over.
    Message.objects.filter(pk=message.pk).update(status="sending", attempts=1, lease_until=timezone.now())
    client.get(KANNEL, kannel_params(message, 8))
    assert services.send_message(message_id=message.pk) == services.NOT_MINE
    message.refresh_from_db()
    assert (message.status, message.delivery, outbox) == ("sent", "accepted", [])


@pytest.mark.postgres
def test_lost_duplicated_and_out_of_order_reports_still_end_in_the_right_state(
        transactional_db, reseeded, live_server, outbox, any_hour, settings):
    messages = sent_messages(40)
    rng = random.Random(19)
    final = {m.key: rng.choice([1, 2, 16]) for m in messages}
    reports = [(m, 8) for m in messages] + [(m, final[m.key]) for m in messages]
    lost = set(rng.sample([m.key for m in messages], 8))  # their final report never comes
    reports = [r for r in reports if not (r[1] != 8 and r[0].key in lost)]
    reports += rng.sample(reports, 30)  # duplicates
    rng.shuffle(reports)  # out of order

    def post(report):
        message, type_ = report
        return requests.get(live_server.url + KANNEL, params=kannel_params(message, type_), timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:  # at the same time, as Kannel's smsbox sends them
        assert set(pool.map(post, reports)) == {200}

    expected = {1: "delivered", 2: "undelivered", 16: "undelivered"}
    for message in Message.objects.all():
        want = "accepted" if message.key in lost else expected[final[message.key]]
        assert message.delivery == want, (message.key, message.delivery, want)
        reminder = message.reminders.get()
        assert reminder.status == {"accepted": "sent"}.get(want, want)

    # The nightly batch REMINDERS_DLR_TIMEOUT_HOURS later closes the 8 whose final report was lost:
    # every message ends delivered or reported failed, and those households go on the Today list.
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
    services.prepare_night(day=NIGHT + timedelta(days=2), now=timezone.now() + timedelta(hours=49))
    for message in Message.objects.all():
        want = "unknown" if message.key in lost else expected[final[message.key]]
        assert message.delivery == want
    assert set(Message.objects.values_list("delivery", flat=True)) == {"delivered", "undelivered", "unknown"}
    silent = Reminder.objects.filter(message__key__in=lost)
    assert set(silent.values_list("status", "reason")) == {("undelivered", "no delivery report within 48 hours")}
    households = list(silent.values_list("household_id", flat=True))
    assert {state.state for state in reminder_states(households, on=NIGHT + timedelta(days=2)).values()} == {
        "undelivered"}
    print(f"\n{len(reports)} reports ({len(lost)} finals lost, 30 duplicates, shuffled): every message right; "
          f"the {len(lost)} without a final report closed as 'no delivery report' after 48 hours")


@pytest.mark.django_db
def test_staff_filter_messages_by_delivery_report(client, outbox, any_hour, staff_client):
    delivered, undelivered, silent = sent_messages(3)
    staff_client.get(KANNEL, kannel_params(delivered, 1))
    staff_client.get(KANNEL, kannel_params(undelivered, 2))
    page = staff_client.get("/admin/reminders/message/", {"delivery__exact": "undelivered"}).content.decode()
    assert f"/admin/reminders/message/{undelivered.pk}/change/" in page
    assert f"/admin/reminders/message/{delivered.pk}/change/" not in page
    assert f"/admin/reminders/message/{silent.pk}/change/" not in page


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_nul_or_odd_characters_in_a_report_are_stored_without_them_never_a_500(client, outbox, any_hour):
    """PostgreSQL refuses NUL in text: Kannel's %A or a gateway's reason holding one was a 500."""
    first, second, third = sent_messages(3)
    response = client.get(KANNEL, kannel_params(first, 2, "id:1 stat:UNDELIV\x00err:011"))
    assert (response.status_code, response.content) == (200, b"recorded")
    first.refresh_from_db()
    assert first.delivery_reason == "id:1 stat:UNDELIVerr:011"
    response = gateway_post(client, {"client_ref": str(second.key), "status": "undelivered",
                                     "reason": "blocked\u0000 by the operator"})
    assert response.json() == {"recorded": True}
    assert Reminder.objects.get(message=second).reason == "not delivered: blocked by the operator"
    # A signature that is not ASCII is a forged one, not a crash.
    assert client.get(KANNEL, {**kannel_params(third, 1), "sig": "é" * 32}).status_code == 403


@pytest.mark.django_db
def test_a_message_whose_final_report_never_comes_is_closed_as_no_delivery_report_and_shows_on_today(
        client, outbox, any_hour, settings):
    from collectors.selectors import households_in_area, today_list
    from collectors.tests.factories import AssignmentFactory, CollectorFactory

    silent, delivered, recent = sent_messages(3)
    client.get(KANNEL, kannel_params(silent, 8))  # "accepted by the SMSC", then nothing
    client.get(KANNEL, kannel_params(delivered, 1))
    two_days_later = timezone.now() + timedelta(hours=49)
    Message.objects.filter(pk=recent.pk).update(sent_at=two_days_later - timedelta(hours=10))
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"  # it sends delivery reports
    assert settings.REMINDERS_DLR_TIMEOUT_HOURS == 48

    summary = services.prepare_night(day=NIGHT + timedelta(days=2), now=two_days_later)
    assert summary.no_report == 1
    assert list(Message.objects.order_by("pk").values_list("delivery", "delivery_reason")) == [
        ("unknown", "no delivery report within 48 hours"), ("delivered", ""), ("", "")]
    reminder = Reminder.objects.get(message=silent)
    assert (reminder.status, reminder.reason) == ("undelivered", "no delivery report within 48 hours")
    # On the collector's Today list like any undelivered SMS, with the reason.
    household = silent.household
    collector = CollectorFactory()
    AssignmentFactory(collector=collector, commune=household.commune, start=NIGHT - timedelta(days=30))
    on = NIGHT + timedelta(days=2)
    page = today_list(collector, households_in_area(collector, on=on), on=on)
    [line] = [line for _place, lines in page.villages for line in lines if line.household.pk == household.pk]
    assert (line.reminder.state, line.reminder.reason) == ("undelivered", "no delivery report within 48 hours")
    # Run again: nothing more; a final report that comes after all still has the last word.
    assert services.prepare_night(day=NIGHT + timedelta(days=2), now=two_days_later).no_report == 0
    client.get(KANNEL, kannel_params(silent, 1))
    assert Reminder.objects.get(message=silent).status == "delivered"


@pytest.mark.django_db
def test_without_delivery_reports_configured_no_message_is_closed_for_lack_of_one(outbox, any_hour, settings):
    sent_messages(1)
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
    settings.KANNEL_DLR_URL = ""  # Kannel asked for no reports: silence means nothing
    assert services.close_silent_messages(now=timezone.now() + timedelta(days=30)) == 0
    assert Message.objects.get().delivery == ""
