"""manage.py agent_lists --agent CODE --month YYYY-MM [--out DIR]: the lists
for the social-insurance office, as the admin's button on the agent makes them."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from collectors.models import Agent
from collectors.office_lists import month_of, produce_lists


class Command(BaseCommand):
    help = "Write the month's lists for the social-insurance office (D05-TS, D03-TS, TK1-TS) of an agent as xlsx."

    def add_arguments(self, parser):
        parser.add_argument("--agent", required=True, help="the agent's code")
        parser.add_argument("--month", required=True, help="the period, as YYYY-MM")
        parser.add_argument("--out", default=".", help="the folder to write to (default: here)")

    def handle(self, *args, agent, month, out, **options):
        try:
            period = month_of(month)
        except ValueError as error:
            raise CommandError(_("--month “%(value)s”: expected a month as YYYY-MM, e.g. 2026-11") % {"value": month}) from None
        found = Agent.objects.filter(code=agent).first()
        if found is None:
            raise CommandError(_("--agent “%(code)s”: no agent has this code") % {"code": agent})
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        produced = produce_lists(agent=found, period=period)
        for item in produced:
            (folder / item.file_name).write_bytes(item.content)
            self.stdout.write(_("%(file)s: %(rows)s rows") % {"file": folder / item.file_name, "rows": item.rows})
        if not produced:
            self.stdout.write(_("Nothing new for %(agent)s in %(month)s: every handed-over receipt is already on a "
                                "list.") % {"agent": found.code, "month": period.strftime("%m/%Y")})
