"""Collectors and their areas, in and out through the admin, with the
registry's import rules and export scoping."""

import csv
import io
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collectors.models import Assignment, Collector
from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory, UserFactory
from households.models import ExportLog
from households.tests.factories import CommuneFactory, VillageFactory

pytestmark = pytest.mark.django_db

COLLECTORS = ["code", "full_name", "agent_code", "username", "phone", "active", "joined_on"]
AREAS = ["collector_code", "commune_code", "village", "start", "end"]


@pytest.fixture
def post_office():
    return AgentFactory(code="BD-DLK", name="Bưu điện tỉnh Đắk Lắk")


def table(headers, *rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([headers, *rows])
    return buffer.getvalue().encode("utf-8")


def preview(client, model, content):
    return client.post(reverse(f"admin:collectors_{model}_import"), {
        "resource": "0", "format": "0", "import_file": SimpleUploadedFile("list.csv", content)})


def import_file(client, model, content):
    response = preview(client, model, content)
    assert response.context["result"].problems == []
    return client.post(reverse(f"admin:collectors_{model}_process_import"), response.context["confirm_form"].initial,
                       follow=True)


def test_collectors_are_imported_with_accounts_made_for_them(client, staff, post_office):
    UserFactory(username="tran.mai")
    content = table(COLLECTORS,
                    ["TV-0101", "Trần Thị Mai", "BD-DLK", "tran.mai", "+84 912 345 601", "có", "01/03/2026"],
                    ["TV-0102", "Y Bhin Niê", "BD-DLK", "ybhin", "", "", ""])
    assert "2 new, 0 updated, 0 unchanged." in preview(client, "collector", content).content.decode()
    assert not get_user_model().objects.filter(username="ybhin").exists()  # the check made nothing
    import_file(client, "collector", content)
    mai, bhin = Collector.objects.order_by("code")
    assert (mai.user.username, mai.phone, mai.active, mai.joined_on) == ("tran.mai", "0912345601", True,
                                                                        date(2026, 3, 1))
    assert (bhin.user.username, bhin.user.has_usable_password(), bhin.active) == ("ybhin", False, True)
    assert "0 new, 0 updated, 2 unchanged." in preview(client, "collector", content).content.decode()


def test_bad_collector_rows_are_named_and_nothing_is_imported(client, staff, post_office):
    content = table(COLLECTORS,
                    ["TV-0101", "Trần Thị Mai", "BD-XXX", "tran.mai", "0912345601", "", ""],
                    ["TV-0102", "Y Bhin Niê", "BD-DLK", "y bhin", "0212345678", "không", "2026-13-01"],
                    ["TV-0101", "Trần Thị Mai", "BD-DLK", "mai2", "", "", ""])
    response = preview(client, "collector", content)
    assert "confirm_form" not in response.context
    assert [str(p) for p in response.context["result"].problems] == [
        "row 2, agent code “BD-XXX”: is not the code of any collection agent in the registry",
        "row 3, user account “y bhin”: Enter a valid username. This value may contain only letters, numbers, and "
        "@/./+/-/_ characters.",
        "row 3, phone “0212345678”: must be a Vietnamese mobile number: 10 digits starting 03, 05, 07, 08 or 09 "
        "(or +84…)",
        "row 3, joined on “2026-13-01”: is not a real date: dates are written day first, DD/MM/YYYY",
        "row 4, collector code “TV-0101”: is also on row 2 of this file",
    ]
    assert not Collector.objects.exists() and not get_user_model().objects.filter(username="mai2").exists()


def test_areas_are_imported_by_commune_and_village_name(client, staff):
    collector = CollectorFactory(code="TV-0101")
    quang_phu = CommuneFactory(code=24259, name="Xã Quảng Phú")
    buon_ko = VillageFactory(commune=quang_phu, name="Buôn Kô")
    content = table(AREAS, ["TV-0101", "24259", "", "01/03/2026", ""], ["TV-0101", "24259", "buon ko", "01/03/2026",
                                                                        "31/12/2026"])
    import_file(client, "assignment", content)
    assert sorted(Assignment.objects.values_list("collector", "commune", "village", "end"), key=str) == sorted(
        [(collector.pk, 24259, None, None), (collector.pk, 24259, buon_ko.pk, date(2026, 12, 31))], key=str)
    assert "0 new, 0 updated, 2 unchanged." in preview(client, "assignment", content).content.decode()


def test_an_area_in_a_village_of_another_commune_is_refused(client, staff):
    CollectorFactory(code="TV-0101")
    CommuneFactory(code=24259)
    VillageFactory(commune=CommuneFactory(code=24580), name="Buôn Kô")
    content = table(AREAS, ["TV-0101", "24259", "Buôn Kô", "01/03/2026", "01/02/2026"], ["TV-9", "24259", "", "", ""])
    assert [str(p) for p in preview(client, "assignment", content).context["result"].problems] == [
        "row 2, village “Buôn Kô”: is not a village of commune 24259 in the registry",
        "row 2, until “01/02/2026”: An assignment cannot end before it starts.",
        "row 3, collector code “TV-9”: is not the code of any collector in the registry",
    ]
    assert not Assignment.objects.exists()


def test_an_agent_manager_exports_only_their_collectors_with_phones_masked(client):
    agent, other = AgentFactory(code="BD-DLK"), AgentFactory(code="HPN")
    manager = UserFactory(username="manager", is_staff=True)
    manager.user_permissions.add(*Permission.objects.filter(codename__in=["view_collector", "view_assignment"]))
    agent.managers.add(manager)
    mine = CollectorFactory(agent=agent, code="TV-1", phone="0912345601")
    CollectorFactory(agent=other, code="TV-2", phone="0912345602")
    AssignmentFactory(collector=mine, commune=CommuneFactory(code=24259))
    client.force_login(manager)
    response = client.post(reverse("admin:collectors_collector_export"), {
        "format": "0", "resource": "0", **{f"collectorresource_{key}": "on" for key in COLLECTORS}})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row[0], row[2], row[4]) for row in rows[1:]] == [("TV-1", "BD-DLK", "•••••••601")]
    response = client.post(reverse("admin:collectors_assignment_export"), {
        "format": "0", "resource": "0", **{f"assignmentresource_{key}": "on" for key in AREAS}})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[:3] for row in rows[1:]] == [["TV-1", "24259", ""]]
    assert list(ExportLog.objects.values_list("resource", "row_count")) == [
        ("collectors' areas", 1), ("collectors", 1)]
