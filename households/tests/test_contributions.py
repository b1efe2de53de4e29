"""Contribution rules against the official worked figures in RULES.md, to the đồng."""

import os
from dataclasses import replace
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import django
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

if not settings.configured:  # run standalone (pytest -p no:django); pytest-django configures its own
    settings.configure(USE_I18N=True, LANGUAGE_CODE="en")
    django.setup()

from households.contributions import (  # noqa: E402
    BHXH_VOLUNTARY,
    BHYT_HOUSEHOLD,
    MISSING,
    BhytMember,
    ContributionError,
    RatesInForce,
    add_months,
    discounted_lump_sum,
    format_percent,
    format_vnd,
    lump_sum_with_interest,
    new_coverage,
    quote_bhxh_voluntary,
    quote_bhyt_household,
)

# --- reference values, as dated rows (effective from, value) ----------------

BASE_SALARY = [(date(2024, 7, 1), 2_340_000), (date(2026, 7, 1), 2_530_000)]
RURAL_POVERTY_LINE = [(date(2022, 1, 1), 1_500_000), (date(2027, 1, 1), 2_200_000)]
BHXH_SUPPORT_SHARES = [
    # Before 2025-07-01 there was no ethnic-minority group: they counted as "other".
    (
        date(2018, 1, 1),
        {"poor": Decimal("0.30"), "near_poor": Decimal("0.25"), "ethnic_minority": Decimal("0.10"),
         "other": Decimal("0.10")},
    ),
    (
        date(2025, 7, 1),
        {"poor": Decimal("0.50"), "near_poor": Decimal("0.40"), "ethnic_minority": Decimal("0.30"),
         "other": Decimal("0.20")},
    ),
]
BHYT_SUPPORT_SHARES = {"near_poor": Decimal("0.70"), "student": Decimal("0.50"), "agri_average": Decimal("0.30"),
                       "ethnic_minority_exited": Decimal(0)}
# Đắk Lắk's top-ups, in force from 2025-10-30 (RULES.md).
DAK_LAK_TOP_UPS = [
    (date(2025, 10, 30), {"near_poor": Decimal("0.30"), "agri_average": Decimal("0.30"),
                          "ethnic_minority_exited": Decimal("0.15"), "student": Decimal("0.05")}),
]


def _in_force(rows, day):
    values = [value for since, value in rows if since <= day]
    if not values:
        raise LookupError(f"no value in force on {day}")
    return values[-1]


def rates_on(day: date, interest: Decimal | None = None) -> RatesInForce:
    """The values in force on `day` in Đắk Lắk, built the way the app reads its dated rows."""
    base_salary = _in_force(BASE_SALARY, day)
    top_ups = [value for since, value in DAK_LAK_TOP_UPS if since <= day]
    poverty_line = _in_force(RURAL_POVERTY_LINE, day)
    return RatesInForce(
        on=day,
        base_salary=base_salary,
        rural_poverty_line=poverty_line,
        bhyt_rate=Decimal("0.045"),
        bhyt_ladder=(Decimal("1"), Decimal("0.7"), Decimal("0.6"), Decimal("0.5"), Decimal("0.4")),
        bhyt_periods=(3, 6, 12),
        bhyt_support_shares=dict(BHYT_SUPPORT_SHARES),
        bhxh_rate=Decimal("0.22"),
        bhxh_income_min=poverty_line,
        bhxh_income_max=20 * base_salary,
        bhxh_support_shares=dict(_in_force(BHXH_SUPPORT_SHARES, day)),
        bhxh_periods=(1, 3, 6, 12, 24, 36, 48, 60),
        province_code=66,
        bhyt_province_shares=dict(top_ups[-1]) if top_ups else {},
        bhxh_interest_rate=interest,
    )


RATES_2024 = rates_on(date(2024, 7, 1))  # base 2,340,000; old BHXH shares
RATES_2025 = rates_on(date(2025, 7, 1))  # base 2,340,000; new BHXH shares
RATES_2026 = rates_on(date(2026, 7, 1))  # base 2,530,000
RATES_2027 = rates_on(date(2027, 1, 1))  # poverty line 2,200,000
RATES_BEFORE_TOP_UPS = rates_on(date(2025, 10, 29))  # base 2,340,000; no Đắk Lắk top-up yet
RATES_TOP_UPS = rates_on(date(2025, 10, 30))  # base 2,340,000; Đắk Lắk's top-ups
RATES_TODAY = rates_on(date(2026, 12, 1))  # base 2,530,000 and the top-ups
RATES_BY_BASE = {2_340_000: RATES_2024, 2_530_000: RATES_2026}


def household(size: int, **member_options) -> list[BhytMember]:
    return [BhytMember(f"Member {i}", **member_options) for i in range(1, size + 1)]


def error_message(call, *args, **kwargs) -> str:
    with pytest.raises(ContributionError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- formatting -------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, text",
    [(0, "0 ₫"), (999, "999 ₫"), (1_000, "1.000 ₫"), (1_263_600, "1.263.600 ₫"), (-73_710, "-73.710 ₫")],
)
def test_format_vnd(amount, text):
    assert format_vnd(amount) == text


@pytest.mark.parametrize(
    "share, text",
    [(Decimal("0.045"), "4,5%"), (Decimal("0.7"), "70%"), (Decimal("0.70"), "70%"), (Decimal("1"), "100%")],
)
def test_format_percent(share, text):
    assert format_percent(share) == text


def test_module_imports_without_django_settings_or_database():
    script = "import sys, households.contributions; assert 'django.db' not in sys.modules"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True)


# --- BHYT household: official figures -----------------------------------------

# RULES.md: per month, members 1 to 5 (5th onward at 40 %).
OFFICIAL_MONTHLY = {
    2_340_000: [105_300, 73_710, 63_180, 52_650, 42_120],
    2_530_000: [113_850, 79_695, 68_310, 56_925, 45_540],
}


@pytest.mark.parametrize("base", OFFICIAL_MONTHLY)
def test_bhyt_monthly_amount_per_member(base):
    quote = quote_bhyt_household(RATES_BY_BASE[base], household(5), 12)
    assert [line.monthly_gross for line in quote.lines] == OFFICIAL_MONTHLY[base]
    assert [line.position for line in quote.lines] == [1, 2, 3, 4, 5]


def test_bhyt_twelve_months_per_member_at_2_340_000():
    quote = quote_bhyt_household(RATES_2024, household(5), 12)
    assert [line.total_gross for line in quote.lines] == [1_263_600, 884_520, 758_160, 631_800, 505_440]


# Household totals (no support) for 3, 6 and 12 months.
HOUSEHOLD_TOTALS = [
    (2_340_000, 1, 315_900, 631_800, 1_263_600),
    (2_340_000, 2, 537_030, 1_074_060, 2_148_120),
    (2_340_000, 3, 726_570, 1_453_140, 2_906_280),
    (2_340_000, 4, 884_520, 1_769_040, 3_538_080),
    (2_340_000, 5, 1_010_880, 2_021_760, 4_043_520),
    (2_340_000, 6, 1_137_240, 2_274_480, 4_548_960),
    (2_340_000, 7, 1_263_600, 2_527_200, 5_054_400),
    (2_530_000, 1, 341_550, 683_100, 1_366_200),
    (2_530_000, 2, 580_635, 1_161_270, 2_322_540),
    (2_530_000, 3, 785_565, 1_571_130, 3_142_260),
    (2_530_000, 4, 956_340, 1_912_680, 3_825_360),
    (2_530_000, 5, 1_092_960, 2_185_920, 4_371_840),
    (2_530_000, 6, 1_229_580, 2_459_160, 4_918_320),
    (2_530_000, 7, 1_366_200, 2_732_400, 5_464_800),
]


@pytest.mark.parametrize(
    "base, size, months, total",
    [
        (base, size, months, total)
        for base, size, *totals in HOUSEHOLD_TOTALS
        for months, total in zip((3, 6, 12), totals)
    ],
)
def test_bhyt_household_total(base, size, months, total):
    quote = quote_bhyt_household(RATES_BY_BASE[base], household(size), months)
    assert quote.months == months
    assert quote.total_gross == quote.total_payable == total
    assert quote.total_support == 0


def test_bhyt_uses_the_base_salary_in_force_on_the_payment_date():
    assert quote_bhyt_household(rates_on(date(2026, 6, 30)), household(1), 12).total_payable == 1_263_600
    assert quote_bhyt_household(rates_on(date(2026, 7, 1)), household(1), 12).total_payable == 1_366_200


def test_bhyt_members_covered_elsewhere_do_not_count_or_pay():
    members = [
        BhytMember("Grandfather (pensioner)", covered_elsewhere=True),
        BhytMember("Y Bhin Niê"),
        BhytMember("Child aged 4", covered_elsewhere=True),
        BhytMember("H'Hen Ksor"),
    ]
    quote = quote_bhyt_household(RATES_2024, members, 12)
    assert [line.position for line in quote.lines] == [None, 1, None, 2]
    assert [line.total_payable for line in quote.lines] == [0, 1_263_600, 0, 884_520]
    assert quote.total_payable == 2_148_120
    assert quote.explanation[0] == (
        "Grandfather (pensioner): covered by another scheme, not counted in the household and pays nothing here"
    )


def test_bhyt_member_covered_elsewhere_gets_no_support_line():
    members = [BhytMember("A"), BhytMember("B", covered_elsewhere=True, support_group="near_poor")]
    line = quote_bhyt_household(RATES_2024, members, 3).lines[1]
    assert (line.support_share, line.monthly_support, line.total_payable) == (Decimal(0), 0, 0)


# --- BHYT household: state-supported groups, outside the ladder ------------------

HG, NEAR_POOR, STUDENT, AGRI, EXITED = None, "near_poor", "student", "agri_average", "ethnic_minority_exited"


def people(*groups, covered=0) -> list[BhytMember]:
    """Members in the order given: None a household-group member, else a supported group."""
    members = [BhytMember(f"#{n}", support_group=group) for n, group in enumerate(groups, 1)]
    return members + [BhytMember(f"covered {n}", covered_elsewhere=True) for n in range(covered)]


@pytest.mark.parametrize(
    "rates, members, months, total",
    [
        # The cases, 12 months on 2026-12-01 in Đắk Lắk.
        (RATES_TODAY, people(HG, HG, HG, NEAR_POOR), 12, 3_142_260),  # 12 × (113,850 + 79,695 + 68,310) + 0
        (RATES_TODAY, people(AGRI), 12, 546_480),  # 12 × 40 % of 113,850 = 12 × 45,540
        (RATES_TODAY, people(NEAR_POOR), 12, 0),  # central 70 % + province 30 %
        (RATES_TODAY, people(STUDENT), 12, 12 * 51_233),  # 45 % of 113,850 = 51,232.5 → 51,233
        (RATES_TODAY, people(EXITED), 12, 12 * 96_773),  # 85 % of 113,850 = 96,772.5 → 96,773
        # A household mixing every kind: the supported members, wherever they stand, move no one's place.
        (RATES_TODAY, people(STUDENT, HG, NEAR_POOR, HG, AGRI, HG, covered=2), 12,
         12 * (113_850 + 79_695 + 68_310) + 12 * 51_233 + 0 + 12 * 45_540),
        # A supported member who also fits a better group gets that one, once: near-poor beats student.
        (RATES_TODAY, [BhytMember("both", support_groups=(STUDENT, NEAR_POOR))], 12, 0),
        # The day before the top-ups (2025-10-29, base 2,340,000): the central share alone.
        (RATES_BEFORE_TOP_UPS, people(HG, HG, HG, NEAR_POOR), 12, 2_906_280 + 12 * 31_590),  # 30 % of 105,300
        (RATES_BEFORE_TOP_UPS, people(AGRI), 12, 12 * 73_710),  # 70 % of 105,300
        (RATES_BEFORE_TOP_UPS, people(STUDENT), 6, 6 * 52_650),  # 50 % of 105,300
        # From 2025-10-30, still at 2,340,000.
        (RATES_TOP_UPS, people(HG, HG, HG, NEAR_POOR), 12, 2_906_280),
        (RATES_TOP_UPS, people(AGRI), 12, 12 * 42_120),  # 40 % of 105,300
        (RATES_TOP_UPS, people(STUDENT), 3, 3 * 47_385),  # 45 % of 105,300
        # 2026-07-01, the new base salary: a household of 3 with a farm member of average standard.
        (RATES_2026, people(HG, AGRI, HG, HG), 12, 3_142_260 + 546_480),
    ],
)
def test_bhyt_worked_cases_to_the_dong(rates, members, months, total):
    assert quote_bhyt_household(rates, members, months).total_payable == total


def test_bhyt_supported_members_take_no_place_in_the_ladder():
    lines = quote_bhyt_household(RATES_TODAY, people(NEAR_POOR, HG, AGRI, HG, covered=1), 12).lines
    assert [(line.kind, line.position) for line in lines] == [
        ("supported", None), ("household", 1), ("supported", None), ("household", 2), ("covered", None)]
    assert [line.monthly_gross for line in lines] == [113_850, 113_850, 113_850, 79_695, 0]


def test_bhyt_explanation_names_both_parts_of_the_support_in_vietnamese():
    from django.utils import translation

    with translation.override("vi"):
        explanation = quote_bhyt_household(RATES_TODAY, people(HG, NEAR_POOR), 12).explanation
    assert explanation[1].endswith(
        "Hộ cận nghèo: Nhà nước hỗ trợ 70 % + tỉnh hỗ trợ 30 % = 113.850 ₫, còn phải đóng 0 ₫/tháng")


def test_bhyt_explanation_reads_each_member_and_the_total():
    members = [BhytMember("Y Bhin Niê"), BhytMember("H'Hen Ksor", support_group="student"), BhytMember("Y Kar")]
    assert quote_bhyt_household(RATES_TODAY, members, 12).explanation == [
        "Member 1 of the household (Y Bhin Niê): 4,5% of the base salary 2.530.000 ₫ = 113.850 ₫/month",
        "H'Hen Ksor, outside the household ladder: 4,5% of the base salary 2.530.000 ₫ = 113.850 ₫/month. "
        "Pupil or student: the state supports 50 % + the province supports 5 % = 62.617 ₫, "
        "still to pay 51.233 ₫/month",
        "Member 2 of the household (Y Kar): 70% of 113.850 ₫ = 79.695 ₫/month",
        "Total: 307.395 ₫/month × 12 = 3.688.740 ₫, minus support (state and province) 751.404 ₫ = 2.937.336 ₫ to pay",
    ]


def test_bhyt_support_never_goes_above_100_percent():
    rates = replace(RATES_TODAY, bhyt_support_shares={**BHYT_SUPPORT_SHARES, "near_poor": Decimal(1)})
    line = quote_bhyt_household(rates, people(NEAR_POOR), 12).lines[0]
    assert (line.central_share, line.province_share, line.total_payable) == (Decimal(1), Decimal(0), 0)


def test_bhyt_explanation_total_without_support():
    assert quote_bhyt_household(RATES_2026, household(3), 12).explanation[-1] == (
        "Total: 261.855 ₫/month × 12 = 3.142.260 ₫"
    )


# --- BHYT household: bad input -------------------------------------------------


@pytest.mark.parametrize("months", [0, 1, 4, 24, -12])
def test_bhyt_period_must_be_3_6_or_12_months(months):
    assert error_message(quote_bhyt_household, RATES_2024, household(2), months) == (
        "Payment period must be one of 3, 6, 12 months."
    )


@pytest.mark.parametrize("members", [[], [BhytMember("Pensioner", covered_elsewhere=True)]])
def test_bhyt_household_needs_a_paying_member(members):
    assert error_message(quote_bhyt_household, RATES_2024, members, 12) == (
        "The household needs at least one member who pays here (not covered by another scheme)."
    )


def test_bhyt_unknown_support_group():
    members = [BhytMember("A", support_group="veteran")]
    assert error_message(quote_bhyt_household, RATES_2024, members, 12) == (
        "Unknown support group “veteran”: choose one of near_poor, student, agri_average, ethnic_minority_exited."
    )


# --- BHXH voluntary: official figures ------------------------------------------


@pytest.mark.parametrize(
    "rates, group, monthly_support, monthly_payable",
    [
        # From 2025-07-01: 50 / 40 / 30 / 20 % of 330,000.
        (RATES_2025, "poor", 165_000, 165_000),
        (RATES_2025, "near_poor", 132_000, 198_000),
        (RATES_2025, "ethnic_minority", 99_000, 231_000),
        (RATES_2025, "other", 66_000, 264_000),
        (RATES_2026, "poor", 165_000, 165_000),
        (RATES_2026, "other", 66_000, 264_000),
        # Before 2025-07-01: 30 / 25 / — / 10 %; ethnic minorities counted as "other".
        (RATES_2024, "poor", 99_000, 231_000),
        (RATES_2024, "near_poor", 82_500, 247_500),
        (RATES_2024, "ethnic_minority", 33_000, 297_000),
        (RATES_2024, "other", 33_000, 297_000),
    ],
)
def test_bhxh_at_the_minimum_income(rates, group, monthly_support, monthly_payable):
    quote = quote_bhxh_voluntary(rates, 1_500_000, group, 1)
    assert quote.monthly_gross == 330_000
    assert (quote.monthly_support, quote.monthly_payable) == (monthly_support, monthly_payable)
    assert (quote.total_gross, quote.total_support, quote.total_payable) == (330_000, monthly_support, monthly_payable)


@pytest.mark.parametrize(
    "rates, income, monthly_gross",
    [
        (RATES_2025, 46_800_000, 10_296_000),  # maximum: 20 × 2,340,000
        (RATES_2026, 50_600_000, 11_132_000),  # maximum: 20 × 2,530,000
        (RATES_2025, 5_000_000, 1_100_000),
        (RATES_2025, 2_345_678, 516_049),  # 516,049.16
        (RATES_2025, 1_500_025, 330_006),  # 330,005.5, rounded half up
    ],
)
def test_bhxh_support_does_not_grow_with_the_chosen_income(rates, income, monthly_gross):
    quote = quote_bhxh_voluntary(rates, income, "near_poor", 1)
    assert quote.monthly_gross == monthly_gross
    assert quote.monthly_support == 132_000  # 40 % of 22 % of 1,500,000
    assert quote.monthly_payable == monthly_gross - 132_000


def test_bhxh_poverty_line_of_2027_raises_minimum_and_support():
    quote = quote_bhxh_voluntary(RATES_2027, 2_200_000, "poor", 12)
    assert (quote.monthly_gross, quote.monthly_support, quote.monthly_payable) == (484_000, 242_000, 242_000)
    assert quote.total_payable == 2_904_000


@pytest.mark.parametrize(
    "months, total_gross, total_support, total_payable",
    [
        (3, 990_000, 396_000, 594_000),
        (6, 1_980_000, 792_000, 1_188_000),
        (12, 3_960_000, 1_584_000, 2_376_000),
        (24, 7_920_000, 3_168_000, 4_752_000),
        (36, 11_880_000, 4_752_000, 7_128_000),
        (48, 15_840_000, 6_336_000, 9_504_000),
        (60, 19_800_000, 7_920_000, 11_880_000),
    ],
)
def test_bhxh_periods_up_to_five_years(months, total_gross, total_support, total_payable):
    # At an interest rate of 0 the lump sum ahead is not discounted: months × the month's amount.
    quote = quote_bhxh_voluntary(replace(RATES_2025, bhxh_interest_rate=Decimal(0)), 1_500_000, "near_poor", months)
    assert (quote.total_gross, quote.total_support, quote.total_payable) == (total_gross, total_support, total_payable)
    assert quote.support_months == months


@pytest.mark.parametrize(
    "support_months_left, support_months, total_support",
    [(None, 60, 7_920_000), (120, 60, 7_920_000), (60, 60, 7_920_000), (18, 18, 2_376_000), (0, 0, 0)],
)
def test_bhxh_support_stops_when_the_persons_support_months_run_out(support_months_left, support_months, total_support):
    quote = quote_bhxh_voluntary(replace(RATES_2025, bhxh_interest_rate=Decimal(0)), 1_500_000, "near_poor", 60,
                                 support_months_left)
    assert quote.support_months == support_months
    assert quote.total_support == total_support
    assert quote.total_payable == 19_800_000 - total_support


def test_bhxh_explanation():
    assert quote_bhxh_voluntary(RATES_2025, 1_500_000, "ethnic_minority", 12).explanation == [
        "Contribution: 22% of the chosen income 1.500.000 ₫ = 330.000 ₫/month",
        "State support (ethnic minority): 30% of 22% of the rural poverty line 1.500.000 ₫ = 99.000 ₫/month",
        "Total: 330.000 ₫/month × 12 = 3.960.000 ₫, minus support (state and province) 1.188.000 ₫ = 2.772.000 ₫ to pay",
    ]


def test_bhxh_explanation_when_support_runs_out_during_the_payment():
    explanation = quote_bhxh_voluntary(RATES_2025, 1_500_000, "poor", 12, support_months_left=5).explanation
    assert explanation[2] == "State support is paid for 5 of the 12 months: the support limit is then reached."
    assert explanation[3] == (
        "Total: 330.000 ₫/month × 12 = 3.960.000 ₫, minus support (state and province) 825.000 ₫ = 3.135.000 ₫ to pay"
    )


def test_bhxh_explanation_without_support_months_left():
    explanation = quote_bhxh_voluntary(RATES_2025, 1_500_000, "poor", 3, support_months_left=0).explanation
    assert explanation[1:] == [
        "No state support: the person has no months of support left.",
        "Total: 330.000 ₫/month × 3 = 990.000 ₫",
    ]


# --- BHXH voluntary: bad input -------------------------------------------------


@pytest.mark.parametrize("months", [0, 2, 18, 72, -1])
def test_bhxh_period_must_be_an_allowed_one(months):
    assert error_message(quote_bhxh_voluntary, RATES_2025, 1_500_000, "other", months) == (
        "Payment period must be one of 1, 3, 6, 12, 24, 36, 48, 60 months."
    )


@pytest.mark.parametrize(
    "rates, income, shown, maximum",
    [
        (RATES_2025, 1_499_999, "1.499.999 ₫", "46.800.000 ₫"),
        (RATES_2025, 46_800_001, "46.800.001 ₫", "46.800.000 ₫"),
        (RATES_2026, 50_600_001, "50.600.001 ₫", "50.600.000 ₫"),
        (RATES_2025, -1_500_000, "-1.500.000 ₫", "46.800.000 ₫"),
    ],
)
def test_bhxh_income_must_be_within_the_bounds(rates, income, shown, maximum):
    assert error_message(quote_bhxh_voluntary, rates, income, "other", 12) == (
        f"Monthly income {shown} is outside the allowed range: choose an amount from 1.500.000 ₫ to {maximum}."
    )


def test_bhxh_unknown_group():
    assert error_message(quote_bhxh_voluntary, RATES_2025, 1_500_000, "island", 12) == (
        "Unknown support group “island”: choose one of poor, near_poor, ethnic_minority, other."
    )


def test_bhxh_negative_support_months_left():
    assert error_message(quote_bhxh_voluntary, RATES_2025, 1_500_000, "poor", 12, support_months_left=-3) == (
        "Months of support left must be 0 or more, not -3."
    )


# --- coverage ------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 8, 31), 1, date(2026, 9, 30)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def test_bhyt_first_enrolment_waits_30_days():
    cover = new_coverage(BHYT_HOUSEHOLD, date(2026, 3, 10), 12, None)
    assert (cover.start, cover.end, cover.waiting) == (date(2026, 4, 9), date(2027, 4, 8), True)
    assert cover.explanation == (
        "First enrolment: the card takes effect 30 days after payment, from 09/04/2026 to 08/04/2027."
    )


@pytest.mark.parametrize(
    "paid_on",
    [
        date(2026, 6, 1),  # before the end
        date(2026, 6, 30),  # on the last day
        date(2026, 8, 30),  # 2 months after the end
        date(2026, 9, 30),  # exactly 3 months after: still continuous
    ],
)
def test_bhyt_renewal_within_3_months_runs_on_without_a_gap(paid_on):
    cover = new_coverage(BHYT_HOUSEHOLD, paid_on, 6, date(2026, 6, 30))
    assert (cover.start, cover.end, cover.waiting) == (date(2026, 7, 1), date(2026, 12, 31), False)
    assert cover.explanation == "Renewal without a break: the card runs on from 01/07/2026 to 31/12/2026."


@pytest.mark.parametrize(
    "paid_on, start, end",
    [
        (date(2026, 10, 1), date(2026, 10, 31), date(2027, 10, 30)),  # 3 months and a day after
        (date(2026, 10, 30), date(2026, 11, 29), date(2027, 11, 28)),  # 4 months after
    ],
)
def test_bhyt_break_of_more_than_3_months_means_a_new_wait(paid_on, start, end):
    cover = new_coverage(BHYT_HOUSEHOLD, paid_on, 12, date(2026, 6, 30))
    assert (cover.start, cover.end, cover.waiting) == (start, end, True)
    assert cover.explanation.startswith("Cover ended on 30/06/2026, more than 3 months before this payment:")


def test_bhyt_break_limit_is_clamped_to_the_month_end():
    # 30 Nov + 3 months is 28 Feb: paying on 28 Feb is continuous, on 1 Mar it is not.
    assert not new_coverage(BHYT_HOUSEHOLD, date(2027, 2, 28), 3, date(2026, 11, 30)).waiting
    assert new_coverage(BHYT_HOUSEHOLD, date(2027, 3, 1), 3, date(2026, 11, 30)).waiting


@pytest.mark.parametrize(
    "previous_end, months, start, end",
    [
        (date(2026, 1, 30), 3, date(2026, 1, 31), date(2026, 4, 30)),  # no 31 Apr: ends with April
        (date(2025, 11, 29), 3, date(2025, 11, 30), date(2026, 2, 28)),
        (date(2024, 2, 28), 12, date(2024, 2, 29), date(2025, 2, 28)),  # leap day start
        (date(2023, 2, 28), 12, date(2023, 3, 1), date(2024, 2, 29)),  # leap day end
        (date(2026, 3, 14), 6, date(2026, 3, 15), date(2026, 9, 14)),
    ],
)
def test_bhyt_card_end_with_month_end_clamping(previous_end, months, start, end):
    cover = new_coverage(BHYT_HOUSEHOLD, previous_end, months, previous_end)
    assert (cover.start, cover.end) == (start, end)


@pytest.mark.parametrize(
    "paid_on, months, previous_end, start, end",
    [
        (date(2026, 2, 15), 1, None, date(2026, 2, 1), date(2026, 2, 28)),  # first payment: its own month
        (date(2026, 2, 15), 60, None, date(2026, 2, 1), date(2031, 1, 31)),  # 5 years ahead
        (date(2026, 6, 20), 3, date(2026, 6, 30), date(2026, 7, 1), date(2026, 9, 30)),  # paid before the end
        (date(2026, 6, 10), 1, date(2026, 5, 31), date(2026, 6, 1), date(2026, 6, 30)),  # paid in the next month
        (date(2026, 6, 10), 12, date(2026, 3, 31), date(2026, 6, 1), date(2027, 5, 31)),  # gap: no back-filling
        (date(2026, 6, 10), 12, date(2027, 12, 31), date(2028, 1, 1), date(2028, 12, 31)),  # paid far ahead
        (date(2026, 6, 10), 6, date(2026, 8, 15), date(2026, 9, 1), date(2027, 2, 28)),  # mid-month end
    ],
)
def test_bhxh_cover_runs_in_whole_months(paid_on, months, previous_end, start, end):
    cover = new_coverage(BHXH_VOLUNTARY, paid_on, months, previous_end)
    assert (cover.start, cover.end, cover.waiting) == (start, end, False)
    assert cover.explanation == f"Paid from {start:%m/%Y} up to {end:%m/%Y}."


@pytest.mark.parametrize("months", [0, -3])
def test_coverage_needs_at_least_one_month(months):
    assert error_message(new_coverage, BHYT_HOUSEHOLD, date(2026, 1, 1), months, None) == (
        f"Months paid must be 1 or more, not {months}."
    )


def test_coverage_unknown_scheme():
    assert error_message(new_coverage, "bhtn", date(2026, 1, 1), 12, None) == (
        "Unknown scheme “bhtn”: choose one of bhyt_hgd, bhxh_tn."
    )


# --- properties ----------------------------------------------------------------

any_rates = st.sampled_from([RATES_2024, RATES_2025, RATES_BEFORE_TOP_UPS, RATES_TOP_UPS, RATES_2026, RATES_2027])
any_member = st.builds(
    BhytMember,
    name=st.text(max_size=5),
    covered_elsewhere=st.booleans(),
    support_group=st.sampled_from([None, *BHYT_SUPPORT_SHARES]),
)
supported_member = st.builds(BhytMember, name=st.just("S"), support_group=st.sampled_from(list(BHYT_SUPPORT_SHARES)))
paying_member = st.builds(BhytMember, name=st.just("P"), support_group=st.sampled_from([None, *BHYT_SUPPORT_SHARES]))
any_household = st.tuples(paying_member, st.lists(any_member, max_size=9)).map(
    lambda drawn: [drawn[0], *drawn[1]]
)
bhyt_months = st.sampled_from([3, 6, 12])


@st.composite
def bhxh_payment(draw):
    rates = replace(draw(any_rates), bhxh_interest_rate=draw(st.decimals("0", "0.02", places=6)))
    return dict(
        rates=rates,
        income=draw(st.integers(rates.bhxh_income_min, rates.bhxh_income_max)),
        group=draw(st.sampled_from(list(rates.bhxh_support_shares))),
        months=draw(st.sampled_from(rates.bhxh_periods)),
        support_months_left=draw(st.none() | st.integers(0, 130)),
    )


@given(any_rates, any_household, bhyt_months)
def test_bhyt_amounts_never_negative_and_add_up(rates, members, months):
    quote = quote_bhyt_household(rates, members, months)
    for line in quote.lines:
        assert min(line.monthly_payable, line.monthly_support, line.total_payable, line.total_support) >= 0
        assert line.monthly_payable + line.monthly_support == line.monthly_gross
        assert line.total_payable + line.total_support == line.total_gross
    assert quote.total_payable > 0 or quote.total_support > 0
    assert quote.total_payable + quote.total_support == quote.total_gross
    assert quote.total_payable == sum(line.total_payable for line in quote.lines)


@given(any_rates, any_household, any_member, bhyt_months, st.integers(0, 10))
def test_bhyt_adding_a_member_never_lowers_the_household_total(rates, members, newcomer, months, place):
    before = quote_bhyt_household(rates, members, months)
    appended = quote_bhyt_household(rates, [*members, newcomer], months)
    assert appended.total_payable >= before.total_payable
    # Inserted anywhere, the ladder only grows; who gets support may shift (see the order test).
    inserted = [*members[:place], newcomer, *members[place:]]
    assert quote_bhyt_household(rates, inserted, months).total_gross >= before.total_gross


@given(any_rates, any_household, bhyt_months)
def test_bhyt_a_later_member_never_costs_more_than_an_earlier_one(rates, members, months):
    counted = [line for line in quote_bhyt_household(rates, members, months).lines if line.position]
    for earlier, later in zip(counted, counted[1:]):
        assert later.monthly_gross <= earlier.monthly_gross
        assert later.position == earlier.position + 1


@given(bhxh_payment())
def test_bhxh_amounts_never_negative_and_add_up(payment):
    quote = quote_bhxh_voluntary(**payment)
    assert quote.monthly_payable >= 0 and quote.total_payable >= 0 and quote.total_support >= 0
    assert quote.monthly_payable + quote.monthly_support == quote.monthly_gross
    assert quote.total_payable + quote.total_support + quote.discount == quote.total_gross
    assert quote.total_gross == quote.monthly_gross * payment["months"]
    assert quote.support_months <= payment["months"]


@given(
    st.sampled_from([BHYT_HOUSEHOLD, BHXH_VOLUNTARY]),
    st.dates(date(2020, 1, 1), date(2035, 12, 31)),
    st.sampled_from([1, 3, 6, 12, 24, 60]),
    st.none() | st.dates(date(2020, 1, 1), date(2035, 12, 31)),
)
def test_coverage_is_a_forward_period_of_the_months_paid(scheme, paid_on, months, previous_end):
    cover = new_coverage(scheme, paid_on, months, previous_end)
    assert cover.start <= cover.end
    assert add_months(cover.start, months - 1) <= cover.end < add_months(cover.start, months + 1)
    if previous_end is not None:
        assert cover.start > previous_end  # never overlaps the previous cover
    if not cover.waiting and scheme == BHYT_HOUSEHOLD:
        assert cover.start == date.fromordinal(previous_end.toordinal() + 1)


@given(any_rates, any_household, supported_member, bhyt_months, st.integers(0, 10))
def test_bhyt_adding_a_supported_member_never_changes_what_the_household_group_pays(rates, members, newcomer,
                                                                                    months, place):
    def household_group(quote):
        return [(line.position, line.total_payable) for line in quote.lines if line.kind == "household"]

    before = quote_bhyt_household(rates, members, months)
    after = quote_bhyt_household(rates, [*members[:place], newcomer, *members[place:]], months)
    assert household_group(after) == household_group(before)


shares = st.dictionaries(st.sampled_from(list(BHYT_SUPPORT_SHARES)), st.decimals("0", "1", places=2))


@given(any_rates, shares, shares, any_household, bhyt_months)
def test_bhyt_support_never_exceeds_the_gross_amount(rates, central, province, members, months):
    rates = replace(rates, bhyt_support_shares={**BHYT_SUPPORT_SHARES, **central}, bhyt_province_shares=province)
    for line in quote_bhyt_household(rates, members, months).lines:
        assert 0 <= line.monthly_support <= line.monthly_gross
        assert line.support_share <= 1


@given(st.lists(st.integers(0, 50_600_000 * 22 // 100), min_size=1, max_size=120),
       st.decimals("0", "0.05", places=6))
def test_the_discounted_lump_sum_is_never_more_than_months_times_the_monthly_amount(amounts, rate):
    monthly = max(amounts)
    assert discounted_lump_sum(amounts, rate) <= len(amounts) * monthly
    assert discounted_lump_sum([monthly] * len(amounts), rate) <= len(amounts) * monthly
    assert lump_sum_with_interest(amounts, rate) >= sum(amounts)


# --- BHXH: several years ahead, missing years ----------------------------------------

INTEREST = Decimal("0.004")  # an example rate of 0.4 % a month, as staff would enter it


def test_bhxh_24_months_ahead_are_discounted_month_by_month():
    quote = quote_bhxh_voluntary(replace(RATES_2026, bhxh_interest_rate=INTEREST), 1_500_000, "other", 24)
    # P = 330,000 − 66,000 = 264,000; T = Σ 264,000 / 1.004^(i−1), i = 1..24.
    expected = sum(Decimal(264_000) / Decimal("1.004") ** i for i in range(24))
    assert quote.total_payable == int(expected.quantize(Decimal(1), rounding="ROUND_HALF_UP")) == 6_054_012
    assert quote.discount == 24 * 264_000 - quote.total_payable
    assert quote.explanation[-1] == (
        "24 months paid ahead at once: each month after the first is discounted at the fund's interest rate of "
        "0,4% a month: 6.336.000 ₫ less 281.988 ₫ = 6.054.012 ₫ to pay")


def test_bhxh_missing_months_without_the_years_interest_rate_are_refused_saying_so_not_more_than_12_months():
    # 3 missing months: the old message spoke of "more than 12 months".
    message = error_message(quote_bhxh_voluntary, RATES_2026, 1_500_000, "other", 3, mode=MISSING)
    assert message == ("3 missing months paid at once carry interest at the fund's average monthly interest rate "
                       "for 2025, which is not entered yet: add the contribution rate “BHXH voluntary: the fund's "
                       "average monthly interest rate of the year before” in force from 01/01/2026.")


def test_bhxh_missing_months_paid_at_once_carry_interest():
    quote = quote_bhxh_voluntary(replace(RATES_2026, bhxh_interest_rate=INTEREST), 1_500_000, "other", 12,
                                 mode=MISSING)
    expected = sum(Decimal(264_000) * Decimal("1.004") ** i for i in range(1, 13))
    assert quote.total_payable == int(expected.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert quote.interest == quote.total_payable - 12 * 264_000 > 0


def test_bhxh_more_than_12_months_without_the_years_interest_rate_is_refused_naming_the_row():
    message = error_message(quote_bhxh_voluntary, RATES_2026, 1_500_000, "other", 24)
    assert message == ("24 months paid ahead at once are discounted at the fund's average monthly interest rate for "
                       "2025, which is not entered yet: add the contribution rate “BHXH voluntary: the fund's average "
                       "monthly interest rate of the year before” in force from 01/01/2026.")
    assert quote_bhxh_voluntary(RATES_2026, 1_500_000, "other", 12).total_payable == 12 * 264_000
