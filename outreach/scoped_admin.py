"""Admin classes that show each role only its part of the province.

Every admin class of a model that reaches a household inherits
`HouseholdScopedAdmin` with the path to the household (collectors' rows
`CollectorScopedAdmin`, agents `AgentScopedAdmin`): its changelist, change
and delete pages, history (with `HistoryAdmin`), search, autocomplete (Django
asks the related admin's get_queryset), the rows its forms accept, actions
and exports then go through outreach.access — the one place that decides.
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from households.text import mask

from .access import agent_scope, collector_scope, household_scope

PERSONAL_DATA_PERMISSION = "households.view_personal_data"


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's pages, safe for every role; every admin with a
    history uses this instead of SimpleHistoryAdmin.

    Its pages look rows up by id, past get_queryset: they open only for rows
    the user may see. Its revert view saves on POST after checking only the
    view permission, and writes every field of the old version, read-only ones
    too: a revert is saved only for those who may change the row and every
    field of it, else the page stays a view (no Revert button) and a POST is
    refused."""

    def _in_scope_or_404(self, request, object_id, version_id=None):
        # get_object answers None for an id that is not one (text, a NUL), as the change page does.
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404
        if version_id is not None:
            try:
                history = getattr(self.model, self.model._meta.simple_history_manager_attribute).model
                history._meta.get_field("history_id").to_python(version_id)
            except ValidationError:
                raise Http404 from None

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope_or_404(request, object_id, version_id)
        if request.method == "POST" and self.revert_disabled(request, self.get_object(request, object_id)):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)

    def revert_disabled(self, request, obj=None):
        return (super().revert_disabled(request, obj) or not self.has_change_permission(request, obj)
                or bool(self.get_readonly_fields(request, obj)))


class ScopedChoicesMixin:
    """A related row chosen in a form (select, autocomplete or raw id) must be
    one the user may see in that row's scoped admin: Django checks a posted id
    against every row of the model otherwise (a manager posted another
    agent's collector)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related_admin = self.admin_site._registry.get(db_field.related_model)
        scoped = (HouseholdScopedAdmin, CollectorScopedAdmin, AgentScopedAdmin)
        if "queryset" not in kwargs and isinstance(related_admin, scoped):
            kwargs["queryset"] = related_admin.get_queryset(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class HouseholdScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    scope_prefix = ""  # from this model to its household: "" for Household, "household__" for Member…

    def get_queryset(self, request):
        return super().get_queryset(request).filter(household_scope(request.user, prefix=self.scope_prefix))


class CollectorScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Collectors (and their assignments, targets, visits…) of the agents a manager runs."""

    collector_prefix = ""  # "" for Collector, "collector__" for Assignment…

    def get_queryset(self, request):
        scope = collector_scope(request.user, prefix=self.collector_prefix)
        return super().get_queryset(request).filter(scope).distinct()


class AgentScopedAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """Agents: all for provincial staff, the ones they manage for a manager."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(agent_scope(request.user)).distinct()


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows the system writes (logs, jobs, summaries): looked at, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def may_see_personal_data(request) -> bool:
    return request.user.has_perm(PERSONAL_DATA_PERMISSION)


class PersonalDataMixin:
    """For admin classes and inlines: citizen ID, social-insurance number and
    phone in full only for the roles that need them (the permission
    households.view_personal_data); the others see them masked, read-only."""

    def _personal_fields(self):
        names = {f.name for f in self.model._meta.fields}
        return [f for f in ("citizen_id", "si_number", "phone") if f in names]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if may_see_personal_data(request):
            return fields
        personal = self._personal_fields()
        # In place of the field where it is declared; once, where Django also appends the read-only ones.
        return list(dict.fromkeys(f"masked_{f}" if f in personal else f for f in fields))

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if may_see_personal_data(request):
            return readonly
        return readonly + [f"masked_{f}" for f in self._personal_fields()]

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return exclude if may_see_personal_data(request) else exclude + self._personal_fields()

    @admin.display(description=_("citizen ID"))
    def masked_citizen_id(self, obj):
        return mask(obj.citizen_id)

    @admin.display(description=_("social-insurance number"))
    def masked_si_number(self, obj):
        return mask(obj.si_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask(obj.phone)
