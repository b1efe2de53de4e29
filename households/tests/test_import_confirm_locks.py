"""Confirming a checked import (issue #15, hole 7): the rows whose digest is
compared with the check's are locked before the comparison, in the
transaction that writes, so that nothing changes them in between."""

import pytest
from django.db import OperationalError, connections

from households import imports
from households.imports import import_households
from households.models import Household, Member
from households.tests.factories import CommuneFactory, HouseholdFactory, MemberFactory
from households.tests.files import csv_file, family

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def changed_from_another_connection(sql, params) -> bool:
    """Whether another session could change the row now (False: it waited on a lock and gave up)."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
            try:
                cursor.execute(sql, params)
            except OperationalError:
                return False
            return True
    finally:
        other.close()


def test_the_rows_a_confirmation_compares_are_locked_until_it_has_written(monkeypatch):
    CommuneFactory(code=24259, name="Xã Quảng Phú")
    head, wife, son = family()
    import_households(content=csv_file([head, son]), file_name="first.csv")
    # The wife is in the registry in another household, with her citizen ID: the file moves her into H1.
    elsewhere = MemberFactory(household=HouseholdFactory(code="H-OTHER", commune_id=24259), full_name="Trần Thị Bình",
                              citizen_id=wife["citizen_id"], relation=Member.Relation.HEAD)
    household = Household.objects.get(code="H1")
    registered_head = household.members.get(full_name="Nguyễn Văn An")
    content = csv_file([head, wife, son])
    checked = import_households(content=content, file_name="list.csv", dry_run=True)
    assert checked.ok, [str(p) for p in checked.problems]

    attempts = {}
    compare = imports._HouseholdImport.registry_state

    def others_try_then_compare(run):
        attempts["household"] = changed_from_another_connection(
            "UPDATE households_household SET address = 'changed' WHERE id = %s", [household.pk])
        attempts["its member"] = changed_from_another_connection(
            "UPDATE households_member SET full_name = 'Changed' WHERE id = %s", [registered_head.pk])
        attempts["the member the file moves in"] = changed_from_another_connection(
            "UPDATE households_member SET full_name = 'Changed' WHERE id = %s", [elsewhere.pk])
        return compare(run)

    monkeypatch.setattr(imports._HouseholdImport, "registry_state", others_try_then_compare)
    report = import_households(content=content, file_name="list.csv", checked_against=checked.registry_state)
    assert attempts == {"household": False, "its member": False, "the member the file moves in": False}
    assert report.imported, [str(p) for p in report.problems]
    elsewhere.refresh_from_db()
    assert (elsewhere.household.code, elsewhere.full_name) == ("H1", "Trần Thị Bình")
    assert Household.objects.get(code="H1").address == head["address"]
