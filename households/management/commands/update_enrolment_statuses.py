from datetime import date

from django.core.management.base import BaseCommand

from households.tasks import update_enrolment_statuses


class Command(BaseCommand):
    help = "Mark ended cover lapsed and started cover active (the nightly job, without Celery)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, date, **options):
        result = update_enrolment_statuses(date.isoformat() if date else None)
        self.stdout.write(f"{result['lapsed']} enrolments lapsed, {result['activated']} activated.")
