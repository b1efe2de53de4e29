"""The field operation: collection agents, their collectors and the areas
each collector is assigned to."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from households import validators
from households.fields import PhoneField
from households.models import Commune, Enrolment, Village


class Agent(models.Model):
    """A collection agent (đại lý thu) contracted by the social-insurance office."""

    class Kind(models.TextChoices):
        POST_OFFICE = "post_office", _("post office")
        COMMUNE_OFFICE = "commune_office", _("commune people's committee")
        WOMENS_UNION = "womens_union", _("women's union")
        FARMERS_UNION = "farmers_union", _("farmers' union")
        VETERANS_UNION = "veterans_union", _("veterans' association")
        YOUTH_UNION = "youth_union", _("youth union")
        OTHER = "other", _("other organisation")

    code = models.CharField(_("agent code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    commune = models.ForeignKey(
        Commune, models.PROTECT, null=True, blank=True, related_name="agents", verbose_name=_("seat"),
        help_text=_("The commune where the agent has its office."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=15, blank=True)
    active = models.BooleanField(_("active"), default=True)
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="managed_agents", verbose_name=_("managers"),
        help_text=_("People of the agent (e.g. a post-office branch head) who follow its collectors' work."),
    )

    class Meta:
        verbose_name = _("collection agent")
        verbose_name_plural = _("collection agents")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Collector(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="collector", verbose_name=_("user account")
    )
    agent = models.ForeignKey(Agent, models.PROTECT, related_name="collectors", verbose_name=_("agent"))
    code = models.CharField(_("collector code"), max_length=30, unique=True)
    full_name = models.CharField(_("full name"), max_length=100)
    phone = PhoneField(_("phone"), unique=True, null=True, blank=True, validators=[validators.validate_mobile])
    active = models.BooleanField(_("active"), default=True)
    joined_on = models.DateField(_("joined on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("collector")
        verbose_name_plural = _("collectors")
        ordering = ["full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__regex=validators.MOBILE_RE),
                name="collector_phone_format",
                violation_error_message=_("Phone must be a 10-digit Vietnamese mobile number."),
            ),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.code})"


class AssignmentQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(end__isnull=True) | Q(end__gte=on), start__lte=on)


class Assignment(models.Model):
    """A collector's area: a whole commune, or one village of it, for a time."""

    collector = models.ForeignKey(
        Collector, models.CASCADE, related_name="assignments", verbose_name=_("collector")
    )
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="assignments", verbose_name=_("commune"))
    village = models.ForeignKey(
        Village, models.PROTECT, null=True, blank=True, related_name="assignments", verbose_name=_("village"),
        help_text=_("Leave empty to assign the whole commune."),
    )
    start = models.DateField(_("from"), default=timezone.localdate)
    end = models.DateField(_("until"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["collector", "commune", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__lte=models.F("end")),
                name="assignment_start_not_after_end",
                violation_error_message=_("An assignment cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.collector} → {self.village or self.commune}"

    def clean(self):
        if self.village_id and self.commune_id and self.village.commune_id != self.commune_id:
            raise ValidationError({"village": _("This village belongs to another commune.")})
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": _("An assignment cannot end before it starts.")})


class Payment(models.Model):
    """A receipt (biên lai): money a collector took for one or more enrolments.

    Recorded and cancelled only through `collectors.services`, which move each
    enrolment's cover and remember how to restore it."""

    agent = models.ForeignKey(Agent, models.PROTECT, related_name="payments", verbose_name=_("agent"))
    collector = models.ForeignKey(Collector, models.PROTECT, related_name="payments", verbose_name=_("collector"))
    household = models.ForeignKey(
        "households.Household", models.PROTECT, related_name="payments", verbose_name=_("household")
    )
    scheme = models.CharField(_("scheme"), max_length=10, choices=Enrolment.Scheme.choices)
    receipt_number = models.CharField(_("receipt number"), max_length=30)
    paid_on = models.DateField(_("paid on"))
    months = models.PositiveSmallIntegerField(_("months paid"))
    amount = models.PositiveBigIntegerField(_("amount (₫)"))
    income = models.PositiveIntegerField(
        _("chosen monthly income (₫)"), null=True, blank=True, help_text=_("Voluntary social insurance only.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "receipt_number"],
                name="payment_receipt_unique_per_agent",
                violation_error_message=_("This receipt number was already used by this agent."),
            ),
            models.CheckConstraint(condition=Q(months__gte=1), name="payment_months_positive"),
        ]
        indexes = [models.Index(fields=["collector", "paid_on"], name="payment_collector_day_idx")]

    def __str__(self):
        return f"{self.receipt_number} · {self.amount:,} ₫".replace(",", ".")

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None


class PaymentLine(models.Model):
    """What one payment did to one enrolment, so that cancelling can undo it."""

    payment = models.ForeignKey(Payment, models.CASCADE, related_name="lines", verbose_name=_("payment"))
    enrolment = models.ForeignKey(
        Enrolment, models.PROTECT, related_name="payment_lines", verbose_name=_("enrolment")
    )
    amount = models.PositiveBigIntegerField(_("amount (₫)"))
    monthly_amount = models.PositiveIntegerField(_("monthly amount (₫)"))
    support_months = models.PositiveSmallIntegerField(_("months with state support"), default=0)
    created_enrolment = models.BooleanField(_("started a new period of cover"))
    previous_end = models.DateField(_("coverage end before"), null=True, blank=True)
    previous_status = models.CharField(_("status before"), max_length=10, blank=True)
    previous_monthly_amount = models.PositiveIntegerField(_("monthly amount before (₫)"), null=True, blank=True)
    new_end = models.DateField(_("coverage end after"))

    class Meta:
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")


class Visit(models.Model):
    """A collector's visit to a household, logged on the phone."""

    class Outcome(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        RENEWED = "renewed", _("renewed")
        WILL_PAY = "will_pay", _("will pay on a date")
        INTERESTED = "interested", _("interested")
        DECLINED = "declined", _("declined")
        NOBODY_HOME = "nobody_home", _("nobody home")
        MOVED_AWAY = "moved_away", _("moved away")

    class DeclineReason(models.TextChoices):
        NO_MONEY = "no_money", _("cannot afford it now")
        NO_TRUST = "no_trust", _("does not trust insurance")
        NOT_NEEDED = "not_needed", _("does not see the need")
        INSURED_ELSEWHERE = "insured_elsewhere", _("insured another way")
        OTHER = "other", _("other reason")

    # Made on the phone, so a visit sent twice (retry, offline queue) is stored once.
    client_id = models.UUIDField(_("client id"), unique=True)
    collector = models.ForeignKey(Collector, models.PROTECT, related_name="visits", verbose_name=_("collector"))
    household = models.ForeignKey(
        "households.Household", models.CASCADE, related_name="visits", verbose_name=_("household")
    )
    member = models.ForeignKey(
        "households.Member", models.SET_NULL, null=True, blank=True, related_name="visits",
        verbose_name=_("member"),
    )
    visited_at = models.DateTimeField(_("visited at"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    decline_reason = models.CharField(_("reason"), max_length=20, choices=DeclineReason.choices, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=1000)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    payment = models.ForeignKey(
        Payment, models.SET_NULL, null=True, blank=True, related_name="visits", verbose_name=_("payment")
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at"]
        indexes = [
            models.Index(fields=["collector", "visited_at"], name="visit_collector_time_idx"),
            models.Index(fields=["household", "visited_at"], name="visit_household_time_idx"),
            models.Index(fields=["collector", "follow_up_on"], name="visit_follow_up_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="declined") | ~Q(decline_reason=""),
                name="visit_decline_has_reason",
                violation_error_message=_("Say why the household declined."),
            ),
        ]

    def __str__(self):
        return f"{self.household} · {self.get_outcome_display()} · {self.visited_at:%d/%m/%Y}"

    def clean(self):
        # Logged within a year of it (checked when added: older visits stay editable); a follow-up
        # after the visit and within a year from today.
        visited_on = timezone.localdate(self.visited_at) if self.visited_at else None
        if visited_on and self._state.adding:
            try:
                validators.validate_visit_date(visited_on)
            except ValidationError as error:
                raise ValidationError({"visited_at": error}) from None
        if self.follow_up_on:
            if visited_on and self.follow_up_on < visited_on:
                raise ValidationError({"follow_up_on": _("The follow-up date cannot be before the visit.")})
            try:
                validators.validate_follow_up_date(self.follow_up_on)
            except ValidationError as error:
                raise ValidationError({"follow_up_on": error}) from None


class Referral(models.Model):
    """Who brought a new household in: people enrolled bring their neighbours."""

    household = models.OneToOneField(
        "households.Household", models.CASCADE, related_name="referral", verbose_name=_("new household")
    )
    referred_by_member = models.ForeignKey(
        "households.Member", models.SET_NULL, null=True, blank=True, related_name="referrals_made",
        verbose_name=_("referred by (member)"),
    )
    referred_by_household = models.ForeignKey(
        "households.Household", models.SET_NULL, null=True, blank=True, related_name="referrals_made",
        verbose_name=_("referred by (household)"),
    )
    collector = models.ForeignKey(
        Collector, models.PROTECT, related_name="referrals", verbose_name=_("collector")
    )
    recorded_on = models.DateField(_("recorded on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=Q(referred_by_member__isnull=False) | Q(referred_by_household__isnull=False),
                name="referral_names_who_referred",
                violation_error_message=_("Say which household or member brought this household in."),
            ),
        ]

    def __str__(self):
        return f"{self.household} ← {self.referred_by_member or self.referred_by_household}"


class Target(models.Model):
    """A collector's goals for one month, set by the agent or the province."""

    collector = models.ForeignKey(Collector, models.CASCADE, related_name="targets", verbose_name=_("collector"))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    visits = models.PositiveIntegerField(_("visits"), default=0)
    new_enrolments = models.PositiveIntegerField(_("new enrolments"), default=0)
    renewals = models.PositiveIntegerField(_("renewals"), default=0)
    amount = models.PositiveBigIntegerField(_("amount collected (₫)"), default=0)

    class Meta:
        verbose_name = _("monthly target")
        verbose_name_plural = _("monthly targets")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["collector", "month"], name="target_one_per_collector_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="target_month_first_day",
                                   violation_error_message=_("A target's month starts on its first day.")),
        ]

    def __str__(self):
        return f"{self.collector} · {self.month:%m/%Y}"


class CommissionRate(models.Model):
    """Commission (thù lao) paid on amounts collected, per scheme and kind of
    participant, in force from a date. Rates are set by the social-insurance
    office's rules for agents and entered by staff."""

    class ParticipantKind(models.TextChoices):
        NEW = "new", _("new participant")
        RENEWAL = "renewal", _("renewal")

    scheme = models.CharField(_("scheme"), max_length=10, choices=Enrolment.Scheme.choices)
    participant_kind = models.CharField(_("participant"), max_length=10, choices=ParticipantKind.choices)
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4,
                               help_text=_("A share of the amount collected: 0.05 for 5 %."))
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("commission rate")
        verbose_name_plural = _("commission rates")
        ordering = ["scheme", "participant_kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "participant_kind", "effective_from"],
                                    name="commission_rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=1), name="commission_rate_share"),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()} · {self.get_participant_kind_display()}: {self.rate.normalize()}"


class TrainingCourse(models.Model):
    """What the province trains collectors in."""

    class Topic(models.TextChoices):
        DATA_COLLECTION = "data_collection", _("collecting household data")
        SCHEME_RULES = "scheme_rules", _("the rules of both schemes")
        VSSID = "vssid", _("the VssID app")
        SI_LOOKUP = "si_lookup", _("looking up social-insurance numbers")
        PERSUASION = "persuasion", _("persuading households")
        OTHER = "other", _("other")

    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices)
    required_for_new_collectors = models.BooleanField(_("required for new collectors"), default=True)
    refresher_months = models.PositiveSmallIntegerField(
        _("refresh every (months)"), null=True, blank=True,
        help_text=_("Collectors are due for a refresher this long after they last attended; empty: no refresher."),
    )

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["title"]

    def __str__(self):
        return self.title


class TrainingSession(models.Model):
    course = models.ForeignKey(TrainingCourse, models.PROTECT, related_name="sessions", verbose_name=_("course"))
    held_on = models.DateField(_("date"))
    trainer = models.CharField(_("trainer"), max_length=100)
    place = models.CharField(_("place"), max_length=200)
    attendees = models.ManyToManyField(Collector, through="TrainingAttendance", related_name="training_sessions",
                                       verbose_name=_("attendees"))

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on"]

    def __str__(self):
        return f"{self.course} · {self.held_on:%d/%m/%Y}"


class TrainingAttendance(models.Model):
    session = models.ForeignKey(TrainingSession, models.CASCADE, related_name="attendance",
                                verbose_name=_("session"))
    collector = models.ForeignKey(Collector, models.CASCADE, related_name="training_attendance",
                                  verbose_name=_("collector"))
    attended = models.BooleanField(_("attended"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "collector"], name="attendance_once")]

    def __str__(self):
        return f"{self.collector} · {self.session}"
