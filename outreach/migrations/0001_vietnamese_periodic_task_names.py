"""The nightly jobs' and the roles' names in Vietnamese: staff read them in
*Tác vụ định kỳ* and *Nhóm*.

They were created with English names; a job's name is only a label (beat and
the tests find a job by its task), and the roles are found by the names in
outreach.roles, which now are the Vietnamese ones."""

from django.db import migrations

NAMES = {  # task: (Vietnamese name, the English name it had)
    "households.update_enrolment_statuses": ("Cập nhật tình trạng tham gia (hằng đêm)",
                                             "Update enrolment statuses (nightly)"),
    "households.trim_audit_history": ("Rút gọn lịch sử thay đổi (hằng đêm)", "Trim the audit trail (nightly)"),
    "households.expire_unconfirmed_imports": ("Xoá tệp nhập chưa xác nhận (hằng đêm)",
                                              "Delete unconfirmed import files (nightly)"),
    "reports.refresh_summaries": ("Cập nhật số liệu báo cáo (hằng đêm)", "Refresh dashboards (nightly)"),
    "reminders.run_nightly_batch": ("Nhắc hạn: chạy lượt hằng đêm", "Reminders: nightly batch"),
    "reminders.dispatch_due": ("Nhắc hạn: gửi tin đến hạn", "Reminders: send what is due"),
}


def _rename(apps, to):
    """Only a job still named as its migration named it: a name staff changed stays."""
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task, names in NAMES.items():
        PeriodicTask.objects.filter(task=task, name=names[1 - to]).update(name=names[to])


ROLES = [("Cán bộ BHXH tỉnh", "Provincial staff"), ("Quản lý đại lý thu", "Agent manager"),
         ("Cán bộ xã", "Commune officer"), ("Nhân viên thu", "Collector")]


def _rename_roles(apps, to):
    Group = apps.get_model("auth", "Group")
    for names in ROLES:
        Group.objects.filter(name=names[1 - to]).update(name=names[to])


def to_vietnamese(apps, schema_editor):
    _rename(apps, 0)
    _rename_roles(apps, 0)


def to_english(apps, schema_editor):
    _rename(apps, 1)
    _rename_roles(apps, 1)


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0013_expire_unconfirmed_imports"),
        ("reminders", "0002_default_rules_and_schedule"),
        ("reports", "0002_nightly_schedule"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(to_vietnamese, to_english),
    ]
