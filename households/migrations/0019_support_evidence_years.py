"""How long the evidence of a support group holds (issue 14's audit): a poor or
near-poor status and an average-living-standard list give support only in the
years they were recognised for, seeded as dated rows of 2 years (their own
year and the next: lists approved at a year's end serve the year after),
marked (check)."""

from datetime import date
from decimal import Decimal

from django.db import migrations, models


CHECK = ("Chuẩn nghèo / danh sách hộ có mức sống trung bình được phê duyệt cuối năm cho năm sau: có hiệu lực "
         "trong năm của nó và năm kế tiếp (check)")
# (key, province code, value, in force from, source)
RATES = [
    ("status_valid_years", 0, "2", date(2018, 1, 1), CHECK),
    ("average_list_valid_years", 0, "2", date(2018, 1, 1), CHECK),
]


def seed(apps, schema_editor):
    ContributionRate = apps.get_model("households", "ContributionRate")
    for key, province_code, value, day, source in RATES:
        ContributionRate.objects.get_or_create(key=key, province_code=province_code, effective_from=day,
                                               defaults={"value": Decimal(value), "source": source})


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0018_household_potential_and_field_codes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='contributionrate',
            name='key',
            field=models.CharField(choices=[('bhyt_rate', 'BHYT household: 1st member, share of the base salary'), ('bhyt_ladder_2', "BHYT household: 2nd member, share of the 1st member's amount"), ('bhyt_ladder_3', "BHYT household: 3rd member, share of the 1st member's amount"), ('bhyt_ladder_4', "BHYT household: 4th member, share of the 1st member's amount"), ('bhyt_ladder_5', "BHYT household: 5th member onward, share of the 1st member's amount"), ('bhyt_support_near_poor', 'BHYT: state support for near-poor members'), ('bhyt_support_student', 'BHYT: state support for pupils and students'), ('bhyt_support_agri_average', 'BHYT: state support for farming households of average living standard'), ('bhyt_support_ethnic_minority_exited', 'BHYT: support for ethnic-minority people of communes no longer disadvantaged'), ('bhxh_rate', 'BHXH voluntary: share of the chosen income'), ('bhxh_income_max_multiple', 'BHXH voluntary: highest income, as a multiple of the base salary'), ('bhxh_support_poor', 'BHXH voluntary: state support, poor households'), ('bhxh_support_near_poor', 'BHXH voluntary: state support, near-poor households'), ('bhxh_support_ethnic_minority', 'BHXH voluntary: state support, ethnic minorities'), ('bhxh_support_other', 'BHXH voluntary: state support, everyone else'), ('bhxh_support_max_years', 'BHXH voluntary: years of state support per person, at most'), ('bhxh_fund_monthly_interest', "BHXH voluntary: the fund's average monthly interest rate of the year before"), ('status_valid_years', 'Poor or near-poor status: calendar years it holds, counting the year it was certified for'), ('average_list_valid_years', "Average-living-standard list: calendar years it holds, counting the list's year")], max_length=40, verbose_name='rule'),
        ),
        migrations.AlterField(
            model_name='contributionrate',
            name='value',
            field=models.DecimalField(decimal_places=6, help_text="A share as a decimal: 0.045 for 4.5 %, 0.7 for 70 %. The fund's monthly interest rate is entered each year, from 1 January, as the social-insurance office publishes it for the year before (0.004 for 0.4 % a month); lump sums of voluntary social insurance paid for more than 12 months are refused until it is entered. The years a poor or near-poor status or an average-living-standard list holds are whole years counting its own: 2 = its year and the next, as lists approved at a year's end serve the year after (check).", max_digits=9, verbose_name='value'),
        ),
        migrations.AlterField(
            model_name='historicalhousehold',
            name='average_standard_year',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Year of the commune's list of farming, forestry, fishery or salt-making households of average living standard that names this household. Its members get state support for health insurance while the list holds (its year and the next, check: see Contribution rates).", null=True, verbose_name='average-living-standard list year'),
        ),
        migrations.AlterField(
            model_name='historicalhousehold',
            name='status_year',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Year the poor or near-poor status was certified. It holds for the years set under Contribution rates (its year and the next, check); an older one gives no support.', null=True, verbose_name='year certified'),
        ),
        migrations.AlterField(
            model_name='household',
            name='average_standard_year',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Year of the commune's list of farming, forestry, fishery or salt-making households of average living standard that names this household. Its members get state support for health insurance while the list holds (its year and the next, check: see Contribution rates).", null=True, verbose_name='average-living-standard list year'),
        ),
        migrations.AlterField(
            model_name='household',
            name='status_year',
            field=models.PositiveSmallIntegerField(blank=True, help_text='Year the poor or near-poor status was certified. It holds for the years set under Contribution rates (its year and the next, check); an older one gives no support.', null=True, verbose_name='year certified'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
