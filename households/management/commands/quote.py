from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from households.contributions import (
    AHEAD,
    MISSING,
    BhytMember,
    ContributionError,
    format_vnd,
    quote_bhxh_voluntary,
    quote_bhyt_household,
)
from households.rates import rates_on

GROUPS = {"poor": "poor", "near-poor": "near_poor", "island": "island", "ethnic-minority": "ethnic_minority",
          "other": "other"}
BHYT_SUPPORTED = {"near-poor": "near_poor", "student": "student", "agri-average": "agri_average",
                  "ethnic-minority-exited": "ethnic_minority_exited", "near-poor-poor-commune": "near_poor_poor_commune"}


class Command(BaseCommand):
    help = ("Print what a payment costs under the rules in force on a date, with the explanation. The province's "
            "top-ups are those of settings.OUTREACH_PROVINCE_CODE.")

    def add_arguments(self, parser):
        schemes = parser.add_subparsers(dest="scheme", required=True, parser_class=type(parser))
        bhyt = schemes.add_parser("bhyt", help="household health insurance", called_from_command_line=True)
        bhyt.add_argument("--members", type=int, required=True,
                          help="household-group members, who pay on the ladder (0 allowed with --with)")
        bhyt.add_argument("--with", dest="supported", action="append", choices=BHYT_SUPPORTED, default=[],
                          help="one member of a state-supported group, outside the ladder (repeat for more)")
        bhyt.add_argument("--months", type=int, required=True)
        bhxh = schemes.add_parser("bhxh", help="voluntary social insurance", called_from_command_line=True)
        bhxh.add_argument("--income", type=int, required=True, help="chosen monthly income in đồng")
        bhxh.add_argument("--group", choices=GROUPS, required=True)
        bhxh.add_argument("--months", type=int, required=True)
        bhxh.add_argument("--missing", action="store_true",
                          help="months missing before, paid at once with interest (default: this period and ahead)")
        for sub in (bhyt, bhxh):
            sub.add_argument("--date", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args, scheme, months, date, **options):
        day = date or timezone.localdate()
        try:
            rates = rates_on(day, settings.OUTREACH_PROVINCE_CODE)
            if scheme == "bhyt":
                supported = [BHYT_SUPPORTED[name] for name in options["supported"]]
                if options["members"] < 0 or (options["members"] == 0 and not supported):
                    raise ContributionError(_("--members must be 1 or more, or 0 with at least one --with."))
                members = [BhytMember(f"#{n}") for n in range(1, options["members"] + 1)]
                members += [BhytMember(f"#{len(members) + n}", support_group=group)
                            for n, group in enumerate(supported, 1)]
                quote = quote_bhyt_household(rates, members, months)
            else:
                quote = quote_bhxh_voluntary(rates, options["income"], GROUPS[options["group"]], months,
                                             mode=MISSING if options["missing"] else AHEAD)
        except ContributionError as error:
            raise CommandError(error.message) from None
        for line in quote.explanation:
            self.stdout.write(line)
        self.stdout.write(_("To pay: %(amount)s") % {"amount": format_vnd(quote.total_payable)})
