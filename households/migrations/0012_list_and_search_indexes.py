import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Indexes for the province-scale lists, searches and the field's Today
    page (docs/performance.md). The new ones first, so that no foreign key is
    without an index while the single-column ones they replace are dropped."""

    dependencies = [
        ('households', '0011_audit_retention_schedule'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='member',
            index=models.Index(fields=['household', 'id'], name='member_household_id_idx'),
        ),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(fields=['member', 'id'], name='enrolment_member_id_idx'),
        ),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(fields=['coverage_end', 'id'], name='enrolment_end_id_idx'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['commune', 'village', 'code'], name='household_commune_village_idx'),
        ),
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['phone'], name='household_phone_idx'),
        ),
        migrations.AlterModelOptions(
            name='enrolment',
            options={'ordering': ['-coverage_end', '-id'], 'verbose_name': 'enrolment', 'verbose_name_plural': 'enrolments'},
        ),
        migrations.AlterField(
            model_name='member',
            name='household',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='members', to='households.household', verbose_name='household'),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='enrolments', to='households.member', verbose_name='member'),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='coverage_end',
            field=models.DateField(verbose_name='coverage end'),
        ),
        migrations.AlterField(
            model_name='historicalenrolment',
            name='coverage_end',
            field=models.DateField(verbose_name='coverage end'),
        ),
        migrations.AlterField(
            model_name='household',
            name='commune',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='households.commune', verbose_name='commune'),
        ),
        migrations.AlterField(
            model_name='household',
            name='village',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='households', to='households.village', verbose_name='village'),
        ),
    ]
