"""Catch-up of missed nights (NightlyRun.covered_from), delivery reports (Message.delivery),
sending without diacritics per channel (on for SMS), and one-SMS default texts that
carry the amount to pay and the collector to call.

The default rules' texts are replaced only where staff have not changed them."""

import importlib

from django.db import migrations, models

AGENCY_VI, AGENCY_EN = "BHXH Đắk Lắk", "Dak Lak SI"
CONTACT_VI, CONTACT_EN = " LH {collector} {collector_phone}", " Call {collector} {collector_phone}"
TEXTS = {
    ("bhyt_hgd", -30): ("Thẻ BHYT của {names} hết hạn {end_date}. Gia hạn 12 tháng: {amount}.",
                        "health card of {names} ends {end_date}. 12 months: {amount}."),
    ("bhyt_hgd", -7): ("Thẻ BHYT của {names} còn {days} ngày, hết hạn {end_date}. Gia hạn: {amount}.",
                       "health card of {names} ends in {days} days, {end_date}. Renew: {amount}."),
    ("bhyt_hgd", 0): ("Thẻ BHYT của {names} hết hạn hôm nay {end_date}. Gia hạn: {amount}.",
                      "health card of {names} ends today {end_date}. Renew: {amount}."),
    ("bhyt_hgd", 15): ("Thẻ BHYT của {names} đã hết hạn từ {end_date}. Gia hạn: {amount}.",
                       "health card of {names} ended {end_date}. Renew: {amount}."),
    ("bhxh_tn", -30): ("BHXH tự nguyện của {names} đóng đến {end_month}. Đóng tiếp: {amount}/tháng.",
                       "voluntary SI of {names} paid to {end_month}. Next: {amount}/month."),
    ("bhxh_tn", -7): ("BHXH tự nguyện của {names} còn {days} ngày ({end_date}). Đóng: {amount}/tháng.",
                      "voluntary SI of {names} ends in {days} days ({end_date}). {amount}/month."),
    ("bhxh_tn", 0): ("BHXH tự nguyện của {names} hết hạn hôm nay {end_date}. Đóng: {amount}/tháng.",
                     "voluntary SI of {names} ends today {end_date}. {amount}/month."),
    ("bhxh_tn", 15): ("BHXH tự nguyện của {names} ngừng đóng từ {end_date}. Đóng: {amount}/tháng.",
                      "voluntary SI of {names} unpaid since {end_date}. {amount}/month."),
}


def new_texts():
    return {key: (f"{AGENCY_VI}: {vi}{CONTACT_VI}", f"{AGENCY_EN}: {en}{CONTACT_EN}") for key, (vi, en) in TEXTS.items()}


def forwards(apps, schema_editor):
    old = importlib.import_module("reminders.migrations.0002_default_rules_and_schedule")
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    apps.get_model("reminders", "ChannelPolicy").objects.exclude(channel="sms").update(unaccented=False)
    for (scheme, offset), (vi, en) in new_texts().items():
        seeded_vi, seeded_en = old.TEMPLATES[(scheme, offset)]
        ReminderRule.objects.filter(
            scheme=scheme, offset_days=offset, channel="sms",
            template_vi=seeded_vi.replace("{agency}", old.AGENCY_VI),
            template_en=seeded_en.replace("{agency}", old.AGENCY_EN),
        ).update(template_vi=vi, template_en=en)



class Migration(migrations.Migration):

    dependencies = [
        ('households', '0013_expire_unconfirmed_imports'),
        ('reminders', '0003_rule_history'),
    ]

    operations = [
        migrations.AddField(
            model_name='channelpolicy',
            name='unaccented',
            field=models.BooleanField(default=True, help_text='Vietnamese without diacritics fits the GSM alphabet: 160 characters an SMS instead of 70, and brandname routes that refuse Unicode take it.', verbose_name='send without diacritics'),
        ),
        migrations.AddField(
            model_name='historicalchannelpolicy',
            name='unaccented',
            field=models.BooleanField(default=True, help_text='Vietnamese without diacritics fits the GSM alphabet: 160 characters an SMS instead of 70, and brandname routes that refuse Unicode take it.', verbose_name='send without diacritics'),
        ),
        migrations.AddField(
            model_name='message',
            name='delivery',
            field=models.CharField(blank=True, choices=[('', 'no report yet'), ('accepted', 'accepted by the operator'), ('expired', 'expired (phone unreachable)'), ('undelivered', 'not delivered'), ('delivered', 'delivered to the phone')], max_length=12, verbose_name='delivery report'),
        ),
        migrations.AddField(
            model_name='message',
            name='delivery_reason',
            field=models.CharField(blank=True, max_length=300, verbose_name="delivery report's reason"),
        ),
        migrations.AddField(
            model_name='message',
            name='delivery_reported_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='delivery reported at'),
        ),
        migrations.AddField(
            model_name='nightlyrun',
            name='covered_from',
            field=models.DateField(blank=True, help_text='The first night this run covered: the night after the last completed run.', null=True, verbose_name='covered from'),
        ),
        migrations.AlterField(
            model_name='reminder',
            name='status',
            field=models.CharField(choices=[('queued', 'queued'), ('sent', 'sent'), ('failed', 'failed'), ('skipped', 'not sent (renewed, paid, opted out, overtaken or too late)'), ('no_phone', "no phone: on the collector's list"), ('delivered', 'delivered to the phone'), ('undelivered', "not delivered: on the collector's list")], default='queued', max_length=12, verbose_name='status'),
        ),
        migrations.AddIndex(
            model_name='message',
            index=models.Index(fields=['delivery', 'due_on'], name='reminder_message_delivery_idx'),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
