"""Lists in and out through django-import-export, with the registry's rules.

Every resource here reads files with the same reader as the households
pipeline (households.imports): exact spreadsheet row numbers, headers in
English or Vietnamese, clear messages for a wrong encoding, sheet or column.
An import is all or nothing, and its report names each bad row, column and
value and says what is expected. An export masks personal data unless the
user may see it, and writes no cell a spreadsheet would run as a formula.
"""

import csv
import io
import re

import tablib
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.formats import base_formats
from import_export.results import Error

from . import validators
from .imports import (
    ETHNICITY_NAME,
    HOUSEHOLD_SPEC,
    Column,
    FileProblem,
    Invalid,
    Problem,
    Sheet,
    TableSpec,
    cell_text,
    clean_identifier,
    clean_text,
    expected,
    formula_problem,
    parse_date,
    parse_yes_no,
    read_sheets,
)
from .models import Commune, Enrolment, Household, Member, Village
from .text import mask, search_key

PERSONAL_DATA_PERMISSION = "households.view_personal_data"


# --- Formats ------------------------------------------------------------------------


def dataset_for(spec: TableSpec, sheets: list[Sheet]) -> tablib.Dataset:
    """The rows of the sheet that has `spec`'s columns, headers made the
    English keys, each row remembering its number in the spreadsheet."""
    table = spec.table(sheets)
    records = list(table.records())
    present = [column.key for column in spec.columns if column.key in table.keys]
    dataset = tablib.Dataset(headers=present)
    for _number, record in records:
        dataset.append([record.get(key) for key in present])
    dataset.row_numbers = [number for number, _record in records]
    dataset.header_problems = table.problems
    return dataset


class _ReadForSpec:
    """A format read by the registry's reader, for one list's columns."""

    spec = None

    @classmethod
    def for_spec(cls, spec):
        return type(cls.__name__, (cls,), {"spec": spec})

    def create_dataset(self, in_stream, **kwargs):
        return dataset_for(self.spec, read_sheets(in_stream))


class CSV(_ReadForSpec, base_formats.CSV):
    """Read as bytes (so that a file that is not UTF-8 gets a clear message,
    not a decoding error); written with a BOM so that Excel shows Vietnamese right."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def export_data(self, dataset, **kwargs):
        return "\ufeff" + super().export_data(dataset, **kwargs)


class XLSX(_ReadForSpec, base_formats.XLSX):
    pass


FORMATS = [CSV, XLSX]


def neutralise(value):
    """A cell that begins with =, +, - or @ is run by spreadsheets as a
    formula: a leading apostrophe makes it text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def template_file(spec: TableSpec, language: str, extension: str) -> bytes:
    """An empty list with the headers in `language` and one example row."""
    headers = [spec.header_of(column, language) for column in spec.columns]
    example = [column.example_in(language) for column in spec.columns]
    if extension == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerows([headers, example])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = str(spec.name)[:31]
    sheet.append(headers)
    sheet.append(example)
    for index, header in enumerate(headers, start=1):
        sheet.cell(1, index).font = Font(bold=True)
        # Text, so that Excel keeps the leading 0 of IDs and phone numbers typed below.
        sheet.cell(2, index).number_format = "@"
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = max(12, len(header) + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Widgets: the same rules as the households pipeline --------------------------------


class _Widget(widgets.Widget):
    """Invalid values become the ValueError import-export reports for the cell."""

    def clean(self, value, row=None, **kwargs):
        if not cell_text(value):
            return None
        try:
            return self.parse(value, row)
        except Invalid as error:
            raise ValueError(str(error)) from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class TextWidget(_Widget):
    def __init__(self, max_length=200):
        super().__init__()
        self.max_length = max_length

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs) or ""

    def parse(self, value, row):
        return clean_text(value, self.max_length)


class DateWidget(_Widget):
    def parse(self, value, row):
        return parse_date(value)

    def render(self, value, obj=None, **kwargs):
        return value.strftime("%d/%m/%Y") if value else ""


class YesNoWidget(_Widget):
    def clean(self, value, row=None, **kwargs):
        return bool(super().clean(value, row, **kwargs))

    def parse(self, value, row):
        return parse_yes_no(value)

    def render(self, value, obj=None, **kwargs):
        return _("yes") if value else _("no")


class NumberWidget(_Widget):
    """A whole number, such as an amount in đồng: 113850, or grouped 113.850 / 113,850."""

    def parse(self, value, row):
        text = cell_text(value)
        if not re.fullmatch(r"\d+|\d{1,3}([.,\s]\d{3})+", text):
            raise Invalid(_("must be a whole number"))
        return int(re.sub(r"\D", "", text))


class ChoiceWidget(_Widget):
    """A choice by its stored value or its label in either language."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    def parse(self, value, row):
        key = search_key(cell_text(value))
        for stored, label in self.choices.choices:
            if key in self.names(stored, label):
                return stored
        raise Invalid(_("must be one of: %(choices)s") % {"choices": ", ".join(self.choices.values)})

    @staticmethod
    def names(stored, label) -> set:
        """"bhyt_hgd", "household health insurance (BHYT hộ gia đình)", its
        Vietnamese label, and each part of the labels, compared as search keys."""
        names = {stored, stored.replace("_", " ")}
        for language in ("en", "vi"):
            with translation.override(language):
                text = str(label)
            names.add(text)
            names.update(part.strip(" )") for part in text.split("("))
        return {search_key(name) for name in names}


class IdentifierWidget(_Widget):
    """Normalised as the model field stores it, checked by the model's validator."""

    def __init__(self, model, field_name, validator):
        super().__init__()
        self.field = model._meta.get_field(field_name)
        self.validator = validator

    def parse(self, value, row):
        return clean_identifier(self.field, self.validator, value)


class NaturalKeyWidget(_Widget):
    """A related row found by its code, with a message saying what was not found."""

    def __init__(self, model, field, message, *, number=False):
        super().__init__()
        self.model, self.field, self.message, self.number = model, field, message, number

    def parse(self, value, row):
        text = cell_text(value)
        if self.number and not text.isdigit():
            raise Invalid(_("must be a number"))
        found = self.model._default_manager.filter(**{self.field: int(text) if self.number else text}).first()
        if found is None:
            raise Invalid(str(self.message))
        return found

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(getattr(value, self.field))


class CommuneWidget(NaturalKeyWidget):
    def __init__(self):
        super().__init__(Commune, "code", gettext_lazy("is not the official code of any commune in the registry"),
                         number=True)


class VillageWidget(_Widget):
    """A village by its name within the row's commune (diacritics and case ignored)."""

    def __init__(self, commune_column="commune_code"):
        super().__init__()
        self.commune_column = commune_column

    def parse(self, value, row):
        code = cell_text((row or {}).get(self.commune_column))
        key = search_key(cell_text(value))
        if code.isdigit():
            for village in Village.objects.filter(commune_id=int(code)):
                if search_key(village.name) == key:
                    return village
        raise Invalid(_("is not a village of commune %(code)s in the registry") % {"code": code})

    def render(self, value, obj=None, **kwargs):
        return value.name if value else ""


# --- The base resource ----------------------------------------------------------------


def _errors_by_field(error: ValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return error.error_dict
    return {NON_FIELD_ERRORS: error.error_list}


class RegistryResource(resources.ModelResource):
    """A ModelResource whose imports are all or nothing and whose reports and
    exports follow the registry's rules (see the module's docstring)."""

    spec: TableSpec = None
    # Columns masked in exports unless the user may see personal data.
    personal_columns = ()
    # The column a duplicate row is reported on (by default the first).
    duplicate_column = None

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.personal_data_shown = bool(user and user.has_perm(PERSONAL_DATA_PERMISSION))
        self.row_numbers, self.header_problems, self.seen = [], [], {}
        # Which column a model field's error belongs to ("commune" → "commune_code").
        self.column_of = {}
        for field in self.fields.values():
            self.column_of[field.column_name] = field.column_name
            if field.attribute and not field.readonly:
                attribute = field.attribute.split("__")[0]
                self.column_of.setdefault(attribute, field.column_name)
                self.column_of.setdefault(attribute.removesuffix("_id"), field.column_name)

    @classmethod
    def get_display_name(cls):
        return str(cls.spec.name)

    # --- import ------------------------------------------------------------------------

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        with transaction.atomic(using=self.get_db_connection_name()):
            result = super().import_data(dataset, dry_run=dry_run, raise_errors=False, use_transactions=True,
                                         collect_failed_rows=collect_failed_rows,
                                         rollback_on_validation_errors=True, **kwargs)
            for problem in self.header_problems:
                result.append_base_error(Error(FileProblem(str(problem), [problem])))
            result.problems = self.problems_of(result)
            if result.problems or dry_run:
                transaction.set_rollback(True)
        return result

    def before_import(self, dataset, **kwargs):
        if not hasattr(dataset, "row_numbers"):  # a Dataset made elsewhere: read it like a file
            rows = list(dataset)
            sheet = Sheet("", list(dataset.headers or []), lambda: enumerate(rows, start=2))
            dataset.wipe()  # if the sheet is not this list, there is nothing to import row by row
            made = dataset_for(self.spec, [sheet])
            dataset.headers = made.headers
            dataset.extend(list(made))
            dataset.row_numbers, dataset.header_problems = made.row_numbers, made.header_problems
        self.row_numbers, self.header_problems = dataset.row_numbers, dataset.header_problems

    def import_row(self, row, instance_loader, **kwargs):
        number = self.row_numbers[kwargs["row_number"] - 1]
        kwargs["spreadsheet_row"] = number
        row_result = super().import_row(row, instance_loader, **kwargs)
        row_result.spreadsheet_row = number
        row_result.row_values = row
        return row_result

    def before_import_row(self, row, spreadsheet_row=None, **kwargs):
        errors = {}
        for column in self.spec.columns:
            if column.key in row and (message := formula_problem(row[column.key], free_text=column.free_text)):
                errors[column.key] = ValidationError(message, code="formula")
        key = self.file_key(row)
        if key is not None:
            first = self.seen.setdefault(key, spreadsheet_row)
            if first != spreadsheet_row:
                errors[self.duplicate_column or self.spec.columns[0].key] = ValidationError(
                    _("is also on row %(row)s of this file") % {"row": first}, code="duplicate")
        if errors:
            raise ValidationError(errors)

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        column = self.spec.by_key.get(field.column_name)
        if column and not column.required and field.column_name in row and not cell_text(row[field.column_name]):
            return  # an empty cell keeps what the registry holds (or the model's default)
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def file_key(self, row):
        """What makes a row the same record as another row of the file."""
        values = tuple(search_key(cell_text(row.get(self.fields[name].column_name)))
                       for name in self.get_import_id_fields())
        return values if any(values) else None

    def problems_of(self, result) -> list[Problem]:
        """Every problem of the file, in the order of its rows and columns."""
        problems = []  # (row, column position, problem)
        for error in result.base_errors:
            if isinstance(error.error, FileProblem):
                problems.extend((p.row or 0, 0, p) for p in error.error.problems)
            else:
                message = _("The file could not be imported: %(error)s") % {"error": error.error}
                problems.append((0, 0, Problem(message)))
        position = {column.key: index for index, column in enumerate(self.spec.columns, start=1)}
        for row_result in result.rows:
            number = getattr(row_result, "spreadsheet_row", None)
            if row_result.validation_error is not None:
                for name, errors in _errors_by_field(row_result.validation_error).items():
                    key = self.column_of.get(name)
                    for error in errors:
                        problems.append((number, position.get(key, 0), Problem(
                            expected(error), row=number, column=self.spec.label(key) if key else "",
                            value=cell_text(row_result.row_values.get(key)) if key else "")))
            for error in row_result.errors:
                problems.append((number, 0, Problem(_("could not be saved: %(error)s") % {"error": error.error},
                                                    row=number)))
        return [problem for _row, _position, problem in sorted(problems, key=lambda item: item[:2])]

    # --- export ------------------------------------------------------------------------

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if field.column_name in self.personal_columns and not self.personal_data_shown:
            value = mask(value)
        return neutralise(value)

    def get_export_headers(self, selected_fields=None):
        language = (translation.get_language() or "en")[:2]
        return [self.spec.header_of(self.spec.by_key[header], language) if header in self.spec.by_key else header
                for header in super().get_export_headers(selected_fields)]


def _field(column, attribute=None, widget=None, **kwargs):
    return fields.Field(attribute=attribute or column, column_name=column, widget=widget or TextWidget(), **kwargs)


# --- Communes and villages ----------------------------------------------------------

COMMUNE_SPEC = TableSpec([
    Column("code", gettext_lazy("official code"), "Mã", required=True, aliases=("ma xa", "commune code"),
           example="24259"),
    Column("name", gettext_lazy("name"), "Tên", required=True, free_text=True, aliases=("ten xa",),
           example="Xã Quảng Phú"),
    Column("kind", gettext_lazy("kind"), "Loại", required=True, example="xa", example_vi="xã"),
    Column("province_code", gettext_lazy("province code"), "Mã tỉnh", required=True, example="66"),
], name=gettext_lazy("communes"))


class CommuneResource(RegistryResource):
    spec = COMMUNE_SPEC
    code = _field("code", widget=NumberWidget())
    name = _field("name", widget=TextWidget(100))
    kind = _field("kind", widget=ChoiceWidget(Commune.Kind))
    province_code = _field("province_code", widget=NumberWidget())

    class Meta:
        model = Commune
        fields = ("code", "name", "kind", "province_code")
        import_id_fields = ("code",)
        skip_unchanged = report_skipped = clean_model_instances = True


VILLAGE_SPEC = TableSpec([
    Column("commune_code", gettext_lazy("commune code"), "Mã xã", required=True,
           aliases=("ma phuong xa", "commune"), example="24259"),
    Column("name", gettext_lazy("name"), "Tên thôn, buôn", required=True, free_text=True,
           aliases=("village", "thon", "thon buon", "ten"), example="Buôn Kô"),
    Column("kind", gettext_lazy("kind"), "Loại", example="buon", example_vi="buôn"),
], name=gettext_lazy("villages"))


class VillageResource(RegistryResource):
    spec = VILLAGE_SPEC
    duplicate_column = "name"
    commune_code = _field("commune_code", "commune", CommuneWidget())
    name = _field("name", widget=TextWidget(100))
    kind = _field("kind", widget=ChoiceWidget(Village.Kind))

    class Meta:
        model = Village
        fields = ("commune_code", "name", "kind")
        import_id_fields = ()
        skip_unchanged = report_skipped = clean_model_instances = True

    def file_key(self, row):
        return (cell_text(row.get("commune_code")), search_key(cell_text(row.get("name"))))

    def get_or_init_instance(self, instance_loader, row):
        code, key = cell_text(row.get("commune_code")), search_key(cell_text(row.get("name")))
        if code.isdigit():
            for village in Village.objects.filter(commune_id=int(code)):
                if search_key(village.name) == key:
                    return village, False
        return Village(), True

    def get_queryset(self):
        return Village.objects.select_related("commune")


# --- Households with members (imported by households.imports, exported here) -----------


class HouseholdMemberResource(RegistryResource):
    """One row per member, the household's columns repeated, the head first."""

    spec = HOUSEHOLD_SPEC
    personal_columns = ("citizen_id", "phone")
    household_code = _field("household_code", "household__code")
    commune_code = _field("commune_code", "household__commune_id")
    village = _field("village", "household__village__name")
    address = _field("address", "household__address")
    is_head = fields.Field(column_name="is_head", dehydrate_method="dehydrate_is_head")
    full_name = _field("full_name")
    date_of_birth = _field("date_of_birth", widget=DateWidget())
    sex = fields.Field(column_name="sex", dehydrate_method="dehydrate_sex")
    ethnicity = fields.Field(column_name="ethnicity", dehydrate_method="dehydrate_ethnicity")
    citizen_id = _field("citizen_id")
    si_number = _field("si_number")
    phone = _field("phone")
    # The support groups' evidence, written as the import reads it, so that an export goes back unchanged.
    economic_status = fields.Field(column_name="economic_status", dehydrate_method="dehydrate_economic_status")
    status_year = _field("status_year", "household__status_year", NumberWidget())
    average_standard_year = _field("average_standard_year", "household__average_standard_year", NumberWidget())
    student = _field("student", widget=YesNoWidget())
    insured_elsewhere = _field("insured_elsewhere", widget=YesNoWidget())
    social_pension_since = _field("social_pension_since", widget=NumberWidget())

    class Meta:
        model = Member
        fields = [column.key for column in HOUSEHOLD_SPEC.columns]
        export_order = fields

    def import_data(self, *args, **kwargs):
        raise NotImplementedError("Households with members are imported by households.imports.import_households.")

    def filter_export(self, queryset, **kwargs):
        if queryset.model is Household:
            queryset = Member.objects.filter(household__in=queryset.order_by().values("pk"))
        head_first = Case(When(relation=Member.Relation.HEAD, then=Value(0)), default=Value(1),
                          output_field=IntegerField())
        return queryset.select_related("household__village").order_by("household__code", head_first, "pk")

    def dehydrate_is_head(self, member):
        return _("yes") if member.relation == Member.Relation.HEAD else _("no")

    def dehydrate_sex(self, member):
        return member.get_sex_display()

    def dehydrate_economic_status(self, member):
        # "no" for neither poor nor near-poor: the word the import takes (parse_status).
        return {Household.EconomicStatus.POOR: _("poor"),
                Household.EconomicStatus.NEAR_POOR: _("near-poor")}.get(member.household.economic_status, _("no"))

    def dehydrate_ethnicity(self, member):
        return ETHNICITY_NAME.get(member.ethnicity, member.ethnicity)


# --- Enrolments ----------------------------------------------------------------------

ENROLMENT_SPEC = TableSpec([
    Column("citizen_id", gettext_lazy("citizen ID"), "Số CCCD", aliases=("cccd", "so dinh danh ca nhan"),
           example="066085012345"),
    Column("si_number", gettext_lazy("social-insurance number"), "Mã số BHXH", aliases=("so bhxh",),
           example="6601234567"),
    Column("card_number", gettext_lazy("card number"), "Số thẻ", aliases=("ma the", "so the bhyt"),
           example="GD4666601234567"),
    Column("full_name", gettext_lazy("full name"), "Họ và tên", free_text=True, aliases=("ho ten",),
           example="Nguyễn Văn An"),
    Column("household_code", gettext_lazy("household code"), "Mã hộ", free_text=True, example="242590000001"),
    Column("scheme", gettext_lazy("scheme"), "Loại hình", required=True, example="bhyt_hgd"),
    Column("coverage_start", gettext_lazy("coverage start"), "Hiệu lực từ", required=True,
           aliases=("tu ngay",), example="01/01/2026"),
    Column("coverage_end", gettext_lazy("coverage end"), "Hiệu lực đến", required=True,
           aliases=("den ngay", "han the"), example="31/12/2026"),
    Column("status", gettext_lazy("status"), "Trạng thái", example="active"),
    Column("monthly_amount", gettext_lazy("monthly amount (₫)"), "Số tiền mỗi tháng",
           aliases=("so tien", "monthly amount"), example="113850"),
], name=gettext_lazy("enrolments"))


class EnrolmentResource(RegistryResource):
    """Matched on the member (citizen ID, social-insurance number or card
    number), the scheme and the coverage start."""

    spec = ENROLMENT_SPEC
    personal_columns = ("citizen_id",)
    citizen_id = _field("citizen_id", "member__citizen_id", readonly=True)
    si_number = _field("si_number", "member__si_number", readonly=True)
    card_number = _field("card_number", widget=IdentifierWidget(Enrolment, "card_number",
                                                                validators.validate_card_number))
    full_name = _field("full_name", "member__full_name", readonly=True)
    household_code = _field("household_code", "member__household__code", readonly=True)
    scheme = _field("scheme", widget=ChoiceWidget(Enrolment.Scheme))
    coverage_start = _field("coverage_start", widget=DateWidget())
    coverage_end = _field("coverage_end", widget=DateWidget())
    status = _field("status", widget=ChoiceWidget(Enrolment.Status))
    monthly_amount = _field("monthly_amount", widget=NumberWidget())

    class Meta:
        model = Enrolment
        fields = [column.key for column in ENROLMENT_SPEC.columns]
        export_order = fields
        import_id_fields = ()
        skip_unchanged = report_skipped = clean_model_instances = True

    def file_key(self, row):
        person = self.person_keys(row)
        if not person:
            return None
        return (person[0], search_key(cell_text(row.get("scheme"))), cell_text(row.get("coverage_start")))

    def person_keys(self, row) -> list[tuple[str, str, str]]:
        """(column, model field, value) by which the member may be found, best first."""
        keys = []
        for column, field_name in (("citizen_id", "citizen_id"), ("si_number", "si_number")):
            value = Member._meta.get_field(field_name).to_python(cell_text(row.get(column)))
            if value:
                keys.append((column, field_name, value))
        card_si_number = validators.si_number_from_card(cell_text(row.get("card_number")))
        if card_si_number:
            keys.append(("card_number", "si_number", card_si_number))
        return keys

    def get_or_init_instance(self, instance_loader, row):
        keys = self.person_keys(row)
        if not keys:
            raise ValidationError({"citizen_id": _(
                "is required, or a social-insurance number or card number, to find the member")})
        member = next((m for _column, name, value in keys
                       for m in Member.objects.filter(**{name: value})[:1]), None)
        if member is None:
            raise ValidationError({keys[0][0]: _("matches no member of the registry")})
        try:
            scheme = self.fields["scheme"].clean(row)
            start = self.fields["coverage_start"].clean(row)
        except (KeyError, ValueError):
            return Enrolment(member=member), True  # import_instance reports the bad cell
        existing = Enrolment.objects.filter(member=member, scheme=scheme, coverage_start=start).first()
        return (existing, False) if existing else (Enrolment(member=member), True)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("member__household")
