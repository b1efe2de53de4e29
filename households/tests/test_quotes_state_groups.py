"""The last groups of RULES.md, worked to the đồng on real households: people
75+ on a social pension and ethnic-minority people of a disadvantaged area are
insured by the state (not counted, pay nothing); near-poor members of a poor
commune get a central share of 100 % from 15/08/2025; people living in an
island commune or special zone get 50 % of BHXH tự nguyện support from
01/07/2025, the highest group that applies."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from households.contributions import ContributionError
from households.models import Commune, ContributionRate, Enrolment, Household, Member
from households.quotes import bhxh_support_group, quote_household_payment, renewal_quote
from households.rates import rates_on
from households.tests.factories import CommuneFactory, HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 1)  # base salary 2,530,000: 113,850 / 79,695 / 68,310 / 56,925 ₫ a month
THREE_FOR_12 = 3_142_260  # 3 household-group members, 12 months, at 2,530,000
FOUR_FOR_12 = 3_825_360  # 12 × (113,850 + 79,695 + 68,310 + 56,925)
E_DE = "12"


def household_of_three(commune=None, **fields) -> Household:
    household = HouseholdFactory(**({"commune": commune} if commune else {}), **fields)
    MemberFactory(household=household, full_name="Head", relation=Member.Relation.HEAD, date_of_birth=date(1975, 1, 1))
    MemberFactory(household=household, full_name="Spouse", relation=Member.Relation.SPOUSE,
                  date_of_birth=date(1977, 1, 1))
    MemberFactory(household=household, full_name="Son", relation=Member.Relation.CHILD, date_of_birth=date(2000, 1, 1))
    return household


def renewal_total(household, day=TODAY):
    return renewal_quote(household=household, day=day).total


# --- people 75+ on a social pension ---------------------------------------------------------------


@pytest.mark.parametrize("born, since, total", [
    (date(1948, 5, 1), 2024, THREE_FOR_12),  # 78, on the pension: the state pays, not counted
    (date(1951, 12, 1), 2020, THREE_FOR_12),  # 75 on the payment day itself
    (date(1952, 6, 1), 2024, FOUR_FOR_12),  # 74: pays on the ladder, though on the pension
    (date(1948, 5, 1), None, FOUR_FOR_12),  # 78 without a pension: pays on the ladder
    (date(1948, 5, 1), 2027, FOUR_FOR_12),  # a pension granted only next year gives nothing yet
])
def test_a_member_75_or_over_on_a_social_pension_pays_nothing_and_is_not_counted(born, since, total):
    household = household_of_three()
    MemberFactory(household=household, full_name="Grandmother", relation=Member.Relation.PARENT,
                  date_of_birth=born, social_pension_since=since)
    quote = renewal_quote(household=household, day=TODAY)
    assert quote.total == total
    assert ("Grandmother" in {line.member.full_name for line in quote.lines}) == (total == FOUR_FOR_12)


def test_a_payment_for_a_pensioner_over_75_is_refused_saying_the_state_insures_them():
    household = household_of_three()
    grandmother = MemberFactory(household=household, full_name="Grandmother", relation=Member.Relation.PARENT,
                                date_of_birth=date(1948, 5, 1), social_pension_since=2024)
    with translation.override("en"), pytest.raises(ContributionError) as refused:
        quote_household_payment(household=household, members=[grandmother], scheme=Enrolment.Scheme.BHYT_HOUSEHOLD,
                                months=12, day=TODAY)
    assert refused.value.field == "members"
    assert "75 and over on a monthly social pension are insured by the state" in refused.value.message


def test_the_pension_age_is_a_dated_row_staff_can_change():
    household = household_of_three()
    MemberFactory(household=household, relation=Member.Relation.PARENT, date_of_birth=date(1953, 1, 1),
                  social_pension_since=2024)  # 73 on TODAY
    assert renewal_total(household) == FOUR_FOR_12
    ContributionRate.objects.create(key=ContributionRate.Key.SOCIAL_PENSION_STATE_PAID_AGE, value=70,
                                    effective_from=date(2026, 11, 1), source="test")
    assert renewal_total(household) == THREE_FOR_12


# --- ethnic-minority people of a commune still classed as disadvantaged ---------------------------


@pytest.mark.parametrize("commune_fields, total", [
    ({"disadvantaged_area": True}, THREE_FOR_12),  # the state pays: not counted
    # Left the list: the province's +15 % for them, outside the ladder: 85 % of 113,850 = 96,773 ₫ × 12.
    ({"left_disadvantaged_area": True}, THREE_FOR_12 + 1_161_276),
    ({}, FOUR_FOR_12),  # neither: the household group
])
def test_an_ethnic_minority_member_of_a_disadvantaged_area_pays_nothing_and_is_not_counted(commune_fields, total):
    household = household_of_three(CommuneFactory(**commune_fields))
    MemberFactory(household=household, full_name="Y Bhin Niê", relation=Member.Relation.CHILD,
                  date_of_birth=date(2003, 1, 1), ethnicity=E_DE)
    assert renewal_total(household) == total


def test_kinh_members_of_a_disadvantaged_area_still_pay_on_the_ladder():
    household = household_of_three(CommuneFactory(disadvantaged_area=True))
    MemberFactory(household=household, relation=Member.Relation.CHILD, date_of_birth=date(2003, 1, 1))
    assert renewal_total(household) == FOUR_FOR_12


def test_a_commune_is_either_still_disadvantaged_or_left_it_not_both():
    commune = CommuneFactory(left_disadvantaged_area=True)
    commune.disadvantaged_area = True
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        commune.full_clean()
    assert "either still a disadvantaged area or no longer one" in str(refused.value)
    with transaction.atomic(), pytest.raises(IntegrityError):
        Commune.objects.filter(pk=commune.pk).update(disadvantaged_area=True, left_disadvantaged_area=True)


# --- near-poor members of a poor commune ----------------------------------------------------------


@pytest.mark.parametrize("day, poor_commune, total", [
    # Before Decree 188's row: near-poor 70 % wherever they live: 30 % of 105,300 = 31,590 ₫ × 12.
    (date(2025, 8, 14), True, 379_080),
    (date(2025, 9, 1), False, 379_080),
    (date(2025, 9, 1), True, 0),  # 100 % in a poor commune, before the province's top-up
    (date(2026, 12, 1), True, 0),
    (date(2026, 12, 1), False, 0),  # Đắk Lắk's +30 % since 30/10/2025 makes 100 % anyway
])
def test_a_near_poor_member_of_a_poor_commune_gets_the_central_100_percent(day, poor_commune, total):
    household = HouseholdFactory(commune=CommuneFactory(poor_commune=poor_commune),
                                 economic_status=Household.EconomicStatus.NEAR_POOR, status_year=day.year)
    MemberFactory(household=household, relation=Member.Relation.HEAD)
    assert renewal_total(household, day) == total


def test_the_poor_commune_support_line_says_the_state_pays_100_percent():
    household = HouseholdFactory(commune=CommuneFactory(poor_commune=True),
                                 economic_status=Household.EconomicStatus.NEAR_POOR, status_year=2025)
    MemberFactory(household=household, full_name="Near Poor", relation=Member.Relation.HEAD)
    with translation.override("vi"):
        explanation = renewal_quote(household=household, day=date(2025, 9, 1)).explanation
    assert any("Hộ cận nghèo ở xã nghèo: Nhà nước hỗ trợ 100 % = 105.300 ₫, còn phải đóng 0 ₫/tháng" in line
               for line in explanation), explanation


def test_the_poor_commune_share_is_a_dated_row_with_its_source():
    row = ContributionRate.objects.get(key=ContributionRate.Key.BHYT_SUPPORT_NEAR_POOR_POOR_COMMUNE,
                                       province_code=ContributionRate.CENTRAL)
    assert (row.value, row.effective_from) == (Decimal(1), date(2025, 8, 15))
    assert "188/2025" in row.source


# --- BHXH tự nguyện in island communes and special zones ------------------------------------------


def bhxh_monthly(household, member, day=TODAY):
    quote = quote_household_payment(household=household, members=[member], scheme=Enrolment.Scheme.BHXH_VOLUNTARY,
                                     months=1, day=day, income=1_500_000)
    return quote.total


@pytest.mark.parametrize("commune_fields, ethnicity, status, day, payable", [
    # 22 % of 1,500,000 = 330,000 ₫; support is a share of it.
    ({"island": True}, "01", "other", TODAY, 165_000),  # 50 %
    ({"kind": Commune.Kind.DAC_KHU}, "01", "other", TODAY, 165_000),  # a special zone, without the mark
    ({}, "01", "other", TODAY, 264_000),  # everyone else: 20 %
    ({"island": True}, E_DE, "other", TODAY, 165_000),  # island 50 % over ethnic minority 30 %
    ({"island": True}, "01", "near_poor", TODAY, 165_000),  # island 50 % over near-poor 40 %
    ({"island": True}, "01", "other", date(2025, 6, 30), 297_000),  # before Decree 159: no such group, 10 %
])
def test_people_of_island_communes_get_half_of_the_bhxh_support(commune_fields, ethnicity, status, day, payable):
    household = HouseholdFactory(commune=CommuneFactory(**commune_fields), economic_status=status,
                                 status_year=None if status == "other" else day.year)
    member = MemberFactory(household=household, relation=Member.Relation.HEAD, ethnicity=ethnicity)
    assert bhxh_monthly(household, member, day) == payable


def test_bhxh_takes_the_highest_share_in_force_counting_the_provinces_top_up():
    household = HouseholdFactory(commune=CommuneFactory(island=True))
    member = MemberFactory(household=household, relation=Member.Relation.HEAD, ethnicity=E_DE)
    ContributionRate.objects.create(key=ContributionRate.Key.BHXH_SUPPORT_ETHNIC_MINORITY, province_code=66,
                                    value=Decimal("0.25"), effective_from=date(2026, 1, 1), source="test")
    assert bhxh_support_group(member, household, rates_on(TODAY)) == "ethnic_minority"  # 30 + 25 > 50
    assert bhxh_monthly(household, member) == 330_000 - 181_500  # 55 % of 330,000
