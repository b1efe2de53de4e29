"""Lists in: reading spreadsheets exactly, and the households-with-members import.

One pipeline serves the admin, the `import_households` command and the Celery
task. It reads the whole file, normalises and checks every row with the
registry's own rules (validators.py, fields.py, text.py), checks natural keys
inside the file and against the database with a few set queries, and then
writes everything in one transaction with bulk statements and bulk audit
history — or writes nothing and reports every bad row.

Rows are numbered as a spreadsheet shows them (the header is row 1), and each
problem names the row, the column, the value and what is expected.
"""

import csv
import gc
import hashlib
import io
import logging
import re
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from openpyxl.utils import get_column_letter

from . import validators, workbook
from .ethnicity import ETHNIC_GROUPS, KINH
from .models import Commune, Household, ImportJob, Member, Village
from .text import clean_spaces, search_key

logger = logging.getLogger(__name__)

BATCH_SIZE = 2_000  # rows per INSERT/UPDATE statement
LOOKUP_CHUNK = 5_000  # values per IN (…) list

# What a validator's code means, said as the end of "row 17, citizen ID “…”: …".
# The rules themselves stay in validators.py; this is only their wording.
EXPECTED = {
    "citizen_id": gettext_lazy("must be exactly 12 digits"),
    "si_number": gettext_lazy("must be exactly 10 digits"),
    "phone": gettext_lazy(
        "must be a Vietnamese mobile number: 10 digits starting 03, 05, 07, 08 or 09 (or +84…)"),
    "card_number": gettext_lazy(
        "must be the 10-digit social-insurance number or the 15-character code such as GD4660123456789"),
    "future_date": gettext_lazy("is in the future"),
    "birth_before_1900": gettext_lazy("is before 1900: check the year"),
    "required": gettext_lazy("is required"),
    "blank": gettext_lazy("is required"),
    "null": gettext_lazy("is required"),
}


# --- Problems ---------------------------------------------------------------------


@dataclass
class Problem:
    """One thing wrong with a file, rendered in the language of the run."""

    message: str
    row: int | None = None
    column: str = ""
    value: str = ""

    def __str__(self):
        if self.row is None:
            return self.message
        params = {"row": self.row, "column": self.column, "value": self.value, "message": self.message}
        if self.column and self.value:
            return _("row %(row)s, %(column)s “%(value)s”: %(message)s") % params
        if self.column:
            return _("row %(row)s, %(column)s: %(message)s") % params
        return _("row %(row)s: %(message)s") % params

    def as_dict(self):
        return {"message": self.message, "row": self.row, "column": self.column, "value": self.value}


class FileProblem(Exception):
    """The file as a whole cannot be read as this list; the message says why."""

    def __init__(self, message, problems=None):
        super().__init__(str(message))
        self.problems = problems or [Problem(str(message))]


class Invalid(Exception):
    """A cell's value breaks a rule: the message says what is expected."""


# --- Reading files ----------------------------------------------------------------


class Sheet:
    """One sheet: its name, its header row (a list, or a callable that reads
    it when first asked: a workbook's sheets are read one at a time, and only
    until the list's is found), its rows, and an estimate of their number."""

    def __init__(self, name: str, header, rows, estimated_rows: int = 0):
        self.name = name
        self._header = header
        self.rows = rows  # callable → iterator of (spreadsheet row number, values)
        self.estimated_rows = estimated_rows

    @property
    def header(self) -> list:
        if callable(self._header):
            self._header = self._header()
        return self._header


def read_sheets(content: bytes) -> list[Sheet]:
    """The sheets of an xlsx workbook, or the one sheet of a CSV file.

    The kind of file is told from its bytes, not from its name or the format
    chosen in a form, so that a mislabelled file is still read right."""
    if not content:
        raise FileProblem(_("The file is empty."))
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content)
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(_("This is an old Excel 97–2003 (.xls) file or a password-protected workbook: "
                            "save it as an Excel workbook (.xlsx) or as “CSV UTF-8” and import again."))
    return [_read_csv(content)]


def _read_csv(content: bytes) -> Sheet:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(_("The file is in UTF-16 (“Unicode text”): save it as “CSV UTF-8” or as an "
                            "Excel workbook (.xlsx) and import again."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = content[: error.start].count(b"\n") + 1
        raise FileProblem(
            _("The file is not in UTF-8: it looks like a Windows-1258 or CP1252 file (Excel’s plain “CSV”), "
              "first unreadable character on row %(row)s. Save it as “CSV UTF-8” or as an Excel workbook "
              "(.xlsx) and import again.") % {"row": row}
        ) from None
    first_line = text.split("\n", 1)[0]
    # Excel writes ";" between cells where the decimal mark is a comma, as in Vietnam.
    delimiter = max([",", ";", "\t"], key=first_line.count)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(records, None)
    if header is None:
        raise FileProblem(_("The file is empty."))

    estimated = max(text.rstrip("\n").count("\n"), 0)
    if estimated > settings.IMPORT_MAX_ROWS:
        raise FileProblem(_("The file has %(rows)s rows; an import takes at most %(max)s rows. Split the list into "
                            "smaller files.") % {"rows": f"{estimated:,}".replace(",", "."),
                                                 "max": f"{settings.IMPORT_MAX_ROWS:,}".replace(",", ".")})

    def rows():
        yield from enumerate(records, start=2)

    return Sheet(name="", header=header, rows=rows, estimated_rows=estimated)


def _read_xlsx(content: bytes) -> list[Sheet]:
    """Measured and bounded first (households/workbook.py), then read: each
    sheet's header when it is asked for, its rows when they are."""
    try:
        return [Sheet(sheet.name, _header_row(sheet), _data_rows(sheet), estimated_rows=sheet.estimated_rows)
                for sheet in workbook.read_workbook(content)]
    except workbook.TooLarge as error:
        raise FileProblem(str(error)) from None
    except Exception as error:  # workbook.Damaged, or whatever a reader raises on a damaged file
        raise _unreadable_xlsx() from error


def _header_row(sheet):
    def header():
        rows = sheet.rows()
        try:
            first = next(rows, None)
        except workbook.Damaged as error:
            raise _unreadable_xlsx() from error
        finally:
            rows.close()
        return first[1] if first is not None and first[0] == 1 else []

    return header


def _data_rows(sheet):
    def rows():
        try:
            for number, values in sheet.rows():
                if number > 1:
                    yield number, values
        except workbook.Damaged as error:
            raise _unreadable_xlsx() from error

    return rows


def _unreadable_xlsx():
    return FileProblem(_("The file could not be read as an Excel workbook: it may be truncated or damaged. Save it "
                         "again from Excel (as .xlsx or “CSV UTF-8”) and import again."))


def cell_text(value) -> str:
    """A cell as text, as the user sees it in the spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    return str(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- Columns ------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str  # the English header, as in the English template
    label: object  # how messages name the column, in the language of the UI
    vietnamese: str  # the header of the Vietnamese template
    required: bool = False  # the column must be in the file, and its cells filled…
    blank_means_no: bool = False  # …except a yes/no column whose empty cells mean “no”
    aliases: tuple = ()
    example: str = ""
    example_vi: str | None = None
    free_text: bool = False  # may not begin with +, - or @ (spreadsheets run those)

    def example_in(self, language: str) -> str:
        return self.example_vi if language == "vi" and self.example_vi is not None else self.example


def header_key(text) -> str:
    """Headers compared without case, diacritics, underscores or notes in brackets."""
    text = re.sub(r"\([^)]*\)", " ", cell_text(text)).replace("_", " ")
    return search_key(text).strip(" *:.")


# Serial-number columns that Vietnamese lists always start with.
IGNORED_HEADERS = {"stt", "tt", "so tt", "so thu tu", "no", "#"}
SKIP = ""  # the key of a column that is read no further (ignored, or its header already reported)


@dataclass
class Table:
    """The rows of the chosen sheet, as {column key: raw value}, blank rows skipped."""

    sheet: Sheet
    keys: list
    problems: list

    def records(self):
        reported = set()
        for number, values in self.sheet.rows():
            if all(value is None or cell_text(value) == "" for value in values):
                continue
            record = {}
            for index, value in enumerate(values):
                key = self.keys[index] if index < len(self.keys) else None
                if key:
                    record[key] = value
                elif key is None and index not in reported and cell_text(value):
                    reported.add(index)
                    self.problems.append(Problem(
                        _("has values but no header (first on row %(row)s): add the header or remove the column")
                        % {"row": number}, row=1, column=_column(index)))
            yield number, record


def _column(index: int) -> str:
    return _("column %(letter)s") % {"letter": get_column_letter(index + 1)}


class TableSpec:
    """The columns of one kind of list, with the headers accepted for each."""

    def __init__(self, columns: list[Column], *, name):
        self.columns = columns
        self.name = name
        self.by_key = {column.key: column for column in columns}
        self._lookup = None

    @property
    def lookup(self) -> dict:
        # Built on first use: labels are translated, which needs loaded apps.
        if self._lookup is None:
            lookup = {}
            for column in self.columns:
                names = [column.key, column.vietnamese, *column.aliases]
                for language in ("en", "vi"):
                    with translation.override(language):
                        names.append(str(column.label))
                for name in names:
                    lookup[header_key(name)] = column.key
            self._lookup = lookup
        return self._lookup

    def label(self, key) -> str:
        return str(self.by_key[key].label)

    def header_of(self, column: Column, language: str) -> str:
        return column.vietnamese if language == "vi" else column.key

    def bind(self, header) -> tuple[list, list, list]:
        """(for each position a column key, SKIP, or None when it has no
        header; the header's problems; the required columns missing)."""
        keys, problems, seen = [], [], {}
        for index, cell in enumerate(header):
            text = cell_text(cell)
            key = self.lookup.get(header_key(text)) if text else None
            if not text:
                keys.append(None)
                continue
            if key is None:
                if header_key(text) not in IGNORED_HEADERS:
                    problems.append(Problem(
                        _("is not a column of this list: remove the column or correct its header (the template "
                          "shows the columns)"), row=1, column=_column(index), value=text))
                key = SKIP
            elif key in seen:
                problems.append(Problem(_("repeats column %(other)s") % {"other": get_column_letter(seen[key] + 1)},
                                        row=1, column=_column(index), value=text))
                key = SKIP
            else:
                seen[key] = index
            keys.append(key)
        missing = [column for column in self.columns if column.required and column.key not in seen]
        return keys, problems, missing

    def describe(self, columns) -> str:
        return ", ".join(f"{column.key} ({column.vietnamese})" for column in columns)

    def table(self, sheets: list[Sheet]) -> Table:
        """The first sheet that has this list's columns (a workbook may start
        with a sheet of instructions)."""
        first_missing = None
        for sheet in sheets:
            keys, problems, missing = self.bind(sheet.header)
            if not missing:
                return Table(sheet, keys, problems)
            if first_missing is None:
                first_missing = (sheet, missing)
        sheet, missing = first_missing
        columns = self.describe(missing)
        if len(sheets) > 1:
            raise FileProblem(_("No sheet of this workbook has the columns of this list; sheet “%(sheet)s” lacks "
                                "%(columns)s. Row 1 must hold the column headers, in English or in Vietnamese, "
                                "as in the template.") % {"sheet": sheet.name, "columns": columns})
        raise FileProblem(_("The file lacks the columns %(columns)s. Row 1 must hold the column headers, in "
                            "English or in Vietnamese, as in the template.") % {"columns": columns})

    def read(self, content: bytes) -> Table:
        return self.table(read_sheets(content))


# --- Values: one set of rules for the pipeline and the resources -----------------------

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d+)")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(value) -> date | None:
    """DD/MM/YYYY (also with . or -), an ISO date, or a spreadsheet date cell."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        return None
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
    elif match := _DAY_FIRST.fullmatch(text):
        day, month, year = match.groups()
        if len(year) != 4:
            raise Invalid(_("is ambiguous: write the year with four digits, DD/MM/YYYY"))
    else:
        raise Invalid(_("must be a date written DD/MM/YYYY, such as 17/05/1985"))
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        raise Invalid(_("is not a real date: dates are written day first, DD/MM/YYYY")) from None


_YES = {"yes", "y", "co", "c", "x", "1", "true", "chu ho"}
_NO = {"no", "n", "khong", "k", "0", "false", ""}


def parse_yes_no(value) -> bool:
    if isinstance(value, bool):
        return value
    key = cell_text(value).lower()
    if key not in _YES and key not in _NO:
        key = search_key(key)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise Invalid(_("must be yes or no (có or không)"))


_STATUSES = {"poor": "poor", "ngheo": "poor", "ho ngheo": "poor", "near poor": "near_poor", "near-poor": "near_poor",
             "near_poor": "near_poor", "can ngheo": "near_poor", "ho can ngheo": "near_poor", "other": "other",
             "khong": "other", "no": "other"}


def parse_status(value) -> str:
    try:
        return _STATUSES[search_key(cell_text(value))]
    except KeyError:
        raise Invalid(_("must be poor, near-poor or no (nghèo, cận nghèo or không)")) from None


def parse_year(value) -> int:
    text = cell_text(value)
    if text.endswith(".0"):  # a number cell read as a float
        text = text[:-2]
    if not text.isdigit() or not 2000 <= int(text) <= timezone.localdate().year + 1:
        raise Invalid(_("must be a year such as %(year)s") % {"year": timezone.localdate().year})
    return int(text)


_SEXES = {"m": "M", "male": "M", "nam": "M", "f": "F", "female": "F", "nu": "F"}


def parse_sex(value) -> str:
    text = cell_text(value).lower()
    try:
        return _SEXES[text] if text in _SEXES else _SEXES[search_key(text)]
    except KeyError:
        raise Invalid(_("must be M or F (Nam or Nữ)")) from None


def _ethnicity_names() -> dict:
    names = {"jrai": "10", "ede": "12", "khmer": "05", "hmong": "08", "bahnar": "13", "sedang": "14"}
    for code, name in ETHNIC_GROUPS:
        key = search_key(name)
        names.update({code: code, str(int(code)): code, key: code, key.replace(" ", ""): code})
    return names


ETHNICITY_BY_NAME = _ethnicity_names()
ETHNICITY_NAME = dict(ETHNIC_GROUPS)


def parse_ethnicity(value) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    code = ETHNICITY_BY_NAME.get(search_key(text)) or ETHNICITY_BY_NAME.get(search_key(text).replace(" ", ""))
    if code is None:
        raise Invalid(_("is not one of Vietnam’s 54 ethnic groups (such as Kinh, Ê Đê, M'nông, Gia Rai) "
                        "or their codes 01–54"))
    return code


def formula_problem(value, *, free_text: bool) -> str | None:
    """Cells that a spreadsheet would run: refused on the way in."""
    text = cell_text(value)
    if text.startswith("="):
        return _("is a spreadsheet formula: type the value itself")
    if free_text and text[:1] in ("+", "-", "@"):
        return _("must not begin with +, - or @, which spreadsheets run as a formula")
    return None


def expected(error: ValidationError) -> str:
    """What a model validator's error expects, in the report's words."""
    if error.code in EXPECTED:
        return str(EXPECTED[error.code])
    return str(error.message % error.params if error.params else error.message)


NUMBER_HINT = gettext_lazy("(the cell is a number, so a leading 0 may have been lost: format the column as Text)")


def clean_identifier(model_field, validator, value) -> str | None:
    """Normalise as the model field stores it, then check with the model's validator."""
    normalised = model_field.to_python(cell_text(value))
    if normalised is None:
        return None
    try:
        validator(normalised)
    except ValidationError as error:
        message = expected(error)
        if is_number(value):
            message = f"{message} {NUMBER_HINT}"
        raise Invalid(message) from None
    return normalised


def clean_text(value, max_length: int) -> str:
    text = clean_spaces(cell_text(value))
    if len(text) > max_length:
        raise Invalid(_("must be at most %(max)s characters (it has %(length)s)")
                      % {"max": max_length, "length": len(text)})
    return text


# --- The households-with-members list ------------------------------------------------

HOUSEHOLD_SPEC = TableSpec([
    Column("household_code", gettext_lazy("household code"), "Mã hộ", required=True, free_text=True,
           aliases=("ma ho gia dinh", "ma hgd", "household"), example="242590000001"),
    Column("commune_code", gettext_lazy("commune code"), "Mã xã", required=True,
           aliases=("ma phuong xa", "ma xa phuong", "ma don vi hanh chinh", "commune"), example="24259"),
    Column("village", gettext_lazy("village"), "Thôn, buôn", free_text=True,
           aliases=("thon", "thon buon", "thon/buon", "to dan pho"), example="Thôn 1"),
    Column("address", gettext_lazy("address"), "Địa chỉ", free_text=True, example="Thôn 1, Xã Quảng Phú"),
    Column("is_head", gettext_lazy("head of household"), "Chủ hộ", required=True, blank_means_no=True,
           aliases=("head", "la chu ho"), example="yes", example_vi="có"),
    Column("full_name", gettext_lazy("full name"), "Họ và tên", required=True, free_text=True,
           aliases=("ho ten", "name"), example="Nguyễn Văn An"),
    Column("date_of_birth", gettext_lazy("date of birth"), "Ngày sinh", required=True,
           aliases=("ngay thang nam sinh", "birth date"), example="17/05/1985"),
    Column("sex", gettext_lazy("sex"), "Giới tính", required=True, aliases=("gender",),
           example="M", example_vi="Nam"),
    Column("ethnicity", gettext_lazy("ethnicity"), "Dân tộc", example="Kinh"),
    Column("citizen_id", gettext_lazy("citizen ID"), "Số CCCD",
           aliases=("cccd", "so dinh danh", "so dinh danh ca nhan", "so cccd/dinh danh"), example="066085012345"),
    Column("si_number", gettext_lazy("social-insurance number"), "Mã số BHXH",
           aliases=("so bhxh", "ma bhxh"), example="6601234567"),
    Column("phone", gettext_lazy("phone"), "Số điện thoại", aliases=("dien thoai", "sdt"), example="0912345678"),
    # Evidence of the state-supported groups (RULES.md): empty cells leave what the registry holds.
    Column("economic_status", gettext_lazy("poverty status"), "Hộ nghèo/cận nghèo",
           aliases=("ho ngheo can ngheo", "phan loai ho", "economic status"), example="near-poor",
           example_vi="cận nghèo"),
    Column("status_year", gettext_lazy("year certified"), "Năm công nhận", aliases=("nam cong nhan ho ngheo",),
           example="2026"),
    Column("average_standard_year", gettext_lazy("average-living-standard list year"), "Năm DS hộ mức sống TB",
           aliases=("nam danh sach ho muc song trung binh", "ho muc song trung binh"), example="2026"),
    Column("student", gettext_lazy("pupil or student"), "Học sinh, sinh viên",
           aliases=("hssv", "hoc sinh sinh vien"), example="no", example_vi="không"),
    Column("insured_elsewhere", gettext_lazy("insured by another scheme"), "Có BHYT khác",
           aliases=("bhyt khac", "co the bhyt khac"), example="no", example_vi="không"),
    Column("social_pension_since", gettext_lazy("social pension since (year)"),
           "Năm hưởng trợ cấp xã hội hằng tháng",
           aliases=("tro cap xa hoi hang thang", "nam huong tro cap xa hoi", "social pension"), example=""),
], name=gettext_lazy("households with members"))

_MEMBER_FIELDS = ["household", "full_name", "search_key", "date_of_birth", "sex", "ethnicity", "relation",
                  "citizen_id", "si_number", "phone", "student", "insured_elsewhere", "social_pension_since",
                  "updated_at"]
_HOUSEHOLD_FIELDS = ["commune", "village", "address", "economic_status", "status_year", "average_standard_year",
                     "updated_at"]


@dataclass
class ImportReport:
    file_name: str
    dry_run: bool = False
    rows: int = 0
    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {
        "households": {"new": 0, "updated": 0, "unchanged": 0},
        "members": {"new": 0, "updated": 0, "unchanged": 0},
        "villages": {"new": 0},
    })
    imported: bool = False
    # What the check's plan was made from (_HouseholdImport.registry_state): a confirmation made
    # after the registry changed under it is refused.
    registry_state: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        households, members = self.counts["households"], self.counts["members"]
        return _("households: %(h_new)s new, %(h_updated)s updated, %(h_unchanged)s unchanged; members: "
                 "%(m_new)s new, %(m_updated)s updated, %(m_unchanged)s unchanged; villages: %(v_new)s new") % {
            "h_new": households["new"], "h_updated": households["updated"], "h_unchanged": households["unchanged"],
            "m_new": members["new"], "m_updated": members["updated"], "m_unchanged": members["unchanged"],
            "v_new": self.counts["villages"]["new"]}

    def as_dict(self) -> dict:
        return {"file_name": self.file_name, "dry_run": self.dry_run, "rows": self.rows,
                "problems": [p.as_dict() for p in self.problems],
                "warnings": [p.as_dict() for p in self.warnings],
                "counts": self.counts, "imported": self.imported, "registry_state": self.registry_state}

    @classmethod
    def from_dict(cls, data: dict) -> "ImportReport":
        return cls(file_name=data["file_name"], dry_run=data["dry_run"], rows=data["rows"],
                   problems=[Problem(**p) for p in data["problems"]],
                   warnings=[Problem(**p) for p in data["warnings"]],
                   counts=data["counts"], imported=data["imported"],
                   registry_state=data.get("registry_state", ""))


@dataclass(slots=True)
class _Row:
    number: int
    values: dict
    ok: bool = True
    household_code: str = ""
    commune_code: int | None = None
    village: str = ""
    address: str = ""
    is_head: bool | None = None  # None: the cell could not be read
    full_name: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    ethnicity: str | None = None
    economic_status: str | None = None  # None (and the years and flags below): leave the registry's
    status_year: int | None = None
    average_standard_year: int | None = None
    student: bool | None = None
    insured_elsewhere: bool | None = None
    social_pension_since: int | None = None
    citizen_id: str | None = None
    si_number: str | None = None
    phone: str | None = None
    member: Member | None = None


def import_households(*, content: bytes, file_name: str, user=None, dry_run: bool = False,
                      progress=None, checked_against: str | None = None) -> ImportReport:
    """Check a households-with-members file and, unless `dry_run` or a row is
    bad, import it in one transaction. Returns the report either way.

    `checked_against`: the `registry_state` of the check the user confirmed;
    if the registry's rows that the file names have changed since, nothing is
    imported and the user is asked to check the file again."""
    report = ImportReport(file_name=file_name, dry_run=dry_run)
    try:
        with _cyclic_gc_paused():
            table = HOUSEHOLD_SPEC.read(content)
            run = _HouseholdImport(report, progress or (lambda percent: None))
            run.read(table)
            # A confirmation compares the registry with what was checked and writes in one transaction,
            # the rows it compares locked first: nothing changes them between the comparison and the write.
            confirming = checked_against is not None and not dry_run
            with transaction.atomic() if confirming else nullcontext():
                run.match_registry(lock=confirming)
                if report.ok and (dry_run or checked_against is not None):
                    report.registry_state = run.registry_state()
                    if checked_against is not None and report.registry_state != checked_against:
                        report.problems.append(Problem(_(
                            "The registry changed since this file was checked: households or members it names "
                            "were added or changed in the meantime, so nothing was imported. Upload the file "
                            "again to check it against the registry as it is now.")))
                if report.ok:
                    run.plan()
                if report.ok and not dry_run:
                    run.write(user=user, reason=_("import of %(file)s") % {"file": file_name})
    except FileProblem as problem:
        report.problems = problem.problems + report.problems
    report.problems.sort(key=lambda problem: problem.row or 0)
    return report


@contextmanager
def _cyclic_gc_paused():
    """A large import makes hundreds of thousands of objects and no cycles to
    collect: the cyclic collector, run over and over on them, would cost a
    third of the time. Memory is still freed as usual when objects go."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _HouseholdImport:
    """One run of the pipeline: read and check the rows, match them with the
    registry, plan the changes, write them. Problems go to the report."""

    def __init__(self, report: ImportReport, progress):
        self.report = report
        self.progress = progress
        self.rows: list[_Row] = []
        self.fields = {name: Member._meta.get_field(name) for name in ("citizen_id", "si_number", "phone")}

    def problem(self, row: _Row, key: str, message, value=None):
        text = cell_text(row.values.get(key)) if value is None else value
        self.report.problems.append(Problem(str(message), row=row.number, column=HOUSEHOLD_SPEC.label(key),
                                            value=text))
        row.ok = False

    # --- reading and checking each row on its own -------------------------------------

    def read(self, table: Table):
        self.communes = dict(Commune.objects.values_list("code", "name"))
        self.cleaners = self.make_cleaners()
        estimate = max(table.sheet.estimated_rows, 1)
        for number, record in table.records():
            self.rows.append(self.parse(number, record))
            if len(self.rows) % 5_000 == 0:
                self.progress(min(60, 60 * len(self.rows) // estimate))
        self.report.problems[:0] = table.problems
        self.report.rows = len(self.rows)
        if not self.rows:
            raise FileProblem(_("The file has column headers but no rows to import."))
        self.check_within_file()
        self.progress(60)

    def parse(self, number: int, record: dict) -> _Row:
        row = _Row(number, record)
        for column, clean in self.cleaners:
            value = record.get(column.key)
            text = cell_text(value)
            if not text:
                if column.blank_means_no:
                    setattr(row, column.key, False)
                elif column.required:
                    self.problem(row, column.key, EXPECTED["required"], value="")
                continue
            if text[0] in "=+-@" and (message := formula_problem(text, free_text=column.free_text)):
                self.problem(row, column.key, message)
                continue
            try:
                setattr(row, column.key, clean(value))
            except Invalid as error:
                self.problem(row, column.key, error)
        if row.ok and row.citizen_id:
            for warning in validators.citizen_id_warnings(row.citizen_id, row.date_of_birth, row.sex):
                self.report.warnings.append(Problem(str(warning), row=number))
        return row

    def make_cleaners(self):
        fields, today = self.fields, timezone.localdate()

        def commune_code(value):
            text = cell_text(value)
            if not text.isdigit():
                raise Invalid(_("must be the official code of a commune, a number such as 24259"))
            if int(text) not in self.communes:
                raise Invalid(_("is not the official code of any commune in the registry"))
            return int(text)

        def date_of_birth(value):
            born = parse_date(value)
            if born.year < 1900 or born > today:
                try:
                    validators.validate_birth_date(born)  # the model's rule
                except ValidationError as error:
                    raise Invalid(expected(error)) from None
            return born

        cleaners = {
            "household_code": lambda v: clean_text(v, Household._meta.get_field("code").max_length),
            "commune_code": commune_code,
            "village": lambda v: clean_text(v, Village._meta.get_field("name").max_length),
            "address": lambda v: clean_text(v, Household._meta.get_field("address").max_length),
            "is_head": parse_yes_no,
            "full_name": lambda v: clean_text(v, Member._meta.get_field("full_name").max_length),
            "date_of_birth": date_of_birth,
            "sex": parse_sex,
            "ethnicity": parse_ethnicity,
            "citizen_id": lambda v: clean_identifier(fields["citizen_id"], validators.validate_citizen_id, v),
            "si_number": lambda v: clean_identifier(fields["si_number"], validators.validate_si_number, v),
            "phone": lambda v: clean_identifier(fields["phone"], validators.validate_mobile, v),
            "economic_status": parse_status,
            "status_year": parse_year,
            "average_standard_year": parse_year,
            "student": parse_yes_no,
            "insured_elsewhere": parse_yes_no,
            "social_pension_since": parse_year,
        }
        return [(column, cleaners[column.key]) for column in HOUSEHOLD_SPEC.columns]

    # --- checks across the rows of the file ------------------------------------------

    def check_within_file(self):
        seen = {key: {} for key in ("citizen_id", "si_number", "phone")}
        people = {}
        self.households = defaultdict(list)
        for row in self.rows:
            if row.household_code:
                self.households[row.household_code].append(row)
            for key, first in seen.items():
                value = getattr(row, key)
                if value is None:
                    continue
                if value in first:
                    self.problem(row, key, _("is also on row %(row)s of this file") % {"row": first[value]})
                    setattr(row, key, None)  # reported once: not matched against the registry as well
                else:
                    first[value] = row.number
            if row.ok and not row.citizen_id and not row.si_number:
                person = (row.household_code, search_key(row.full_name), row.date_of_birth)
                if person in people:
                    self.problem(row, "full_name", _("is the same person (name and date of birth) as row %(row)s "
                                                     "of this household") % {"row": people[person]})
                else:
                    people[person] = row.number
        for code, rows in self.households.items():
            self.check_household_values(rows)
            heads = [row for row in rows if row.is_head]
            for extra in heads[1:]:
                self.problem(extra, "is_head", _("household “%(code)s” already has its head on row %(row)s: mark "
                                                 "only one row “yes”") % {"code": code, "row": heads[0].number})

    def check_household_values(self, rows):
        """Household columns repeat on each member's row: they must agree, and
        an empty cell takes the value of the household's other rows."""
        same = lambda v: v  # noqa: E731
        for key, compare in (("commune_code", same), ("village", search_key), ("address", same),
                             ("economic_status", same), ("status_year", same), ("average_standard_year", same)):
            first = next((row for row in rows if getattr(row, key)), None)
            for row in rows:
                value = getattr(row, key)
                if first is None or row is first:
                    continue
                if not value:
                    setattr(row, key, getattr(first, key))
                elif value != getattr(first, key) and compare(value) != compare(getattr(first, key)):
                    self.problem(row, key, _("differs from row %(row)s of the same household (“%(value)s”)")
                                 % {"row": first.number, "value": cell_text(first.values.get(key))})
        first = rows[0]
        if first.economic_status in ("poor", "near_poor") and not first.status_year:
            self.problem(first, "status_year", _("a poor or near-poor status needs the year it was certified"))

    # --- natural keys against the registry --------------------------------------------

    def match_registry(self, *, lock: bool = False):
        """`lock`: the rows read are locked (SELECT … FOR UPDATE) until the
        transaction ends: the file's households, their members, and members elsewhere with
        one of the file's IDs. Rows added meanwhile meet the database's unique constraints."""
        households, members = Household.objects.all(), Member.objects.all()
        elsewhere_members = Member.objects.select_related("household")
        if lock:
            households, members = households.select_for_update(), members.select_for_update()
            elsewhere_members = elsewhere_members.select_for_update(of=("self",))
        self.existing = {h.code: h for h in where_in(households, "code", self.households)}
        self.code_of = {h.pk: h.code for h in self.existing.values()}
        self.members_of = defaultdict(list)
        for member in where_in(members, "household_id", self.code_of):
            self.members_of[member.household_id].append(member)
        for found in self.members_of.values():  # in id order, whatever order the database gave them in, so
            found.sort(key=lambda member: member.pk)  # that the check's digest and the confirmation's agree
        self.progress(65)
        # Each ID of the file, found among the members of the file's households
        # first, then (one query per kind of ID) anywhere else in the registry.
        by = {key: {} for key in ("citizen_id", "si_number", "phone")}
        for key, index in by.items():
            for members in self.members_of.values():
                index.update((getattr(m, key), m) for m in members if getattr(m, key))
            elsewhere = {getattr(row, key) for row in self.rows if getattr(row, key)} - index.keys()
            for member in where_in(elsewhere_members, key, elsewhere):
                index[getattr(member, key)] = member
        self.progress(70)

        claimed = {}
        for row in self.rows:
            member = self.match(row, by, claimed)
            if member is not None:
                if member.pk in claimed:
                    self.problem(row, "full_name", _("is the same person as row %(row)s of this file")
                                 % {"row": claimed[member.pk].number})
                else:
                    claimed[member.pk] = row
                    row.member = member
        for code, rows in self.households.items():
            self.check_head(code, rows, claimed)

    def match(self, row: _Row, by: dict, claimed) -> Member | None:
        by_citizen_id = by["citizen_id"].get(row.citizen_id)
        by_si_number = by["si_number"].get(row.si_number)
        if by_si_number is not None and (
                (by_citizen_id is not None and by_citizen_id.pk != by_si_number.pk)
                or (by_citizen_id is None and row.citizen_id and by_si_number.citizen_id)):
            self.problem(row, "si_number", self.belongs_to(by_si_number))
            return None
        member = by_citizen_id or by_si_number
        household = self.existing.get(row.household_code)
        if member is None and household is not None:
            # Someone registered without IDs: the same name and birth date in the same household.
            key = search_key(row.full_name)
            for candidate in self.members_of.get(household.pk, []):
                if (candidate.search_key == key and candidate.date_of_birth == row.date_of_birth
                        and candidate.citizen_id in (None, row.citizen_id)
                        and candidate.si_number in (None, row.si_number) and candidate.pk not in claimed):
                    member = candidate
                    break
        owner = by["phone"].get(row.phone)
        if owner is not None and (member is None or owner.pk != member.pk):
            self.problem(row, "phone", self.belongs_to(owner))
        return member

    def registry_state(self) -> str:
        """A digest of what the plan is made from: the file's households and
        their members as the registry holds them, and the member each row
        matched (by ID, or by name and birth date). Taken before plan() changes
        the matched objects."""
        digest = hashlib.sha256()
        for code in sorted(self.existing):
            household = self.existing[code]
            digest.update(repr(_household_state(household)).encode())
        for household_id in sorted(self.members_of):
            for member in self.members_of[household_id]:
                digest.update(repr(_member_state(member)).encode())
        for row in self.rows:
            digest.update(repr((row.number, _member_state(row.member) if row.member else None)).encode())
        return digest.hexdigest()

    def belongs_to(self, member: Member) -> str:
        code = self.code_of.get(member.household_id) or member.household.code
        return _("belongs to another person in the registry: %(name)s, household %(code)s") % {
            "name": member.full_name, "code": code}

    def check_head(self, code: str, rows: list[_Row], claimed: dict):
        """After the import each household of the file has exactly one head
        (two heads in the file were reported already)."""
        if any(row.is_head is None for row in rows):
            return
        marked = any(row.is_head for row in rows)
        household = self.existing.get(code)
        current = next((m for m in self.members_of.get(household.pk, []) if m.relation == Member.Relation.HEAD),
                       None) if household else None
        # The registry's head stays head when the file does not mention them.
        kept = current if current is not None and current.pk not in claimed else None
        if not marked and kept is None:
            self.problem(rows[0], "is_head", _("household “%(code)s” (%(rows)s) has no head: mark one of its "
                                               "rows “yes”") % {"code": code, "rows": _row_list(rows)})
        elif marked and kept is not None:
            head_row = next(row for row in rows if row.is_head)
            self.problem(head_row, "is_head", _("household “%(code)s” already has a head in the registry, %(name)s, "
                                                "who is not in this file: add their row with “no”, or change the "
                                                "head in the admin") % {"code": code, "name": kept.full_name})

    # --- what will change --------------------------------------------------------------

    def plan(self):
        if not self.report.ok:
            return
        counts = self.report.counts
        villages = {(v.commune_id, search_key(v.name)): v for v in Village.objects.filter(
            commune_id__in={row.commune_code for row in self.rows})}
        self.new_villages, self.new_village_of = [], {}
        self.new_households, self.changed_households = [], []
        self.household_of = {}
        for code, rows in self.households.items():
            first = rows[0]
            village = None
            if first.village:
                key = (first.commune_code, search_key(first.village))
                village = villages.get(key)
                if village is None:
                    village = villages[key] = Village(commune_id=first.commune_code, name=first.village,
                                                      kind=_village_kind(first.village))
                    self.new_villages.append(village)
                if village.pk is None:
                    self.new_village_of[code] = village
            household = self.existing.get(code)
            if household is None:
                household = Household(code=code, commune_id=first.commune_code, village=village,
                                      address=first.address, economic_status=first.economic_status or "other",
                                      status_year=first.status_year if first.economic_status != "other" else None,
                                      average_standard_year=first.average_standard_year)
                self.new_households.append(household)
            elif self.update_household(household, first, village):
                self.changed_households.append(household)
            else:
                counts["households"]["unchanged"] += 1
            self.household_of[code] = household
        counts["villages"]["new"] = len(self.new_villages)
        counts["households"]["new"] = len(self.new_households)
        counts["households"]["updated"] = len(self.changed_households)

        self.new_members, self.changed_members = [], []
        for row in self.rows:
            household = self.household_of[row.household_code]
            if row.member is None:
                self.new_members.append(Member(
                    household=household, full_name=row.full_name, date_of_birth=row.date_of_birth, sex=row.sex,
                    ethnicity=row.ethnicity or KINH, citizen_id=row.citizen_id, si_number=row.si_number,
                    phone=row.phone, relation=Member.Relation.HEAD if row.is_head else Member.Relation.OTHER,
                    student=bool(row.student), insured_elsewhere=bool(row.insured_elsewhere),
                    social_pension_since=row.social_pension_since))
            elif self.update_member(row.member, row, household):
                self.changed_members.append(row.member)
            else:
                counts["members"]["unchanged"] += 1
        counts["members"]["new"] = len(self.new_members)
        counts["members"]["updated"] = len(self.changed_members)

    @staticmethod
    def update_household(household: Household, row: _Row, village) -> bool:
        evidence = ("economic_status", "status_year", "average_standard_year")
        before = (household.commune_id, household.village_id, household.address,
                  *(getattr(household, name) for name in evidence))
        for name in evidence:
            if getattr(row, name) is not None:
                setattr(household, name, getattr(row, name))
        if row.economic_status == "other":
            household.status_year = None
        if household.commune_id != row.commune_code:
            household.commune_id = row.commune_code
            household.village = None  # the old village belongs to the old commune
        if village is not None:
            household.village = village
        if row.address:
            household.address = row.address
        # A new village has no id yet; it is a change all the same.
        return (household.commune_id, household.village_id, household.address,
                *(getattr(household, name) for name in evidence)) != before or (
            village is not None and village.pk is None)

    @staticmethod
    def update_member(member: Member, row: _Row, household: Household) -> bool:
        fields = ("household_id", "full_name", "date_of_birth", "sex", "ethnicity", "relation", "citizen_id",
                  "si_number", "phone", "student", "insured_elsewhere", "social_pension_since")
        before = tuple(getattr(member, name) for name in fields)
        moved = household.pk is None or household.pk != member.household_id
        member.household = household
        member.full_name, member.date_of_birth, member.sex = row.full_name, row.date_of_birth, row.sex
        # An empty cell leaves what the registry holds.
        for name in ("ethnicity", "citizen_id", "si_number", "phone"):
            if getattr(row, name):
                setattr(member, name, getattr(row, name))
        for name in ("student", "insured_elsewhere", "social_pension_since"):
            if getattr(row, name) is not None:
                setattr(member, name, getattr(row, name))
        if row.is_head:
            member.relation = Member.Relation.HEAD
        elif member.relation == Member.Relation.HEAD:
            member.relation = Member.Relation.OTHER
        return moved or tuple(getattr(member, name) for name in fields) != before

    # --- writing -----------------------------------------------------------------------

    def write(self, *, user, reason: str):
        self.progress(75)
        audit = {"user": user, "reason": reason[:100], "when": timezone.now()}
        try:
            with transaction.atomic():
                Village.objects.bulk_create(self.new_villages, batch_size=BATCH_SIZE)
                for code, village in self.new_village_of.items():
                    self.household_of[code].village = village  # now with its id
                for household in self.changed_households:
                    household.updated_at = audit["when"]
                insert(Household, self.new_households)
                Household.objects.bulk_update(self.changed_households, _HOUSEHOLD_FIELDS, batch_size=BATCH_SIZE)
                record_history(Household, self.new_households, kind="+", **audit)
                record_history(Household, self.changed_households, kind="~", **audit)
                self.progress(80)
                for member in self.new_members:
                    member.household = member.household  # now with the id of a household just created
                for member in self.changed_members:
                    member.household = member.household
                    member.updated_at = audit["when"]
                    member.fill_derived_fields()
                # New heads after the others, so that no statement meets two heads of one household.
                for heads in (False, True):
                    Member.objects.bulk_update(
                        [m for m in self.changed_members if (m.relation == Member.Relation.HEAD) is heads],
                        _MEMBER_FIELDS, batch_size=BATCH_SIZE)
                self.progress(85)
                for member in self.new_members:
                    member.fill_derived_fields()  # the search key, as save() and bulk_create() set it
                insert(Member, self.new_members)
                record_history(Member, self.changed_members, kind="~", **audit)
                record_history(Member, self.new_members, kind="+", **audit)
        except IntegrityError as error:
            logger.warning("Import of %s stopped by the database: %s", self.report.file_name, error)
            self.report.problems.append(Problem(
                _("The registry changed while the file was being imported, so nothing was imported (%(error)s). "
                  "Import the file again.") % {"error": error}))
            return
        self.report.imported = True
        self.progress(100)


def _state(obj, fields) -> tuple:
    """What an import reads and writes of a row (every field it imports, the
    support groups' evidence included), to tell whether it changed since the check."""
    return (obj.pk, *(getattr(obj, obj._meta.get_field(name).attname) for name in fields
                      if name not in ("search_key", "updated_at")))


def _household_state(household: Household) -> tuple:
    return (household.code, *_state(household, _HOUSEHOLD_FIELDS))


def _member_state(member: Member) -> tuple:
    return _state(member, _MEMBER_FIELDS)


def record_history(model, objects, *, kind: str, user, reason: str, when):
    """django-simple-history rows for rows just written, copied by the database
    from what it stored: one INSERT … SELECT per chunk rather than a Python
    object per row, so the audit costs little even for 100,000 rows."""
    if not objects or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = ", ".join(quote(field.column) for field in history.tracked_fields)
    copy = (f"INSERT INTO {quote(history._meta.db_table)} ({tracked}, history_date, history_change_reason, "
            f"history_type, history_user_id) SELECT {tracked}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} ")
    params = [connection.ops.adapt_datetimefield_value(when), reason, kind, user.pk if user else None]
    pks = [obj.pk for obj in objects]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(copy + "= ANY(%s)", [*params, pks])
        else:
            for chunk in _chunks(pks):
                cursor.execute(copy + f"IN ({', '.join(['%s'] * len(chunk))})", params + chunk)


def where_in(queryset, field: str, values):
    """The rows whose `field` is one of `values`. On PostgreSQL one `= ANY(array)`:
    sending 100,000 values as IN lists costs seconds; elsewhere IN lists in chunks."""
    values = list(values)
    if not values:
        return
    if connection.vendor == "postgresql":
        model = queryset.model
        column = f"{connection.ops.quote_name(model._meta.db_table)}.{model._meta.get_field(field).column}"
        yield from queryset.filter(RawSQL(f"{column} = ANY(%s)", [values], output_field=BooleanField()))
    else:
        for chunk in _chunks(values):
            yield from queryset.filter(**{f"{field}__in": chunk})


def insert(model, objects):
    """INSERT new rows. On PostgreSQL: ids taken from the sequence, then one
    COPY, several times faster than bulk_create for 100,000 rows (values are
    already checked and normalised, and the database's constraints still
    apply); elsewhere bulk_create."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
        return
    meta, quote, now = model._meta, connection.ops.quote_name, timezone.now()
    fields = meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(objects)])
        stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        for obj, (pk,) in zip(objects, cursor.fetchall()):
            obj.pk = pk
            for attname in stamped:
                setattr(obj, attname, now)
        columns = ", ".join(quote(f.column) for f in fields)
        attnames = [f.attname for f in fields]
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as stream:
            for obj in objects:
                stream.write_row([getattr(obj, attname) for attname in attnames])
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def _village_kind(name: str) -> str:
    key = search_key(name)
    for prefix, kind in (("buon", Village.Kind.BUON), ("bon", Village.Kind.BON),
                         ("to dan pho", Village.Kind.TO_DAN_PHO), ("tdp", Village.Kind.TO_DAN_PHO)):
        if key.startswith(prefix):
            return kind
    return Village.Kind.THON


def _row_list(rows) -> str:
    """"row 5", "rows 2, 3, 4" or "rows 2–40"."""
    numbers = [row.number for row in rows]
    listed = ", ".join(map(str, numbers)) if len(numbers) <= 5 else f"{numbers[0]}–{numbers[-1]}"
    return ngettext("row %(rows)s", "rows %(rows)s", len(numbers)) % {"rows": listed}


def _chunks(values, size=LOOKUP_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- Import jobs: the admin's way in, inline or on a worker ---------------------------


def estimate_rows(content: bytes) -> int:
    """Rows of the file, roughly, without reading its cells (a workbook's come
    from measuring it, all its sheets together: a check may read them all):
    this runs in the web request."""
    try:
        if content.startswith(b"PK\x03\x04"):
            return workbook.Measured(content).rows
        return max((sheet.estimated_rows for sheet in read_sheets(content)), default=0)
    except (FileProblem, workbook.TooLarge, workbook.Damaged):
        return 0  # checked inline, where the file is refused with its reason


def start_job(*, user, upload) -> ImportJob:
    """Keep the uploaded file and check it: here for a small file, on a worker
    for a large one."""
    content = upload.read()
    job = ImportJob.objects.create(user=user, file_name=upload.name[:255], language=translation.get_language(),
                                   total_rows=estimate_rows(content))
    job.file.save(upload.name, ContentFile(content))
    _dispatch(job, confirm=False)
    return job


def confirm_job(*, job: ImportJob) -> ImportJob:
    """The user saw the counts and confirmed: import the file."""
    updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
        status=ImportJob.Status.IMPORT_QUEUED, progress=0)
    if updated:
        _dispatch(job, confirm=True)
    job.refresh_from_db()
    return job


def expire_unconfirmed_jobs(*, now=None) -> int:
    """Checked files left unconfirmed for IMPORT_CONFIRM_DAYS are deleted (they
    hold personal data) and can no longer be confirmed. Returns how many."""
    now = now or timezone.now()
    stale = ImportJob.objects.filter(status=ImportJob.Status.READY,
                                     created_at__lt=now - timedelta(days=settings.IMPORT_CONFIRM_DAYS))
    expired = 0
    for job in stale:
        # Conditional, as confirm_job is: of a confirmation and the expiry at the same moment, one wins.
        if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READY).update(
                status=ImportJob.Status.EXPIRED, finished_at=now):
            job.file.delete(save=False)
            ImportJob.objects.filter(pk=job.pk).update(file="")
            expired += 1
    return expired


def _dispatch(job: ImportJob, *, confirm: bool):
    if (job.total_rows or 0) > settings.HOUSEHOLD_IMPORT_ASYNC_ROWS:
        from .tasks import run_import_job  # here: the tasks module imports this one

        transaction.on_commit(lambda: run_import_job.delay(job.pk, confirm))
    else:
        run_job(job.pk, confirm=confirm)


def run_job(job_id: int, *, confirm: bool) -> str:
    """Check (or, once confirmed, import) the job's file and keep the report.
    Safe to run twice: a job already past this step is left alone."""
    Status = ImportJob.Status
    waiting, running = (Status.IMPORT_QUEUED, Status.IMPORTING) if confirm else (Status.QUEUED, Status.CHECKING)
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    if job.status not in (waiting, running):
        return job.status
    ImportJob.objects.filter(pk=job.pk).update(status=running)
    last = [-1]

    def progress(percent):
        if percent != last[0]:
            last[0] = percent
            ImportJob.objects.filter(pk=job.pk).update(progress=percent)

    try:
        with translation.override(job.language):
            with job.file.open("rb") as stored:
                content = stored.read()
            report = import_households(content=content, file_name=job.file_name, user=job.user,
                                       dry_run=not confirm, progress=progress,
                                       checked_against=job.report.get("registry_state", "") if confirm else None)
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        with translation.override(job.language):
            failed = ImportReport(file_name=job.file_name, problems=[Problem(
                _("The import stopped on an unexpected error; nothing was imported. Tell the administrator."))])
        _finish(job, Status.FAILED, failed)
        return job.status
    if not report.ok:
        _finish(job, Status.REFUSED, report)
    elif confirm:
        _finish(job, Status.DONE, report)
    else:
        _finish(job, Status.READY, report)
    return job.status


def _finish(job: ImportJob, status: str, report: ImportReport):
    job.status, job.report, job.progress = status, report.as_dict(), 100
    job.total_rows = report.rows or job.total_rows
    if status != ImportJob.Status.READY:
        job.finished_at = timezone.now()
        # The file holds personal data: keep it no longer than the import needs it.
        job.file.delete(save=False)
    job.save()
