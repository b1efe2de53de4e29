"""What staff can tune, and the defaults the province starts with."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django_celery_beat.models import PeriodicTask

from reminders.models import ChannelPolicy, ReminderRule

pytestmark = pytest.mark.django_db


def test_default_stages_are_30_and_7_days_before_the_day_and_15_after_by_sms_for_both_schemes():
    rules = ReminderRule.objects.filter(active=True)
    assert sorted(rules.values_list("scheme", "offset_days", "channel")) == [
        (scheme, offset, "sms") for scheme in ("bhxh_tn", "bhyt_hgd") for offset in (-30, -7, 0, 15)]
    for rule in rules:
        rule.full_clean()  # the seeded templates use known fields only
    assert [r.stage for r in rules.filter(scheme="bhyt_hgd")] == ["30 days before", "7 days before", "on the day",
                                                                  "15 days after"]


def test_sms_are_quiet_from_21_to_07_with_a_nightly_cap():
    sms = ChannelPolicy.objects.get(channel="sms")
    assert (sms.quiet_from, sms.quiet_until, sms.nightly_cap) == (time(21), time(7), 50_000)


def test_the_batch_and_the_dispatcher_are_scheduled_in_the_database():
    nightly = PeriodicTask.objects.get(task="reminders.run_nightly_batch")
    assert (nightly.crontab.hour, nightly.crontab.minute, str(nightly.crontab.timezone)) == (
        "1", "30", "Asia/Ho_Chi_Minh")
    dispatcher = PeriodicTask.objects.get(task="reminders.dispatch_due")
    assert dispatcher.crontab.minute == "*/10" and nightly.enabled and dispatcher.enabled


def test_a_template_with_an_unknown_field_is_refused_with_the_fields_allowed():
    rule = ReminderRule(scheme="bhyt_hgd", offset_days=-14, channel="sms",
                        template_vi="{ten} hết hạn {end_date}", template_en="{names} {end_date")
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert caught.value.message_dict["template_vi"] == [
        "Unknown field {ten}. Use: {names}, {end_date}, {end_month}, {days}, {household}, {amount}, {collector}, "
            "{collector_phone}."]
    assert caught.value.message_dict["template_en"] == [
        "Unbalanced braces: write a field as {names}, a brace as {{ or }}."]


def test_quiet_hours_need_both_ends():
    with pytest.raises(ValidationError):
        ChannelPolicy(channel="email", quiet_from=time(22)).full_clean()


def test_celery_keeps_tasks_safe_to_run_again():
    from outreach.celery import app

    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options["visibility_timeout"]
    assert visibility > conf.task_time_limit
    from django.conf import settings

    assert visibility > settings.REMINDERS_RETRY_DELAY_MAX
    assert settings.REMINDERS_SEND_LEASE > settings.SMS_GATEWAY_CONNECT_TIMEOUT + settings.SMS_GATEWAY_READ_TIMEOUT


def test_a_lease_shorter_than_a_gateway_call_is_refused_at_start_up(settings):
    settings.REMINDERS_SEND_LEASE = 10
    settings.SMS_GATEWAY_CONNECT_TIMEOUT, settings.SMS_GATEWAY_READ_TIMEOUT = 5, 15
    with pytest.raises(SystemCheckError, match="reminders.E002"):
        call_command("check")


def test_production_is_warned_when_sms_go_to_the_console(settings, capsys):
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.console.ConsoleBackend"
    settings.SECRET_KEY = "x" * 60
    call_command("check", "--deploy", "--fail-level", "CRITICAL")
    assert "reminders.W001" in capsys.readouterr().err


def test_production_is_warned_when_kannel_has_nowhere_to_send_delivery_reports(settings, capsys):
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
    settings.SECRET_KEY = "x" * 60
    settings.KANNEL_DLR_URL, settings.KANNEL_DLR_SECRET = "https://outreach.example/reminders/dlr/kannel/", ""
    call_command("check", "--deploy", "--fail-level", "CRITICAL")
    assert "reminders.W003" in capsys.readouterr().err
    settings.KANNEL_DLR_SECRET = "s" * 40
    call_command("check", "--deploy", "--fail-level", "CRITICAL")
    assert "reminders.W003" not in capsys.readouterr().err


def test_a_change_to_a_rule_is_audited_with_who_made_it(client):
    from django.urls import reverse

    from collectors.tests.factories import UserFactory

    staff = UserFactory(username="rules-editor", is_superuser=True, is_staff=True)
    client.force_login(staff)
    rule = ReminderRule.objects.get(scheme="bhyt_hgd", offset_days=-7, channel="sms")
    data = {"scheme": rule.scheme, "offset_days": rule.offset_days, "channel": rule.channel,
            "template_vi": "Thẻ BHYT của {names} hết hạn ngày {end_date}.", "template_en": rule.template_en,
            "active": "on"}
    response = client.post(reverse("admin:reminders_reminderrule_change", args=[rule.pk]), data)
    assert response.status_code == 302
    latest = rule.history.latest()
    assert latest.history_user == staff and latest.template_vi == "Thẻ BHYT của {names} hết hạn ngày {end_date}."


def test_sms_to_people_without_an_office_phone_is_refused_at_start_up(settings):
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
    settings.REMINDERS_OFFICE_PHONE = " "
    with pytest.raises(SystemCheckError, match="reminders.E004"):
        call_command("check")
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.console.ConsoleBackend"  # development: allowed
    call_command("check")
    settings.REMINDERS_SMS_BACKEND, settings.REMINDERS_OFFICE_PHONE = (
        "reminders.channels.kannel.KannelBackend", "02623852222")
    call_command("check")


def test_production_is_warned_when_kannels_report_url_is_not_https(settings, capsys):
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
    settings.SECRET_KEY = "x" * 60
    settings.KANNEL_DLR_URL, settings.KANNEL_DLR_SECRET = "http://outreach.example/reminders/dlr/kannel/", "s" * 40
    call_command("check", "--deploy", "--fail-level", "CRITICAL")
    assert "reminders.W004" in capsys.readouterr().err
    settings.KANNEL_DLR_URL = "https://outreach.example/reminders/dlr/kannel/"
    call_command("check", "--deploy", "--fail-level", "CRITICAL")
    assert "reminders.W004" not in capsys.readouterr().err
