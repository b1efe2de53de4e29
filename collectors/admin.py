from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.admin import LargeTableAdmin, RegistryImportExportMixin
from households.contributions import format_vnd
from households.text import mask
from outreach.access import agent_scope, collector_scope, is_provincial_staff, may_assign, visible_collectors
from outreach.scoped_admin import AgentScopedAdmin, CollectorScopedAdmin, HistoryAdmin, HouseholdScopedAdmin

from .admin_badges import print_badges, revoke_badges_action
from .models import Agent, Assignment, Collector, Payment, PaymentLine, Referral, Target, Visit
from .models import CommissionRate, RefusedRegistration, TrainingAttendance, TrainingCourse, TrainingSession
from .payments import cancel_payment
from .resources import AssignmentResource, CollectorResource
from .training import with_training_flags


class CollectorInline(admin.TabularInline):
    model = Collector
    extra = 0
    fields = ["code", "full_name", "phone", "active"]
    show_change_link = True


@admin.register(Agent)
class AgentAdmin(AgentScopedAdmin):
    """A manager sees only the agents they manage (with their collectors'
    phones); the communes an agent serves are the province's to give."""

    list_display = ["name", "code", "kind", "commune", "active"]
    list_filter = ["kind", "active"]
    list_select_related = ["commune"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["commune", "communes"]
    inlines = [CollectorInline]


class AgentFilter(admin.RelatedFieldListFilter):
    """The agents a list can be filtered by: only those the user may see."""

    def field_choices(self, field, request, model_admin):
        return [(agent.pk, str(agent)) for agent in Agent.objects.filter(agent_scope(request.user)).distinct()]


class AssignmentForm(forms.ModelForm):
    """A manager gives areas only to their own agent's collectors, only in the
    communes the province has given that agent (outreach.access.may_assign);
    ending an assignment earlier is always allowed. The admin sets
    `request_user` on the class it builds for each request."""

    request_user = None

    def clean(self):
        cleaned = super().clean()
        collector = cleaned.get("collector") or getattr(self.instance, "collector", None)
        commune = cleaned.get("commune")
        if collector is None or commune is None or self._only_ends_earlier(cleaned):
            return cleaned
        if not may_assign(self.request_user, collector, commune):
            self.add_error("commune", _("The province has not given %(agent)s this commune: ask the provincial "
                                        "office to add it to the agent's communes.") % {"agent": collector.agent})
        return cleaned

    def _only_ends_earlier(self, cleaned):
        if self.instance.pk is None or self.changed_data != ["end"] or cleaned.get("end") is None:
            return False
        before = self.initial.get("end")
        return before is None or cleaned["end"] <= before


class AssignmentInline(admin.TabularInline):
    model = Assignment
    form = AssignmentForm
    extra = 0
    fields = ["commune", "village", "start", "end"]
    autocomplete_fields = ["commune", "village"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.request_user = request.user
        return formset


class TrainingFilter(admin.SimpleListFilter):
    title = _("training")
    parameter_name = "training"

    def lookups(self, request, model_admin):
        return [
            ("untrained", _("not yet trained")),
            ("refresher", _("due for a refresher")),
            ("up_to_date", _("trained and up to date")),
        ]

    def queryset(self, request, queryset):
        match self.value():
            case "untrained":
                return queryset.filter(not_yet_trained=True)
            case "refresher":
                return queryset.filter(refresher_due=True)
            case "up_to_date":
                return queryset.filter(not_yet_trained=False, refresher_due=False)
        return queryset


@admin.register(Collector)
class CollectorAdmin(RegistryImportExportMixin, CollectorScopedAdmin):
    resource_classes = [CollectorResource]
    list_display = ["full_name", "code", "agent", "masked_phone", "active", "joined_on", "not_yet_trained",
                    "refresher_due"]
    list_filter = ["active", TrainingFilter, ("agent", AgentFilter)]
    list_select_related = ["agent"]
    search_fields = ["full_name", "code", "user__username"]
    autocomplete_fields = ["user", "agent"]
    inlines = [AssignmentInline]
    actions = [print_badges, revoke_badges_action]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Which person a collector is, and for which agent, only the province decides.
        return readonly if is_provincial_staff(request.user) else readonly + ["user", "agent"]

    def get_queryset(self, request):
        # Training flags as annotations: the list costs the same queries whatever its length.
        return with_training_flags(super().get_queryset(request), on=timezone.localdate())

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask(obj.phone)

    def export_scope(self, request):
        return collector_scope(request.user)

    @admin.display(description=_("not yet trained"), boolean=True, ordering="not_yet_trained")
    def not_yet_trained(self, obj):
        return obj.not_yet_trained

    @admin.display(description=_("due for a refresher"), boolean=True, ordering="refresher_due")
    def refresher_due(self, obj):
        return obj.refresher_due


@admin.register(Assignment)
class AssignmentAdmin(RegistryImportExportMixin, CollectorScopedAdmin, HistoryAdmin):
    collector_prefix = "collector__"
    resource_classes = [AssignmentResource]
    list_display = ["collector", "commune", "village", "start", "end"]
    list_filter = ["commune"]
    list_select_related = ["collector", "commune", "village__commune"]
    search_fields = ["collector__full_name", "collector__code"]
    autocomplete_fields = ["collector", "commune", "village"]
    form = AssignmentForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user
        return form

    def has_import_permission(self, request):
        # A file names any collector and commune: only the province imports areas.
        return super().has_import_permission(request) and is_provincial_staff(request.user)

    def export_scope(self, request):
        return Q(collector__in=visible_collectors(request.user))


class PaymentLineInline(admin.TabularInline):
    model = PaymentLine
    extra = 0
    can_delete = False
    fields = ["enrolment", "monthly_amount", "amount", "support_months", "created_enrolment", "previous_end",
              "new_end"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class CancelPaymentForm(forms.Form):
    reason = forms.CharField(label=_("reason for cancelling"), max_length=200)


@admin.register(Payment)
class PaymentAdmin(HouseholdScopedAdmin, LargeTableAdmin, HistoryAdmin):
    """Receipts are recorded on the phone through the payment service; here
    staff look them up and cancel a wrong entry, which restores the cover."""

    scope_prefix = "household__"

    list_display = ["receipt_number", "paid_on", "household", "collector", "agent", "scheme", "months",
                    "amount_display", "cancelled"]
    list_filter = ["scheme", ("agent", AgentFilter), ("cancelled_at", admin.EmptyFieldListFilter), "paid_on"]
    list_select_related = ["household", "collector", "agent"]
    search_fields = ["receipt_number", "household__code"]
    inlines = [PaymentLineInline]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount (₫)"), ordering="amount")
    def amount_display(self, obj):
        return format_vnd(obj.amount)

    @admin.display(description=_("cancelled"), boolean=True)
    def cancelled(self, obj):
        return obj.is_cancelled

    def get_urls(self):
        cancel = self.admin_site.admin_view(self.cancel_view)
        return [path("<int:pk>/cancel/", cancel, name="collectors_payment_cancel")] + super().get_urls()

    def cancel_view(self, request, pk):
        payment = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, payment):
            raise PermissionDenied
        form = CancelPaymentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                cancel_payment(payment=payment, user=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(None if field == "__all__" else field, messages_)
            else:
                self.log_change(request, payment, _("Cancelled: %(reason)s") % form.cleaned_data)
                messages.success(request, _("Receipt %(number)s cancelled; the cover it bought was restored.")
                                 % {"number": payment.receipt_number})
                return redirect("admin:collectors_payment_change", payment.pk)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "original": payment,
                   "title": _("Cancel receipt %(number)s") % {"number": payment.receipt_number}, "form": form}
        return TemplateResponse(request, "admin/collectors/payment/cancel.html", context)


@admin.register(Visit)
class VisitAdmin(HouseholdScopedAdmin, LargeTableAdmin):
    scope_prefix = "household__"
    list_display = ["visited_at", "household", "collector", "outcome", "follow_up_on"]
    list_filter = ["outcome", ("collector__agent", AgentFilter)]
    list_select_related = ["household", "collector"]
    search_fields = ["household__code", "collector__full_name"]
    raw_id_fields = ["household", "member", "payment"]
    autocomplete_fields = ["collector"]


@admin.register(Referral)
class ReferralAdmin(HouseholdScopedAdmin, admin.ModelAdmin):
    scope_prefix = "household__"
    list_display = ["household", "referred_by_household", "referred_by_member", "collector", "recorded_on"]
    list_select_related = ["household", "referred_by_household", "referred_by_member", "collector"]
    raw_id_fields = ["household", "referred_by_household", "referred_by_member"]
    autocomplete_fields = ["collector"]


@admin.register(RefusedRegistration)
class RefusedRegistrationAdmin(HouseholdScopedAdmin):
    """Registrations refused on the phone because the citizen ID is already
    registered outside the collector's area: the office checks each (a typo,
    a move, someone registered twice) and ticks it checked."""

    scope_prefix = "member__household__"
    list_display = ["last_refused_at", "collector", "full_name", "member", "household", "commune", "attempts",
                    "checked"]
    list_filter = ["checked"]
    list_select_related = ["collector", "member__household__commune"]
    search_fields = ["full_name", "member__full_name", "member__household__code", "collector__code"]
    readonly_fields = ["collector", "full_name", "member", "household", "commune", "first_refused_at",
                       "last_refused_at", "attempts"]
    fields = readonly_fields + ["checked", "note"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("household"))
    def household(self, obj):
        return obj.member.household.code

    @admin.display(description=_("commune"))
    def commune(self, obj):
        return obj.member.household.commune


@admin.register(Target)
class TargetAdmin(CollectorScopedAdmin):
    """A collector's month, or a commune's (VssID installations the province
    shares out by commune): commune targets are provincial staff's to enter."""

    collector_prefix = "collector__"
    list_display = ["collector", "commune", "month", "visits", "new_enrolments", "renewals", "amount",
                    "vssid_installations"]
    list_filter = ["month", ("commune", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["collector", "commune"]
    autocomplete_fields = ["collector", "commune"]

    def get_exclude(self, request, obj=None):
        if is_provincial_staff(request.user):
            return super().get_exclude(request, obj)
        return [*(super().get_exclude(request, obj) or ()), "commune"]


@admin.register(CommissionRate)
class CommissionRateAdmin(admin.ModelAdmin):
    """A new rate is a new row from its date, so that the commission on
    earlier receipts stays as it was."""

    list_display = ["scheme", "participant_kind", "rate", "effective_from", "source"]
    list_filter = ["scheme", "participant_kind"]
    date_hierarchy = "effective_from"


class TrainingAttendanceInline(admin.TabularInline):
    model = TrainingAttendance
    extra = 3
    fields = ["collector", "attended"]
    autocomplete_fields = ["collector"]


@admin.register(TrainingCourse)
class TrainingCourseAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "required_for_new_collectors", "refresher_months", "sessions_held",
                    "last_held"]
    list_filter = ["topic", "required_for_new_collectors"]
    search_fields = ["title"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(sessions_held=Count("sessions"),
                                                      last_held=Max("sessions__held_on"))

    @admin.display(description=_("sessions"), ordering="sessions_held")
    def sessions_held(self, obj):
        return obj.sessions_held

    @admin.display(description=_("last session"), ordering="last_held")
    def last_held(self, obj):
        return obj.last_held


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["held_on", "course", "topic", "trainer", "place", "present"]
    list_filter = ["course__topic", "course"]
    list_select_related = ["course"]
    date_hierarchy = "held_on"
    search_fields = ["course__title", "trainer", "place"]
    autocomplete_fields = ["course"]
    inlines = [TrainingAttendanceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(present=Count("attendance", filter=Q(attendance__attended=True)))

    @admin.display(description=_("topic"), ordering="course__topic")
    def topic(self, obj):
        return obj.course.get_topic_display()

    @admin.display(description=_("collectors present"), ordering="present")
    def present(self, obj):
        return obj.present
from . import admin_receipts  # noqa: E402,F401  (hand-overs, money held, lists for the office)
