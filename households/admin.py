import csv
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_POST
from django.utils import translation
from django.utils.text import capfirst, slugify
from import_export.admin import ImportExportMixin
from import_export.forms import SelectableFieldsExportForm

from outreach.access import household_scope
from outreach.paginator import LargeTableChangeList, LargeTablePaginator
from outreach.scoped_admin import HistoryAdmin, HouseholdScopedAdmin, PersonalDataMixin, ViewOnlyAdmin

from . import contributions as rules
from . import imports, search
from .forms import CalculatorForm
from .imports import HOUSEHOLD_SPEC, FileProblem, ImportReport
from .models import (
    Commune,
    ContributionRate,
    Enrolment,
    ExportLog,
    Household,
    ImportJob,
    Member,
    PaymentPeriod,
    ReferenceAmount,
    Village,
)
from .quotes import renewal_quote
from .rates import rates_on
from .resources import (
    FORMATS,
    PERSONAL_DATA_PERMISSION,
    CommuneResource,
    EnrolmentResource,
    HouseholdMemberResource,
    VillageResource,
    neutralise,
    template_file,
)
from .text import mask, search_key


class LargeTableAdmin(admin.ModelAdmin):
    """Changelists that stay fast at millions of rows: no full COUNT(*)."""

    paginator = LargeTablePaginator
    show_full_result_count = False
    list_per_page = 50

    def get_changelist(self, request, **kwargs):
        return LargeTableChangeList


class RegistryExportForm(SelectableFieldsExportForm):
    """The export page's columns named as in the import templates, in the user's language."""

    def _get_field_label(self, resource, field_name):
        spec = getattr(resource, "spec", None)
        column = spec.by_key.get(field_name) if spec else None
        if column is not None:
            return spec.header_of(column, (translation.get_language() or "en")[:2])
        try:  # a column the import does not take: its model field's name
            return capfirst(resource._meta.model._meta.get_field(field_name).verbose_name)
        except FieldDoesNotExist:
            return super()._get_field_label(resource, field_name)


class RegistryImportExportMixin(ImportExportMixin):
    """django-import-export with the registry's rules: imports all or nothing
    with a report naming each bad row and column (households.resources);
    exports only what the user may see (outreach.access), personal data masked
    unless they hold the permission, and each export logged."""

    import_template_name = "admin/import_export/registry_import.html"
    export_form_class = RegistryExportForm
    # household_scope's prefix for this model's rows ("" for households,
    # "household__" for members…), or None for lists without household data.
    scope_prefix = None

    def import_spec(self, request=None):
        return self.get_import_resource_classes(request)[0].spec

    def get_import_formats(self):
        # Bound to the list's columns, so that the reader picks the right sheet.
        return [file_format.for_spec(self.import_spec()) for file_format in FORMATS]

    def get_export_formats(self):
        return list(FORMATS)

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, FileProblem):
            form.add_error("import_file", str(e))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def get_import_context_data(self, **kwargs):
        return {"import_spec": self.import_spec()}

    def process_result(self, result, request):
        if getattr(result, "problems", None):
            # The registry changed between the preview and the confirmation: nothing was imported.
            form = self.get_import_form_class(request)(self.get_import_formats(),
                                                       self.get_import_resource_classes(request))
            context = {**self.admin_site.each_context(request), "title": _("Import"), "opts": self.opts,
                       "form": form, "result": result, "import_spec": self.import_spec(request)}
            return TemplateResponse(request, [self.import_template_name], context)
        return super().process_result(result, request)

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_template_view)
        name = f"{self.opts.app_label}_{self.opts.model_name}_import_template"
        return [path("import/template/<str:language>.<str:extension>", view, name=name)] + super().get_urls()

    def import_template_view(self, request, language, extension):
        """An empty list to fill in, headers in English or Vietnamese, with an example row."""
        if language not in ("en", "vi") or extension not in ("csv", "xlsx"):
            raise Http404
        if not self.has_import_permission(request):
            raise PermissionDenied
        content_type = next(f().get_content_type() for f in FORMATS if f().get_extension() == extension)
        response = HttpResponse(template_file(self.import_spec(request), language, extension),
                                content_type=content_type)
        name = f"{self.opts.model_name}-{'mau' if language == 'vi' else 'template'}.{extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def export_scope(self, request):
        if self.scope_prefix is None:
            return None
        return household_scope(request.user, prefix=self.scope_prefix)

    def export_action(self, request):
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:  # filters typed into the address that the list does not have
            messages.error(request, gettext("These filters are not filters of this list: choose them on the list, "
                                            "then press Export."))
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def get_export_queryset(self, request):
        queryset = super().get_export_queryset(request)
        scope = self.export_scope(request)
        return queryset if scope is None else queryset.filter(scope)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {"user": request.user}

    def get_export_filename(self, request, queryset, file_format):
        """What the list holds and the day it was taken, in Vietnam's time:
        `ho-gia-dinh-va-thanh-vien-2026-12-02.xlsx`."""
        name = slugify(search_key(str(self.get_export_resource_classes(request)[0].get_display_name())))
        return f"{name}-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    def get_export_data(self, file_format, request, queryset, **kwargs):
        if not self.has_export_permission(request):
            raise PermissionDenied
        dataset = self.get_data_for_export(request, queryset, **kwargs)
        resource_class = self.choose_export_resource_class(kwargs.get("export_form"), request)
        dataset.title = str(resource_class.get_display_name())[:31]  # the sheet's name: what it holds
        ExportLog.objects.create(
            user=request.user, resource=str(resource_class.get_display_name()),
            format=file_format.get_extension(), row_count=len(dataset),
            personal_data=bool(resource_class.personal_columns) and request.user.has_perm(PERSONAL_DATA_PERMISSION),
            filters={key: values for key, values in request.GET.lists()})
        return file_format.export_data(dataset)


class VillageInline(admin.TabularInline):
    model = Village
    extra = 0
    fields = ["name", "kind"]


@admin.register(Commune)
class CommuneAdmin(RegistryImportExportMixin, admin.ModelAdmin):
    resource_classes = [CommuneResource]
    list_display = ["name", "code", "kind", "province_code"]
    list_filter = ["kind", "province_code", "disadvantaged_area", "left_disadvantaged_area", "poor_commune", "island"]
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
class VillageAdmin(RegistryImportExportMixin, admin.ModelAdmin):
    resource_classes = [VillageResource]
    list_display = ["name", "kind", "commune"]
    list_filter = ["kind", "commune"]
    list_select_related = ["commune"]
    search_fields = ["name", "commune__name"]
    autocomplete_fields = ["commune"]

    def get_queryset(self, request):
        # A village is shown with its commune's name, in lists and autocompletes.
        return super().get_queryset(request).select_related("commune")


class MemberInline(PersonalDataMixin, admin.TabularInline):
    model = Member
    extra = 0
    fields = ["full_name", "relation", "date_of_birth", "sex", "ethnicity", "citizen_id", "si_number", "phone",
              "student", "insured_elsewhere", "social_pension_since"]
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


class HouseholdImportForm(forms.Form):
    import_file = forms.FileField(label=_("File to import (xlsx or csv)"))


@admin.register(Household)
class HouseholdAdmin(RegistryImportExportMixin, HouseholdScopedAdmin, PersonalDataMixin, LargeTableAdmin,
                     HistoryAdmin):
    resource_classes = [HouseholdMemberResource]
    scope_prefix = ""
    list_display = ["code", "head_name", "member_count", "commune", "village__name", "economic_status"]
    list_filter = ["economic_status", "potential", ("potential_return_month", admin.DateFieldListFilter), "commune"]
    list_select_related = ["commune", "village"]
    readonly_fields = ["potential_set_by", "potential_set_at"]
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

    def save_model(self, request, obj, form, change):
        # Who judged whether the household could join, and when: staff changing it here too.
        if {"potential", "potential_reason", "potential_return_month"} & set(form.changed_data):
            obj.potential_set_by, obj.potential_set_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        calculator = self.admin_site.admin_view(self.calculator_view)
        return [path("calculator/", calculator, name="households_calculator")] + super().get_urls()

    def has_import_permission(self, request):
        # The list writes members (and villages) as well as households.
        return super().has_import_permission(request) and request.user.has_perms(
            ["households.add_member", "households.change_member", "households.add_village"])

    def import_action(self, request, **kwargs):
        """Households with members go through the fast pipeline (households.imports):
        the file is checked, the counts shown, and it is imported on confirmation."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = HouseholdImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = imports.start_job(user=request.user, upload=form.cleaned_data["import_file"])
            return redirect("admin:households_importjob_change", job.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import households with members"),
            "form": form,
            "import_spec": HOUSEHOLD_SPEC,
            "jobs": ImportJob.objects.filter(user=request.user)[:10],
            "async_rows": settings.HOUSEHOLD_IMPORT_ASYNC_ROWS,
        }
        return TemplateResponse(request, "admin/households/import_households.html", context)

    def process_import(self, request, **kwargs):
        return redirect("admin:households_household_import")

    def calculator_view(self, request):
        """What a household, or a number of members, or a chosen income would pay."""
        # A household outside the user's area reads as an unknown code (codes can be guessed).
        form = CalculatorForm(request.GET or None, households=Household.objects.filter(household_scope(request.user)))
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


def _calculate(*, scheme, months, day, household, members, supported, income, group, mode):
    """(explanation lines, total to pay, heading) for the calculator's inputs."""
    if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD and household is not None:
        # Who still has to pay, as the household's phone page, Today and the payment page quote it.
        heading = _("Household %(code)s") % {"code": household.code}
        quote = renewal_quote(household=household, day=day, months=months)
        if quote is None:
            return [_("Nobody in this household has to pay now: every member's card runs on, or the state or "
                      "another scheme pays.")], 0, heading
        return quote.explanation, quote.total, heading
    rates = rates_on(day)
    if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD:
        people = [rules.BhytMember(f"#{n}") for n in range(1, (members or 0) + 1)]
        people += [rules.BhytMember(f"#{len(people) + n}", support_group=g) for n, g in enumerate(supported, 1)]
        quote = rules.quote_bhyt_household(rates, people, months)
        return quote.explanation, quote.total_payable, _("%(count)s members") % {"count": len(people)}
    quote = rules.quote_bhxh_voluntary(rates, income, group, months, mode=mode or rules.AHEAD)
    return quote.explanation, quote.total_payable, rules.format_vnd(income)


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    fields = ["scheme", "card_number", "coverage_start", "coverage_end", "status", "monthly_amount"]


@admin.register(Member)
class MemberAdmin(RegistryImportExportMixin, HouseholdScopedAdmin, PersonalDataMixin, LargeTableAdmin,
                  HistoryAdmin):
    resource_classes = [HouseholdMemberResource]
    scope_prefix = "household__"
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

    def import_action(self, request, **kwargs):
        return redirect("admin:households_household_import")

    def process_import(self, request, **kwargs):
        return redirect("admin:households_household_import")


@admin.register(Enrolment)
class EnrolmentAdmin(RegistryImportExportMixin, HouseholdScopedAdmin, LargeTableAdmin, HistoryAdmin):
    resource_classes = [EnrolmentResource]
    scope_prefix = "member__household__"
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
    """Central shares (province 0), a province's top-ups on them, and the
    fund's interest rate staff enter each year. Figures marked “(check)” in
    their source were not confirmed against the legal text: correct them by a
    new row from the date they apply."""

    list_display = ["key", "province_code", "value", "effective_from", "source"]
    list_filter = ["key", "province_code"]


@admin.register(PaymentPeriod)
class PaymentPeriodAdmin(admin.ModelAdmin):
    list_display = ["scheme", "months", "effective_from", "effective_until"]
    list_filter = ["scheme"]


@admin.register(ImportJob)
class ImportJobAdmin(ViewOnlyAdmin):
    """Each user's imports of households with members: progress while a worker
    runs them, then the counts to confirm, or the report of every bad row."""

    list_display = ["created_at", "file_name", "user", "status", "total_rows", "outcome"]
    list_filter = ["status"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(user=request.user)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff  # their own imports only

    @admin.display(description=_("outcome"))
    def outcome(self, job):
        if not job.report:
            return "—"
        report = ImportReport.from_dict(job.report)
        if report.problems:
            return gettext("%(count)s problems") % {"count": len(report.problems)}
        return report.summary()

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("<int:pk>/status/", view(self.status_view), name="households_importjob_status"),
            path("<int:pk>/confirm/", view(self.confirm_view), name="households_importjob_confirm"),
            path("<int:pk>/report.csv", view(self.report_view), name="households_importjob_report"),
        ] + super().get_urls()

    def job(self, request, pk) -> ImportJob:
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.job(request, object_id)
        report = ImportReport.from_dict(job.report) if job.report else None
        household_admin = self.admin_site._registry[Household]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job.file_name,
            "job": job,
            "report": report,
            "shown_problems": report.problems[:500] if report else [],
            "shown_warnings": report.warnings[:100] if report else [],
            "can_confirm": (job.status == ImportJob.Status.READY and job.user_id == request.user.pk
                            and household_admin.has_import_permission(request)),
        }
        return TemplateResponse(request, "admin/households/importjob/detail.html", context)

    def status_view(self, request, pk):
        job = self.job(request, pk)
        return JsonResponse({"status": job.status, "label": str(job.get_status_display()), "progress": job.progress,
                             "running": job.is_running})

    @method_decorator(require_POST)
    def confirm_view(self, request, pk):
        job = self.job(request, pk)
        if job.user_id != request.user.pk or not self.admin_site._registry[Household].has_import_permission(request):
            raise PermissionDenied
        job = imports.confirm_job(job=job)
        if job.status == ImportJob.Status.DONE:
            messages.success(request, gettext("Imported: %(summary)s.") % {
                "summary": ImportReport.from_dict(job.report).summary()})
        return redirect("admin:households_importjob_change", job.pk)

    def report_view(self, request, pk):
        """Every problem of the file, to fix it in the spreadsheet."""
        job = self.job(request, pk)
        report = ImportReport.from_dict(job.report) if job.report else ImportReport(job.file_name)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow([gettext("row"), gettext("column"), gettext("value"), gettext("problem")])
        for problem in report.problems + report.warnings:
            # The value is the file's own cell, a refused formula perhaps: written back as text.
            writer.writerow([neutralise(cell) for cell in (problem.row or "", problem.column, problem.value,
                                                           problem.message)])
        return response


@admin.register(ExportLog)
class ExportLogAdmin(ViewOnlyAdmin):
    """Who took which list out, when: read only."""

    list_display = ["created_at", "user", "resource", "format", "row_count", "personal_data", "filters"]
    list_filter = ["resource", "personal_data", "format"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    search_fields = ["user__username", "resource"]

