from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from households.contributions import BhytMember, ContributionError, format_vnd, quote_bhxh_voluntary, quote_bhyt_household
from households.rates import rates_on

GROUPS = {"poor": "poor", "near-poor": "near_poor", "ethnic-minority": "ethnic_minority", "other": "other"}
BHYT_SUPPORT = {"near-poor": "near_poor", "student": "student", "agri-average": "agri_average"}


class Command(BaseCommand):
    help = "Print what a payment costs under the rules in force on a date, with the explanation."

    def add_arguments(self, parser):
        schemes = parser.add_subparsers(dest="scheme", required=True, parser_class=type(parser))
        bhyt = schemes.add_parser("bhyt", help="household health insurance", called_from_command_line=True)
        bhyt.add_argument("--members", type=int, required=True, help="members who pay in the household")
        bhyt.add_argument("--months", type=int, required=True)
        bhyt.add_argument("--support", choices=BHYT_SUPPORT, help="a state-support group for every member")
        bhxh = schemes.add_parser("bhxh", help="voluntary social insurance", called_from_command_line=True)
        bhxh.add_argument("--income", type=int, required=True, help="chosen monthly income in đồng")
        bhxh.add_argument("--group", choices=GROUPS, required=True)
        bhxh.add_argument("--months", type=int, required=True)
        for sub in (bhyt, bhxh):
            sub.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, scheme, months, date, **options):
        day = date or timezone.localdate()
        try:
            rates = rates_on(day)
            if scheme == "bhyt":
                if options["members"] < 1:
                    raise ContributionError(_("--members must be 1 or more."))
                support = BHYT_SUPPORT.get(options["support"])
                members = [BhytMember(f"#{n}", support_group=support) for n in range(1, options["members"] + 1)]
                quote = quote_bhyt_household(rates, members, months)
            else:
                quote = quote_bhxh_voluntary(rates, options["income"], GROUPS[options["group"]], months)
        except ContributionError as error:
            raise CommandError(error.message) from None
        for line in quote.explanation:
            self.stdout.write(line)
        self.stdout.write(_("To pay: %(amount)s") % {"amount": format_vnd(quote.total_payable)})
