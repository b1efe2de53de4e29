"""The contribution rules in force on a day, read from the dated rows."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from .contributions import ContributionError, RatesInForce
from .models import ContributionRate, Enrolment, PaymentPeriod, ReferenceAmount

K = ContributionRate.Key
BHYT_SUPPORT_GROUPS = {
    "near_poor": K.BHYT_SUPPORT_NEAR_POOR,
    "student": K.BHYT_SUPPORT_STUDENT,
    "agri_average": K.BHYT_SUPPORT_AGRI_AVERAGE,
    "ethnic_minority_exited": K.BHYT_SUPPORT_ETHNIC_MINORITY_EXITED,
    "near_poor_poor_commune": K.BHYT_SUPPORT_NEAR_POOR_POOR_COMMUNE,
}
BHXH_SUPPORT_GROUPS = {
    "poor": K.BHXH_SUPPORT_POOR,
    "near_poor": K.BHXH_SUPPORT_NEAR_POOR,
    "island": K.BHXH_SUPPORT_ISLAND,
    "ethnic_minority": K.BHXH_SUPPORT_ETHNIC_MINORITY,
    "other": K.BHXH_SUPPORT_OTHER,
}


def _latest_by(rows):
    """{key: value} of the newest row per key (rows ordered newest first)."""
    latest = {}
    for key, value in rows:
        latest.setdefault(key, value)
    return latest


def rates_on(day: date, province_code: int | None = None) -> RatesInForce:
    """Everything the contribution rules need on `day`, with the top-ups of
    `province_code` (default: the office's, settings.OUTREACH_PROVINCE_CODE): three queries."""
    province_code = settings.OUTREACH_PROVINCE_CODE if province_code is None else province_code
    amounts = _latest_by(
        ReferenceAmount.objects.filter(effective_from__lte=day).order_by("-effective_from")
        .values_list("kind", "amount"))
    rows = (ContributionRate.objects.filter(effective_from__lte=day, province_code__in={ContributionRate.CENTRAL,
                                                                                          province_code})
            .order_by("-effective_from").values_list("key", "province_code", "value", "effective_from"))
    rates, top_ups, interest = {}, {}, None
    for key, province, value, effective_from in rows:
        if key == K.BHXH_FUND_MONTHLY_INTEREST:
            # The rate published for last year serves the payments of this year only.
            if interest is None and effective_from.year == day.year:
                interest = value
            continue
        (rates if province == ContributionRate.CENTRAL else top_ups).setdefault(key, value)
    periods = {scheme: [] for scheme in Enrolment.Scheme.values}
    for scheme, months in (
        PaymentPeriod.objects.filter(Q(effective_until__isnull=True) | Q(effective_until__gte=day),
                                     effective_from__lte=day)
        .order_by("months").values_list("scheme", "months").distinct()
    ):
        periods[scheme].append(months)

    missing = [label for kind, label in ReferenceAmount.Kind.choices if kind not in amounts]
    missing += [label for key, label in K.choices if key not in rates and key != K.BHXH_FUND_MONTHLY_INTEREST
                and key not in ContributionRate.OPTIONAL_KEYS]
    if missing:
        raise ContributionError(
            _("No rule in force on %(day)s for: %(missing)s. Add it under Reference amounts or Contribution rates.")
            % {"day": day.strftime("%d/%m/%Y"), "missing": "; ".join(str(m) for m in missing)}
        )
    base_salary = amounts[ReferenceAmount.Kind.BASE_SALARY]
    poverty_line = amounts[ReferenceAmount.Kind.RURAL_POVERTY_LINE]
    return RatesInForce(
        on=day,
        base_salary=base_salary,
        rural_poverty_line=poverty_line,
        bhyt_rate=rates[K.BHYT_RATE],
        bhyt_ladder=(Decimal(1), rates[K.BHYT_LADDER_2], rates[K.BHYT_LADDER_3], rates[K.BHYT_LADDER_4], rates[K.BHYT_LADDER_5]),
        bhyt_periods=tuple(periods[Enrolment.Scheme.BHYT_HOUSEHOLD]),
        # A group whose first row is later than `day` (OPTIONAL_KEYS) does not apply yet.
        bhyt_support_shares={group: rates[key] for group, key in BHYT_SUPPORT_GROUPS.items() if key in rates},
        bhxh_rate=rates[K.BHXH_RATE],
        bhxh_income_min=poverty_line,
        bhxh_income_max=int(base_salary * rates[K.BHXH_INCOME_MAX_MULTIPLE]),
        bhxh_support_shares={group: rates[key] for group, key in BHXH_SUPPORT_GROUPS.items() if key in rates},
        bhxh_periods=tuple(periods[Enrolment.Scheme.BHXH_VOLUNTARY]),
        bhxh_support_max_months=int(rates[K.BHXH_SUPPORT_MAX_YEARS] * 12),
        province_code=province_code,
        bhyt_province_shares={group: top_ups[key] for group, key in BHYT_SUPPORT_GROUPS.items() if key in top_ups},
        bhxh_province_shares={group: top_ups[key] for group, key in BHXH_SUPPORT_GROUPS.items() if key in top_ups},
        bhxh_interest_rate=interest,
        status_valid_years=int(rates[K.STATUS_VALID_YEARS]),
        average_list_valid_years=int(rates[K.AVERAGE_LIST_VALID_YEARS]),
        social_pension_state_paid_age=int(rates[K.SOCIAL_PENSION_STATE_PAID_AGE]),
    )
