"""Households with members imported from the admin: check, preview, confirm;
large files on a Celery worker with a progress page."""

import csv
import io
import time

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outreach.roles import provincial_staff_group
from collectors.tests.factories import UserFactory
from households.models import Household, ImportJob, Member
from households.tests.factories import CommuneFactory
from households.tests.files import (
    GROUP_HEADERS,
    HEADERS,
    VIETNAMESE_GROUP_HEADERS,
    VIETNAMESE_HEADERS,
    csv_file,
    family,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def communes():
    CommuneFactory(code=24259, name="Xã Quảng Phú")


def upload(client, content, name="danh-sach.csv"):
    return client.post(reverse("admin:households_household_import"),
                       {"import_file": SimpleUploadedFile(name, content)}, follow=True)


def confirm(client, job):
    return client.post(reverse("admin:households_importjob_confirm", args=[job.pk]), follow=True)


def stored_files(media):
    return [path for path in media.rglob("*") if path.is_file()]


def test_a_file_is_checked_shown_with_its_counts_and_imported_on_confirmation(client, staff, media):
    page = upload(client, csv_file(family()))
    job = ImportJob.objects.get()
    assert (job.status, job.user, job.file_name, job.total_rows) == ("ready", staff, "danh-sach.csv", 3)
    assert page.context["report"].counts["members"] == {"new": 3, "updated": 0, "unchanged": 0}
    assert "Confirm import" in page.content.decode()
    assert not Member.objects.exists()

    page = confirm(client, job)
    job.refresh_from_db()
    assert job.status == "done" and job.finished_at is not None
    assert Member.objects.count() == 3
    assert Member.history.filter(history_user=staff, history_change_reason="import of danh-sach.csv").count() == 3
    assert ("Imported: households: 1 new, 0 updated, 0 unchanged; members: 3 new, 0 updated, 0 unchanged; "
            "villages: 1 new.") in [str(m) for m in page.context["messages"]]
    assert stored_files(media) == []  # personal data is not kept once imported


def test_a_bad_file_is_refused_with_every_problem_and_a_report_to_download(client, staff, media):
    rows = family()
    rows[1]["citizen_id"] = "06617244733"
    page = upload(client, csv_file(rows))
    job = ImportJob.objects.get()
    assert job.status == "refused"
    html = page.content.decode()
    assert "Nothing was imported: 1 problem to correct" in html
    assert "row 3, citizen ID “06617244733”: must be exactly 12 digits" in html
    assert "Confirm import" not in html
    assert confirm(client, job).status_code == 200 and ImportJob.objects.get().status == "refused"
    assert not Member.objects.exists() and stored_files(media) == []

    report = client.get(reverse("admin:households_importjob_report", args=[job.pk]))
    assert list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")))) == [
        ["row", "column", "value", "problem"], ["3", "citizen ID", "06617244733", "must be exactly 12 digits"]]


def test_a_large_file_goes_to_the_task_and_the_page_polls_its_progress(client, staff, settings,
                                                                      django_capture_on_commit_callbacks,
                                                                      monkeypatch):
    from outreach.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # the task runs here, as without a broker
    settings.HOUSEHOLD_IMPORT_ASYNC_ROWS = 2
    with django_capture_on_commit_callbacks(execute=True) as dispatched:
        upload(client, csv_file(family()))
    job = ImportJob.objects.get()
    assert len(dispatched) == 1 and job.status == "ready"
    status = client.get(reverse("admin:households_importjob_status", args=[job.pk])).json()
    assert status == {"status": "ready", "label": "checked: waiting for confirmation", "progress": 100,
                      "running": False}
    assert "Confirm import" in client.get(reverse("admin:households_importjob_change", args=[job.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    assert ImportJob.objects.get().status == "done" and Member.objects.count() == 3


def test_a_running_job_shows_a_progress_bar_that_polls_every_two_seconds(client, staff):
    job = ImportJob.objects.create(user=staff, file_name="lớn.xlsx", status="checking", progress=40, total_rows=6000)
    html = client.get(reverse("admin:households_importjob_change", args=[job.pk])).content.decode()
    assert '<progress id="import-progress" max="100" value="40">' in html
    assert reverse("admin:households_importjob_status", args=[job.pk]) in html and "2000" in html


@pytest.mark.broker
def test_a_real_worker_checks_and_imports_a_large_file(client, celery_worker, settings):
    settings.HOUSEHOLD_IMPORT_ASYNC_ROWS = 2
    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(provincial_staff_group())
    client.force_login(user)
    upload(client, csv_file(family()))
    job = ImportJob.objects.get()

    def wait_for(status):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = client.get(reverse("admin:households_importjob_status", args=[job.pk])).json()
            if not state["running"]:
                return state["status"]
            time.sleep(0.2)
        raise AssertionError(f"the worker did not finish: {state}")

    assert wait_for("ready") == "ready" and not Member.objects.exists()
    confirm(client, job)
    assert wait_for("done") == "done"
    assert Member.objects.count() == 3
    assert Member.history.filter(history_user=user).count() == 3


def test_the_import_page_lists_the_columns_templates_and_the_users_imports(client, staff):
    ImportJob.objects.create(user=staff, file_name="tháng-3.xlsx", status="done")
    ImportJob.objects.create(user=UserFactory(username="other"), file_name="của-người-khác.csv")
    html = client.get(reverse("admin:households_household_import")).content.decode()
    assert "Mã hộ" in html and "household_code" in html
    assert reverse("admin:households_household_import_template", args=["vi", "xlsx"]) in html
    assert "tháng-3.xlsx" in html and "của-người-khác.csv" not in html


@pytest.mark.parametrize("language, headers", [("en", HEADERS + GROUP_HEADERS),
                                               ("vi", VIETNAMESE_HEADERS + VIETNAMESE_GROUP_HEADERS)])
def test_the_templates_have_the_headers_and_an_example_row_that_imports_as_it_is(client, staff, language, headers):
    for extension in ("csv", "xlsx"):
        response = client.get(reverse("admin:households_household_import_template", args=[language, extension]))
        assert response.status_code == 200
        if extension == "csv":
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        else:
            rows = [list(r) for r in openpyxl.load_workbook(io.BytesIO(response.content)).active.values]
        assert rows[0] == headers and len(rows) == 2
        upload(client, response.content, name=f"template.{extension}")
        assert ImportJob.objects.latest("pk").status == "ready", ImportJob.objects.latest("pk").report


def test_only_the_owner_sees_a_job(client, staff):
    job = ImportJob.objects.create(user=UserFactory(username="other"), file_name="x.csv", status="ready")
    assert client.get(reverse("admin:households_importjob_change", args=[job.pk])).status_code == 404
    assert client.post(reverse("admin:households_importjob_confirm", args=[job.pk])).status_code == 404


def test_importing_needs_the_right_to_add_and_change_households(client):
    user = UserFactory(username="reader", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_household", "view_member"]))
    client.force_login(user)
    assert client.get(reverse("admin:households_household_import")).status_code == 403
    assert not Household.objects.exists()


def test_the_member_list_import_leads_to_the_households_import(client, staff):
    response = client.get(reverse("admin:households_member_import"))
    assert response.url == reverse("admin:households_household_import")
    changelist = client.get(reverse("admin:households_member_changelist")).content.decode()
    assert reverse("admin:households_member_import") in changelist
    assert reverse("admin:households_member_export") in changelist


def test_the_pages_render_for_a_vietnamese_user(client, staff):
    upload(client, csv_file(family()))
    job = ImportJob.objects.get()
    for url in (reverse("admin:households_household_import"),
                reverse("admin:households_importjob_change", args=[job.pk]),
                reverse("admin:households_importjob_changelist"), reverse("admin:households_village_import")):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        assert response.status_code == 200 and 'lang="vi"' in response.content.decode()


def test_an_empty_upload_is_refused_on_the_form(client, staff):
    page = upload(client, b"")
    assert page.context["form"].errors == {"import_file": ["The submitted file is empty."]}
    assert not ImportJob.objects.exists()


def test_a_checked_file_left_unconfirmed_is_deleted_after_the_confirmation_period(client, staff, media, settings):
    from datetime import timedelta

    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    from households.tasks import expire_unconfirmed_imports

    settings.IMPORT_CONFIRM_DAYS = 2
    upload(client, csv_file(family()), name="old.csv")
    upload(client, csv_file(family()), name="recent.csv")
    old, recent = ImportJob.objects.get(file_name="old.csv"), ImportJob.objects.get(file_name="recent.csv")
    ImportJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2, hours=1))
    assert len(stored_files(media)) == 2

    assert expire_unconfirmed_imports() == 1
    old.refresh_from_db()
    assert (old.status, old.file.name) == ("expired", "") and old.finished_at is not None
    assert [path.name for path in stored_files(media)] == [recent.file.name.rsplit("/", 1)[1]]
    page = confirm(client, old)
    assert "not confirmed in time: upload the file again" in page.content.decode()
    assert "Confirm import" not in page.content.decode() and not Member.objects.exists()
    assert expire_unconfirmed_imports() == 0  # the recent one still waits for its confirmation
    confirm(client, recent)
    assert Member.objects.count() == 3
    assert PeriodicTask.objects.get(task="households.expire_unconfirmed_imports").enabled


def test_a_confirmation_is_refused_when_the_registry_changed_since_the_check(client, staff, media):
    """The attack: a member added between the check and the confirmation,
    holding one of the file's citizen IDs, was silently moved into the
    imported household and renamed."""
    from households.tests.factories import HouseholdFactory, MemberFactory

    upload(client, csv_file(family()))
    job = ImportJob.objects.get()
    assert job.status == "ready"
    meanwhile = MemberFactory(household=HouseholdFactory(code="H-OTHER", commune_id=24259), full_name="Lê Thị Mai",
                              citizen_id=family()[0]["citizen_id"], relation=Member.Relation.HEAD)

    page = confirm(client, job)
    job.refresh_from_db()
    assert job.status == "refused"
    assert ("The registry changed since this file was checked: households or members it names were added or "
            "changed in the meantime, so nothing was imported. Upload the file again to check it against the "
            "registry as it is now.") in page.content.decode()
    meanwhile.refresh_from_db()
    assert (meanwhile.household.code, meanwhile.full_name) == ("H-OTHER", "Lê Thị Mai")
    assert Member.objects.count() == 1 and not Household.objects.filter(code="H1").exists()


def test_a_change_elsewhere_in_the_registry_does_not_hold_a_confirmation_back(client, staff, media):
    from households.tests.factories import HouseholdFactory, MemberFactory

    upload(client, csv_file(family()))
    MemberFactory(household=HouseholdFactory(code="H-OTHER", commune_id=24259), citizen_id="066000000001")
    confirm(client, ImportJob.objects.get())
    assert ImportJob.objects.get().status == "done"
    assert Household.objects.get(code="H1").members.count() == 3


def test_a_confirmation_is_refused_when_a_support_group_changed_since_the_check(client, staff, media):
    """The evidence of a member's support group is part of what the check saw:
    a pupil marked as such meanwhile would otherwise be imported over."""
    upload(client, csv_file(family()))
    confirm(client, ImportJob.objects.get())
    upload(client, csv_file(family()))
    job = ImportJob.objects.filter(status="ready").get()
    Member.objects.filter(full_name="Nguyễn Văn Cường").update(student=True)

    confirm(client, job)
    job.refresh_from_db()
    assert job.status == "refused"
    assert Member.objects.get(full_name="Nguyễn Văn Cường").student is True


def test_the_problem_report_writes_a_refused_formula_back_as_text(client, staff, media):
    rows = family()
    rows[0]["full_name"] = '=HYPERLINK("http://example.com","Bấm")'
    rows[1]["address"] = "+cmd|' /C calc'!A0"
    upload(client, csv_file(rows))
    job = ImportJob.objects.get()
    report = client.get(reverse("admin:households_importjob_report", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert lines == [
        ["row", "column", "value", "problem"],
        ["2", "full name", "'=HYPERLINK(\"http://example.com\",\"Bấm\")",
         "is a spreadsheet formula: type the value itself"],
        ["3", "address", "'+cmd|' /C calc'!A0", "must not begin with +, - or @, which spreadsheets run as a formula"]]
