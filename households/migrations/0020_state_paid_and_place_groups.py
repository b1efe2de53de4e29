"""The last groups of RULES.md (issue 14): people 75+ on a social pension and
ethnic-minority people of communes still classed as disadvantaged are insured
by the state; near-poor members of a poor commune get a central share of
100 % (Decree 188/2025/NĐ-CP, from 2025-08-15); people living in island
communes or special zones get 50 % of BHXH tự nguyện support (Decree
159/2025/NĐ-CP, from 2025-07-01). The evidence fields, and the dated rows."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import migrations, models

# (key, province code, value, in force from, source)
RATES = [
    ("bhyt_support_near_poor_poor_commune", 0, "1", date(2025, 8, 15),
     "Nghị định 188/2025/NĐ-CP: người thuộc hộ cận nghèo đang sinh sống tại xã nghèo, hỗ trợ 100 %"),
    ("bhxh_support_island", 0, "0.50", date(2025, 7, 1),
     "Nghị định 159/2025/NĐ-CP: người đang sinh sống tại xã đảo, đặc khu, hỗ trợ 50 %"),
    ("social_pension_state_paid_age", 0, "80", date(2018, 12, 1),
     "Nghị định 146/2018/NĐ-CP; Nghị định 20/2021/NĐ-CP: người từ đủ 80 tuổi hưởng trợ cấp xã hội hằng tháng (check)"),
    ("social_pension_state_paid_age", 0, "75", date(2025, 7, 1),
     "Luật BHYT Điều 12 (sửa đổi bởi Luật 51/2024/QH15); Luật BHXH 41/2024/QH15: từ đủ 75 tuổi hưởng trợ cấp "
     "hằng tháng (check)"),
]


def seed(apps, schema_editor):
    ContributionRate = apps.get_model("households", "ContributionRate")
    for key, province_code, value, day, source in RATES:
        ContributionRate.objects.get_or_create(key=key, province_code=province_code, effective_from=day,
                                               defaults={"value": Decimal(value), "source": source})



class Migration(migrations.Migration):

    dependencies = [
        ('households', '0019_support_evidence_years'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='commune',
            name='disadvantaged_area',
            field=models.BooleanField(db_default=False, default=False, help_text='The commune is still on the list of disadvantaged areas: the state pays the health insurance of its ethnic-minority residents (Law on Health Insurance, Art. 12). A commune is either still disadvantaged or has left the list, not both.', verbose_name='disadvantaged area (vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn)'),
        ),
        migrations.AddField(
            model_name='commune',
            name='island',
            field=models.BooleanField(db_default=False, default=False, help_text='Residents get the state support for voluntary social insurance set for island communes and special zones (50 % from 01/07/2025, Decree 159/2025/NĐ-CP). Special zones (đặc khu) get it without this mark.', verbose_name='island commune (xã đảo)'),
        ),
        migrations.AddField(
            model_name='commune',
            name='poor_commune',
            field=models.BooleanField(db_default=False, default=False, help_text='Near-poor residents get the central share set for near-poor members of a poor commune (100 % from 15/08/2025, Decree 188/2025/NĐ-CP: see Contribution rates).', verbose_name='poor commune (xã nghèo)'),
        ),
        migrations.AddField(
            model_name='historicalmember',
            name='social_pension_since',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Year the monthly social pension was granted, from the commune's decision; empty if none. From the age set under Contribution rates (75), the state pays their health insurance.", null=True, verbose_name='receives a social pension (trợ cấp xã hội hằng tháng) since'),
        ),
        migrations.AddField(
            model_name='member',
            name='social_pension_since',
            field=models.PositiveSmallIntegerField(blank=True, help_text="Year the monthly social pension was granted, from the commune's decision; empty if none. From the age set under Contribution rates (75), the state pays their health insurance.", null=True, verbose_name='receives a social pension (trợ cấp xã hội hằng tháng) since'),
        ),
        migrations.AlterField(
            model_name='contributionrate',
            name='key',
            field=models.CharField(choices=[('bhyt_rate', 'BHYT household: 1st member, share of the base salary'), ('bhyt_ladder_2', "BHYT household: 2nd member, share of the 1st member's amount"), ('bhyt_ladder_3', "BHYT household: 3rd member, share of the 1st member's amount"), ('bhyt_ladder_4', "BHYT household: 4th member, share of the 1st member's amount"), ('bhyt_ladder_5', "BHYT household: 5th member onward, share of the 1st member's amount"), ('bhyt_support_near_poor', 'BHYT: state support for near-poor members'), ('bhyt_support_student', 'BHYT: state support for pupils and students'), ('bhyt_support_agri_average', 'BHYT: state support for farming households of average living standard'), ('bhyt_support_ethnic_minority_exited', 'BHYT: support for ethnic-minority people of communes no longer disadvantaged'), ('bhyt_support_near_poor_poor_commune', 'BHYT: state support for near-poor members living in a poor commune'), ('bhxh_rate', 'BHXH voluntary: share of the chosen income'), ('bhxh_income_max_multiple', 'BHXH voluntary: highest income, as a multiple of the base salary'), ('bhxh_support_poor', 'BHXH voluntary: state support, poor households'), ('bhxh_support_near_poor', 'BHXH voluntary: state support, near-poor households'), ('bhxh_support_ethnic_minority', 'BHXH voluntary: state support, ethnic minorities'), ('bhxh_support_island', 'BHXH voluntary: state support, people living in island communes or special zones'), ('bhxh_support_other', 'BHXH voluntary: state support, everyone else'), ('bhxh_support_max_years', 'BHXH voluntary: years of state support per person, at most'), ('bhxh_fund_monthly_interest', "BHXH voluntary: the fund's average monthly interest rate of the year before"), ('status_valid_years', 'Poor or near-poor status: calendar years it holds, counting the year it was certified for'), ('average_list_valid_years', "Average-living-standard list: calendar years it holds, counting the list's year"), ('social_pension_state_paid_age', 'Social pension: age from which the state pays the health insurance')], max_length=40, verbose_name='rule'),
        ),
        migrations.AlterField(
            model_name='contributionrate',
            name='province_code',
            field=models.PositiveSmallIntegerField(default=0, help_text="0 for the central rule, for the whole country. A province code (66 = Đắk Lắk) for that province's own top-up on a support share, added to the central share (together never above 100 %). No Đắk Lắk top-up for voluntary social insurance (BHXH tự nguyện) was found (check).", verbose_name='province'),
        ),
        migrations.AlterField(
            model_name='contributionrate',
            name='value',
            field=models.DecimalField(decimal_places=6, help_text="A share as a decimal: 0.045 for 4.5 %, 0.7 for 70 %. The fund's monthly interest rate is entered each year, from 1 January, as the social-insurance office publishes it for the year before (0.004 for 0.4 % a month); lump sums of voluntary social insurance paid for more than 12 months are refused until it is entered. The years a poor or near-poor status or an average-living-standard list holds are whole years counting its own: 2 = its year and the next, as lists approved at a year's end serve the year after (check). The social pension's age is whole years (75).", max_digits=9, verbose_name='value'),
        ),
        migrations.AddConstraint(
            model_name='commune',
            constraint=models.CheckConstraint(condition=models.Q(('disadvantaged_area', True), ('left_disadvantaged_area', True), _negated=True), name='commune_disadvantaged_or_left', violation_error_message='A commune is either still a disadvantaged area or no longer one, not both.'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
