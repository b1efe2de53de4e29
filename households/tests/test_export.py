"""Lists out: only what the user may see, personal data masked unless they
may see it, no cell a spreadsheet would run, and every export logged."""

import csv
import io
import warnings

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from outreach.roles import provincial_staff_group
from collectors.tests.factories import UserFactory
from households.imports import import_households
from households.models import ExportLog, Household, Member
from households.tests.factories import CommuneFactory, EnrolmentFactory, HouseholdFactory, MemberFactory
from households.tests.files import GROUP_HEADERS, HEADERS, VIETNAMESE_GROUP_HEADERS, VIETNAMESE_HEADERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    quang_phu = CommuneFactory(code=24259, name="Xã Quảng Phú")
    lien_son = CommuneFactory(code=24580, name="Xã Liên Sơn Lắk")
    home = HouseholdFactory(code="H1", commune=quang_phu, address="Thôn 1")
    MemberFactory(household=home, full_name="Nguyễn Thị Hiền", sex="F", relation=Member.Relation.SPOUSE,
                  citizen_id="066188012345", phone=None)
    MemberFactory(household=home, full_name="Nguyễn Văn An", relation=Member.Relation.HEAD,
                  citizen_id="066085012345", si_number="6601234567", phone="0912345678")
    away = HouseholdFactory(code="H2", commune=lien_son)
    MemberFactory(household=away, full_name="=1+1", relation=Member.Relation.HEAD, citizen_id="066090000001")
    return quang_phu, lien_son


def staff_user():
    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(provincial_staff_group())
    return user


def officer_of(commune):
    """A commune officer: may view the registry, sees only their commune."""
    user = UserFactory(username="officer", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["view_household", "view_member", "view_enrolment", "view_commune", "view_village"]))
    commune.officers.add(user)
    return user


def export(client, model, file_format="csv", query="", headers=HEADERS, resource="householdmemberresource",
           **extra):
    data = {"format": "0" if file_format == "csv" else "1", "resource": "0",
            **{f"{resource}_{key}": "on" for key in headers}}
    response = client.post(reverse(f"admin:households_{model}_export") + query, data, **extra)
    assert response.status_code == 200, response.content[:500]
    if file_format == "csv":
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")  # so that Excel reads Vietnamese right
        return list(csv.reader(io.StringIO(text[1:])))
    return [["" if v is None else v for v in row]
            for row in openpyxl.load_workbook(io.BytesIO(response.content)).active.values]


def test_staff_export_households_with_members_in_full_head_first_and_formulas_neutralised(client, registry):
    staff = staff_user()
    client.force_login(staff)
    village = {code: Household.objects.get(code=code).village.name for code in ("H1", "H2")}
    assert export(client, "household") == [
        HEADERS,
        ["H1", "24259", village["H1"], "Thôn 1", "yes", "Nguyễn Văn An", "17/05/1980", "male", "Kinh",
         "066085012345", "6601234567", "0912345678"],
        ["H1", "24259", village["H1"], "Thôn 1", "no", "Nguyễn Thị Hiền", "17/05/1980", "female", "Kinh",
         "066188012345", "", ""],
        ["H2", "24580", village["H2"], "Thôn 1", "yes", "'=1+1", "17/05/1980", "male", "Kinh", "066090000001", "",
         ""],
    ]
    log = ExportLog.objects.get()
    assert (log.user, log.resource, log.format, log.row_count, log.personal_data) == (
        staff, "households with members", "csv", 3, True)


def test_a_commune_officer_exports_only_their_commune_with_ids_and_phones_masked(client, registry):
    quang_phu, _ = registry
    officer = officer_of(quang_phu)
    client.force_login(officer)
    rows = export(client, "member", "xlsx")
    assert [row[5] for row in rows[1:]] == ["Nguyễn Văn An", "Nguyễn Thị Hiền"]
    assert [(row[9], row[11]) for row in rows[1:]] == [("•••••••••345", "•••••••678"), ("•••••••••345", "")]
    assert rows[1][10] == "6601234567"
    log = ExportLog.objects.get()
    assert (log.user, log.format, log.row_count, log.personal_data) == (officer, "xlsx", 2, False)


def test_the_permission_to_see_personal_data_shows_ids_in_full(client, registry):
    quang_phu, _ = registry
    officer = officer_of(quang_phu)
    officer.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client.force_login(officer)
    assert [row[9] for row in export(client, "member")[1:]] == ["066085012345", "066188012345"]
    assert ExportLog.objects.get().personal_data


def test_the_export_follows_the_list_filters_and_records_them(client, registry):
    client.force_login(staff_user())
    rows = export(client, "member", query="?sex__exact=F")
    assert [row[5] for row in rows[1:]] == ["Nguyễn Thị Hiền"]
    assert ExportLog.objects.get().filters == {"sex__exact": ["F"]}


def test_the_export_speaks_vietnamese_to_a_vietnamese_user(client, registry):
    client.force_login(staff_user())
    rows = export(client, "household", HTTP_ACCEPT_LANGUAGE="vi")
    assert rows[0] == VIETNAMESE_HEADERS


def test_an_export_imports_back_unchanged(client, registry, settings):
    client.force_login(staff_user())
    response = client.post(reverse("admin:households_household_export"), {
        "format": "1", "resource": "0", **{f"householdmemberresource_{key}": "on" for key in HEADERS}})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    # The neutralised formula is not a name to import again; the other household goes back as it was.
    book = openpyxl.Workbook()
    for row in rows[:3]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_households(content=buffer.getvalue(), file_name="export.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["members"] == {"new": 0, "updated": 0, "unchanged": 2}


def test_an_enrolment_export_is_scoped_and_masked_too(client, registry):
    quang_phu, _ = registry
    for member in Member.objects.all():
        EnrolmentFactory(member=member, card_number="GD4666601234567" if member.si_number else "")
    client.force_login(officer_of(quang_phu))
    headers = ["citizen_id", "si_number", "card_number", "full_name", "household_code", "scheme", "coverage_start",
               "coverage_end", "status", "monthly_amount"]
    rows = export(client, "enrolment", headers=headers, resource="enrolmentresource")
    assert rows[0] == headers
    assert sorted((row[0], row[3], row[4], row[5], row[9]) for row in rows[1:]) == [
        ("•••••••••345", "Nguyễn Thị Hiền", "H1", "bhyt_hgd", "113850"),
        ("•••••••••345", "Nguyễn Văn An", "H1", "bhyt_hgd", "113850")]


def test_a_user_without_view_permission_cannot_export(client, registry):
    client.force_login(UserFactory(username="nobody", is_staff=True))
    response = client.post(reverse("admin:households_member_export"), {"format": "0", "resource": "0"})
    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_the_export_log_is_read_only_in_the_admin(client, registry):
    client.force_login(staff_user())
    export(client, "member")
    assert client.get(reverse("admin:households_exportlog_changelist")).status_code == 200
    assert client.get(reverse("admin:households_exportlog_add")).status_code == 403


def export_workbook(client, **extra) -> bytes:
    """The households page's export with every column it offers, as xlsx."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = client.post(reverse("admin:households_household_export"), {
            "format": "1", "resource": "0",
            **{f"householdmemberresource_{key}": "on" for key in HEADERS + GROUP_HEADERS}}, **extra)
    assert response.status_code == 200
    assert not [str(w.message) for w in caught if "cannot identify field" in str(w.message)]
    return response.content


def reimport(content: bytes, rows: int):
    """The export's first `rows` rows imported back."""
    book = openpyxl.Workbook()
    for row in list(openpyxl.load_workbook(io.BytesIO(content)).active.values)[:rows]:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return import_households(content=buffer.getvalue(), file_name="export.xlsx")


@pytest.mark.parametrize("language, headers, evidence", [
    ("en", HEADERS + GROUP_HEADERS,
     [["near-poor", "2025", "", "no", "no", ""], ["near-poor", "2025", "", "yes", "yes", "2024"]]),
    ("vi", VIETNAMESE_HEADERS + VIETNAMESE_GROUP_HEADERS,
     [["hộ cận nghèo", "2025", "", "không", "không", ""], ["hộ cận nghèo", "2025", "", "có", "có", "2024"]]),
])
def test_the_support_groups_evidence_is_exported_and_imports_back_unchanged(client, registry, language, headers,
                                                                          evidence):
    home = Household.objects.get(code="H1")
    home.economic_status, home.status_year = Household.EconomicStatus.NEAR_POOR, 2025
    home.save()
    Member.objects.filter(full_name="Nguyễn Thị Hiền").update(student=True, insured_elsewhere=True,
                                                            social_pension_since=2024)
    Household.objects.filter(code="H2").update(average_standard_year=2024)
    client.force_login(staff_user())
    content = export_workbook(client, HTTP_ACCEPT_LANGUAGE=language)
    rows = [["" if v is None else v for v in row] for row in openpyxl.load_workbook(io.BytesIO(content)).active.values]
    assert rows[0] == headers
    assert [row[len(HEADERS):] for row in rows[1:3]] == evidence
    assert rows[3][len(HEADERS):len(HEADERS) + 3] == ["no" if language == "en" else "không", "", "2024"]
    before = [(h.code, h.economic_status, h.status_year, h.average_standard_year) for h in Household.objects.all()]
    people = list(Member.objects.values_list("pk", "student", "insured_elsewhere", "social_pension_since")
                  .order_by("pk"))
    report = reimport(content, 3)  # H1 (H2's neutralised formula is not a name to import again)
    assert report.ok, [str(p) for p in report.problems]
    assert report.counts["households"] == {"new": 0, "updated": 0, "unchanged": 1}
    assert report.counts["members"] == {"new": 0, "updated": 0, "unchanged": 2}
    assert [(h.code, h.economic_status, h.status_year, h.average_standard_year)
            for h in Household.objects.all()] == before
    assert list(Member.objects.values_list("pk", "student", "insured_elsewhere", "social_pension_since")
                .order_by("pk")) == people
    assert Member.objects.get(full_name="Nguyễn Thị Hiền").social_pension_since == 2024
