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
    communes = models.ManyToManyField(
        Commune, blank=True, related_name="served_by_agents", verbose_name=_("communes served"),
        help_text=_("The communes the province has given the agent: its managers assign their collectors "
                    "only there. Only provincial staff change this list."),
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
    # What the state (and province) paid a month for this person, for the receipt; 0 when no support.
    support_group = models.CharField(_("support group"), max_length=30, blank=True)
    monthly_support = models.PositiveIntegerField(_("monthly support (₫)"), default=0)
    created_enrolment = models.BooleanField(_("started a new period of cover"))
    previous_end = models.DateField(_("coverage end before"), null=True, blank=True)
    previous_status = models.CharField(_("status before"), max_length=10, blank=True)
    previous_monthly_amount = models.PositiveIntegerField(_("monthly amount before (₫)"), null=True, blank=True)
    new_end = models.DateField(_("coverage end after"))
    # The cover dates the office confirmed for this person (collectors.office_confirmation), kept only
    # where they differ from what the receipt printed: the receipt then shows them, saying so.
    confirmed_from = models.DateField(_("cover from, confirmed by the office"), null=True, blank=True)
    confirmed_until = models.DateField(_("cover until, confirmed by the office"), null=True, blank=True)

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
    helped_vssid = models.BooleanField(_("helped install VssID"), default=False, db_default=False)
    helped_vneid = models.BooleanField(_("helped activate VNeID level 2"), default=False, db_default=False)
    payment = models.ForeignKey(
        Payment, models.SET_NULL, null=True, blank=True, related_name="visits", verbose_name=_("payment")
    )
    # The members whose VssID / VNeID level 2 this visit set up (not those who had it already):
    # the dashboards count installations per collector and commune from them.
    vssid_installed_for = models.ManyToManyField(
        "households.Member", blank=True, related_name="+", verbose_name=_("VssID installed for"))
    vneid_activated_for = models.ManyToManyField(
        "households.Member", blank=True, related_name="+", verbose_name=_("VNeID level 2 activated for"))
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
        return f"{self.household} · {self.get_outcome_display()} · {timezone.localtime(self.visited_at):%d/%m/%Y}"

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
    """Goals for one month, set by the agent or the province: a collector's,
    or a commune's (entered by provincial staff, e.g. the VssID installations
    the national office asks of the province, shared out by commune)."""

    collector = models.ForeignKey(Collector, models.CASCADE, null=True, blank=True, related_name="targets",
                                  verbose_name=_("collector"))
    commune = models.ForeignKey(
        Commune, models.CASCADE, null=True, blank=True, related_name="targets", verbose_name=_("commune"),
        help_text=_("Leave the collector empty and choose a commune for the commune's own target."))
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    visits = models.PositiveIntegerField(_("visits"), default=0)
    new_enrolments = models.PositiveIntegerField(_("new enrolments"), default=0)
    renewals = models.PositiveIntegerField(_("renewals"), default=0)
    amount = models.PositiveBigIntegerField(_("amount collected (₫)"), default=0)
    vssid_installations = models.PositiveIntegerField(
        _("VssID installations"), default=0, db_default=0,
        help_text=_("Insured people helped to install the VssID app in the month."))

    class Meta:
        verbose_name = _("monthly target")
        verbose_name_plural = _("monthly targets")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["collector", "month"], name="target_one_per_collector_month",
                                    condition=Q(collector__isnull=False)),
            models.UniqueConstraint(fields=["commune", "month"], name="target_one_per_commune_month",
                                    condition=Q(commune__isnull=False),
                                    violation_error_message=_("This commune already has a target for that month.")),
            models.CheckConstraint(condition=Q(month__day=1), name="target_month_first_day",
                                   violation_error_message=_("A target's month starts on its first day.")),
            models.CheckConstraint(
                condition=Q(collector__isnull=False, commune__isnull=True) | Q(collector__isnull=True, commune__isnull=False),
                name="target_collector_or_commune",
                violation_error_message=_("A target is a collector's or a commune's: choose one of them.")),
        ]

    def __str__(self):
        return f"{self.collector or self.commune} · {self.month:%m/%Y}"

    def clean(self):
        # The constraint below says the same, but a form without the commune field (an agent
        # manager's) skips constraints on fields it lacks: without this the save was a 500.
        if (self.collector_id is None) == (self.commune_id is None):
            raise ValidationError(_("A target is a collector's or a commune's: choose one of them."))


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


class RefusedRegistrationQuerySet(models.QuerySet):
    def record(self, *, collector, area, people) -> set[str]:
        """Remember that `collector` tried to register `people` (dicts with
        citizen_id and full_name) whose citizen ID is already registered
        outside `area` (the collector's households); return those IDs, the
        ones the collector must be told cannot be used here."""
        from households.models import Member

        typed = {p["citizen_id"]: p.get("full_name", "") for p in people if p.get("citizen_id")}
        registered = Member.objects.filter(citizen_id__in=typed).exclude(household__in=area)
        refused = set()
        for member in registered:
            refusal, created = self.get_or_create(collector=collector, member=member,
                                                  defaults={"full_name": typed[member.citizen_id][:100]})
            if not created:
                self.filter(pk=refusal.pk).update(attempts=models.F("attempts") + 1, last_refused_at=timezone.now(),
                                                  full_name=typed[member.citizen_id][:100], checked=False)
            refused.add(member.citizen_id)
        return refused


class RefusedRegistration(models.Model):
    """A collector tried to register someone whose citizen ID is already in
    the registry outside the collector's area. The collector is told only that
    the ID cannot be used there and the office will check; staff see here who
    tried, with what name, and whom the ID belongs to."""

    collector = models.ForeignKey(Collector, models.CASCADE, related_name="refused_registrations",
                                  verbose_name=_("collector"))
    member = models.ForeignKey("households.Member", models.CASCADE, related_name="refused_registrations",
                               verbose_name=_("registered member"))
    full_name = models.CharField(_("name given by the collector"), max_length=100, blank=True)
    first_refused_at = models.DateTimeField(_("first refused"), auto_now_add=True)
    last_refused_at = models.DateTimeField(_("last refused"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("times tried"), default=1)
    checked = models.BooleanField(_("checked by the office"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = RefusedRegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("refused registration")
        verbose_name_plural = _("refused registrations (citizen ID registered elsewhere)")
        ordering = ["checked", "-last_refused_at"]
        constraints = [models.UniqueConstraint(fields=["collector", "member"], name="refused_registration_once")]

    def __str__(self):
        return f"{self.collector} · {self.full_name or self.member}"


# --- From the receipt to the social-insurance office (collectors.receipts, handovers, office_lists) ---


class ReceiptLink(models.Model):
    """The household's own link to its receipt: opens that receipt, and
    nothing else, without an account, until staff revoke it."""

    payment = models.OneToOneField(Payment, models.CASCADE, related_name="link", verbose_name=_("payment"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt link")
        verbose_name_plural = _("receipt links")

    def __str__(self):
        return str(self.payment)


class Handover(models.Model):
    """Cash a collector handed to the agent, recorded by the agent's manager
    through `collectors.handovers`: its total is the sum of its receipts."""

    agent = models.ForeignKey(Agent, models.PROTECT, related_name="handovers", verbose_name=_("agent"))
    collector = models.ForeignKey(Collector, models.PROTECT, related_name="handovers", verbose_name=_("collector"))
    handed_on = models.DateField(_("handed over on"))
    total = models.PositiveBigIntegerField(_("total (₫)"))
    received_by = models.CharField(_("received by"), max_length=100,
                                   help_text=_("Who at the agent took the money."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("hand-over of money")
        verbose_name_plural = _("hand-overs of money")
        ordering = ["-handed_on", "-id"]

    def __str__(self):
        return f"{self.collector} · {self.handed_on:%d/%m/%Y} · {self.total:,} ₫".replace(",", ".")


class CashHeld(Collector):
    """Collectors seen by the money they still hold (an admin list)."""

    class Meta:
        proxy = True
        verbose_name = _("money still held")
        verbose_name_plural = _("money still held")


class HandoverReceipt(models.Model):
    """One receipt of a hand-over; a receipt is handed over once."""

    handover = models.ForeignKey(Handover, models.CASCADE, related_name="receipts", verbose_name=_("hand-over"))
    payment = models.OneToOneField(Payment, models.PROTECT, related_name="handover_receipt",
                                   verbose_name=_("receipt"))
    accepted_by_office_at = models.DateTimeField(_("accepted by the office at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt handed over")
        verbose_name_plural = _("receipts handed over")

    def __str__(self):
        return str(self.payment)


class OfficeList(models.Model):
    """One list produced for the social-insurance office (collectors.office_lists)."""

    agent = models.ForeignKey(Agent, models.PROTECT, related_name="office_lists", verbose_name=_("agent"))
    form = models.CharField(_("form"), max_length=20)
    form_version = models.CharField(_("form version"), max_length=200)
    period = models.DateField(_("period"), help_text=_("The first day of the month."))
    produced_at = models.DateTimeField(_("produced at"), auto_now_add=True)
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("produced by"))
    # The file as it went to the office, served again on every download: the registry changes
    # afterwards (the office's confirmation), what was sent does not.
    content = models.BinaryField(_("file"), editable=False, default=b"")
    row_count = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("list for the office")
        verbose_name_plural = _("lists for the office")
        ordering = ["-produced_at", "-id"]

    def __str__(self):
        return f"{self.form} · {self.agent.code} · {self.period:%m/%Y}"


class OfficeListEntry(models.Model):
    office_list = models.ForeignKey(OfficeList, models.CASCADE, related_name="entries", verbose_name=_("list"))
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="office_entries", verbose_name=_("receipt"))
    form = models.CharField(_("form"), max_length=20)
    period = models.DateField(_("period"))

    class Meta:
        verbose_name = _("receipt listed")
        verbose_name_plural = _("receipts listed")
        constraints = [models.UniqueConstraint(fields=["payment", "form", "period"],
                                               name="office_entry_once_per_form_period")]


class Badge(models.Model):
    """A collector's badge QR: its token opens a public page saying who the
    collector is (collectors.badges), so that a household can check them;
    revoked, it opens nothing (a new badge is printed with a new token)."""

    collector = models.ForeignKey(Collector, models.CASCADE, related_name="badges", verbose_name=_("collector"))
    token = models.CharField(_("token"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        constraints = [models.UniqueConstraint(fields=["collector"], condition=Q(revoked_at__isnull=True),
                                               name="one_live_badge_per_collector")]

    def __str__(self):
        return str(self.collector)
