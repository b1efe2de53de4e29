"""manage.py agent_lists --agent CODE --month YYYY-MM --user USERNAME [--out DIR]:
the lists for the social-insurance office, as the admin's button on the agent
makes them.

--user is required and names the person running it: lists carry personal
data, so each one records who produced it and the export log who took it out
(as the admin's download does). A shared "system" account would tell an
auditor nothing, so there is no default. The user must be one who may
produce the agent's lists in the admin (provincial staff, or the agent's
manager).
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from collectors.models import Agent
from collectors.office_lists import log_export, month_of, produce_lists
from outreach.access import is_provincial_staff


class Command(BaseCommand):
    help = ("Write the month's lists for the social-insurance office (D05-TS, D03-TS, TK1-TS) of an agent as xlsx, "
            "recorded as produced by --user and logged as exported by them.")

    def add_arguments(self, parser):
        parser.add_argument("--agent", required=True, help="the agent's code")
        parser.add_argument("--month", required=True, help="the period, as YYYY-MM")
        parser.add_argument("--user", required=True,
                            help="the username of the person producing the lists (recorded and logged)")
        parser.add_argument("--out", default=".", help="the folder to write to (default: here)")

    def handle(self, *args, agent, month, user, out, **options):
        try:
            period = month_of(month)
        except ValueError:
            raise CommandError(_("--month “%(value)s”: expected a month as YYYY-MM, e.g. 2026-11") % {"value": month}) from None
        found = Agent.objects.filter(code=agent).first()
        if found is None:
            raise CommandError(_("--agent “%(code)s”: no agent has this code") % {"code": agent})
        producer = get_user_model().objects.filter(username=user, is_active=True).first()
        if producer is None:
            raise CommandError(_("--user “%(username)s”: no active user has this username") % {"username": user})
        if not (is_provincial_staff(producer) or found.managers.filter(pk=producer.pk).exists()):
            raise CommandError(_("--user “%(username)s”: may not produce the lists of %(agent)s (provincial staff or "
                                 "the agent's managers may)") % {"username": user, "agent": found.code})
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        produced = produce_lists(agent=found, period=period, user=producer)
        for item in produced:
            (folder / item.file_name).write_bytes(item.content)
            log_export(item.office_list, user=producer, rows=item.rows)
            self.stdout.write(_("%(file)s: %(rows)s rows") % {"file": folder / item.file_name, "rows": item.rows})
        if not produced:
            self.stdout.write(_("Nothing new for %(agent)s in %(month)s: every handed-over receipt is already on a "
                                "list.") % {"agent": found.code, "month": period.strftime("%m/%Y")})
