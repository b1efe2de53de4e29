from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from households.text import mask

from .models import Agent, Assignment, Collector


class CollectorInline(admin.TabularInline):
    model = Collector
    extra = 0
    fields = ["code", "full_name", "phone", "active"]
    show_change_link = True


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "commune", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["commune"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["commune"]
    inlines = [CollectorInline]


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["commune", "village", "start", "end"]
    autocomplete_fields = ["commune", "village"]


@admin.register(Collector)
class CollectorAdmin(admin.ModelAdmin):
    list_display = ["full_name", "code", "agent", "masked_phone", "active", "joined_on"]
    list_filter = ["active", "agent"]
    list_select_related = ["agent"]
    search_fields = ["full_name", "code", "user__username"]
    autocomplete_fields = ["user", "agent"]
    inlines = [AssignmentInline]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask(obj.phone)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["collector", "commune", "village", "start", "end"]
    list_filter = ["commune"]
    list_select_related = ["collector", "commune", "village__commune"]
    search_fields = ["collector__full_name", "collector__code"]
    autocomplete_fields = ["collector", "commune", "village"]
