import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('collectors', '0005_commission_and_training'),
        ('households', '0008_commune_population'),
    ]

    operations = [
        migrations.CreateModel(
            name='SummaryRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('as_of', models.DateField(verbose_name='figures as of')),
                ('started_at', models.DateTimeField(verbose_name='started at')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='computed at')),
                ('seconds', models.FloatField(blank=True, null=True, verbose_name='seconds')),
            ],
            options={
                'verbose_name': 'dashboard refresh',
                'verbose_name_plural': 'dashboard refreshes',
                'ordering': ['-pk'],
            },
        ),
        migrations.CreateModel(
            name='ReminderMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('sent', models.PositiveIntegerField(default=0)),
                ('failed', models.PositiveIntegerField(default=0)),
                ('renewed', models.PositiveIntegerField(default=0)),
                ('commune', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.commune')),
                ('village', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.village')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reports.summaryrun')),
            ],
            options={
                'indexes': [models.Index(fields=['run', 'month'], name='reports_reminder_month_idx')],
            },
        ),
        migrations.CreateModel(
            name='PaymentMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheme', models.CharField(choices=[('bhyt_hgd', 'household health insurance (BHYT hộ gia đình)'), ('bhxh_tn', 'voluntary social insurance (BHXH tự nguyện)')], max_length=10)),
                ('month', models.DateField()),
                ('new_enrolments', models.PositiveIntegerField(default=0)),
                ('renewals', models.PositiveIntegerField(default=0)),
                ('renewals_on_time', models.PositiveIntegerField(default=0)),
                ('amount', models.PositiveBigIntegerField(default=0)),
                ('agent', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collectors.agent')),
                ('commune', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.commune')),
                ('village', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.village')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reports.summaryrun')),
            ],
            options={
                'indexes': [models.Index(fields=['run', 'month'], name='reports_payment_month_idx')],
            },
        ),
        migrations.CreateModel(
            name='CoverMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scheme', models.CharField(choices=[('bhyt_hgd', 'household health insurance (BHYT hộ gia đình)'), ('bhxh_tn', 'voluntary social insurance (BHXH tự nguyện)')], max_length=10)),
                ('month', models.DateField()),
                ('in_force', models.PositiveIntegerField(default=0)),
                ('lapses', models.PositiveIntegerField(default=0)),
                ('commune', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.commune')),
                ('village', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.village')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reports.summaryrun')),
            ],
            options={
                'indexes': [models.Index(fields=['run', 'month'], name='reports_cover_month_idx')],
            },
        ),
        migrations.CreateModel(
            name='CollectorMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('visits', models.PositiveIntegerField(default=0)),
                ('referrals', models.PositiveIntegerField(default=0)),
                ('new_enrolments', models.PositiveIntegerField(default=0)),
                ('renewals', models.PositiveIntegerField(default=0)),
                ('renewals_on_time', models.PositiveIntegerField(default=0)),
                ('amount', models.PositiveBigIntegerField(default=0)),
                ('commission', models.PositiveBigIntegerField(default=0)),
                ('agent', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collectors.agent')),
                ('collector', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='collectors.collector')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reports.summaryrun')),
            ],
            options={
                'indexes': [models.Index(fields=['run', 'month'], name='reports_collector_month_idx')],
            },
        ),
        migrations.CreateModel(
            name='AreaSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('members', models.PositiveIntegerField(default=0)),
                ('insured', models.PositiveIntegerField(default=0)),
                ('bhyt', models.PositiveIntegerField(default=0)),
                ('bhxh', models.PositiveIntegerField(default=0)),
                ('bhyt_ending_30', models.PositiveIntegerField(default=0)),
                ('bhyt_ending_60', models.PositiveIntegerField(default=0)),
                ('bhyt_ending_90', models.PositiveIntegerField(default=0)),
                ('bhxh_ending_30', models.PositiveIntegerField(default=0)),
                ('bhxh_ending_60', models.PositiveIntegerField(default=0)),
                ('bhxh_ending_90', models.PositiveIntegerField(default=0)),
                ('commune', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.commune')),
                ('village', models.ForeignKey(db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='households.village')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reports.summaryrun')),
            ],
            options={
                'indexes': [models.Index(fields=['run', 'commune'], name='reports_snapshot_run_idx')],
            },
        ),
    ]
