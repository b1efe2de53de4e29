"""The dashboard pages: who may open them, a fixed number of queries,
charts with their numbers, Excel exports, and staff's "refresh now"."""

import re
from datetime import date
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from collectors.tests.factories import CollectorFactory, UserFactory
from reports.models import SummaryRun

pytestmark = pytest.mark.django_db

PAGES = ["province", "performance", "network", "training"]


def get(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(f"admin:reports_{name}"), params)


def queries(client, user, name, **params):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(f"admin:reports_{name}"), params)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_opens_for_staff_and_shows_when_its_figures_were_computed(client, world, name):
    response = get(client, world.staff, name)
    assert response.status_code == 200
    text = response.content.decode()
    if name in ("province", "performance"):
        assert "Figures as of 20/05/2026, computed at" in text
        assert "Refresh now" in text
    else:
        assert "Live figures, as of now." in text


def test_a_chart_carries_its_numbers_and_the_table_is_one_click_away(client, world):
    text = get(client, world.staff, "province").content.decode()
    assert "<svg" in text and not re.search(r'(src|href)="(https?:)?//', text)  # nothing from elsewhere
    assert "<title>Xã An Thử · Coverage of known members: 80,0 %</title>" in text
    assert "<details><summary>Numbers</summary>" in text
    assert "?export=coverage" in text


# Every page: session, user, the provincial-staff group, the admin's two permission reads, the filters' agents
# (and communes); then its own reads: the province 9 (run, whole communes, by commune, cover, receipts,
# reminders, prospects, VssID installations, VssID targets), performance 6 (run, collectors' months, collectors, targets, agents, trend), network 5 (whole
# communes, villages, communes, assignments, quiet collectors), training 5 (courses, collectors, last sessions,
# sessions… and the flags' courses).
STAFF_QUERIES = {"province": 16, "performance": 12, "network": 12, "training": 11}


@pytest.mark.parametrize("name", PAGES)
def test_each_page_runs_a_fixed_number_of_queries(client, world, name):
    from .world import build_more

    few = queries(client, world.staff, name)
    build_more(world)
    many = queries(client, world.staff, name)
    assert len(few) == len(many) == STAFF_QUERIES[name], "\n".join(many)


def test_a_manager_may_open_the_dashboards_and_sees_their_area(client, world):
    text = get(client, world.manager, "province").content.decode()
    assert "Xã An Thử" in text and "Xã Bình Thử" not in text
    assert "Refresh now" not in text


def test_people_without_a_dashboard_role_are_refused(client, world):
    clerk = UserFactory(username="clerk", is_staff=True)
    for name in PAGES:
        assert get(client, clerk, name).status_code == 403
    collector = CollectorFactory().user  # no admin access at all
    response = get(client, collector, "province")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_admin_index_links_the_dashboards_for_those_who_may_see_them(client, world):
    client.force_login(world.manager)
    text = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:reports_performance") in text
    client.force_login(UserFactory(username="clerk", is_staff=True))
    assert reverse("admin:reports_performance") not in client.get(reverse("admin:index")).content.decode()


def test_every_table_exports_to_excel(client, world):
    response = get(client, world.staff, "performance", end="05/2026", export="collectors")
    assert response["Content-Disposition"] == 'attachment; filename="collectors-2026-05-20.xlsx"'
    sheet = load_workbook(BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:4] == ("Collector", "Code", "Agent", "Visits")
    assert values[3] == ("Trần Thị Mai", "TV-1", "Bưu điện Thử", 2, 10, 1, 2, 1, 2, 1, 1, 1_000_000, 210_600, 0.2106,
                         8_951)
    assert sheet.cell(row=4, column=13).number_format == '#,##0 "₫"'
    for name, keys in [("province", ["coverage", "bhxh_monthly", "bhxh_yoy", "bhyt_monthly", "bhyt_yoy", "movements",
                                     "ending", "reminders"]),
                       ("performance", ["collectors", "agents", "trend"]),
                       ("network", ["communes", "gaps", "quiet"]),
                       ("training", ["flags", "courses", "sessions"])]:
        for key in keys:
            response = get(client, world.staff, name, export=key)
            assert response.status_code == 200, (name, key)
            assert load_workbook(BytesIO(response.content)).active.max_row >= 1
    assert get(client, world.staff, "province", export="nothing").status_code == 404


def test_a_wrong_filter_is_said_and_the_whole_area_shown(client, world):
    response = get(client, world.staff, "province", start="13/2026")
    assert "Enter a month as MM/YYYY." in response.content.decode()
    assert len(response.context["board"].table("coverage").rows) == 2


def test_staff_refresh_now_runs_the_nightly_task(client, world, monkeypatch):
    from reports import tasks

    calls = []
    monkeypatch.setattr(tasks.refresh_summaries, "delay", lambda *args: calls.append(args))
    client.force_login(world.staff)
    response = client.post(reverse("admin:reports_refresh"), {"next": reverse("admin:reports_training")})
    assert response.status_code == 302 and response["Location"] == reverse("admin:reports_training")
    assert calls == [()]
    client.force_login(world.manager)
    assert client.post(reverse("admin:reports_refresh")).status_code == 403
    assert client.get(reverse("admin:reports_refresh")).status_code == 405


def test_the_refresh_command_and_the_nightly_schedule(db):
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("refresh_reports", "--date", "2026-05-20")
    call_command("refresh_reports", "--date", "2026-05-21")
    assert list(SummaryRun.objects.values_list("as_of", flat=True)) == [date(2026, 5, 21)]  # older runs dropped
    task = PeriodicTask.objects.get(task="reports.refresh_summaries")
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")


@pytest.mark.parametrize("name", PAGES)
def test_a_managers_pages_run_a_fixed_number_of_queries_too(client, world, name):
    from .world import build_more

    few = queries(client, world.manager, name)
    build_more(world)
    many = queries(client, world.manager, name)
    # Is this user an agent's manager or a commune officer, and their area, read for the filters and again
    # for the page: 3 to 5 queries more than staff, as many at any size.
    assert len(few) == len(many) == MANAGER_QUERIES[name], "\n".join(many)


MANAGER_QUERIES = {"province": 21, "performance": 15, "network": 17, "training": 14}
