from datetime import timedelta

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import path
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from outreach.paginator import LargeTablePaginator

from . import contributions as rules
from . import search
from .forms import CalculatorForm
from .models import Commune, ContributionRate, Enrolment, Household, Member, PaymentPeriod, ReferenceAmount, Village
from .quotes import paying_members, quote_household_payment
from .rates import rates_on
from .text import mask, search_key


class LargeTableAdmin(admin.ModelAdmin):
    """Changelists that stay fast at millions of rows: no full COUNT(*)."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    list_per_page = 50


class VillageInline(admin.TabularInline):
    model = Village
    extra = 0
    fields = ["name", "kind"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "province_code"]
    list_filter = ["kind", "province_code"]
    search_fields = ["name", "code"]
    inlines = [VillageInline]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isdigit():
            return queryset.filter(code=int(term)), False
        # Communes are few (about 100 a province): compare keys in Python.
        key = search_key(term)
        codes = [c.code for c in queryset.only("code", "name") if key in search_key(c.name)]
        return queryset.filter(code__in=codes), False


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "commune"]
    list_filter = ["kind", "commune"]
    list_select_related = ["commune"]
    search_fields = ["name", "commune__name"]
    autocomplete_fields = ["commune"]

    def get_queryset(self, request):
        # A village is shown with its commune's name, in lists and autocompletes.
        return super().get_queryset(request).select_related("commune")


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    fields = ["full_name", "relation", "date_of_birth", "sex", "ethnicity", "citizen_id", "si_number", "phone"]
    show_change_link = True


class CoverageEndFilter(admin.SimpleListFilter):
    title = _("coverage end")
    parameter_name = "coverage"

    def lookups(self, request, model_admin):
        return [
            ("lapsed60", _("ended in the last 60 days")),
            ("30", _("ends within 30 days")),
            ("90", _("ends within 90 days")),
            ("later", _("ends in more than 90 days")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "lapsed60":
                return queryset.filter(coverage_end__lt=today, coverage_end__gte=today - timedelta(days=60))
            case "30":
                return queryset.filter(coverage_end__gte=today, coverage_end__lte=today + timedelta(days=30))
            case "90":
                return queryset.filter(coverage_end__gte=today, coverage_end__lte=today + timedelta(days=90))
            case "later":
                return queryset.filter(coverage_end__gt=today + timedelta(days=90))
        return queryset


def _warn_about_citizen_ids(request, members):
    for member in members:
        for warning in member.citizen_id_warnings():
            messages.warning(request, f"{member.full_name}: {warning}")


@admin.register(Household)
class HouseholdAdmin(LargeTableAdmin, SimpleHistoryAdmin):
    list_display = ["code", "head_name", "member_count", "commune", "village__name", "economic_status"]
    list_filter = ["economic_status", "commune"]
    list_select_related = ["commune", "village"]
    search_fields = ["code"]
    search_help_text = _("Household code, a member's name (with or without diacritics), citizen ID or phone.")
    autocomplete_fields = ["commune", "village"]
    inlines = [MemberInline]

    def get_queryset(self, request):
        members = Member.objects.filter(household=OuterRef("pk"))
        head = members.filter(relation=Member.Relation.HEAD).values("full_name")[:1]
        # Correlated subqueries run only for the rows of the page shown.
        count = members.order_by().values("household").annotate(n=Count("pk")).values("n")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                head_name=Subquery(head),
                member_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
            )
        )

    @admin.display(description=_("head of household"))
    def head_name(self, obj):
        return obj.head_name or "—"

    @admin.display(description=_("members"))
    def member_count(self, obj):
        return obj.member_count

    def get_search_results(self, request, queryset, search_term):
        return search.search_households(queryset, search_term), False

    def get_urls(self):
        calculator = self.admin_site.admin_view(self.calculator_view)
        return [path("calculator/", calculator, name="households_calculator")] + super().get_urls()

    def calculator_view(self, request):
        """What a household, or a number of members, or a chosen income would pay."""
        form = CalculatorForm(request.GET or None)
        explanation, total, heading = [], None, ""
        if form.is_valid():
            try:
                explanation, total, heading = _calculate(**form.cleaned_data)
            except rules.ContributionError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Contribution calculator"),
            "form": form,
            "explanation": explanation,
            "heading": heading,
            "total_display": rules.format_vnd(total) if total is not None else "",
        }
        return TemplateResponse(request, "admin/households/calculator.html", context)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is Member:
            _warn_about_citizen_ids(request, [f.instance for f in formset.forms if f.has_changed()])


def _calculate(*, scheme, months, day, household, members, support, income, group):
    """(explanation lines, total to pay, heading) for the calculator's inputs."""
    if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD and household is not None:
        quote = quote_household_payment(
            household=household, scheme=scheme, months=months, day=day,
            members=paying_members(household, household.members.prefetch_related("enrolments"), day))
        return quote.explanation, quote.total, _("Household %(code)s") % {"code": household.code}
    rates = rates_on(day)
    if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD:
        people = [rules.BhytMember(f"#{n}", support_group=support or None) for n in range(1, members + 1)]
        quote = rules.quote_bhyt_household(rates, people, months)
        return quote.explanation, quote.total_payable, _("%(count)s members") % {"count": members}
    quote = rules.quote_bhxh_voluntary(rates, income, group, months)
    return quote.explanation, quote.total_payable, rules.format_vnd(income)


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    fields = ["scheme", "card_number", "coverage_start", "coverage_end", "status", "monthly_amount"]


@admin.register(Member)
class MemberAdmin(LargeTableAdmin, SimpleHistoryAdmin):
    list_display = [
        "full_name", "household_code", "commune", "date_of_birth", "sex", "ethnicity",
        "masked_citizen_id", "masked_phone",
    ]
    list_filter = ["sex", "ethnicity", "household__commune"]
    list_select_related = ["household__commune"]
    ordering = ["-id"]
    search_fields = ["full_name"]
    search_help_text = _("Name with or without diacritics, citizen ID, social-insurance number, phone or card number.")
    autocomplete_fields = ["household"]
    inlines = [EnrolmentInline]

    @admin.display(description=_("household"), ordering="household__code")
    def household_code(self, obj):
        return obj.household.code

    @admin.display(description=_("commune"))
    def commune(self, obj):
        return obj.household.commune.name

    @admin.display(description=_("citizen ID"))
    def masked_citizen_id(self, obj):
        return mask(obj.citizen_id)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask(obj.phone)

    def get_search_results(self, request, queryset, search_term):
        return search.search_members(queryset, search_term), False

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        _warn_about_citizen_ids(request, [obj])


@admin.register(Enrolment)
class EnrolmentAdmin(LargeTableAdmin, SimpleHistoryAdmin):
    list_display = [
        "member", "household_code", "scheme", "card_number", "coverage_start", "coverage_end", "status", "amount",
    ]
    list_filter = ["scheme", "status", CoverageEndFilter, "member__household__commune"]
    list_select_related = ["member__household"]
    search_fields = ["card_number"]
    search_help_text = _("Card number (either form), member name, citizen ID or social-insurance number.")
    autocomplete_fields = ["member"]

    @admin.display(description=_("household"))
    def household_code(self, obj):
        return obj.member.household.code

    @admin.display(description=_("monthly amount (₫)"), ordering="monthly_amount")
    def amount(self, obj):
        return number_format(obj.monthly_amount, force_grouping=True)

    def get_search_results(self, request, queryset, search_term):
        return search.search_enrolments(queryset, search_term), False


class DatedRowAdmin(admin.ModelAdmin):
    """Rules change by law: a change is a new row from its date, so that
    amounts for earlier dates stay as they were."""

    date_hierarchy = "effective_from"
    list_filter = ["effective_from"]


@admin.register(ReferenceAmount)
class ReferenceAmountAdmin(DatedRowAdmin):
    list_display = ["kind", "amount", "effective_from", "source"]
    list_filter = ["kind"]


@admin.register(ContributionRate)
class ContributionRateAdmin(DatedRowAdmin):
    list_display = ["key", "value", "effective_from", "source"]
    list_filter = ["key"]


@admin.register(PaymentPeriod)
class PaymentPeriodAdmin(admin.ModelAdmin):
    list_display = ["scheme", "months", "effective_from", "effective_until"]
    list_filter = ["scheme"]
