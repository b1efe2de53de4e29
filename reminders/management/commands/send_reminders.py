from collections import Counter
from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reminders import services
from reminders.models import Channel, ChannelPolicy, Message, Reminder, stage_label


class Command(BaseCommand):
    help = gettext_lazy("Run the nightly reminder batch now, in this process, and print what it did.")

    def add_arguments(self, parser):
        parser.add_argument("--date", type=date.fromisoformat, default=None,
                            help=_("The night to run, YYYY-MM-DD (default: today)."))
        parser.add_argument("--dry-run", action="store_true", help=_("Show what would be done; change nothing."))

    def handle(self, *args, date, dry_run, **options):
        day = date or timezone.localdate()
        if dry_run:
            first = services.catch_up_from(day)
            dates = {"first": f"{first:%d/%m/%Y}", "day": f"{day:%d/%m/%Y}", "missed": (day - first).days}
            if first < day:  # the run would catch up the nights without a run before this one
                title = _("Reminders of the nights %(first)s to %(day)s (%(missed)d nights without a run caught up) "
                          "that would be claimed (dry run, nothing changed):") % dates
            else:
                title = _("Reminders of the night of %(day)s that would be claimed (dry run, nothing changed):") % dates
            self._print_table(title, services.plan_night(day=day))
            return
        summary = services.prepare_night(day=day)
        sent = Counter()
        # The same dispatch as the beat task, but each chunk is sent here instead of by a worker.
        services.dispatch_due(enqueue=lambda ids: sent.update(services.send_message(message_id=i) for i in ids))
        dates = {"first": f"{summary.first:%d/%m/%Y}", "day": f"{day:%d/%m/%Y}", "claimed": summary.claimed}
        if summary.first < day:  # nights without a run before this one were caught up
            title = _("Reminders due from %(first)s to %(day)s (%(claimed)d newly claimed):") % dates
        else:
            title = _("Reminders due on %(day)s (%(claimed)d newly claimed):") % dates
        self._print_table(title, services.outcomes_for(day=day, first=summary.first))
        self.stdout.write(_("Messages this run: %(sent)d sent, %(retry)d to retry later, %(failed)d failed, "
                            "%(skipped)d not needed any more.") % {
            "sent": sent[services.SENT], "retry": sent[services.RETRY], "failed": sent[services.FAILED],
            "skipped": sent[services.SKIPPED]})
        now = timezone.now()
        queued = Message.objects.filter(status=Message.Status.QUEUED, night__isnull=False)
        for policy in ChannelPolicy.objects.all():
            if policy.is_quiet(now) and (count := queued.filter(channel=policy.channel).count()):
                self.stdout.write(_("%(count)d %(channel)s messages wait for the end of quiet hours at %(time)s.") % {
                    "count": count, "channel": policy.get_channel_display(), "time": f"{policy.quiet_until:%H:%M}"})
        if later := queued.filter(next_attempt_at__gt=now).exclude(channel__in=services.quiet_channels(now)).count():
            self.stdout.write(_("%(count)d messages will be tried again later.") % {"count": later})
        for channel, waiting in summary.waiting_for_next_night.items():
            if waiting:
                self.stdout.write(_("%(count)d %(channel)s messages are over tonight's cap and stay queued "
                                    "for the next night.") % {"count": waiting, "channel": str(Channel(channel).label)})

    def _print_table(self, title, counts: Counter):
        self.stdout.write(title)
        if not counts:
            self.stdout.write("  " + _("nothing"))
            return
        statuses = [s for s in Reminder.Status.values if any(k[2] == s for k in counts)]
        labels = {"queued": _("queued"), "sent": _("sent"), "failed": _("failed"), "skipped": _("skipped"),
                  "no_phone": _("no phone"), "delivered": _("delivered"), "undelivered": _("undelivered")}
        header = f"  {_('stage'):<18}{_('channel'):<9}" + "".join(f"{labels[s]:>12}" for s in statuses)
        self.stdout.write(header)
        for stage, channel in sorted({(k[0], k[1]) for k in counts}):
            cells = "".join(f"{counts[(stage, channel, s)]:>12}" for s in statuses)
            self.stdout.write(f"  {stage_label(stage):<18}{str(Channel(channel).label):<9}{cells}")
