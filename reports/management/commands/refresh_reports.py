from datetime import date

from django.core.management.base import BaseCommand

from reports.services import refresh_summaries


class Command(BaseCommand):
    help = "Recompute the dashboards' summaries (the nightly job, without Celery)."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None,
                            help="Figures as of this day, YYYY-MM-DD (default: today).")

    def handle(self, *args, date, **options):
        run = refresh_summaries(as_of=date)
        self.stdout.write(f"Dashboards refreshed as of {run.as_of:%d/%m/%Y} in {run.seconds:.1f} s.")
