"""Nightly summaries the dashboards read, so that a page at a million
households reads a few thousand small rows instead of the registry.

Every row belongs to one `SummaryRun`: a refresh writes a new run's rows in
one transaction, then drops older runs, so a page always reads one complete
run, and two refreshes at once never mix their rows. Rows are keyed by
commune and village (village empty: households with no village), so that
`outreach.access.household_scope` filters them exactly as it filters
households.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from collectors.models import Agent, Collector
from households.models import Commune, Enrolment, Household, Village


class SummaryRun(models.Model):
    as_of = models.DateField(_("figures as of"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")
        ordering = ["-pk"]

    def __str__(self):
        return f"{self.as_of:%d/%m/%Y}"


class AreaRow(models.Model):
    run = models.ForeignKey(SummaryRun, models.CASCADE, related_name="+")
    commune = models.ForeignKey(Commune, models.DO_NOTHING, db_constraint=False, related_name="+")
    village = models.ForeignKey(Village, models.DO_NOTHING, db_constraint=False, null=True, related_name="+")

    class Meta:
        abstract = True


class AreaSnapshot(AreaRow):
    """Members and cover of an area on the day of the run."""

    members = models.PositiveIntegerField(default=0)
    insured = models.PositiveIntegerField(default=0)  # in force in either scheme
    bhyt = models.PositiveIntegerField(default=0)
    bhxh = models.PositiveIntegerField(default=0)
    # Cover ending within 30, 60 and 90 days (cumulative) from the run's day.
    bhyt_ending_30 = models.PositiveIntegerField(default=0)
    bhyt_ending_60 = models.PositiveIntegerField(default=0)
    bhyt_ending_90 = models.PositiveIntegerField(default=0)
    bhxh_ending_30 = models.PositiveIntegerField(default=0)
    bhxh_ending_60 = models.PositiveIntegerField(default=0)
    bhxh_ending_90 = models.PositiveIntegerField(default=0)
    # Insured (as `insured`) with neither the VssID app nor a level-2 VNeID account: cannot show the electronic card.
    insured_without_digital_id = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "commune"], name="reports_snapshot_run_idx")]


class ProspectCount(AreaRow):
    """Households judged by a collector (could pay now / later / not now) with
    a prospect member on the run's day (as on Today); of them, those whose month to come back
    has come."""

    potential = models.CharField(max_length=10, choices=Household.Potential.choices)
    households = models.PositiveIntegerField(default=0)
    month_come = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "commune"], name="reports_prospect_run_idx")]


class VssidMonth(AreaRow):
    """VssID installed on visits, by the member's area, the collector and the month of the visit."""

    collector = models.ForeignKey(Collector, models.DO_NOTHING, db_constraint=False, related_name="+")
    month = models.DateField()
    installations = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "month"], name="reports_vssid_month_idx")]


class CoverMonth(AreaRow):
    """Per scheme and month: cover in force on the month's last day (on the
    run's day for the current month), and cover that ended in the month and
    was not continued."""

    scheme = models.CharField(max_length=10, choices=Enrolment.Scheme.choices)
    month = models.DateField()
    in_force = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "month"], name="reports_cover_month_idx")]


class PaymentMonth(AreaRow):
    """Receipts (not cancelled) of the month by the households' area and the agent."""

    agent = models.ForeignKey(Agent, models.DO_NOTHING, db_constraint=False, related_name="+")
    scheme = models.CharField(max_length=10, choices=Enrolment.Scheme.choices)
    month = models.DateField()
    new_enrolments = models.PositiveIntegerField(default=0)
    renewals = models.PositiveIntegerField(default=0)
    renewals_on_time = models.PositiveIntegerField(default=0)
    amount = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "month"], name="reports_payment_month_idx")]


class ReminderMonth(AreaRow):
    """Reminders that fell due in the month: sent, failed, and sent ones
    followed by a payment within 30 days; of those sent, the ones the phone
    reported delivered and not delivered (the rest had no report)."""

    month = models.DateField()
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    renewed = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    undelivered = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "month"], name="reports_reminder_month_idx")]


class CollectorMonth(models.Model):
    """One collector's month, for the agent of the payments (visits and
    referrals count for the collector's agent)."""

    run = models.ForeignKey(SummaryRun, models.CASCADE, related_name="+")
    collector = models.ForeignKey(Collector, models.DO_NOTHING, db_constraint=False, related_name="+")
    agent = models.ForeignKey(Agent, models.DO_NOTHING, db_constraint=False, related_name="+")
    month = models.DateField()
    visits = models.PositiveIntegerField(default=0)
    referrals = models.PositiveIntegerField(default=0)
    new_enrolments = models.PositiveIntegerField(default=0)
    renewals = models.PositiveIntegerField(default=0)
    renewals_on_time = models.PositiveIntegerField(default=0)
    amount = models.PositiveBigIntegerField(default=0)
    commission = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "month"], name="reports_collector_month_idx")]
