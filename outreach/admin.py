"""Users and groups in the admin, with permissions named in the user's language;
the nightly jobs' schedules in words in the user's language too.

Django stores a permission's name ("Can add household") in English, once,
when it creates it; here it is shown through the catalogue instead, so the
Vietnamese admin reads "Được thêm hộ gia đình"."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import get_language, gettext, gettext_lazy as _
from cron_descriptor import ExpressionDescriptor, FormatException, MissingFieldException, Options, WrongArgumentException
from django_celery_beat.admin import CrontabScheduleAdmin, PeriodicTaskAdmin
from django_celery_beat.models import CrontabSchedule, PeriodicTask

ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def model_name(model) -> str:
    history_of = getattr(model, "instance_type", None)  # simple-history's copy of a model
    if history_of is not None:
        return gettext("history of %(model)s") % {"model": history_of._meta.verbose_name}
    return str(model._meta.verbose_name)


def permission_label(permission) -> str:
    """"Danh mục hộ gia đình | hộ gia đình | Được thêm hộ gia đình"."""
    model = permission.content_type.model_class()
    if model is None:  # its model is gone: Django's own label
        return str(permission)
    action = permission.codename.split("_", 1)[0]
    if action in ACTIONS and permission.codename == f"{action}_{model._meta.model_name}":
        name = ACTIONS[action] % {"model": model_name(model)}
    else:  # a permission of its own, named in its model's Meta through gettext
        name = gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {model_name(model)} | {name}"


class PermissionLabels:
    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


class RoleGroupAdmin(PermissionLabels, GroupAdmin):
    pass


class AccountAdmin(PermissionLabels, UserAdmin):
    pass


admin.site.unregister(Group)
admin.site.register(Group, RoleGroupAdmin)
admin.site.unregister(User)
admin.site.register(User, AccountAdmin)


def schedule_in_words(crontab: CrontabSchedule) -> str:
    """"Tại 01:30" in Vietnamese: cron-descriptor follows the server's locale,
    not the admin's language, so django-celery-beat's own text is English."""
    options = Options()
    options.locale_code = "vi_VN" if get_language() == "vi" else "en_US"
    options.use_24hour_time_format = True
    expression = " ".join((crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year,
                           crontab.day_of_week))
    try:
        return ExpressionDescriptor(expression, options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException):
        return crontab.human_readable  # django-celery-beat's own answer for what cron-descriptor cannot read


class NightlyJobAdmin(PeriodicTaskAdmin):
    @admin.display(description=_("schedule in words"))
    def crontab_translation(self, obj):
        return schedule_in_words(obj.crontab) if obj.crontab else ""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # The form's script shows the chosen schedule in words from this table; the parent
        # class would fill it with the English text, so its step is done here instead.
        extra_context = {**(extra_context or {}), "readable_crontabs": {
            crontab.id: schedule_in_words(crontab) for crontab in CrontabSchedule.objects.all()}}
        return admin.ModelAdmin.changeform_view(self, request, object_id, form_url, extra_context)


class ScheduleInWordsAdmin(CrontabScheduleAdmin):
    list_display = ("__str__", "in_words")
    fields = ("in_words", "minute", "hour", "day_of_month", "month_of_year", "day_of_week", "timezone")
    readonly_fields = ("in_words",)

    @admin.display(description=_("schedule in words"))
    def in_words(self, obj):
        return schedule_in_words(obj)


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, NightlyJobAdmin)
admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, ScheduleInWordsAdmin)
