"""Default reminder stages, channel policies and the beat schedule.

Stages: 30 and 7 days before the coverage end, on the day, 15 days after, by
SMS, for both schemes. Quiet hours for SMS 21:00–07:00. Beat: the nightly
batch at 01:30 and the dispatcher every 10 minutes, Asia/Ho_Chi_Minh.
Staff change all of it in the admin.
"""

from datetime import time

from django.db import migrations

BHYT, BHXH = "bhyt_hgd", "bhxh_tn"
AGENCY_VI, AGENCY_EN = "BHXH Đắk Lắk", "Dak Lak Social Insurance"

TEMPLATES = {
    (BHYT, -30): (
        "{agency}: Thẻ BHYT hộ gia đình của {names} hết hạn ngày {end_date} (còn {days} ngày). "
        "Vui lòng gia hạn với nhân viên thu hoặc bưu điện để không gián đoạn quyền lợi.",
        "{agency}: the household health insurance card of {names} expires on {end_date} (in {days} days). "
        "Please renew with your collector or at the post office to keep your cover.",
    ),
    (BHYT, -7): (
        "{agency}: Thẻ BHYT của {names} chỉ còn {days} ngày, hết hạn ngày {end_date}. "
        "Hãy gia hạn sớm để được khám chữa bệnh liên tục.",
        "{agency}: the health insurance card of {names} runs out in {days} days, on {end_date}. "
        "Renew soon to stay covered.",
    ),
    (BHYT, 0): (
        "{agency}: Thẻ BHYT của {names} hết hạn hôm nay ({end_date}). Gia hạn ngay để không mất quyền lợi.",
        "{agency}: the health insurance card of {names} expires today ({end_date}). Renew now to keep your cover.",
    ),
    (BHYT, 15): (
        "{agency}: Thẻ BHYT của {names} đã hết hạn từ {end_date}. Gia hạn trong vòng 3 tháng "
        "để thời gian tham gia được liên tục.",
        "{agency}: the health insurance card of {names} expired on {end_date}. Renew within 3 months "
        "to keep your years of cover continuous.",
    ),
    (BHXH, -30): (
        "{agency}: BHXH tự nguyện của {names} đã đóng đến tháng {end_month}. "
        "Vui lòng đóng tiếp trước ngày {end_date} để quá trình đóng không bị gián đoạn.",
        "{agency}: the voluntary social insurance of {names} is paid up to {end_month}. "
        "Please pay the next period before {end_date} so that your contributions continue.",
    ),
    (BHXH, -7): (
        "{agency}: Còn {days} ngày là hết thời gian đã đóng BHXH tự nguyện của {names} ({end_date}). "
        "Liên hệ nhân viên thu để đóng tiếp.",
        "{agency}: in {days} days ({end_date}) the paid-up voluntary social insurance of {names} ends. "
        "Contact your collector to pay the next period.",
    ),
    (BHXH, 0): (
        "{agency}: Hôm nay ({end_date}) hết thời gian đã đóng BHXH tự nguyện của {names}. "
        "Đóng tiếp để tích lũy đủ số năm hưởng lương hưu.",
        "{agency}: today ({end_date}) the paid-up voluntary social insurance of {names} ends. "
        "Keep paying to build up the years a pension needs.",
    ),
    (BHXH, 15): (
        "{agency}: BHXH tự nguyện của {names} đã ngừng đóng từ {end_date}. "
        "Nhân viên thu sẽ hỗ trợ bạn đóng tiếp.",
        "{agency}: the voluntary social insurance of {names} has not been paid since {end_date}. "
        "Your collector can help you continue.",
    ),
}

TASKS = {
    "reminders.run_nightly_batch": ("Reminders: nightly batch", {"minute": "30", "hour": "1"}),
    "reminders.dispatch_due": ("Reminders: send what is due", {"minute": "*/10", "hour": "*"}),
}


def seed(apps, schema_editor):
    ReminderRule = apps.get_model("reminders", "ReminderRule")
    ChannelPolicy = apps.get_model("reminders", "ChannelPolicy")
    for (scheme, offset), (vi, en) in TEMPLATES.items():
        ReminderRule.objects.get_or_create(
            scheme=scheme, offset_days=offset, channel="sms",
            defaults={"template_vi": vi.replace("{agency}", AGENCY_VI),
                      "template_en": en.replace("{agency}", AGENCY_EN)})
    ChannelPolicy.objects.get_or_create(
        channel="sms", defaults={"quiet_from": time(21, 0), "quiet_until": time(7, 0), "nightly_cap": 50_000})
    ChannelPolicy.objects.get_or_create(channel="email")

    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, (name, when) in TASKS.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Ho_Chi_Minh", **when)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task__in=list(TASKS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
