"""Texts that work on Vietnamese phones: one SMS part, without diacritics by default, with
who is due, the date, the amount to pay and whom to call, merged per household."""

import unicodedata
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings as hypothesis_settings
from hypothesis import strategies as st
from django.utils import timezone

from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory
from households.contributions import format_vnd
from households.models import Enrolment
from households.tests.factories import HouseholdFactory
from reminders import services
from reminders.models import ChannelPolicy, Message, Reminder, ReminderRule
from reminders.text import GSM7, LONGEST, UCS2, check_gsm7, is_gsm7, longest_merge, sms_size, unaccented

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


# --- one part, whatever is due the same night --------------------------------------------------------

LONG_NAMES = ["Nguyễn Thị Ngọc Hoà Xuân Thanh Hương", "Trần Văn Bảo Long Khánh Duy", "Hoàng Thị Thu Thuỷ",
              "H'Hen Niê Kđăm", "Phạm Văn Đức Anh Tuấn"]


def test_both_schemes_and_several_stages_due_the_same_night_go_as_one_gsm7_part(outbox, any_hour):
    """The worst case of the default rules: 3 BHYT stages and 2 BHXH stages fall due for one
    household the same night, with the longest names and collector name. It was a paragraph
    per stage: 5 paragraphs, 4 SMS parts."""
    household = HouseholdFactory(phone="0912000111")
    ends = {-30: NIGHT + timedelta(days=30), -7: NIGHT + timedelta(days=7), 0: NIGHT, 15: NIGHT - timedelta(days=15)}
    due = [(Enrolment.Scheme.BHYT_HOUSEHOLD, -30), (Enrolment.Scheme.BHYT_HOUSEHOLD, 0),
           (Enrolment.Scheme.BHYT_HOUSEHOLD, 15), (Enrolment.Scheme.BHXH_VOLUNTARY, -7),
           (Enrolment.Scheme.BHXH_VOLUNTARY, 0)]
    for name, (scheme, stage) in zip(LONG_NAMES, due):
        due_enrolment(ends=ends[stage], household=household, name=name, phone=None, scheme=scheme,
                      status="lapsed" if stage > 0 else "active")
    AssignmentFactory(commune=household.commune, start=NIGHT - timedelta(days=9), collector=CollectorFactory(
        full_name="Nguyễn Thị Ngọc Hoà Trần Phương Thảo Linh", phone="0905000002"))
    message = send_one()

    size = sms_size(message.text)
    assert (size.encoding, size.parts) == (GSM7, 1), (message.text, size)
    # Whom, the earliest date at stake, the total to pay, whom to call.
    health = services.renewal_amount(household, timezone.localdate())
    total = unaccented(format_vnd(health + 2 * 113_850))
    assert message.text == (
        f"BHXH Dak Lak: BHYT, BHXH TN cua Hoang Thi Thu T. va 4 nguoi khac het han tu "
        f"{NIGHT - timedelta(days=15):%d/%m/%Y}. Can dong: {total}. LH Nguyen Thi Ngoc Hoa Tra. 0905000002")
    # Every reminder of the message is named by its one text, and marked sent once.
    assert sorted(Reminder.objects.values_list("stage", "status")) == [
        (-30, "sent"), (-7, "sent"), (0, "sent"), (0, "sent"), (15, "sent")]
    assert len(outbox) == 1


def test_the_merged_sentence_fits_one_part_with_every_field_at_its_longest():
    from django.utils import translation

    for language in ("vi", "en"):
        with translation.override(language):
            template = services.merged_template()
            schemes = ", ".join(str(name) for name in services.SCHEME_SHORT.values())
            text = unaccented(template.format(agency="BHXH Đắk Lắk", schemes=schemes, **LONGEST))
        assert sms_size(text) == (GSM7, len(text), 1), text


def test_a_text_still_too_long_at_send_time_is_narrowed_then_cut_never_split(outbox, any_hour, settings, caplog):
    # An office phone with extensions: longer than any template was checked for.
    settings.REMINDERS_OFFICE_PHONE = "0262 3852 222 (may le 105) hoac 0262 3852 333 (may le 106)"
    household = HouseholdFactory(phone="0912000111")
    for name in LONG_NAMES[:2]:
        due_enrolment(ends=NIGHT + timedelta(days=7), household=household, name=name, phone=None)
    message = send_one()
    assert sms_size(message.text) == (GSM7, 160, 1)
    assert message.text.endswith(".") and "Thẻ" not in message.text
    assert "cut to one SMS part" in caplog.text


# --- GSM 03.38 only, whatever the registry holds ----------------------------------------------------

VIETNAMESE_LETTERS = "".join(sorted({
    unicodedata.normalize("NFC", base + tone)
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
    for tone in ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")} | set("bcdđghklmnpqrstvxĐBCDGHKLMNPQRSTVX")))
# What names in a registry also hold: apostrophes and dashes of phones and word processors, Đ's look-alikes.
NAME_EXTRAS = "’ʼ‘`´–—…Ðđɖ“”«» \u00a0\t-'."


def test_curly_apostrophes_dashes_ellipses_and_ds_look_alikes_leave_a_gsm7_text():
    assert unaccented("H’Hen Niê – Y Bhin ʼA… Ðinh Đức đạt") == "H'Hen Nie - Y Bhin 'A... Dinh Duc dat"
    assert is_gsm7(unaccented("Nguyễn Văn 😀 王 Ba\u200b\x00")) and unaccented("Ba 😀 王") == "Ba  "
    with pytest.raises(ValueError, match="U\\+2019"):
        check_gsm7("H’Hen")


@given(st.lists(st.text(alphabet=VIETNAMESE_LETTERS + NAME_EXTRAS, min_size=1, max_size=20), min_size=1,
                max_size=4).map(" ".join),
       st.text(max_size=10))
@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_any_vietnamese_name_without_diacritics_is_gsm7_and_keeps_every_letter(name, anything):
    text = unaccented(f"Thẻ BHYT của {name} {anything}")
    assert sms_size(text).encoding == GSM7 and check_gsm7(text) == text
    letters = [ch for ch in name if ch in VIETNAMESE_LETTERS]
    assert sum(ch.isalpha() for ch in unaccented("".join(letters))) == len(letters)  # no letter dropped
    assert unaccented(text) == text


# --- a phone to call, always -------------------------------------------------------------------------


def test_no_phone_to_call_anywhere_means_the_text_is_not_sent_and_staff_see_why(outbox, any_hour, settings):
    settings.REMINDERS_OFFICE_PHONE = ""
    household = HouseholdFactory(phone="0912000111")
    due_enrolment(ends=NIGHT, household=household, phone=None)
    AssignmentFactory(commune=household.commune, start=NIGHT - timedelta(days=9), collector=CollectorFactory(
        full_name="Y Bhin", phone=None, agent=AgentFactory(phone="")))
    message = send_one()
    assert outbox == [] and (message.status, message.text, message.sealed_at) == ("failed", "", None)
    assert message.error.startswith("no phone to call in the text")
    assert Reminder.objects.get().status == "failed"

    settings.REMINDERS_OFFICE_PHONE = "02623852222"  # the setting is fixed; staff retry
    services.retry_failed(message_ids=[message.pk])
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])
    [sms] = outbox
    assert sms["text"].endswith("LH BHXH Dak Lak 02623852222") and Reminder.objects.get().status == "sent"


def test_a_collector_and_agent_without_phones_give_the_offices_name_and_phone(outbox, any_hour, settings):
    settings.REMINDERS_OFFICE_PHONE = "02623852222"
    household = HouseholdFactory(phone="0912000111")
    due_enrolment(ends=NIGHT, household=household, phone=None)
    AssignmentFactory(commune=household.commune, start=NIGHT - timedelta(days=9), collector=CollectorFactory(
        full_name="Y Bhin", phone=None, agent=AgentFactory(phone="")))
    assert services.contact_for(household, NIGHT) == ("BHXH Đắk Lắk", "02623852222")
    assert send_one().text.endswith("LH BHXH Dak Lak 02623852222")


def test_with_diacritics_a_merged_text_too_long_for_70_falls_back_to_the_most_urgent_rule(outbox, any_hour):
    short = "{names}: hết hạn {end_date}. LH {collector_phone}"  # fits 70 UCS-2 characters at its longest
    ReminderRule.objects.filter(scheme="bhyt_hgd", offset_days__in=[-7, 0]).update(
        template_vi=short, template_en="{names}: ends {end_date}. Call {collector_phone}")
    ReminderRule.objects.filter(offset_days__in=[-30, 15]).update(active=False)
    ReminderRule.objects.filter(scheme="bhxh_tn").update(active=False)
    policy = ChannelPolicy.objects.get(channel="sms")
    policy.unaccented = False
    policy.full_clean()  # the admin allows diacritics: every active rule fits one UCS-2 part
    policy.save()
    household = HouseholdFactory(phone="0912000111")
    due_enrolment(ends=NIGHT + timedelta(days=7), household=household, name="Trần Thị Hoa", phone=None)
    due_enrolment(ends=NIGHT, household=household, name="Lê Văn Tám", phone=None)
    message = send_one()
    assert message.text == f"Lê Văn Tám, Trần Thị Hoa: hết hạn {NIGHT:%d/%m/%Y}. LH 02623000000"
    assert sms_size(message.text) == (UCS2, 60, 1)
