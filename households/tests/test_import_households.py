"""The households-with-members import: every bad row named exactly, and all or nothing."""

import io
from datetime import date, datetime
from io import StringIO

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from collectors.tests.factories import UserFactory
from households.imports import import_households
from households.models import Household, Member, Village
from households.tests.factories import CommuneFactory, HouseholdFactory, MemberFactory, VillageFactory
from households.tests.files import (
    GROUP_HEADERS,
    HEADERS,
    VIETNAMESE_HEADERS,
    csv_file,
    family,
    member,
    xlsx_file,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def communes():
    CommuneFactory(code=24259, name="Xã Quảng Phú")
    CommuneFactory(code=24580, name="Xã Liên Sơn Lắk")


def run(content, **kwargs):
    return import_households(content=content, file_name="danh-sach.csv", **kwargs)


def problems(content, **kwargs):
    report = run(content, **kwargs)
    assert not report.imported
    return [str(problem) for problem in report.problems]


def registry():
    """Everything an import may touch, to show that a refused file changed nothing."""
    return (
        list(Household.objects.values_list("code", "commune_id", "village_id", "address").order_by("code")),
        list(Member.objects.values_list("household__code", "full_name", "relation", "citizen_id", "si_number",
                                        "phone").order_by("pk")),
        Village.objects.count(), Member.history.count(), Household.history.count(),
    )


@pytest.fixture
def unchanged():
    """Asserts, after the test, that the registry is as it was before it."""
    existing = HouseholdFactory(code="H9", commune_id=24259)
    MemberFactory(household=existing, full_name="Lê Văn Tám", relation=Member.Relation.HEAD,
                  citizen_id="066080000009", si_number="6609999999", phone="0911111111")
    before = registry()
    yield
    assert registry() == before


# --- good files ---------------------------------------------------------------------------


def test_a_good_file_imports_households_members_and_villages_with_their_audit_history():
    staff = UserFactory(username="staff")
    content = csv_file([
        *family(),
        member(household_code="H2", village="buôn kô", address="", full_name="H'Hen Ksor", sex="Nữ",
               ethnicity="Ê Đê", date_of_birth="1/2/1990", citizen_id="066 190 012 345", si_number="",
               phone="+84 912 345 679"),
    ])
    report = run(content, user=staff)
    assert report.imported and report.problems == []
    assert report.summary() == ("households: 2 new, 0 updated, 0 unchanged; members: 4 new, 0 updated, 0 unchanged; "
                                "villages: 2 new")
    h2 = Household.objects.get(code="H2")
    assert (h2.commune_id, h2.village.name, h2.village.kind, h2.address) == (24259, "buôn kô", "buon", "")
    hen = Member.objects.get(full_name="H'Hen Ksor")
    assert (hen.sex, hen.ethnicity, hen.date_of_birth, hen.relation) == ("F", "12", date(1990, 2, 1), "head")
    assert (hen.citizen_id, hen.si_number, hen.phone, hen.search_key) == (
        "066190012345", None, "0912345679", "hhen ksor")
    assert list(Member.objects.filter(household__code="H1").values_list("full_name", "relation")) == [
        ("Nguyễn Văn An", "head"), ("Trần Thị Bình", "other"), ("Nguyễn Văn Cường", "other")]
    history = Member.history.filter(full_name="H'Hen Ksor").get()
    assert (history.history_type, history.history_user, history.history_change_reason) == (
        "+", staff, "import of danh-sach.csv")
    assert Household.history.filter(code="H1", history_type="+", history_user=staff).count() == 1


def test_importing_the_same_file_again_changes_nothing():
    run(csv_file(family()))
    history = Member.history.count()
    report = run(csv_file(family()))
    assert report.summary() == ("households: 0 new, 0 updated, 1 unchanged; members: 0 new, 0 updated, 3 unchanged; "
                                "villages: 0 new")
    assert (Member.objects.count(), Member.history.count()) == (3, history)


def test_a_reimport_updates_people_matched_on_their_ids_and_keeps_what_empty_cells_leave_out():
    run(csv_file(family()))
    staff = UserFactory(username="staff")
    rows = family()
    rows[0]["full_name"] = "Nguyễn Văn Ân"  # a corrected name: matched on the citizen ID
    rows[1].update(citizen_id="", phone="")  # empty cells keep what the registry holds
    rows[2].update(citizen_id="066215012345", date_of_birth="10/10/2015")  # matched on name and birth date
    report = run(csv_file(rows), user=staff)
    assert report.counts["members"] == {"new": 0, "updated": 2, "unchanged": 1}
    an = Member.objects.get(citizen_id="066085012345")
    assert (an.full_name, an.search_key) == ("Nguyễn Văn Ân", "nguyen van an")
    assert Member.objects.get(si_number="6601234568").phone == "0987654321"
    assert Member.objects.get(full_name="Nguyễn Văn Cường").citizen_id == "066215012345"
    latest, before = an.history.all()[:2]
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~", staff, "import of danh-sach.csv")
    assert [(c.field, c.old, c.new) for c in latest.diff_against(before).changes] == [
        ("full_name", "Nguyễn Văn An", "Nguyễn Văn Ân")]


def test_the_head_may_change_and_a_person_may_move_to_another_household():
    run(csv_file(family()))
    rows = family()
    rows[0]["is_head"], rows[2]["is_head"] = "no", "yes"  # the son takes over
    rows[1].update(household_code="H2", is_head="yes", village="Thôn 2")  # his mother founds her own household
    report = run(csv_file(rows))
    assert report.problems == [] and report.counts["households"] == {"new": 1, "updated": 0, "unchanged": 1}
    assert report.counts["members"] == {"new": 0, "updated": 3, "unchanged": 0}
    assert sorted(Member.objects.values_list("household__code", "full_name", "relation")) == [
        ("H1", "Nguyễn Văn An", "other"), ("H1", "Nguyễn Văn Cường", "head"), ("H2", "Trần Thị Bình", "head")]


def test_vietnamese_headers_and_values_and_excel_semicolons_are_read():
    rows = [[r["household_code"], r["commune_code"], r["village"], r["address"], "Có" if r["is_head"] == "yes" else
             "không", r["full_name"], r["date_of_birth"], "Nam" if r["sex"] == "M" else "Nữ", "Kinh",
             r["citizen_id"], r["si_number"], r["phone"]] for r in family()]
    content = csv_file(rows, ["STT", *VIETNAMESE_HEADERS][1:], delimiter=";", encoding="utf-8")
    report = run(content)
    assert report.imported, [str(p) for p in report.problems]
    assert Member.objects.get(full_name="Trần Thị Bình").sex == "F"


def test_an_xlsx_list_after_a_sheet_of_instructions_with_date_and_number_cells():
    rows = [[r[key] for key in HEADERS] for r in family()]
    rows[0][1], rows[0][6] = 24259, datetime(1985, 5, 17)
    content = xlsx_file(rows, before=[("Hướng dẫn", [["Điền danh sách ở trang sau."]])])
    report = run(content)
    assert report.imported, [str(p) for p in report.problems]
    assert Member.objects.get(citizen_id="066085012345").date_of_birth == date(1985, 5, 17)


def test_empty_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers(unchanged):
    rows = family()
    content = csv_file([rows[0], [""] * 12, [], rows[1],
                        member(household_code="H2", citizen_id="0660850123", si_number="", phone="")])
    assert problems(content) == ["row 6, citizen ID “0660850123”: must be exactly 12 digits"]


def test_a_serial_number_column_is_ignored():
    content = csv_file([["1", *[member()[key] for key in HEADERS]]], ["STT", *HEADERS])
    assert run(content).imported


def test_citizen_id_contradicting_the_birth_year_is_a_warning_not_an_error():
    report = run(csv_file([member(citizen_id="066090012345")]))
    assert report.imported
    assert [str(w) for w in report.warnings] == [
        "row 2: Citizen ID 066090012345 says born in 1990, but the record says born in 1985: check both."]


# --- bad rows: each with its exact message, and nothing imported ------------------------------


@pytest.mark.parametrize("column, value, message", [
    ("citizen_id", "06617244733", "row 2, citizen ID “06617244733”: must be exactly 12 digits"),
    ("citizen_id", "06608501234A", "row 2, citizen ID “06608501234A”: must be exactly 12 digits"),
    ("si_number", "660123456", "row 2, social-insurance number “660123456”: must be exactly 10 digits"),
    ("phone", "0123456789", "row 2, phone “0123456789”: must be a Vietnamese mobile number: 10 digits starting "
                            "03, 05, 07, 08 or 09 (or +84…)"),
    ("date_of_birth", "05/17/1985", "row 2, date of birth “05/17/1985”: is not a real date: dates are written day "
                                    "first, DD/MM/YYYY"),
    ("date_of_birth", "31/02/1985", "row 2, date of birth “31/02/1985”: is not a real date: dates are written day "
                                    "first, DD/MM/YYYY"),
    ("date_of_birth", "17/05/85", "row 2, date of birth “17/05/85”: is ambiguous: write the year with four digits, "
                                  "DD/MM/YYYY"),
    ("date_of_birth", "May 17, 1985", "row 2, date of birth “May 17, 1985”: must be a date written DD/MM/YYYY, "
                                      "such as 17/05/1985"),
    ("date_of_birth", "17/05/2999", "row 2, date of birth “17/05/2999”: is in the future"),
    ("date_of_birth", "31/12/1899", "row 2, date of birth “31/12/1899”: is before 1900: check the year"),
    ("date_of_birth", "01/01/0001", "row 2, date of birth “01/01/0001”: is before 1900: check the year"),
    ("date_of_birth", "", "row 2, date of birth: is required"),
    ("commune_code", "99999", "row 2, commune code “99999”: is not the official code of any commune in the "
                              "registry"),
    ("commune_code", "Quảng Phú", "row 2, commune code “Quảng Phú”: must be the official code of a commune, a "
                                  "number such as 24259"),
    ("sex", "X", "row 2, sex “X”: must be M or F (Nam or Nữ)"),
    ("is_head", "maybe", "row 2, head of household “maybe”: must be yes or no (có or không)"),
    ("ethnicity", "Martian", "row 2, ethnicity “Martian”: is not one of Vietnam’s 54 ethnic groups (such as Kinh, "
                             "Ê Đê, M'nông, Gia Rai) or their codes 01–54"),
    ("full_name", "=HYPERLINK(\"http://x\")", "row 2, full name “=HYPERLINK(\"http://x\")”: is a spreadsheet "
                                             "formula: type the value itself"),
    ("address", "@SUM(A1)", "row 2, address “@SUM(A1)”: must not begin with +, - or @, which spreadsheets run as a "
                            "formula"),
    ("full_name", "N" * 101, f"row 2, full name “{'N' * 101}”: must be at most 100 characters (it has 101)"),
])
def test_a_bad_value_is_named_by_row_column_and_value(unchanged, column, value, message):
    assert problems(csv_file([member(**{column: value})])) == [message]


@pytest.mark.parametrize("written", ["17/05/1985", "17.05.1985", "17-5-1985", "1985-05-17"])
def test_unambiguous_dates_are_read_day_first(written):
    run(csv_file([member(date_of_birth=written)]))
    assert Member.objects.get().date_of_birth == date(1985, 5, 17)


def test_a_phone_given_with_plus_84_is_not_taken_for_a_formula():
    assert run(csv_file([member(phone="+84 912 345 678")])).imported


def test_an_id_that_excel_turned_into_a_number_says_why(unchanged):
    content = xlsx_file([[member()[key] if key != "citizen_id" else 66085012345 for key in HEADERS]])
    assert problems(content) == [
        "row 2, citizen ID “66085012345”: must be exactly 12 digits (the cell is a number, so a leading 0 may have "
        "been lost: format the column as Text)"]


def test_a_household_without_a_head_is_refused(unchanged):
    rows = family()
    rows[0]["is_head"] = "no"
    assert problems(csv_file(rows)) == [
        "row 2, head of household “no”: household “H1” (rows 2, 3, 4) has no head: mark one of its rows “yes”"]


def test_a_household_with_two_heads_is_refused(unchanged):
    rows = family()
    rows[2]["is_head"] = "có"
    assert problems(csv_file(rows)) == [
        "row 4, head of household “có”: household “H1” already has its head on row 2: mark only one row “yes”"]


def test_a_new_head_for_a_household_whose_registry_head_is_not_in_the_file_is_refused(unchanged):
    assert problems(csv_file([member(household_code="H9")])) == [
        "row 2, head of household “yes”: household “H9” already has a head in the registry, Lê Văn Tám, who is not "
        "in this file: add their row with “no”, or change the head in the admin"]


def test_the_rows_of_a_household_must_agree_on_its_commune_and_village(unchanged):
    rows = family()
    rows[1]["commune_code"], rows[2]["village"] = "24580", "Thôn 2"
    assert problems(csv_file(rows)) == [
        "row 3, commune code “24580”: differs from row 2 of the same household (“24259”)",
        "row 4, village “Thôn 2”: differs from row 2 of the same household (“Thôn 1”)"]


def test_ids_twice_in_the_file_are_reported_on_the_later_row(unchanged):
    rows = family()
    rows[1].update(citizen_id="066085012345", phone="0912345678")
    rows[2].update(si_number="6601234567")
    assert problems(csv_file(rows)) == [
        "row 3, citizen ID “066085012345”: is also on row 2 of this file",
        "row 3, phone “0912345678”: is also on row 2 of this file",
        "row 4, social-insurance number “6601234567”: is also on row 2 of this file"]


def test_the_same_person_without_ids_twice_in_a_household_is_reported(unchanged):
    rows = family()
    rows.append(dict(rows[2]))
    assert problems(csv_file(rows)) == [
        "row 5, full name “Nguyễn Văn Cường”: is the same person (name and date of birth) as row 4 of this household"]


def test_ids_that_belong_to_another_person_in_the_registry_are_refused(unchanged):
    rows = family()
    rows[1]["si_number"] = "6609999999"  # Lê Văn Tám's, whose citizen ID differs
    rows[2]["phone"] = "0911111111"  # Lê Văn Tám's too
    assert problems(csv_file(rows)) == [
        "row 3, social-insurance number “6609999999”: belongs to another person in the registry: Lê Văn Tám, "
        "household H9",
        "row 4, phone “0911111111”: belongs to another person in the registry: Lê Văn Tám, household H9"]


def test_every_problem_of_the_file_is_reported_at_once_in_row_order(unchanged):
    rows = family()
    rows[0]["date_of_birth"] = "1985"
    rows[2].update(sex="?", commune_code="")
    assert problems(csv_file(rows)) == [
        "row 2, date of birth “1985”: must be a date written DD/MM/YYYY, such as 17/05/1985",
        "row 4, commune code: is required",
        "row 4, sex “?”: must be M or F (Nam or Nữ)"]


# --- bad files ---------------------------------------------------------------------------------


def test_an_unknown_column_is_refused_and_named_by_its_letter(unchanged):
    content = csv_file([[*member().values(), "đã gặp"]], [*HEADERS, "Ghi chú"])
    assert problems(content) == [
        "row 1, column M “Ghi chú”: is not a column of this list: remove the column or correct its header (the "
        "template shows the columns)"]


def test_values_under_no_header_are_refused(unchanged):
    first = list(member().values())
    second = list(member(household_code="H2", citizen_id="", si_number="", phone="").values())
    content = csv_file([[*first[:5], "", *first[5:], "", ""], [*second[:5], "?", *second[5:], "", "?"]],
                       [*HEADERS[:5], "", *HEADERS[5:]])
    assert problems(content) == [
        "row 1, column F: has values but no header (first on row 3): add the header or remove the column",
        "row 1, column O: has values but no header (first on row 3): add the header or remove the column"]


def test_a_column_given_twice_is_refused(unchanged):
    content = csv_file([[*member().values(), "066085012345"]], [*HEADERS, "Số CCCD"])
    assert problems(content) == ["row 1, column M “Số CCCD”: repeats column J"]


def test_a_file_without_the_required_columns_is_refused(unchanged):
    content = csv_file([["H1", "Nguyễn Văn An"]], ["household_code", "full_name"])
    assert problems(content) == [
        "The file lacks the columns commune_code (Mã xã), is_head (Chủ hộ), date_of_birth (Ngày sinh), sex (Giới "
        "tính). Row 1 must hold the column headers, in English or in Vietnamese, as in the template."]


def test_a_workbook_whose_sheets_are_another_list_is_refused(unchanged):
    content = xlsx_file([["GD4660123456789", "01/01/2026"]], ["card_number", "coverage_start"], title="Thẻ BHYT",
                        before=[("Hướng dẫn", [["Xem trang sau"]])])
    assert problems(content) == [
        "No sheet of this workbook has the columns of this list; sheet “Hướng dẫn” lacks household_code (Mã hộ), "
        "commune_code (Mã xã), is_head (Chủ hộ), full_name (Họ và tên), date_of_birth (Ngày sinh), sex (Giới tính). "
        "Row 1 must hold the column headers, in English or in Vietnamese, as in the template."]


def test_a_truncated_xlsx_is_refused(unchanged):
    content = xlsx_file(family())
    assert problems(content[: len(content) // 2]) == [
        "The file could not be read as an Excel workbook: it may be truncated or damaged. Save it again from Excel "
        "(as .xlsx or “CSV UTF-8”) and import again."]


def test_an_xlsx_with_a_damaged_sheet_is_refused(unchanged):
    import zipfile

    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_file(family()))) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item, data[: len(data) // 2] if item.filename.startswith("xl/worksheets/") else data)
    assert problems(damaged.getvalue()) == [
        "The file could not be read as an Excel workbook: it may be truncated or damaged. Save it again from Excel "
        "(as .xlsx or “CSV UTF-8”) and import again."]


def test_an_empty_file_is_refused(unchanged):
    assert problems(b"") == ["The file is empty."]


def test_a_file_with_headers_only_is_refused(unchanged):
    assert problems(csv_file([])) == ["The file has column headers but no rows to import."]


def test_a_csv_saved_in_windows_1258_or_cp1252_is_refused_with_how_to_save_it(unchanged):
    for content, row in ((csv_file(family(), encoding="windows-1258"), 2),
                         (csv_file([member(address="", village="", full_name="Nguyen Van An"),
                                    member(household_code="H2", village="", address="", full_name="José Ñandú")],
                                   encoding="cp1252"), 3)):
        assert problems(content) == [
            "The file is not in UTF-8: it looks like a Windows-1258 or CP1252 file (Excel’s plain “CSV”), first "
            f"unreadable character on row {row}. Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and import "
            "again."]


def test_an_old_excel_file_is_refused(unchanged):
    assert problems(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == [
        "This is an old Excel 97–2003 (.xls) file or a password-protected workbook: save it as an Excel workbook "
        "(.xlsx) or as “CSV UTF-8” and import again."]


def test_a_formula_in_an_xlsx_cell_is_refused_even_when_it_computes_a_good_value(unchanged):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file([member()])))
    book.active["F2"] = '=CONCATENATE("Nguyễn ", "Văn An")'
    buffer = io.BytesIO()
    book.save(buffer)
    assert problems(buffer.getvalue()) == [
        "row 2, full name “=CONCATENATE(\"Nguyễn \", \"Văn An\")”: is a spreadsheet formula: type the value itself"]


def test_a_dry_run_checks_and_counts_but_writes_nothing(unchanged):
    report = run(csv_file(family()), dry_run=True)
    assert report.ok and not report.imported
    assert report.counts["members"] == {"new": 3, "updated": 0, "unchanged": 0}


# --- the command ----------------------------------------------------------------------------


def test_the_command_imports_a_file_and_prints_the_counts(tmp_path):
    UserFactory(username="province")
    path = tmp_path / "danh-sach.csv"
    path.write_bytes(csv_file(family()))
    out = StringIO()
    call_command("import_households", str(path), "--user", "province", stdout=out)
    assert out.getvalue().splitlines() == [
        "danh-sach.csv: 3 rows.",
        "households: 1 new, 0 updated, 0 unchanged; members: 3 new, 0 updated, 0 unchanged; villages: 1 new",
        "Imported."]
    assert Member.history.filter(history_user__username="province").count() == 3


def test_the_command_dry_run_writes_nothing(tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx_file(family()))
    out = StringIO()
    call_command("import_households", str(path), "--dry-run", stdout=out)
    assert out.getvalue().splitlines()[-1] == "Dry run: nothing was written."
    assert not Member.objects.exists()


def test_the_command_fails_with_the_report_when_a_row_is_bad(tmp_path, unchanged):
    path = tmp_path / "danh-sach.csv"
    rows = family()
    rows[1]["citizen_id"] = "06617244733"
    path.write_bytes(csv_file(rows))
    err = StringIO()
    with pytest.raises(CommandError, match="^1 problem: nothing was imported.$") as failure:
        call_command("import_households", str(path), stderr=err)
    assert failure.value.returncode == 1
    assert err.getvalue().splitlines() == ["row 3, citizen ID “06617244733”: must be exactly 12 digits"]


def test_the_command_refuses_an_unknown_user(tmp_path):
    path = tmp_path / "danh-sach.csv"
    path.write_bytes(csv_file(family()))
    with pytest.raises(CommandError, match="^No user “nobody”.$"):
        call_command("import_households", str(path), "--user", "nobody")


def test_villages_are_matched_without_diacritics_or_case():
    village = VillageFactory(commune_id=24259, name="Buôn Kô")
    run(csv_file([member(village="buon ko")]))
    assert Household.objects.get(code="H1").village == village


# --- evidence of the state-supported groups ------------------------------------------------

def with_groups(rows):
    headers = [*HEADERS, *GROUP_HEADERS]
    return csv_file([[row.get(key, "") for key in headers] for row in rows], headers)


def test_the_groups_and_their_evidence_are_imported_and_empty_cells_keep_the_registrys():
    head, wife, son = family()
    head.update(economic_status="cận nghèo", status_year="2026", average_standard_year="2025", insured_elsewhere="có")
    son.update(student="có")
    assert run(with_groups([head, wife, son])).imported
    household = Household.objects.get(code="H1")
    assert (household.economic_status, household.status_year, household.average_standard_year) == (
        "near_poor", 2026, 2025)
    flags = dict(Member.objects.values_list("full_name", "student"))
    assert flags == {"Nguyễn Văn An": False, "Trần Thị Bình": False, "Nguyễn Văn Cường": True}
    assert Member.objects.get(full_name="Nguyễn Văn An").insured_elsewhere
    # The plain list again (no group columns): nothing of the evidence is lost.
    assert run(csv_file(family())).imported
    household.refresh_from_db()
    assert (household.economic_status, household.average_standard_year) == ("near_poor", 2025)
    assert Member.objects.get(full_name="Nguyễn Văn Cường").student


def test_the_social_pension_year_is_imported_and_an_empty_cell_keeps_the_registrys():
    head, wife, son = family()
    wife.update(social_pension_since="2024")
    assert run(with_groups([head, wife, son])).imported
    pensions = dict(Member.objects.values_list("full_name", "social_pension_since"))
    assert pensions == {"Nguyễn Văn An": None, "Trần Thị Bình": 2024, "Nguyễn Văn Cường": None}
    report = run(with_groups(family()))  # the column there, its cells empty
    assert report.imported and report.counts["members"]["updated"] == 0
    assert Member.objects.get(full_name="Trần Thị Bình").social_pension_since == 2024


@pytest.mark.parametrize("values, message", [
    ({"social_pension_since": "soon"}, "row 2, social pension since (year) “soon”: must be a year such as 2026"),
    ({"economic_status": "rich"}, "row 2, poverty status “rich”: must be poor, near-poor or no (nghèo, cận nghèo "
                                  "or không)"),
    ({"economic_status": "nghèo"}, "row 2, year certified: a poor or near-poor status needs the year it was "
                                   "certified"),
    ({"average_standard_year": "1850"}, "row 2, average-living-standard list year “1850”: must be a year such as "
                                        "2026"),
    ({"student": "maybe"}, "row 2, pupil or student “maybe”: must be yes or no (có or không)"),
])
def test_bad_group_evidence_is_named_by_row_and_column(unchanged, values, message):
    assert problems(with_groups([member(**values)])) == [message]
