"""The state-covered rule is written twice — state_covered_reason for one member
(household page, quotes) and state_covered_filter for the database (Today's
prospects, the dashboard's counts) — so they are checked against each other on
every combination of the evidence, at the boundaries of each rule."""

import itertools
from datetime import date

import pytest

from households.ethnicity import KINH
from households.models import Household, Member
from households.quotes import state_covered_filter, state_covered_reason
from households.rates import rates_on
from households.tests.factories import CommuneFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 15)
STATUSES = [(Household.EconomicStatus.POOR, 2026), (Household.EconomicStatus.POOR, 2020),
            (Household.EconomicStatus.NEAR_POOR, 2026), (Household.EconomicStatus.OTHER, None)]
BIRTHS = [date(2020, 6, 15),  # 6 today: no longer a child under 6
          date(2020, 6, 16),  # 6 tomorrow
          date(1951, 6, 15),  # 75 today
          date(1951, 6, 16),  # 75 tomorrow
          date(1990, 1, 1)]


@pytest.fixture
def everyone():
    homes = []
    for disadvantaged, (status, year) in itertools.product([True, False], STATUSES):
        commune = CommuneFactory(disadvantaged_area=disadvantaged)
        homes.append(HouseholdFactory(commune=commune, economic_status=status, status_year=year))
    members = [MemberFactory.build(household=home, date_of_birth=born, social_pension_since=pension,
                                   ethnicity=ethnicity, insured_elsewhere=elsewhere)
               for home, born, pension, ethnicity, elsewhere in itertools.product(
                   homes, BIRTHS, [None, 2026, 2027], [KINH, "03"], [False, True])]
    Member.objects.bulk_create(members)
    return Member.objects.select_related("household__commune")


@pytest.mark.parametrize("with_rates", [True, False], ids=["rates in force", "the rows' usual values"])
def test_the_filter_selects_exactly_the_members_the_reason_names(everyone, with_rates):
    rates = rates_on(DAY) if with_rates else None
    by_reason = {m.pk for m in everyone if state_covered_reason(m, m.household, DAY, rates) is not None}
    by_filter = set(everyone.filter(state_covered_filter(DAY, rates)).values_list("pk", flat=True))
    assert by_filter == by_reason
    # Neither side is trivially empty or everyone.
    assert 0 < len(by_reason) < everyone.count()
