"""Users and groups in the admin, with permissions named in the user's language.

Django stores a permission's name ("Can add household") in English, once,
when it creates it; here it is shown through the catalogue instead, so the
Vietnamese admin reads "Được thêm hộ gia đình"."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import gettext, gettext_lazy as _

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
