"""The export page in the user's language, its file named by what it holds
and Vietnam's date, and its "select all" without inline script."""

from datetime import datetime, timezone as utc

import openpyxl
import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone, translation

from households.imports import HOUSEHOLD_SPEC
from households.tests.factories import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_the_export_page_names_the_columns_as_the_vietnamese_import_template(staff_client, settings):
    settings.LANGUAGE_CODE = "vi"
    with translation.override("vi"):
        html = staff_client.get(reverse("admin:households_household_export"),
                                headers={"accept-language": "vi"}).content.decode()
    for column in HOUSEHOLD_SPEC.columns:
        assert f">{column.vietnamese}</label>" in html
    assert "Household Code" not in html and "Is Head" not in html
    assert "Tệp xuất gồm các cột sau:" in html and "Chọn tất cả" in html and 'value="Xuất tệp"' in html
    # "Select all" is bound by a script file: the CSP refuses inline handlers.
    # That it works in a browser: collectors/tests/browser/test_export_select_all.py.
    assert "onchange=" not in html and "outreach/admin.js" in html
    assert 'id="select-all-toggle"' in html
    assert "addEventListener" in open(finders.find("outreach/admin.js")).read()


def test_the_exported_file_says_what_it_holds_and_vietnams_date(staff_client, monkeypatch):
    member = MemberFactory(household=HouseholdFactory(code="H1"), full_name="Nguyễn Văn An")
    # 18:00 UTC on 01/12 is already 02/12 in Vietnam.
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 1, 18, 0, tzinfo=utc.utc))
    data = {"format": "1", "resource": "0",
            **{f"householdmemberresource_{column.key}": "on" for column in HOUSEHOLD_SPEC.columns}}
    response = staff_client.post(reverse("admin:households_household_export"), data)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="households-with-members-2026-12-02.xlsx"'
    import io

    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [str(HOUSEHOLD_SPEC.name)[:31]]
    assert member.full_name in [cell.value for cell in book.active[2]]


def test_favicon_is_served_on_every_page(client, staff_client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("outreach/favicon.ico")
    icon = open(finders.find("outreach/favicon.ico"), "rb").read()
    assert icon[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert 'rel="icon" href="/static/outreach/favicon.ico"' in staff_client.get(reverse("admin:index")).content.decode()
