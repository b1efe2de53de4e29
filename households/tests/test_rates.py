"""The dated rules seeded from RULES.md give the official figures on each date."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from households.contributions import BhytMember, ContributionError, quote_bhxh_voluntary, quote_bhyt_household
from households.models import ContributionRate, ReferenceAmount
from households.rates import rates_on

pytestmark = pytest.mark.django_db


def household_of(n):
    return [BhytMember(f"#{i}") for i in range(n)]


@pytest.mark.parametrize("day, base, first_member, household_of_3_for_12", [
    (date(2024, 7, 1), 2_340_000, 105_300, 2_906_280),
    (date(2026, 6, 30), 2_340_000, 105_300, 2_906_280),
    (date(2026, 7, 1), 2_530_000, 113_850, 3_142_260),
])
def test_the_amount_for_a_date_uses_the_rows_in_force_on_that_date(day, base, first_member, household_of_3_for_12):
    rates = rates_on(day)
    assert rates.base_salary == base
    assert quote_bhyt_household(rates, household_of(1), 3).lines[0].monthly_gross == first_member
    assert quote_bhyt_household(rates, household_of(3), 12).total_payable == household_of_3_for_12


@pytest.mark.parametrize("day, payable", [
    (date(2025, 6, 30), {"poor": 231_000, "near_poor": 247_500, "ethnic_minority": 297_000, "other": 297_000}),
    (date(2025, 7, 1), {"poor": 165_000, "near_poor": 198_000, "ethnic_minority": 231_000, "other": 264_000}),
])
def test_bhxh_support_shares_changed_on_1_july_2025(day, payable):
    rates = rates_on(day)
    assert {group: quote_bhxh_voluntary(rates, 1_500_000, group, 1).monthly_payable for group in payable} == payable


def test_income_bounds_move_with_their_rows():
    assert (rates_on(date(2026, 6, 30)).bhxh_income_max, rates_on(date(2026, 7, 1)).bhxh_income_max) == (
        46_800_000, 50_600_000)
    assert rates_on(date(2027, 1, 1)).bhxh_income_min == 2_200_000
    assert rates_on(date(2026, 1, 1)).bhxh_support_max_months == 120


def test_a_change_of_law_is_a_new_row_from_its_date():
    ReferenceAmount.objects.create(kind="base_salary", amount=2_800_000, effective_from=date(2028, 7, 1))
    ContributionRate.objects.create(key="bhyt_rate", value=Decimal("0.05"), effective_from=date(2028, 7, 1))
    assert quote_bhyt_household(rates_on(date(2028, 7, 1)), household_of(1), 3).lines[0].monthly_gross == 140_000
    assert quote_bhyt_household(rates_on(date(2028, 6, 30)), household_of(1), 3).lines[0].monthly_gross == 113_850


def test_a_date_before_any_rule_says_what_is_missing():
    with pytest.raises(ContributionError, match="No rule in force on 01/01/2020 for: base salary"):
        rates_on(date(2020, 1, 1))


def quote(*args):
    out = StringIO()
    call_command("quote", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("args, total", [
    (["--members", "3", "--with", "near-poor", "--date", "2026-12-01"], "3.142.260 ₫"),
    (["--members", "0", "--with", "agri-average", "--date", "2026-12-01"], "546.480 ₫"),
    # Before Đắk Lắk's top-ups (2025-10-30) the near-poor member pays 30 % of 105,300 a month.
    (["--members", "3", "--with", "near-poor", "--date", "2025-10-29"], "3.285.360 ₫"),
])
def test_quote_command_counts_supported_members_outside_the_ladder(args, total):
    assert quote("bhyt", "--months", "12", *args)[-1] == f"To pay: {total}"


def test_quote_command_uses_the_offices_province_for_the_top_ups(settings):
    settings.OUTREACH_PROVINCE_CODE = 1  # Hà Nội: no top-up entered
    assert quote("bhyt", "--members", "0", "--with", "near-poor", "--months", "12", "--date", "2026-12-01")[-1] == (
        "To pay: 409.860 ₫")  # 30 % of 113,850 × 12


def test_a_lump_sum_of_years_ahead_uses_the_years_interest_rate_row_staff_enter():
    ContributionRate.objects.create(key=ContributionRate.Key.BHXH_FUND_MONTHLY_INTEREST, value=Decimal("0.004"),
                                    effective_from=date(2026, 1, 1), source="published for 2025 (example)")
    lines = quote("bhxh", "--income", "1500000", "--group", "other", "--months", "24", "--date", "2026-11-25")
    assert lines[-1] == "To pay: 6.054.012 ₫"
    # Next year needs next year's row: last year's does not carry over.
    with pytest.raises(CommandError, match="interest rate for 2026"):
        quote("bhxh", "--income", "2200000", "--group", "other", "--months", "24", "--date", "2027-01-05")


def test_quote_command_prints_the_breakdown_and_the_total():
    lines = quote("bhyt", "--members", "3", "--months", "12", "--date", "2024-08-01")
    assert lines[1] == "Member 2 of the household (#2): 70% of 105.300 ₫ = 73.710 ₫/month"
    assert lines[-1] == "To pay: 2.906.280 ₫"
    lines = quote("bhxh", "--income", "1500000", "--group", "near-poor", "--months", "12", "--date", "2026-11-25")
    assert lines[-1] == "To pay: 2.376.000 ₫"


@pytest.mark.parametrize("args, message", [
    (["bhyt", "--members", "2", "--months", "5"], "Payment period must be one of 3, 6, 12 months."),
    (["bhxh", "--income", "60000000", "--group", "other", "--months", "1", "--date", "2026-11-25"],
     "choose an amount from 1.500.000 ₫ to 50.600.000 ₫"),
    (["bhyt", "--members", "0", "--months", "3"], "--members must be 1 or more, or 0 with at least one --with."),
    (["bhxh", "--income", "1500000", "--group", "other", "--months", "24", "--date", "2026-11-25"],
     "24 months paid ahead at once are discounted at the fund's average monthly interest rate for 2025"),
])
def test_quote_command_refuses_what_the_rules_do_not_allow(args, message):
    with pytest.raises(CommandError, match=message):
        quote(*args)


def test_the_migration_says_how_many_members_moved_out_of_the_ladder(capsys):
    import importlib

    from django.apps import apps

    from households.tests.factories import HouseholdFactory, MemberFactory

    near_poor = HouseholdFactory(economic_status="near_poor", status_year=2026)
    MemberFactory(household=near_poor, relation="head")
    MemberFactory(household=near_poor)
    # A child under 6 was never in the ladder (the state insures them): not moved, not counted.
    MemberFactory(household=near_poor, relation="child", date_of_birth=date.today() - timedelta(days=2 * 365))
    MemberFactory(household=HouseholdFactory(), relation="head")
    importlib.import_module("households.migrations.0014_supported_groups_province_top_ups").count_moved(apps, None)
    assert "2 members of near-poor households moved out of the household ladder" in capsys.readouterr().out


def test_the_seeded_rows_give_dak_lak_its_top_ups_from_30_october_2025():
    assert rates_on(date(2025, 10, 29)).bhyt_province_shares == {}
    assert rates_on(date(2025, 10, 30)).bhyt_province_shares == {
        "near_poor": Decimal("0.3"), "student": Decimal("0.05"), "agri_average": Decimal("0.3"),
        "ethnic_minority_exited": Decimal("0.15")}
    assert rates_on(date(2026, 12, 1), province_code=1).bhyt_province_shares == {}
