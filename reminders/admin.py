from datetime import timedelta

from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from households.text import mask
from outreach.access import household_scope
from outreach.paginator import LargeTablePaginator
from outreach.scoped_admin import HistoryAdmin

from . import services
from .models import (
    TEMPLATE_FIELDS,
    ChannelPolicy,
    DeliveryAttempt,
    HouseholdEmail,
    Message,
    NightlyRun,
    Reminder,
    ReminderOptOut,
    ReminderRule,
)
from .text import longest_merge, sms_size


class HouseholdScopedAdmin(admin.ModelAdmin):
    """Rows about a household: each user sees those of the households they may see (outreach.access)."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(household_scope(request.user, prefix="household__"))


class ReadOnlyAdmin(HouseholdScopedAdmin):
    """Rows the batch writes: staff look, filter and act, but do not edit by hand."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


def _template_help() -> str:
    fields = "; ".join(f"{{{name}}} — {help}" for name, help in TEMPLATE_FIELDS.items())
    return _("Fields you can use: %(fields)s.") % {"fields": fields}


@admin.register(ReminderRule)
class ReminderRuleAdmin(HistoryAdmin):
    list_display = ["scheme", "stage", "channel", "active"]
    list_filter = ["scheme", "channel", "active"]
    list_editable = ["active"]
    fieldsets = [
        (None, {"fields": ["scheme", "offset_days", "channel", "active"]}),
        (_("Message"), {
            "fields": ["template_vi", "template_en", "preview"],
            "description": lazy(_template_help, str)(),
        }),
    ]
    readonly_fields = ["preview"]

    @admin.display(description=_("stage"), ordering="offset_days")
    def stage(self, obj):
        return obj.stage

    @admin.display(description=_("preview (fields at their longest, as sent)"))
    def preview(self, obj):
        if obj is None or not obj.pk:
            return _("Save the rule to see its preview.")
        policy = ChannelPolicy.objects.filter(channel=obj.channel).first()
        without_diacritics = policy.unaccented if policy else obj.channel == "sms"
        rows = []
        for language, template in ((_("Vietnamese"), obj.template_vi), (_("English"), obj.template_en)):
            try:
                text = longest_merge(template, unaccented_text=without_diacritics)
            except (KeyError, ValueError, IndexError):
                continue
            size = sms_size(text)
            rows.append((language, text, _("%(encoding)s, %(length)d characters, %(parts)d SMS part(s)") % {
                "encoding": size.encoding, "length": size.length, "parts": size.parts}))
        return format_html_join("", "<p><strong>{}</strong>: {}<br><em>{}</em></p>", rows)


@admin.register(ChannelPolicy)
class ChannelPolicyAdmin(HistoryAdmin):
    list_display = ["channel", "quiet_from", "quiet_until", "nightly_cap", "unaccented"]
    list_editable = ["quiet_from", "quiet_until", "nightly_cap", "unaccented"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "finished_at", "outcome", "http_status", "code", "detail"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReminderInline(admin.TabularInline):
    model = Reminder
    extra = 0
    can_delete = False
    fields = ["enrolment", "stage", "coverage_end", "status", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("enrolment__member")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ["household", "channel", "due_on", "night", "status", "delivery", "attempts", "masked_recipient",
                    "error", "sent_at"]
    list_filter = ["status", "delivery", "channel", "gave_up", "due_on"]
    list_select_related = ["household"]
    search_fields = ["household__code"]
    date_hierarchy = "due_on"
    ordering = ["-due_on", "-id"]
    inlines = [ReminderInline, AttemptInline]
    actions = ["retry"]

    @admin.display(description=_("to"))
    def masked_recipient(self, obj):
        return mask(obj.recipient)

    @admin.action(description=_("Retry the selected failed messages"), permissions=["change"])
    def retry(self, request, queryset):
        count = services.retry_failed(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, ngettext(
            "%(count)d message is queued again; it goes with the next dispatch.",
            "%(count)d messages are queued again; they go with the next dispatch.", count) % {"count": count},
            messages.SUCCESS if count else messages.WARNING)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["enrolment", "household", "stage_display", "channel", "coverage_end", "due_on", "status",
                    "reason"]
    list_filter = ["status", "channel", "stage", "due_on"]
    list_select_related = ["enrolment__member", "household"]
    search_fields = ["household__code"]
    date_hierarchy = "due_on"
    ordering = ["-due_on", "-id"]

    @admin.display(description=_("stage"), ordering="stage")
    def stage_display(self, obj):
        return obj.stage_display


@admin.register(ReminderOptOut)
class ReminderOptOutAdmin(HouseholdScopedAdmin):
    list_display = ["household", "member", "channel", "note", "created_at"]
    list_filter = ["channel"]
    list_select_related = ["household", "member"]
    search_fields = ["household__code", "member__full_name"]
    autocomplete_fields = ["household", "member"]


@admin.register(HouseholdEmail)
class HouseholdEmailAdmin(HouseholdScopedAdmin):
    list_display = ["household", "email"]
    list_select_related = ["household"]
    search_fields = ["household__code", "email"]
    autocomplete_fields = ["household"]


@admin.register(NightlyRun)
class NightlyRunAdmin(admin.ModelAdmin):
    list_display = ["day", "caught_up", "queued", "sent", "overtaken", "too_late", "no_phone", "no_report",
                    "started_at", "finished_at", "runs"]
    readonly_fields = ["day", "covered_from", "caught_up", "queued", "sent", "overtaken", "too_late", "no_phone",
                       "no_report", "started_at", "finished_at", "runs"]

    def get_queryset(self, request):
        # Sent is counted live (workers send after the run): one subquery, on the (channel, night) index.
        sent = (Message.objects.filter(night=OuterRef("day"), status=Message.Status.SENT).order_by()
                .values("night").annotate(n=Count("pk")).values("n"))
        return super().get_queryset(request).annotate(sent_count=Coalesce(Subquery(sent), 0))

    @admin.display(description=_("messages sent"))
    def sent(self, obj):
        return obj.sent_count

    @admin.display(description=_("nights without a run, caught up"))
    def caught_up(self, obj):
        """The gap before this run: the nights it covered besides its own."""
        if obj.covered_from is None or obj.covered_from >= obj.day:
            return "—"
        missed = (obj.day - obj.covered_from).days
        return format_html("<strong>{}</strong>", ngettext(
            "%(count)d night: %(first)s", "%(count)d nights: %(first)s – %(last)s", missed) % {
            "count": missed, "first": date_format(obj.covered_from, "d/m/Y"),
            "last": date_format(obj.day - timedelta(days=1), "d/m/Y")})

    def has_add_permission(self, request):
        return False
