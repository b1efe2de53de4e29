"""The four roles exist after migrate, with what each may do in the admin."""

import pytest
from django.contrib.auth.models import Group

from outreach.roles import AGENT_MANAGER, COLLECTOR, COMMUNE_OFFICER, PROVINCIAL_STAFF, ensure_roles

pytestmark = pytest.mark.django_db


def codenames(name):
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=name).permissions.all()}


def test_roles_are_created_by_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {PROVINCIAL_STAFF, AGENT_MANAGER, COMMUNE_OFFICER,
                                                                  COLLECTOR}


def test_provincial_staff_may_do_everything_including_users_and_the_schedule():
    perms = codenames(PROVINCIAL_STAFF)
    assert {"households.change_member", "collectors.delete_assignment", "auth.change_user",
            "django_celery_beat.change_periodictask"} <= perms


def test_an_agent_manager_follows_collectors_but_cannot_change_the_registry():
    perms = codenames(AGENT_MANAGER)
    assert {"households.view_household", "collectors.change_assignment", "collectors.add_target",
            "collectors.view_payment"} <= perms
    assert not {p for p in perms if p.startswith("households.") and not p.split(".")[1].startswith("view_")}
    assert "auth.change_user" not in perms


def test_a_commune_officer_only_reads():
    assert all(p.split(".")[1].startswith("view_") for p in codenames(COMMUNE_OFFICER))
    assert "households.view_household" in codenames(COMMUNE_OFFICER)


def test_collectors_get_no_admin_permission():
    assert codenames(COLLECTOR) == set()


def test_ensure_roles_is_idempotent():
    before = {name: codenames(name) for name in [PROVINCIAL_STAFF, AGENT_MANAGER, COMMUNE_OFFICER]}
    ensure_roles()
    assert {name: codenames(name) for name in before} == before
    assert Group.objects.filter(name=PROVINCIAL_STAFF).count() == 1
