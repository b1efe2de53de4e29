import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('households', '0012_member_household_id_index'),
    ]

    # New indexes first, so that the member foreign key is never without one.
    operations = [
        migrations.AddIndex(
            model_name='household',
            index=models.Index(fields=['phone'], name='household_phone_idx'),
        ),
        migrations.AddIndex(
            model_name='enrolment',
            index=models.Index(fields=['member', 'id'], name='enrolment_member_id_idx'),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='member',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='enrolments', to='households.member', verbose_name='member'),
        ),
    ]
