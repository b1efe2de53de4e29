"""Texts that work on Vietnamese phones: one SMS part, without diacritics by default, with
who is due, the date, the amount to pay and whom to call, merged per household."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory
from households.contributions import format_vnd
from households.tests.factories import HouseholdFactory
from reminders import services
from reminders.models import ChannelPolicy, Message, ReminderRule
from reminders.text import GSM7, UCS2, longest_merge, sms_size, unaccented

from .factories import due_enrolment

pytestmark = pytest.mark.django_db
NIGHT = date(2026, 11, 25)


def test_parts_are_counted_as_phones_count_them():
    assert sms_size("a" * 160) == (GSM7, 160, 1) and sms_size("a" * 161) == (GSM7, 161, 2)
    assert sms_size("a" * 306).parts == 2 and sms_size("a" * 307).parts == 3  # 153 a part once split
    assert sms_size("€" * 80) == (GSM7, 160, 1)  # the extension table counts twice
    assert sms_size("ẻ" * 70) == (UCS2, 70, 1) and sms_size("ẻ" * 71) == (UCS2, 71, 2)
    assert unaccented("Đắk Lắk: 1.263.600 ₫") == "Dak Lak: 1.263.600 d"


def test_every_default_rule_fits_one_sms_with_its_fields_at_their_longest():
    for rule in ReminderRule.objects.filter(channel="sms"):
        for template in (rule.template_vi, rule.template_en):
            size = sms_size(longest_merge(template, unaccented_text=True))
            assert (size.encoding, size.parts) == (GSM7, 1), (rule, template, size)
        for field in ("{names}", "{amount}", "{collector}", "{collector_phone}"):
            assert field in rule.template_vi, (rule, field)
        assert "{end_date}" in rule.template_vi or "{end_month}" in rule.template_vi


def test_a_template_whose_longest_text_needs_two_parts_is_refused_with_the_figure():
    rule = ReminderRule.objects.get(scheme="bhyt_hgd", offset_days=-7, channel="sms")
    rule.template_vi += " Vui lòng gia hạn sớm."
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert caught.value.message_dict["template_vi"] == [
        "With its fields at their longest this text is 177 characters in GSM-7: 2 SMS parts. One part holds 160; "
        "shorten it by 17 characters."]


def test_sending_with_diacritics_is_refused_while_a_rule_would_need_several_parts():
    policy = ChannelPolicy.objects.get(channel="sms")
    policy.unaccented = False
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    [error] = caught.value.message_dict["unaccented"]
    assert error.startswith("Rule “") and "in UCS-2: 3 SMS parts. One part holds 70" in error


def test_the_admin_preview_shows_the_text_its_encoding_and_its_parts(staff_client):
    rule = ReminderRule.objects.get(scheme="bhyt_hgd", offset_days=0, channel="sms")
    page = staff_client.get(f"/admin/reminders/reminderrule/{rule.pk}/change/").content.decode()
    text = longest_merge(rule.template_vi, unaccented_text=True)
    size = sms_size(text)
    assert text in page and f"GSM-7, {size.length} characters, 1 SMS part(s)" in page


def test_the_admin_refuses_a_long_template_and_changes_nothing(staff_client):
    rule = ReminderRule.objects.get(scheme="bhyt_hgd", offset_days=0, channel="sms")
    before = rule.template_vi
    response = staff_client.post(f"/admin/reminders/reminderrule/{rule.pk}/change/", {
        "scheme": rule.scheme, "offset_days": rule.offset_days, "channel": "sms", "active": "on",
        "template_vi": "x" * 200, "template_en": rule.template_en})
    assert response.status_code == 200
    assert "200 characters in GSM-7: 2 SMS parts" in response.content.decode()
    rule.refresh_from_db()
    assert rule.template_vi == before


def send_one(household_phone="0912000111"):
    services.prepare_night(day=NIGHT)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])
    return Message.objects.get()


def test_the_text_names_the_collector_of_the_village_else_of_the_commune(outbox, any_hour):
    household = HouseholdFactory(phone="0912000111")
    due_enrolment(ends=NIGHT, household=household, name="Lê Văn Tám", phone=None)
    AssignmentFactory(commune=household.commune, start=NIGHT - timedelta(days=9),
                      collector=CollectorFactory(full_name="Commune Wide", phone="0905000001"))
    AssignmentFactory(commune=household.commune, village=household.village, start=NIGHT - timedelta(days=9),
                      collector=CollectorFactory(full_name="Nguyễn Thị Thôn", phone="0905000002"))
    message = send_one()
    amount = unaccented(format_vnd(services.renewal_amount(household, timezone.localdate())))
    assert message.text == (f"BHXH Dak Lak: The BHYT cua Le Van Tam het han hom nay {NIGHT:%d/%m/%Y}. "
                            f"Gia han: {amount}. LH Nguyen Thi Thon 0905000002")
    assert sms_size(message.text).parts == 1


def test_a_collector_without_a_phone_gives_the_agents_and_no_collector_gives_the_office(outbox, any_hour, settings):
    settings.REMINDERS_OFFICE_NAME, settings.REMINDERS_OFFICE_PHONE = "BHXH Đắk Lắk", "02623852222"
    with_agent = HouseholdFactory(phone="0912000111")
    due_enrolment(ends=NIGHT, household=with_agent, phone=None)
    AssignmentFactory(commune=with_agent.commune, start=NIGHT - timedelta(days=9), collector=CollectorFactory(
        full_name="Y Bhin", phone=None, agent=AgentFactory(name="Bưu điện Krông Pắc", phone="0262111222")))
    alone = HouseholdFactory(phone="0912000333")
    due_enrolment(ends=NIGHT, household=alone, phone=None)
    services.prepare_night(day=NIGHT)
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])
    texts = {m.recipient: m.text for m in Message.objects.all()}
    assert texts["0912000111"].endswith("LH Y Bhin 0262111222")
    assert texts["0912000333"].endswith("LH BHXH Dak Lak 02623852222")


def test_many_names_are_shortened_to_fit_one_part(outbox, any_hour):
    household = HouseholdFactory(phone="0912000111")
    for name in ("Lê Văn Tám", "Trần Văn Bảo Long", "Lê Thị Thanh Xuân", "Phạm Văn Đức"):
        due_enrolment(ends=NIGHT, household=household, name=name, phone=None)
    message = send_one()
    assert "cua Le Van Tam va 3 nguoi khac het han" in message.text  # sent in REMINDERS_MESSAGE_LANGUAGE
    assert sms_size(message.text).parts == 1


def test_a_name_too_long_is_cut_with_a_full_stop_that_keeps_the_text_gsm7():
    names = services.names_field(["Nguyễn Thị Ngọc Hoà Xuân Thanh Hương Lan"])
    assert names == "Nguyễn Thị Ngọc Hoà Xuân Thanh." and len(names) <= 32
    assert sms_size(unaccented(names)).encoding == GSM7
