"""What provincial staff see and do in the admin."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reminders import services
from reminders.models import Message, ReminderRule

from .factories import due_enrolment

pytestmark = pytest.mark.django_db
NIGHT = date(2026, 11, 25)


def failed_messages(gateway, count):
    for _ in range(count):
        enrolment = due_enrolment(ends=NIGHT)
        gateway.invalid_numbers.add(enrolment.member.phone)
    services.prepare_night(day=NIGHT)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("model", ["message", "reminder"])
def test_lists_of_messages_and_reminders_run_a_fixed_number_of_queries(admin_client, gateway, any_hour, model):
    url = reverse(f"admin:reminders_{model}_changelist")
    failed_messages(gateway, 2)
    few, _ = queries(admin_client, url)
    failed_messages(gateway, 8)
    many, response = queries(admin_client, url)
    assert few == many
    assert len(response.context["cl"].result_list) == 10


def test_staff_see_the_gateways_reason_and_retry_failed_messages(admin_client, gateway, any_hour):
    failed_messages(gateway, 2)
    url = reverse("admin:reminders_message_changelist")
    page = admin_client.get(url + "?status__exact=failed").content.decode()
    assert page.count("invalid_number: Số điện thoại không hợp lệ") == 2
    gateway.invalid_numbers.clear()  # the numbers were corrected at the gateway's end

    ids = list(Message.objects.values_list("pk", flat=True))
    response = admin_client.post(url, {"action": "retry", "_selected_action": ids}, follow=True)
    assert "2 messages are queued again" in response.content.decode()
    services.dispatch_due(enqueue=lambda chunk: [services.send_message(message_id=i) for i in chunk])
    assert set(Message.objects.values_list("status", flat=True)) == {"sent"}


def test_a_message_page_shows_its_reminders_and_every_attempt(admin_client, gateway, any_hour):
    failed_messages(gateway, 1)
    message = Message.objects.get()
    page = admin_client.get(reverse("admin:reminders_message_change", args=[message.pk])).content.decode()
    assert "refused, not retried" in page and "invalid_number" in page
    assert message.reminders.get().enrolment.member.full_name in page


def test_staff_edit_a_rules_text_and_see_the_fields_they_may_use(admin_client):
    rule = ReminderRule.objects.get(scheme="bhyt_hgd", offset_days=-7, channel="sms")
    url = reverse("admin:reminders_reminderrule_change", args=[rule.pk])
    assert "{names} — the names of the members due" in admin_client.get(url).content.decode()
    response = admin_client.post(url, {
        "scheme": "bhyt_hgd", "offset_days": -10, "channel": "sms", "active": "on",
        "template_vi": "Thẻ BHYT của {names} hết hạn {end_date}.", "template_en": "Card of {names} ends {end_date}.",
    })
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.offset_days, rule.stage) == (-10, "10 days before")
    due_enrolment(ends=NIGHT + timedelta(days=10))
    assert services.prepare_night(day=NIGHT).claimed == 1


def test_someone_reaching_one_commune_sees_only_its_households_messages(client, gateway, any_hour):
    from django.contrib.auth.models import Permission

    from collectors.tests.factories import UserFactory

    failed_messages(gateway, 2)
    mine, other = Message.objects.order_by("pk")
    assert other.household.commune_id != mine.household.commune_id
    # A commune officer who was also given the right to look at messages (not a default role).
    officer = UserFactory(is_staff=True)
    officer.officer_communes.add(mine.household.commune)
    officer.user_permissions.add(Permission.objects.get(codename="view_message"))
    client.force_login(officer)
    page = client.get(reverse("admin:reminders_message_changelist"))
    assert [m.pk for m in page.context["cl"].result_list] == [mine.pk]
