from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from households.admin import LargeTableAdmin
from households.contributions import format_vnd
from households.text import mask

from .models import Agent, Assignment, Collector, Payment, PaymentLine, Referral, Target, Visit
from .payments import cancel_payment


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
class AssignmentAdmin(SimpleHistoryAdmin):
    list_display = ["collector", "commune", "village", "start", "end"]
    list_filter = ["commune"]
    list_select_related = ["collector", "commune", "village__commune"]
    search_fields = ["collector__full_name", "collector__code"]
    autocomplete_fields = ["collector", "commune", "village"]


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
class PaymentAdmin(LargeTableAdmin, SimpleHistoryAdmin):
    """Receipts are recorded on the phone through the payment service; here
    staff look them up and cancel a wrong entry, which restores the cover."""

    list_display = ["receipt_number", "paid_on", "household", "collector", "agent", "scheme", "months",
                    "amount_display", "cancelled"]
    list_filter = ["scheme", "agent", ("cancelled_at", admin.EmptyFieldListFilter), "paid_on"]
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
class VisitAdmin(LargeTableAdmin):
    list_display = ["visited_at", "household", "collector", "outcome", "follow_up_on"]
    list_filter = ["outcome", "collector__agent"]
    list_select_related = ["household", "collector"]
    search_fields = ["household__code", "collector__full_name"]
    raw_id_fields = ["household", "member", "payment"]
    autocomplete_fields = ["collector"]


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    list_display = ["household", "referred_by_household", "referred_by_member", "collector", "recorded_on"]
    list_select_related = ["household", "referred_by_household", "referred_by_member", "collector"]
    raw_id_fields = ["household", "referred_by_household", "referred_by_member"]
    autocomplete_fields = ["collector"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["collector", "month", "visits", "new_enrolments", "renewals", "amount"]
    list_filter = ["month"]
    list_select_related = ["collector"]
    autocomplete_fields = ["collector"]
