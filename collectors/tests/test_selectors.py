from datetime import date, timedelta

import pytest

from collectors.selectors import active_collector, households_in_area
from collectors.tests.factories import AssignmentFactory, CollectorFactory, UserFactory
from households.tests.factories import CommuneFactory, HouseholdFactory, VillageFactory

pytestmark = pytest.mark.django_db


def test_a_collector_sees_the_households_of_assigned_communes_and_villages_only():
    collector = CollectorFactory()
    whole_commune, other_commune = CommuneFactory(), CommuneFactory()
    village = VillageFactory()
    AssignmentFactory(collector=collector, commune=whole_commune)
    AssignmentFactory(collector=collector, commune=village.commune, village=village)
    inside = [HouseholdFactory(commune=whole_commune), HouseholdFactory(commune=village.commune, village=village)]
    HouseholdFactory(commune=village.commune, village=VillageFactory(commune=village.commune))  # neighbour village
    HouseholdFactory(commune=other_commune)
    assert set(households_in_area(collector)) == set(inside)


def test_ended_and_future_assignments_give_no_access():
    collector = CollectorFactory()
    today = date.today()
    AssignmentFactory(collector=collector, start=today - timedelta(days=60), end=today - timedelta(days=1))
    AssignmentFactory(collector=collector, start=today + timedelta(days=1))
    HouseholdFactory()
    assert list(households_in_area(collector)) == []


def test_only_active_collectors_may_use_the_field_pages():
    collector = CollectorFactory()
    assert active_collector(collector.user) == collector
    collector.active = False
    collector.save()
    assert active_collector(collector.user) is None
    assert active_collector(UserFactory()) is None
