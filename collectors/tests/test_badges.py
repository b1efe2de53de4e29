"""A household checks that a collector is real: the badge QR opens a public
page with the collector's name, agent, communes and how long they are
assigned; anyone else gets the same "not an active collector"."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from collectors.badges import badge_for, revoke_badges
from collectors.models import Badge
from collectors.tests import fieldkit as kit
from collectors.tests.factories import AssignmentFactory, CollectorFactory
from households.tests.factories import CommuneFactory

pytestmark = pytest.mark.django_db
NOT_ACTIVE = "Not an active collector"


@pytest.fixture
def collector():
    collector = kit.collector_with_area(full_name="Trần Thị Thu")
    collector.assignments.update(end=kit.today() + timedelta(days=200))
    return collector


def check(client, token):
    return client.get(reverse("badge_check", args=[token]))


def test_an_active_collectors_badge_says_who_they_are_without_sign_in(client, collector):
    response = check(client, badge_for(collector).token)
    html = response.content.decode()
    assert response.status_code == 200 and "Active collector" in html
    assert "Trần Thị Thu" in html and collector.agent.name in html and str(collector.test_commune.name) in html
    assert (kit.today() + timedelta(days=200)).strftime("%d/%m/%Y") in html
    assert NOT_ACTIVE not in html
    assert re.findall(r"<a\b", html) == []  # nothing else of the registry reachable from it
    assert response["X-Robots-Tag"] == "noindex" and response["Referrer-Policy"] == "no-referrer"


def test_a_badge_lists_every_commune_and_no_end_date_when_an_assignment_has_none(client, collector):
    AssignmentFactory(collector=collector, commune=CommuneFactory(name="Xã Hòa Thắng"),
                      start=kit.today() - timedelta(days=5))
    html = check(client, badge_for(collector).token).content.decode()
    assert "Xã Hòa Thắng" in html and str(collector.test_commune.name) in html
    assert "no end date set" in html


def not_active_answers(client, collector):
    revoked = badge_for(collector)
    revoke_badges([collector])
    inactive = CollectorFactory(active=False)
    AssignmentFactory(collector=inactive, start=kit.today() - timedelta(days=5))
    unassigned = CollectorFactory()
    AssignmentFactory(collector=unassigned, start=kit.today() - timedelta(days=60), end=kit.today() - timedelta(days=1))
    account_off = kit.collector_with_area()
    account_off.user.is_active = False
    account_off.user.save()
    tokens = [revoked.token, badge_for(inactive).token, badge_for(unassigned).token, badge_for(account_off).token,
              "x" * 43, "nothing"]
    return [check(client, token) for token in tokens]


def test_anyone_else_gets_the_same_not_an_active_collector_answer(client, collector):
    answers = not_active_answers(client, collector)
    assert {(r.status_code, r.content) for r in answers} == {(404, answers[0].content)}  # no enumeration
    html = answers[0].content.decode()
    assert NOT_ACTIVE in html and "Trần Thị Thu" not in html


def test_the_badge_page_is_in_vietnamese(client, collector):
    client.cookies["django_language"] = "vi"
    html = check(client, badge_for(collector).token).content.decode()
    assert "Cộng tác viên đang hoạt động" in html
    html = check(client, "nothing").content.decode()
    assert "Không phải cộng tác viên đang hoạt động" in html


def test_tokens_are_long_random_and_one_live_badge_a_collector(collector):
    first = badge_for(collector)
    assert badge_for(collector) == first and len(first.token) >= 43
    assert first.token != badge_for(CollectorFactory()).token


def test_staff_print_badges_as_server_drawn_qr_codes_and_revoking_makes_a_new_one(client, staff, collector):
    inactive = CollectorFactory(active=False)
    url = reverse("admin:collectors_collector_changelist")
    response = client.post(url, {"action": "print_badges", "_selected_action": [collector.pk, inactive.pk]})
    html = response.content.decode()
    token = badge_for(collector).token
    assert response.status_code == 200 and html.count("<svg") == 1 and "Trần Thị Thu" in html
    assert f"/badge/{token}/" in html and inactive.full_name not in html
    assert not Badge.objects.filter(collector=inactive).exists()

    client.post(url, {"action": "revoke_badges_action", "_selected_action": [collector.pk]})
    assert check(client, token).status_code == 404
    assert badge_for(collector).token != token  # the next print has a new QR


def test_a_role_without_change_permission_prints_and_revokes_nothing(client, collector):
    viewer = CollectorFactory().user
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    token = badge_for(collector).token
    client.post(reverse("admin:collectors_collector_changelist"),
                {"action": "revoke_badges_action", "_selected_action": [collector.pk]})
    assert check(client, token).status_code == 200
