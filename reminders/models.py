"""Reminders before (and just after) cover runs out.

How the pieces fit
------------------
- `ReminderRule`: a stage ("30 days before the coverage end", "on the day",
  "15 days after"), per scheme and channel, with its text in Vietnamese and
  English. `ChannelPolicy`: per channel, quiet hours and a per-night cap.
- `Reminder`: one row per (enrolment, coverage end, stage, channel), the
  unique key of principle 2. The nightly scan *claims* these rows with
  INSERT … ON CONFLICT DO NOTHING, so a second scan, a retry or a second beat
  adds nothing. A reminder is a fact about one member's cover; it is not sent
  by itself.
- `Message`: the unit of sending (the outbox). One text to one phone (or
  address) for one household, channel and day, listing every member whose
  reminder fell due that day; reminders point to their message. A message is
  *open* until its first send attempt *seals* it (fixes recipient and text);
  only an open message takes more reminders, so the reminders pointing to a
  sealed message are exactly the ones its text names. Its `key` (a UUID) goes
  to the gateway as the idempotency key: after a crash the message is sent
  again with the same key and the gateway delivers it once.
- `DeliveryAttempt`: each call to a channel, with its outcome.
- `ReminderOptOut`, `HouseholdEmail`: who wants no reminders; where e-mail
  reminders go (the registry keeps no e-mail addresses).
- `NightlyRun`: one row per night the batch ran; locking it serialises two
  batches of the same night.
"""

import string
import uuid
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.models import HistoricalRecords

from households.models import Enrolment, Household, Member


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


def stage_label(days: int) -> str:
    """'30 days before', 'on the day', '15 days after' (days from the coverage end)."""
    if days < 0:
        return ngettext("%(days)d day before", "%(days)d days before", -days) % {"days": -days}
    if days > 0:
        return ngettext("%(days)d day after", "%(days)d days after", days) % {"days": days}
    return str(_("on the day"))


# What a template may use; every rule's text is checked against this list.
TEMPLATE_FIELDS = {
    "names": _("the names of the members due, separated by commas"),
    "end_date": _("the coverage end, DD/MM/YYYY"),
    "end_month": _("the month cover is paid up to, MM/YYYY"),
    "days": _("the number of days before or after the coverage end"),
    "household": _("the household code"),
    "amount": _("what renewing costs the household now (12 months of health insurance; a month of voluntary "
                "social insurance)"),
    "collector": _("the name of the household's collector (else its agent)"),
    "collector_phone": _("the phone of the household's collector (else its agent)"),
}


def validate_template(text: str) -> None:
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise ValidationError(_("Unbalanced braces: write a field as {names}, a brace as {{ or }}.")) from None
    unknown = sorted({name for name in fields if name not in TEMPLATE_FIELDS})
    if unknown:
        raise ValidationError(
            _("Unknown field %(fields)s. Use: %(known)s."),
            params={"fields": ", ".join("{%s}" % f for f in unknown),
                    "known": ", ".join("{%s}" % f for f in TEMPLATE_FIELDS)},
        )


class ReminderRule(models.Model):
    """A stage of reminders for one scheme and channel."""

    scheme = models.CharField(_("scheme"), max_length=10, choices=Enrolment.Scheme.choices)
    offset_days = models.SmallIntegerField(
        _("days from the coverage end"),
        help_text=_("Negative before the end (−30 = 30 days before), 0 on the day, "
                    "positive after (15 = 15 days after)."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.SMS)
    template_vi = models.TextField(_("message (Vietnamese)"), validators=[validate_template])
    template_en = models.TextField(_("message (English)"), validators=[validate_template])
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")
        ordering = ["scheme", "offset_days", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "offset_days", "channel"], name="reminder_rule_one_per_stage",
                violation_error_message=_("There is already a rule for this scheme, stage and channel."),
            ),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()} · {self.stage} · {self.get_channel_display()}"

    @property
    def stage(self) -> str:
        return stage_label(self.offset_days)

    def clean(self):
        from .text import check_one_part  # the policy of the channel decides the alphabet

        policy = ChannelPolicy.objects.filter(channel=self.channel).first()
        if self.channel == Channel.SMS:
            errors = {}
            for name in ("template_vi", "template_en"):
                try:
                    check_one_part(getattr(self, name), unaccented_text=policy.unaccented if policy else True)
                except ValidationError as error:
                    errors[name] = error
            if errors:
                raise ValidationError(errors)

    def render(self, *, language: str, fields: dict) -> str:
        template = self.template_en if language == "en" else self.template_vi
        return template.format(days=abs(self.offset_days), **fields)


class ChannelPolicy(models.Model):
    """When a channel may send, and how much in one night."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, unique=True)
    quiet_from = models.TimeField(_("quiet from"), null=True, blank=True,
                                  help_text=_("No messages from this time (local time)…"))
    quiet_until = models.TimeField(_("quiet until"), null=True, blank=True, help_text=_("…until this time."))
    nightly_cap = models.PositiveIntegerField(
        _("at most per night"), null=True, blank=True,
        help_text=_("Leave empty for no limit. Messages over the cap stay queued for the next night."),
    )
    unaccented = models.BooleanField(
        _("send without diacritics"), default=True,
        help_text=_("Vietnamese without diacritics fits the GSM alphabet: 160 characters an SMS instead of 70, "
                    "and brandname routes that refuse Unicode take it."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("channel policy")
        verbose_name_plural = _("channel policies")
        ordering = ["channel"]

    def __str__(self):
        return self.get_channel_display()

    def clean(self):
        if (self.quiet_from is None) != (self.quiet_until is None):
            raise ValidationError(_("Give both ends of the quiet hours, or neither."))
        if self.channel == Channel.SMS:
            from .text import check_one_part

            for rule in ReminderRule.objects.filter(channel=self.channel, active=True):
                for template in (rule.template_vi, rule.template_en):
                    try:
                        check_one_part(template, unaccented_text=self.unaccented)
                    except ValidationError as error:
                        raise ValidationError({"unaccented": _("Rule “%(rule)s”: %(error)s") % {
                            "rule": rule, "error": " ".join(error.messages)}}) from None

    def is_quiet(self, moment: datetime) -> bool:
        if self.quiet_from is None or self.quiet_until is None:
            return False
        now = timezone.localtime(moment).time()
        if self.quiet_from <= self.quiet_until:
            return self.quiet_from <= now < self.quiet_until
        return now >= self.quiet_from or now < self.quiet_until  # across midnight: 21:00–07:00

    def quiet_ends_after(self, moment: datetime) -> datetime:
        """The next end of the quiet hours after `moment` (an aware datetime)."""
        local = timezone.localtime(moment)
        end = local.replace(hour=self.quiet_until.hour, minute=self.quiet_until.minute, second=0, microsecond=0)
        return end if end > local else end + timedelta(days=1)


class ReminderOptOut(models.Model):
    """A household, or one member of it, that wants no reminders (on a channel, or at all)."""

    household = models.ForeignKey(
        Household, models.CASCADE, related_name="reminder_opt_outs", verbose_name=_("household"))
    member = models.ForeignKey(
        Member, models.CASCADE, null=True, blank=True, related_name="reminder_opt_outs", verbose_name=_("member"),
        help_text=_("Leave empty for the whole household."),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True,
                               help_text=_("Leave empty for every channel."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder opt-out")
        verbose_name_plural = _("reminder opt-outs")
        ordering = ["-created_at"]

    def __str__(self):
        return str(self.member or self.household)

    def clean(self):
        if self.member_id and self.household_id and self.member.household_id != self.household_id:
            raise ValidationError({"member": _("This member belongs to another household.")})


class HouseholdEmail(models.Model):
    """Where a household's e-mail reminders go (only households that gave one)."""

    household = models.OneToOneField(
        Household, models.CASCADE, primary_key=True, related_name="reminder_email", verbose_name=_("household"))
    email = models.EmailField(_("e-mail address"))

    class Meta:
        verbose_name = _("reminder e-mail address")
        verbose_name_plural = _("reminder e-mail addresses")

    def __str__(self):
        return self.email


class NightlyRun(models.Model):
    """The batch of one night: when it ran, how often, and which nights it
    covered (every night since the last completed one: a missed night is caught up)."""

    day = models.DateField(_("night of"), unique=True)
    covered_from = models.DateField(
        _("covered from"), null=True, blank=True,
        help_text=_("The first night this run covered: the night after the last completed run."))
    started_at = models.DateTimeField(_("first run"), default=timezone.now)
    finished_at = models.DateTimeField(_("last run"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    # What the runs of this night claimed (added up over its runs; a second run claims nothing new).
    queued = models.PositiveIntegerField(_("reminders to send"), default=0)
    overtaken = models.PositiveIntegerField(_("skipped: overtaken by a later stage"), default=0)
    too_late = models.PositiveIntegerField(_("skipped: too late"), default=0)
    no_phone = models.PositiveIntegerField(_("no phone"), default=0)
    no_report = models.PositiveIntegerField(
        _("closed without a delivery report"), default=0,
        help_text=_("Messages sent earlier that had no final delivery report in REMINDERS_DLR_TIMEOUT_HOURS."))

    class Meta:
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")
        ordering = ["-day"]

    def __str__(self):
        return self.day.strftime("%d/%m/%Y")


class Message(models.Model):
    """One text to one household on one channel for one day (see the module docstring)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent (nothing left to remind)")

    class Delivery(models.TextChoices):
        """What the gateway reported about the handset, in the order a later report may not undo:
        a report can only move a message up this list (reports come late, twice, out of order)."""

        NONE = "", _("no report yet")
        ACCEPTED = "accepted", _("accepted by the operator")
        # No final report within REMINDERS_DLR_TIMEOUT_HOURS: the gateway lost it, or the phone never answered.
        UNKNOWN = "unknown", _("no delivery report")
        EXPIRED = "expired", _("expired (phone unreachable)")
        UNDELIVERED = "undelivered", _("not delivered")
        DELIVERED = "delivered", _("delivered to the phone")

    key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    household = models.ForeignKey(
        Household, models.CASCADE, related_name="reminder_messages", verbose_name=_("household"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    due_on = models.DateField(_("due on"))
    night = models.DateField(
        _("send in the night of"), null=True, blank=True,
        help_text=_("Empty while over the channel's nightly cap: it goes in a following night."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    recipient = models.CharField(_("to"), max_length=254, blank=True)
    text = models.TextField(_("text"), blank=True)
    sealed_at = models.DateTimeField(_("text fixed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Staff's "retry" gives a failed message a fresh round of attempts, counted from here.
    round_starts_after = models.PositiveSmallIntegerField(_("attempts before the last retry by staff"), default=0)
    next_attempt_at = models.DateTimeField(_("not before"), null=True, blank=True)
    lease_until = models.DateTimeField(_("being sent until"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("handed to a worker at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_id = models.CharField(_("gateway's message id"), max_length=100, blank=True)
    error = models.CharField(_("reason"), max_length=300, blank=True)
    gave_up = models.BooleanField(_("refused by the gateway"), default=False)
    delivery = models.CharField(_("delivery report"), max_length=12, choices=Delivery.choices, blank=True)
    delivery_reason = models.CharField(_("delivery report's reason"), max_length=300, blank=True)
    delivery_reported_at = models.DateTimeField(_("delivery reported at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reminder message")
        verbose_name_plural = _("reminder messages")
        constraints = [
            # One open message per household, channel and day: reminders of that day join it.
            models.UniqueConstraint(fields=["household", "channel", "due_on"], condition=Q(sealed_at__isnull=True),
                                    name="reminder_message_one_open"),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="reminder_message_ready_idx"),
            models.Index(fields=["channel", "night"], name="reminder_message_night_idx"),
            models.Index(fields=["due_on", "status"], name="reminder_message_due_idx"),
            models.Index(fields=["delivery", "due_on"], name="reminder_message_delivery_idx"),
        ]

    def __str__(self):
        return f"{self.household} · {self.get_channel_display()} · {self.due_on:%d/%m/%Y}"


class Reminder(models.Model):
    """A claimed reminder: (enrolment, coverage end, stage, channel) is unique."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("not sent (renewed, paid, opted out, overtaken or too late)")
        NO_PHONE = "no_phone", _("no phone: on the collector's list")
        DELIVERED = "delivered", _("delivered to the phone")
        UNDELIVERED = "undelivered", _("not delivered: on the collector's list")

    enrolment = models.ForeignKey(Enrolment, models.CASCADE, related_name="reminders", verbose_name=_("enrolment"))
    coverage_end = models.DateField(_("coverage end"))
    stage = models.SmallIntegerField(_("days from the coverage end"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # Copied from the enrolment's member, to merge a household's reminders and list them for the collector.
    household = models.ForeignKey(Household, models.CASCADE, related_name="reminders", verbose_name=_("household"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    message = models.ForeignKey(
        Message, models.SET_NULL, null=True, blank=True, related_name="reminders", verbose_name=_("message"))
    created_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "coverage_end", "stage", "channel"],
                                    name="reminder_claim_key"),
        ]
        indexes = [
            models.Index(fields=["due_on", "status"], name="reminder_due_status_idx"),
            models.Index(fields=["household", "due_on"], name="reminder_household_due_idx"),
        ]

    def __str__(self):
        return f"{self.enrolment} · {self.stage_display}"

    @property
    def stage_display(self) -> str:
        return stage_label(self.stage)


class DeliveryAttempt(models.Model):
    """One call to a channel for a message."""

    class Outcome(models.TextChoices):
        IN_FLIGHT = "", _("in flight")
        SENT = "sent", _("sent")
        RETRY = "retry", _("failed, will retry")
        GAVE_UP = "gave_up", _("refused, not retried")
        INTERRUPTED = "interrupted", _("interrupted (worker lost)")

    message = models.ForeignKey(Message, models.CASCADE, related_name="attempts_made", verbose_name=_("message"))
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    code = models.CharField(_("gateway code"), max_length=50, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["message", "number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="delivery_attempt_unique_number"),
        ]

    def __str__(self):
        return f"{self.message} · {self.number}"
