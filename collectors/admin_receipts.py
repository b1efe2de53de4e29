"""Admin of what follows the receipt: hand-overs of money, the money each
collector still holds, and the lists for the social-insurance office."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from households.contributions import format_vnd
from outreach.access import collector_scope, is_provincial_staff, visible_collectors
from outreach.scoped_admin import HouseholdScopedAdmin

from .admin import AgentFilter
from .handovers import collectors_holding, receipt_numbers, record_handover
from .models import Agent, CashHeld, Handover, HandoverReceipt, OfficeList, ReceiptLink
from .office_confirmation import import_confirmation
from .office_lists import file_name, log_export, month_of, produce_lists, sent_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HandoverForm(forms.ModelForm):
    receipts = forms.CharField(
        label=_("receipts"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The numbers of the receipts whose cash is handed over, separated by commas or lines."))

    class Meta:
        model = Handover
        fields = ["collector", "receipts", "total", "handed_on", "received_by"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["collector"].queryset = visible_collectors(user).select_related("agent")
        self.fields["handed_on"].initial = timezone.localdate
        self.fields["total"].help_text = _("The cash counted; it must equal the receipts' total.")

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The service checks everything and records; its refusals land on the fields.
        self.instance = record_handover(
            collector=data["collector"], numbers=receipt_numbers(data["receipts"]), total=data["total"],
            handed_on=data["handed_on"], received_by=data["received_by"], recorded_by=self.user)
        return data


class HandoverReceiptInline(admin.TabularInline):
    model = HandoverReceipt
    extra = 0
    can_delete = False
    fields = ["payment", "amount", "accepted_by_office_at"]
    readonly_fields = fields

    @admin.display(description=_("amount (₫)"))
    def amount(self, obj):
        return format_vnd(obj.payment.amount)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin):
    """Recorded by the agent's manager (or provincial staff); never changed
    afterwards: its receipts are locked against cancelling."""

    list_display = ["handed_on", "collector", "agent", "total_display", "receipt_count", "received_by", "recorded_by"]
    list_filter = [("agent", AgentFilter), "handed_on"]  # a manager's own agent only
    list_select_related = ["collector", "agent", "recorded_by"]
    search_fields = ["collector__full_name", "collector__code", "receipts__payment__receipt_number"]
    inlines = [HandoverReceiptInline]

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(collector_scope(request.user, prefix="collector__")).distinct()
                .annotate(receipt_count=Count("receipts")))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        form = HandoverForm

        class BoundToUser(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, user=request.user, **inner)

        return BoundToUser

    def get_inline_instances(self, request, obj=None):
        # The receipts are typed on the add page and recorded by the form: their list shows once recorded
        # (an empty list of them, never saved, made the admin's change message fail for provincial staff).
        return super().get_inline_instances(request, obj) if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["collector", "agent", "handed_on", "total", "received_by", "recorded_by", "recorded_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return HandoverForm.Meta.fields
        return self.get_readonly_fields(request, obj)

    def save_model(self, request, obj, form, change):
        pass  # recorded by record_handover when the form was checked

    def save_related(self, request, form, formsets, change):
        pass

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("total (₫)"), ordering="total")
    def total_display(self, obj):
        return format_vnd(obj.total)

    @admin.display(description=_("receipts"), ordering="receipt_count")
    def receipt_count(self, obj):
        return obj.receipt_count


@admin.register(CashHeld)
class CashHeldAdmin(admin.ModelAdmin):
    """What each collector still holds (kept receipts not handed over) and since when."""

    list_display = ["full_name", "code", "agent", "held_receipts_display", "held_amount_display", "held_since_display"]
    list_filter = ["active"]
    search_fields = ["full_name", "code"]
    def get_ordering(self, request):
        return ["held_since", "full_name"]  # who holds money longest first (an annotation: no `ordering` check)

    def get_queryset(self, request):
        return collectors_holding(request.user, model=CashHeld)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("receipts held"), ordering="held_receipts")
    def held_receipts_display(self, obj):
        return obj.held_receipts or 0

    @admin.display(description=_("amount held (₫)"), ordering="held_amount")
    def held_amount_display(self, obj):
        return format_vnd(obj.held_amount or 0)

    @admin.display(description=_("held since"), ordering="held_since")
    def held_since_display(self, obj):
        return obj.held_since.strftime("%d/%m/%Y") if obj.held_since else "—"


class ProduceListsForm(forms.Form):
    month = forms.CharField(label=_("month"), max_length=7, help_text=_("As YYYY-MM, e.g. 2026-11."))

    def clean_month(self):
        try:
            return month_of(self.cleaned_data["month"].strip())
        except ValueError:
            raise ValidationError(_("Enter the month as YYYY-MM, e.g. 2026-11.")) from None


def _agents_of(user):
    return Agent.objects.all() if is_provincial_staff(user) else Agent.objects.filter(managers=user)


@admin.register(OfficeList)
class OfficeListAdmin(admin.ModelAdmin):
    """Lists produced for the office (from the agent's page); each can be downloaded again."""

    list_display = ["produced_at", "form", "agent", "period_display", "produced_by", "receipt_count", "download"]
    list_filter = ["form", ("agent", AgentFilter)]  # a manager's own agent only
    list_select_related = ["agent", "produced_by"]
    readonly_fields = ["agent", "form", "form_version", "period", "produced_at", "produced_by"]

    def get_queryset(self, request):
        return (super().get_queryset(request).filter(agent__in=_agents_of(request.user)).defer("content")
                .annotate(receipt_count=Count("entries")))

    def has_add_permission(self, request):
        return False  # produced from the agent's page, for a month

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("period"), ordering="period")
    def period_display(self, obj):
        return obj.period.strftime("%m/%Y")

    @admin.display(description=_("receipts"), ordering="receipt_count")
    def receipt_count(self, obj):
        return obj.receipt_count

    @admin.display(description=_("file"))
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:collectors_officelist_download", args=[obj.pk]),
                           _("Download"))

    def get_urls(self):
        return [
            path("produce/<int:agent_pk>/", self.admin_site.admin_view(self.produce_view),
                 name="collectors_officelist_produce"),
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                 name="collectors_officelist_download"),
            path("confirmation/", self.admin_site.admin_view(lambda request: confirmation_view(self, request)),
                 name="collectors_officelist_confirmation"),
        ] + super().get_urls()

    def produce_view(self, request, agent_pk):
        agent = get_object_or_404(_agents_of(request.user), pk=agent_pk)
        if not request.user.has_perm("collectors.add_officelist"):
            raise PermissionDenied
        form = ProduceListsForm(request.POST or None)
        produced = None
        if request.method == "POST" and form.is_valid():
            produced = produce_lists(agent=agent, period=form.cleaned_data["month"], user=request.user)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, "produced": produced,
                   "title": _("Lists for the office: %(agent)s") % {"agent": agent.name}}
        return TemplateResponse(request, "admin/collectors/officelist/produce.html", context)

    def download_view(self, request, pk):
        office_list = get_object_or_404(self.get_queryset(request).select_related("agent", "produced_by"), pk=pk)
        content, rows = sent_file(office_list)  # the file as it went to the office, not the registry of today
        log_export(office_list, user=request.user, rows=rows)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{file_name(office_list)}"'
        return response


class ConfirmationForm(forms.Form):
    file = forms.FileField(label=_("the office's confirmation (xlsx or csv)"), help_text=_(
        "Columns: citizen ID (Số CCCD/ĐDCN, required), scheme (Loại hình: BHYT or BHXH), social-insurance number "
        "(Mã số BHXH), card number (Số thẻ BHYT), cover from (Từ ngày), cover until (Đến ngày). Without a scheme, "
        "a row with a card number confirms BHYT, and one with a social-insurance number and dates but no card "
        "number confirms BHXH."))


def confirmation_view(model_admin, request):
    """Staff import what the office sends back; all or nothing."""
    if not is_provincial_staff(request.user):
        raise PermissionDenied
    form = ConfirmationForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = import_confirmation(content=form.cleaned_data["file"].read())
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "form": form,
               "report": report, "title": _("Import the office's confirmation")}
    return TemplateResponse(request, "admin/collectors/officelist/confirmation.html", context)


@admin.register(ReceiptLink)
class ReceiptLinkAdmin(HouseholdScopedAdmin):
    """The households' receipt links; revoking one makes its token open nothing
    (the collector's receipt page then makes a new one to send)."""

    scope_prefix = "payment__household__"
    list_display = ["payment", "created_at", "revoked_at"]
    list_select_related = ["payment"]
    search_fields = ["payment__receipt_number", "payment__household__code"]
    fields = ["payment", "created_at", "revoked_at"]  # the token itself is never shown here
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected links"), permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, ngettext("%(count)s link revoked.", "%(count)s links revoked.", count)
                          % {"count": count})
