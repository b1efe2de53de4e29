"""Training flags on the collector list, and the admin of commission rates,
courses and sessions (collectors/admin.py)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from collectors.models import CommissionRate, TrainingAttendance, TrainingCourse, TrainingSession
from collectors.tests.factories import CollectorFactory

pytestmark = pytest.mark.django_db


def trained(collector, course, days_ago):
    session = TrainingSession.objects.create(course=course, held_on=date.today() - timedelta(days=days_ago),
                                             trainer="Tạ Đức Hậu", place="BHXH tỉnh")
    TrainingAttendance.objects.create(session=session, collector=collector)


def make_collectors(count, rules, basics):
    for _ in range(count):
        collector = CollectorFactory()
        trained(collector, rules, 30)
        trained(collector, basics, 500)


def changelist(client, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("admin:collectors_collector_changelist"), params)
    assert response.status_code == 200
    return response, len(ctx.captured_queries)


def test_the_collector_list_flags_training_with_a_fixed_number_of_queries(staff_client):
    rules = TrainingCourse.objects.create(title="Quy định hai loại hình", topic="scheme_rules")
    basics = TrainingCourse.objects.create(title="Thu thập dữ liệu", topic="data_collection", refresher_months=12)
    TrainingCourse.objects.create(title="Tự chọn", topic="other", required_for_new_collectors=False)
    new = CollectorFactory(full_name="Người Mới")
    up_to_date = CollectorFactory(full_name="Đã Học")
    trained(up_to_date, rules, 10)
    trained(up_to_date, basics, 100)
    make_collectors(2, rules, basics)
    response, few = changelist(staff_client)
    flags = {c.full_name: (c.not_yet_trained, c.refresher_due) for c in response.context["cl"].result_list}
    assert flags["Người Mới"] == (True, False)
    assert flags["Đã Học"] == (False, False)
    assert sum(refresher for _untrained, refresher in flags.values()) == 2  # basics 500 days ago
    make_collectors(10, rules, basics)
    _response, many = changelist(staff_client)
    assert few == many
    untrained, _ = changelist(staff_client, training="untrained")
    assert [c.pk for c in untrained.context["cl"].result_list] == [new.pk]
    due, _ = changelist(staff_client, training="refresher")
    assert len(due.context["cl"].result_list) == 12
    fine, _ = changelist(staff_client, training="up_to_date")
    assert [c.full_name for c in fine.context["cl"].result_list] == ["Đã Học"]
    assert "due for a refresher" in response.content.decode()


def test_a_session_with_its_attendance_is_entered_in_one_form(staff_client):
    course = TrainingCourse.objects.create(title="Ứng dụng VssID", topic="vssid")
    collector = CollectorFactory()
    response = staff_client.post(reverse("admin:collectors_trainingsession_add"), {
        "course": course.pk, "held_on": "15/05/2026", "trainer": "Tạ Đức Hậu", "place": "Xã Quảng Phú",
        "attendance-TOTAL_FORMS": "1", "attendance-INITIAL_FORMS": "0",
        "attendance-0-collector": collector.pk, "attendance-0-attended": "on",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    session = TrainingSession.objects.get()
    assert (session.held_on, list(session.attendees.all())) == (date(2026, 5, 15), [collector])
    text = staff_client.get(reverse("admin:collectors_trainingsession_changelist")).content.decode()
    assert "the VssID app" in text
    assert staff_client.get(reverse("admin:collectors_trainingcourse_changelist")).status_code == 200


def test_commission_rates_are_dated_rows_staff_enter(staff_client):
    response = staff_client.post(reverse("admin:collectors_commissionrate_add"), {
        "scheme": "bhyt_hgd", "participant_kind": "new", "rate": "0.05", "effective_from": "01/01/2026",
        "source": "Hợp đồng đại lý thu",
    })
    assert response.status_code == 302
    assert CommissionRate.objects.get().rate == Decimal("0.05")
    assert staff_client.get(reverse("admin:collectors_commissionrate_changelist")).status_code == 200
