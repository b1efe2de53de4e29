"""The reference amounts, rates and payment periods of RULES.md, as dated rows
that provincial staff can correct or extend in the admin."""

from datetime import date
from decimal import Decimal

from django.db import migrations

AMOUNTS = [
    ("base_salary", 2_340_000, date(2024, 7, 1), "Decree 73/2024/NĐ-CP"),
    ("base_salary", 2_530_000, date(2026, 7, 1), "2026 base-salary raise (check the decree number)"),
    ("rural_poverty_line", 1_500_000, date(2022, 1, 1), "Decree 07/2021/NĐ-CP"),
    ("rural_poverty_line", 2_200_000, date(2027, 1, 1), "Poverty standard 2026–2030, from 2027 (check)"),
]
BHYT = "Law on Health Insurance; Decree 146/2018/NĐ-CP, ladder unchanged by Decree 188/2025/NĐ-CP"
BHYT_SUPPORT = "Decree 146/2018/NĐ-CP (check the current shares)"
BHXH_2018 = "Law on Social Insurance 58/2014/QH13; Decree 134/2015/NĐ-CP"
BHXH_2025 = "Law on Social Insurance 41/2024/QH15; Decree 159/2025/NĐ-CP (check the percentages)"
RATES = [
    ("bhyt_rate", "0.045", date(2018, 12, 1), BHYT),
    ("bhyt_ladder_2", "0.70", date(2018, 12, 1), BHYT),
    ("bhyt_ladder_3", "0.60", date(2018, 12, 1), BHYT),
    ("bhyt_ladder_4", "0.50", date(2018, 12, 1), BHYT),
    ("bhyt_ladder_5", "0.40", date(2018, 12, 1), BHYT),
    ("bhyt_support_near_poor", "0.70", date(2018, 12, 1), BHYT_SUPPORT),
    ("bhyt_support_student", "0.50", date(2018, 12, 1), BHYT_SUPPORT),
    ("bhyt_support_agri_average", "0.30", date(2018, 12, 1), BHYT_SUPPORT),
    ("bhxh_rate", "0.22", date(2018, 1, 1), BHXH_2018),
    ("bhxh_income_max_multiple", "20", date(2018, 1, 1), BHXH_2018),
    ("bhxh_support_poor", "0.30", date(2018, 1, 1), BHXH_2018),
    ("bhxh_support_near_poor", "0.25", date(2018, 1, 1), BHXH_2018),
    # Before 2025-07-01 ethnic minorities had no group of their own: the "other" share.
    ("bhxh_support_ethnic_minority", "0.10", date(2018, 1, 1), BHXH_2018),
    ("bhxh_support_other", "0.10", date(2018, 1, 1), BHXH_2018),
    ("bhxh_support_poor", "0.50", date(2025, 7, 1), BHXH_2025),
    ("bhxh_support_near_poor", "0.40", date(2025, 7, 1), BHXH_2025),
    ("bhxh_support_ethnic_minority", "0.30", date(2025, 7, 1), BHXH_2025),
    ("bhxh_support_other", "0.20", date(2025, 7, 1), BHXH_2025),
    ("bhxh_support_max_years", "10", date(2018, 1, 1), "Decree 134/2015/NĐ-CP; Decree 159/2025/NĐ-CP (check)"),
]
PERIODS = [("bhyt_hgd", m, date(2018, 12, 1)) for m in (3, 6, 12)] + [
    ("bhxh_tn", m, date(2018, 1, 1)) for m in (1, 3, 6, 12, 24, 36, 48, 60)
]


def seed(apps, schema_editor):
    ReferenceAmount = apps.get_model("households", "ReferenceAmount")
    ContributionRate = apps.get_model("households", "ContributionRate")
    PaymentPeriod = apps.get_model("households", "PaymentPeriod")
    for kind, amount, day, source in AMOUNTS:
        ReferenceAmount.objects.get_or_create(kind=kind, effective_from=day, defaults={"amount": amount, "source": source})
    for key, value, day, source in RATES:
        ContributionRate.objects.get_or_create(key=key, effective_from=day,
                                               defaults={"value": Decimal(value), "source": source})
    for scheme, months, day in PERIODS:
        PaymentPeriod.objects.get_or_create(scheme=scheme, months=months, effective_from=day)


class Migration(migrations.Migration):
    dependencies = [("households", "0004_reference_amounts_and_rates")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
