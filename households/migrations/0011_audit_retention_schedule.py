"""Trim the audit trail nightly to the retention the province sets (AUDIT_RETENTION_DAYS)."""

from django.db import migrations

TASK = "households.trim_audit_history"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="45", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Ho_Chi_Minh"
    )
    PeriodicTask.objects.get_or_create(name="Trim the audit trail (nightly)", defaults={"task": TASK, "crontab": crontab})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0010_household_area_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
