from datetime import date
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from collectors.models import Assignment, Collector
from collectors.tests.factories import AssignmentFactory, CollectorFactory
from households.tests.factories import CommuneFactory, VillageFactory

pytestmark = pytest.mark.django_db


def demo_accounts(monkeypatch, password="demo-Pass-2026"):
    monkeypatch.setenv("DEMO_PASSWORD", password)
    call_command("load_communes", stdout=StringIO())
    out = StringIO()
    call_command("demo_accounts", stdout=out)
    return out.getvalue()


def test_demo_accounts_are_printed_and_can_sign_in(client, monkeypatch):
    out = demo_accounts(monkeypatch)
    assert out.splitlines() == [
        "Demo accounts (password for all: demo-Pass-2026)",
        "  province     provincial staff",
        "  collector1   collector, Xã Quảng Phú",
        "  collector2   collector, Xã Liên Sơn Lắk",
    ]
    for username in ["province", "collector1", "collector2"]:
        assert client.login(username=username, password="demo-Pass-2026")


def test_demo_collectors_work_for_different_agents_in_different_communes(monkeypatch):
    demo_accounts(monkeypatch)
    one, two = (Collector.objects.get(user__username=u) for u in ["collector1", "collector2"])
    assert one.agent != two.agent
    assert [a.commune_id for a in one.assignments.current()] == [24259]
    assert [a.commune_id for a in two.assignments.current()] == [24580]


def test_demo_accounts_can_be_reset_with_a_new_password(client, monkeypatch):
    demo_accounts(monkeypatch, "first-Pass-1")
    demo_accounts(monkeypatch, "second-Pass-2")
    assert Collector.objects.count() == 2 and Assignment.objects.count() == 2
    assert client.login(username="collector1", password="second-Pass-2")
    assert not client.login(username="collector1", password="first-Pass-1")


def test_demo_accounts_need_the_communes():
    with pytest.raises(CommandError, match="run `manage.py load_communes` first"):
        call_command("demo_accounts", stdout=StringIO())


def test_provincial_staff_keep_the_registry_in_the_admin_and_collectors_cannot(client, monkeypatch):
    demo_accounts(monkeypatch)
    client.login(username="province", password="demo-Pass-2026")
    for name in ["households_household", "households_member", "households_enrolment", "collectors_collector",
                 "collectors_agent", "collectors_assignment"]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:{name}_add")).status_code == 200
    client.logout()
    client.login(username="collector1", password="demo-Pass-2026")
    response = client.get(reverse("admin:households_household_changelist"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_assignment_village_must_be_in_its_commune():
    assignment = AssignmentFactory.build(collector=CollectorFactory(), commune=CommuneFactory(),
                                         village=VillageFactory())
    with pytest.raises(ValidationError) as caught:
        assignment.full_clean()
    assert caught.value.message_dict["village"] == ["This village belongs to another commune."]


def test_assignment_cannot_end_before_it_starts():
    assignment = AssignmentFactory.build(collector=CollectorFactory(), commune=CommuneFactory(),
                                         start=date(2026, 5, 1), end=date(2026, 4, 1))
    with pytest.raises(ValidationError) as caught:
        assignment.full_clean()
    assert "An assignment cannot end before it starts." in caught.value.messages


def test_current_assignments_are_those_in_force_on_the_day():
    collector = CollectorFactory()
    past = AssignmentFactory(collector=collector, start=date(2025, 1, 1), end=date(2025, 12, 31))
    now = AssignmentFactory(collector=collector, start=date(2026, 1, 1), end=None)
    assert list(collector.assignments.current(date(2026, 3, 1))) == [now]
    assert list(collector.assignments.current(date(2025, 3, 1))) == [past]


def test_collector_phone_is_normalised_and_validated():
    collector = CollectorFactory(phone="+84 386 123 456")
    collector.refresh_from_db()
    assert collector.phone == "0386123456"
    bad = CollectorFactory.build(phone="12345", user=collector.user, agent=collector.agent, code="X")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert caught.value.message_dict["phone"][0].startswith("Phone number “12345” is not a Vietnamese mobile number")


def test_staff_enter_a_communes_vssid_target_and_an_agents_manager_only_collectors(client, staff):
    from collectors.models import Target
    from collectors.tests.factories import UserFactory
    from outreach.roles import AGENT_MANAGER, ensure_roles

    commune = CommuneFactory()
    url = reverse("admin:collectors_target_add")
    assert 'name="commune"' in client.get(url).content.decode()
    response = client.post(url, {"collector": "", "commune": commune.pk, "month": "01/12/2026", "visits": 0,
                                 "new_enrolments": 0, "renewals": 0, "amount": 0, "vssid_installations": 40})
    assert response.status_code == 302
    assert Target.objects.get().vssid_installations == 40
    again = client.post(url, {"collector": "", "commune": commune.pk, "month": "01/12/2026", "visits": 0,
                              "new_enrolments": 0, "renewals": 0, "amount": 0, "vssid_installations": 5})
    assert "This commune already has a target for that month." in again.content.decode()
    neither = client.post(url, {"collector": "", "commune": "", "month": "01/12/2026", "visits": 0,
                                "new_enrolments": 0, "renewals": 0, "amount": 0, "vssid_installations": 5})
    assert "A target is a collector&#x27;s or a commune&#x27;s: choose one of them." in neither.content.decode()
    assert Target.objects.count() == 1

    manager = UserFactory(username="truongbd", is_staff=True)
    manager.groups.add(ensure_roles()[AGENT_MANAGER])
    CollectorFactory().agent.managers.add(manager)
    client.force_login(manager)
    assert 'name="commune"' not in client.get(url).content.decode()
