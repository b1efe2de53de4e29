"""Communes, villages and enrolments through django-import-export's admin
pages: the same reader, messages and all-or-nothing rule as households."""

import csv
import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import Commune, Enrolment, Village
from households.tests.factories import CommuneFactory, EnrolmentFactory, MemberFactory, VillageFactory
from households.tests.files import windows_1258, xlsx_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quang_phu():
    return CommuneFactory(code=24259, name="Xã Quảng Phú")


def table(headers, *rows, encoding="utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    return buffer.getvalue().encode(encoding)


def preview(client, model, content, name="list.csv", app="households"):
    """The check step: the admin's page with the counts, or with the problems."""
    response = client.post(reverse(f"admin:{app}_{model}_import"), {
        "resource": "0", "format": "1" if name.endswith(".xlsx") else "0",
        "import_file": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    return response


def problems(response):
    assert "confirm_form" not in response.context
    if response.context.get("result") is None:
        return [str(error) for error in response.context["form"].errors["import_file"]]
    assert "Nothing was imported" in response.content.decode()
    return [str(problem) for problem in response.context["result"].problems]


def import_file(client, model, content, name="list.csv", app="households"):
    response = preview(client, model, content, name, app)
    assert response.context["result"].problems == [], response.context["result"].problems
    confirm = response.context["confirm_form"]
    return client.post(reverse(f"admin:{app}_{model}_process_import"), confirm.initial, follow=True)


VILLAGES = ["commune_code", "name", "kind"]


def test_villages_are_previewed_with_counts_then_imported_on_confirmation(client, staff):
    content = table(VILLAGES, ["24259", "Thôn 1", "thôn"], ["24259", "Buôn  Kô", "buôn"], ["24259", "TDP 3", ""])
    response = preview(client, "village", content)
    assert "3 new, 0 updated, 0 unchanged." in response.content.decode()
    assert not Village.objects.exists()
    import_file(client, "village", content)
    assert sorted(Village.objects.values_list("name", "kind")) == [
        ("Buôn Kô", "buon"), ("TDP 3", "thon"), ("Thôn 1", "thon")]
    # Matched on commune and name, without diacritics or case: no village twice.
    again = table(VILLAGES, ["24259", "THÔN 1", "thôn"], ["24259", "Buôn Kô", "buôn"], ["24259", "TDP 3", "tổ dân phố"])
    assert "0 new, 2 updated, 1 unchanged." in preview(client, "village", again).content.decode()


def test_a_village_twice_in_the_file_or_in_an_unknown_commune_is_refused_and_nothing_imported(client, staff):
    content = table(VILLAGES, ["24259", "Thôn 1", ""], ["24259", "thôn 1", ""], ["99999", "Thôn 2", ""],
                    ["24259", "=1+2", "làng"])
    assert problems(preview(client, "village", content)) == [
        "row 3, name “thôn 1”: is also on row 2 of this file",
        "row 4, commune code “99999”: is not the official code of any commune in the registry",
        "row 5, name “=1+2”: is a spreadsheet formula: type the value itself",
    ]
    assert not Village.objects.exists()


def test_a_bad_kind_says_which_kinds_exist(client, staff):
    assert problems(preview(client, "village", table(VILLAGES, ["24259", "Thôn 1", "làng"]))) == [
        "row 2, kind “làng”: must be one of: thon, buon, bon, to_dan_pho"]


def test_communes_are_updated_by_their_official_code(client, staff):
    content = table(["Mã", "Tên", "Loại", "Mã tỉnh"], ["24259", "Xã Quảng Phú", "xã", "66"],
                    ["24133", "Phường Buôn Ma Thuột", "Phường", "66"])
    import_file(client, "commune", content)
    assert Commune.objects.get(code=24133).kind == "phuong"
    assert "0 new, 0 updated, 2 unchanged." in preview(client, "commune", content).content.decode()


def test_a_file_that_cannot_be_read_is_refused_on_the_form(client, staff):
    content = windows_1258("commune_code,name\n24259,Thôn Đông\n")
    assert problems(preview(client, "village", content)) == [
        "The file is not in UTF-8: it looks like a Windows-1258 or CP1252 file (Excel’s plain “CSV”), first "
        "unreadable character on row 2. Save it as “CSV UTF-8” or as an Excel workbook (.xlsx) and import again."]
    assert problems(preview(client, "village", xlsx_file([["x"]], ["Ghi chú"]), name="list.xlsx")) == [
        "The file lacks the columns commune_code (Mã xã), name (Tên thôn, buôn). Row 1 must hold the column "
        "headers, in English or in Vietnamese, as in the template."]


def test_an_unknown_column_is_refused(client, staff):
    assert problems(preview(client, "village", table([*VILLAGES, "Ghi chú"], ["24259", "Thôn 1", "", "mới"]))) == [
        "row 1, column D “Ghi chú”: is not a column of this list: remove the column or correct its header (the "
        "template shows the columns)"]
    assert not Village.objects.exists()


def test_the_village_template_has_vietnamese_headers_and_an_example(client, staff):
    response = client.get(reverse("admin:households_village_import_template", args=["vi", "csv"]))
    assert response.content.decode("utf-8-sig").splitlines() == ["Mã xã,"
                                                                 "\"Tên thôn, buôn\",Loại", "24259,Buôn Kô,buôn"]


ENROLMENTS = ["citizen_id", "si_number", "card_number", "scheme", "coverage_start", "coverage_end", "status",
              "monthly_amount"]


@pytest.fixture
def people():
    an = MemberFactory(full_name="Nguyễn Văn An", citizen_id="066085012345", si_number="6601234567")
    binh = MemberFactory(full_name="Trần Thị Bình", citizen_id="066188012345", si_number="6601234568")
    return an, binh


def test_enrolments_find_their_member_by_citizen_id_si_number_or_either_card_form(client, staff, people):
    an, binh = people
    content = table(ENROLMENTS,
                    ["066085012345", "", "", "bhyt_hgd", "01/01/2026", "31/12/2026", "active", "113.850"],
                    ["", "", "GD4666601234568", "BHYT hộ gia đình", "01/01/2026", "31/12/2026", "", "79695"],
                    ["", "6601234567", "", "bhxh_tn", "01/07/2026", "31/12/2026", "pending", "330000"])
    import_file(client, "enrolment", content)
    assert sorted(Enrolment.objects.values_list("member__full_name", "scheme", "card_number", "monthly_amount",
                                                "status")) == [
        ("Nguyễn Văn An", "bhxh_tn", "", 330000, "pending"),
        ("Nguyễn Văn An", "bhyt_hgd", "", 113850, "active"),
        ("Trần Thị Bình", "bhyt_hgd", "GD4666601234568", 79695, "active")]
    # The same periods again: matched on member, scheme and start, so nothing is added.
    assert "0 new, 0 updated, 3 unchanged." in preview(client, "enrolment", content).content.decode()


def test_bad_enrolment_rows_are_each_named_and_none_is_imported(client, staff, people):
    an, _binh = people
    EnrolmentFactory(member=an, coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31))
    content = table(ENROLMENTS,
                    ["066188012345", "", "", "bhyt_hgd", "01/01/2026", "31/12/2026", "", ""],  # good
                    ["066085012345", "", "", "bhyt_hgd", "01/06/2026", "31/05/2027", "", ""],  # overlaps
                    ["066099999999", "", "", "bhyt_hgd", "01/01/2026", "31/12/2026", "", ""],  # unknown person
                    ["", "", "", "bhyt_hgd", "01/01/2026", "31/12/2026", "", ""],  # nobody named
                    ["066188012345", "", "XX123", "bhxh_tn", "31/02/2026", "", "", "1.000 đ"])
    assert problems(preview(client, "enrolment", content)) == [
        "row 3: This member already has household health insurance (BHYT hộ gia đình) cover from 01/01/2026 to "
        "31/12/2026, which overlaps.",
        "row 4, citizen ID “066099999999”: matches no member of the registry",
        "row 5, citizen ID: is required, or a social-insurance number or card number, to find the member",
        "row 6, card number “XX123”: must be the 10-digit social-insurance number or the 15-character code such as "
        "GD4660123456789",
        "row 6, coverage start “31/02/2026”: is not a real date: dates are written day first, DD/MM/YYYY",
        "row 6, coverage end: is required",
        "row 6, monthly amount (₫) “1.000 đ”: must be a whole number",
    ]
    assert Enrolment.objects.count() == 1


def test_an_enrolment_twice_in_the_file_is_refused(client, staff, people):
    row = ["066085012345", "", "", "bhyt_hgd", "01/01/2026", "31/12/2026", "", ""]
    assert problems(preview(client, "enrolment", table(ENROLMENTS, row, row))) == [
        "row 3, citizen ID “066085012345”: is also on row 2 of this file"]


def test_a_xlsx_enrolment_list_with_date_cells(client, staff, people):
    content = xlsx_file([["066085012345", date(2026, 1, 1), date(2026, 12, 31), "bhyt_hgd"]],
                        ["Số CCCD", "Hiệu lực từ", "Hiệu lực đến", "Loại hình"])
    import_file(client, "enrolment", content, name="the.xlsx")
    assert Enrolment.objects.get().coverage_end == date(2026, 12, 31)


def test_the_import_page_offers_csv_and_xlsx_and_the_templates(client, staff):
    VillageFactory(commune_id=24259)
    response = client.get(reverse("admin:households_village_import"))
    assert response.context["form"].fields["format"].choices == [("", "---"), ("0", "csv"), ("1", "xlsx")]
    html = response.content.decode()
    assert reverse("admin:households_village_import_template", args=["en", "xlsx"]) in html
    assert "Tên thôn, buôn" in html


def test_if_the_registry_changed_since_the_preview_the_confirmation_imports_nothing(client, staff, people):
    an, binh = people
    content = table(ENROLMENTS, ["066188012345", "", "", "bhyt_hgd", "01/01/2026", "31/12/2026", "", ""],
                    ["066085012345", "", "", "bhyt_hgd", "01/06/2026", "31/05/2027", "", ""])
    response = preview(client, "enrolment", content)
    EnrolmentFactory(member=an, coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31))  # meanwhile
    page = client.post(reverse("admin:households_enrolment_process_import"), response.context["confirm_form"].initial)
    assert [str(p) for p in page.context["result"].problems] == [
        "row 3: This member already has household health insurance (BHYT hộ gia đình) cover from 01/01/2026 to "
        "31/12/2026, which overlaps."]
    assert "Nothing was imported: 1 problem to correct" in page.content.decode()
    assert list(Enrolment.objects.values_list("member", flat=True)) == [an.pk]


def test_a_resource_given_a_dataset_directly_reads_it_like_a_file():
    from tablib import Dataset

    from households.resources import VillageResource

    dataset = Dataset(["24259", "Thôn 1"], ["24259", ""], headers=["Mã xã", "Tên thôn, buôn"])
    result = VillageResource().import_data(dataset)
    assert [str(p) for p in result.problems] == ["row 3, name: is required"]
    assert not Village.objects.exists()
    result = VillageResource().import_data(Dataset(["24259", "Thôn 1"], headers=["Mã xã", "Tên thôn, buôn"]))
    assert result.problems == [] and Village.objects.get().name == "Thôn 1"
