"""One function decides which households each role sees."""

from datetime import date, timedelta

import pytest

from outreach.roles import provincial_staff_group
from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory, UserFactory
from households.models import Enrolment, Household, Member
from households.tests.factories import CommuneFactory, EnrolmentFactory, HouseholdFactory, MemberFactory, VillageFactory
from outreach.access import household_scope, visible_collectors

pytestmark = pytest.mark.django_db


def visible(user, model=Household, prefix=""):
    return set(model.objects.filter(household_scope(user, prefix=prefix)))


@pytest.fixture
def province():
    """Three communes; a village of the third is covered on its own."""
    a, b, c = CommuneFactory(), CommuneFactory(), CommuneFactory()
    village = VillageFactory(commune=c)
    homes = {
        "a": HouseholdFactory(commune=a),
        "b": HouseholdFactory(commune=b),
        "c_village": HouseholdFactory(commune=c, village=village),
        "c_other": HouseholdFactory(commune=c),
    }
    return a, b, c, village, homes


def test_provincial_staff_and_superusers_see_everything(province):
    *_, homes = province
    staff = UserFactory(is_staff=True)
    staff.groups.add(provincial_staff_group())
    assert visible(staff) == set(homes.values())
    assert visible(UserFactory(is_superuser=True)) == set(homes.values())


def test_a_collector_sees_their_current_area_only(province):
    a, b, c, village, homes = province
    collector = CollectorFactory()
    AssignmentFactory(collector=collector, commune=a)
    AssignmentFactory(collector=collector, commune=c, village=village)
    AssignmentFactory(collector=collector, commune=b, end=date.today() - timedelta(days=1),
                      start=date.today() - timedelta(days=30))
    assert visible(collector.user) == {homes["a"], homes["c_village"]}


def test_an_agent_manager_sees_the_areas_of_their_agents_collectors(province):
    a, b, c, village, homes = province
    agent = AgentFactory()
    manager = UserFactory()
    agent.managers.add(manager)
    AssignmentFactory(collector=CollectorFactory(agent=agent), commune=a)
    AssignmentFactory(collector=CollectorFactory(agent=agent), commune=c, village=village)
    AssignmentFactory(collector=CollectorFactory(), commune=b)  # another agent's
    AssignmentFactory(collector=CollectorFactory(agent=agent, active=False), commune=b)  # left the agent
    assert visible(manager) == {homes["a"], homes["c_village"]}
    assert set(visible_collectors(manager)) == set(agent.collectors.all())


def test_a_commune_officer_reads_their_commune(province):
    a, b, c, village, homes = province
    officer = UserFactory()
    c.officers.add(officer)
    assert visible(officer) == {homes["c_village"], homes["c_other"]}


def test_someone_without_a_role_sees_nothing(province):
    assert visible(UserFactory()) == set()


def test_rows_that_reach_a_household_are_scoped_through_it(province):
    a, b, *_ , homes = province
    officer = UserFactory()
    a.officers.add(officer)
    inside = MemberFactory(household=homes["a"], relation=Member.Relation.HEAD)
    MemberFactory(household=homes["b"], relation=Member.Relation.HEAD)
    assert visible(officer, Member, "household__") == {inside}
    cover = EnrolmentFactory(member=inside)
    EnrolmentFactory(member=MemberFactory(household=homes["b"]))
    assert visible(officer, Enrolment, "member__household__") == {cover}
