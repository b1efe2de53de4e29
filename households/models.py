"""The registry: communes, villages, households, members and their enrolments.

Each model keeps the invariants of one row (fields, constraints, `clean`).
Identifiers are stored normalised and NULL when absent, so that uniqueness
holds "where present" on PostgreSQL and SQLite alike.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import validators
from .ethnicity import ETHNIC_GROUPS
from .fields import CardNumberField, IdentifierField, PhoneField
from .text import clean_spaces, search_key


class Commune(models.Model):
    """A commune-level unit (xã, phường, đặc khu), keyed by its official code."""

    class Kind(models.TextChoices):
        XA = "xa", _("commune (xã)")
        PHUONG = "phuong", _("ward (phường)")
        DAC_KHU = "dac_khu", _("special zone (đặc khu)")

    code = models.PositiveIntegerField(_("official code"), primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    province_code = models.PositiveSmallIntegerField(_("province code"), db_index=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Village(models.Model):
    """A village below a commune: thôn, buôn, bon or tổ dân phố."""

    class Kind(models.TextChoices):
        THON = "thon", _("village (thôn)")
        BUON = "buon", _("village (buôn)")
        BON = "bon", _("village (bon)")
        TO_DAN_PHO = "to_dan_pho", _("residential group (tổ dân phố)")

    commune = models.ForeignKey(Commune, models.PROTECT, related_name="villages", verbose_name=_("commune"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.THON)

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["commune__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "name"], name="village_unique_name_in_commune"),
        ]

    def __str__(self):
        return f"{self.name}, {self.commune.name}"

    def save(self, *args, **kwargs):
        self.name = clean_spaces(self.name)
        super().save(*args, **kwargs)


class Household(models.Model):
    class EconomicStatus(models.TextChoices):
        POOR = "poor", _("poor")
        NEAR_POOR = "near_poor", _("near-poor")
        OTHER = "other", _("other")

    code = models.CharField(_("household code"), max_length=30, unique=True)
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="households", verbose_name=_("commune"))
    village = models.ForeignKey(
        Village, models.PROTECT, null=True, blank=True, related_name="households", verbose_name=_("village")
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = PhoneField(_("phone"), null=True, blank=True, validators=[validators.validate_mobile])
    economic_status = models.CharField(
        _("economic status"), max_length=10, choices=EconomicStatus.choices, default=EconomicStatus.OTHER
    )
    status_year = models.PositiveSmallIntegerField(
        _("year certified"),
        null=True,
        blank=True,
        help_text=_("Year the poor or near-poor status was certified."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__regex=validators.MOBILE_RE),
                name="household_phone_format",
                violation_error_message=_("Phone must be a 10-digit Vietnamese mobile number."),
            ),
            models.CheckConstraint(
                condition=Q(economic_status="other") | Q(status_year__isnull=False),
                name="household_status_year_certified",
                violation_error_message=_("A poor or near-poor status needs the year it was certified."),
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        self.code = clean_spaces(self.code)
        if self.village_id and self.commune_id and self.village.commune_id != self.commune_id:
            raise ValidationError({"village": _("This village belongs to another commune.")})
        if self.economic_status != self.EconomicStatus.OTHER and not self.status_year:
            raise ValidationError({"status_year": _("A poor or near-poor status needs the year it was certified.")})


class MemberQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(): keep the search key in sync here too.
        for member in objs:
            member.fill_derived_fields()
        return super().bulk_create(objs, *args, **kwargs)


class Member(models.Model):
    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        GRANDCHILD = "grandchild", _("grandchild")
        SIBLING = "sibling", _("sibling")
        OTHER = "other", _("other relative")

    household = models.ForeignKey(Household, models.CASCADE, related_name="members", verbose_name=_("household"))
    full_name = models.CharField(_("full name"), max_length=100)
    search_key = models.CharField(_("search key"), max_length=100, editable=False, db_index=True)
    date_of_birth = models.DateField(_("date of birth"), validators=[validators.validate_not_in_future])
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNIC_GROUPS, default="01")
    relation = models.CharField(_("relation to head"), max_length=12, choices=Relation.choices)
    citizen_id = IdentifierField(
        _("citizen ID"), unique=True, null=True, blank=True, validators=[validators.validate_citizen_id]
    )
    si_number = IdentifierField(
        _("social-insurance number"), unique=True, null=True, blank=True, validators=[validators.validate_si_number]
    )
    phone = PhoneField(_("phone"), unique=True, null=True, blank=True, validators=[validators.validate_mobile])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(relation="head"),
                name="member_one_head_per_household",
                violation_error_message=_("This household already has a head."),
            ),
            models.CheckConstraint(
                condition=Q(citizen_id__isnull=True) | Q(citizen_id__regex=validators.CITIZEN_ID_RE),
                name="member_citizen_id_format",
                violation_error_message=_("Citizen ID must be exactly 12 digits."),
            ),
            models.CheckConstraint(
                condition=Q(si_number__isnull=True) | Q(si_number__regex=validators.SI_NUMBER_RE),
                name="member_si_number_format",
                violation_error_message=_("Social-insurance number must be exactly 10 digits."),
            ),
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__regex=validators.MOBILE_RE),
                name="member_phone_format",
                violation_error_message=_("Phone must be a 10-digit Vietnamese mobile number."),
            ),
        ]

    def __str__(self):
        return self.full_name

    def fill_derived_fields(self):
        self.full_name = clean_spaces(self.full_name)
        self.search_key = search_key(self.full_name)
        for field in ("citizen_id", "si_number", "phone"):
            setattr(self, field, self._meta.get_field(field).to_python(getattr(self, field)))

    def clean(self):
        self.fill_derived_fields()

    def save(self, *args, **kwargs):
        self.fill_derived_fields()
        super().save(*args, **kwargs)

    def citizen_id_warnings(self):
        return validators.citizen_id_warnings(self.citizen_id, self.date_of_birth, self.sex)


class Enrolment(models.Model):
    """One period of cover of a member in one scheme."""

    class Scheme(models.TextChoices):
        BHYT_HOUSEHOLD = "bhyt_hgd", _("household health insurance (BHYT hộ gia đình)")
        BHXH_VOLUNTARY = "bhxh_tn", _("voluntary social insurance (BHXH tự nguyện)")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending (waiting period)")
        ACTIVE = "active", _("active")
        LAPSED = "lapsed", _("lapsed")
        CANCELLED = "cancelled", _("cancelled")

    member = models.ForeignKey(Member, models.CASCADE, related_name="enrolments", verbose_name=_("member"))
    scheme = models.CharField(_("scheme"), max_length=10, choices=Scheme.choices)
    card_number = CardNumberField(
        _("card number"), blank=True, validators=[validators.validate_card_number],
        help_text=_("10-digit social-insurance number, or the older 15-character code."),
    )
    coverage_start = models.DateField(_("coverage start"))
    coverage_end = models.DateField(_("coverage end"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    monthly_amount = models.PositiveIntegerField(_("monthly amount (₫)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-coverage_end", "id"]
        indexes = [
            models.Index(fields=["status", "coverage_end"], name="enrolment_status_end_idx"),
            models.Index(fields=["card_number"], name="enrolment_card_number_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(coverage_start__lte=models.F("coverage_end")),
                name="enrolment_start_not_after_end",
                violation_error_message=_("Coverage start must not be after coverage end."),
            ),
        ]
        # On PostgreSQL an exclusion constraint (migration 0002) also forbids
        # overlapping periods of one member in one scheme; `clean` says it kindly.

    def __str__(self):
        return f"{self.member} · {self.get_scheme_display()} · {self.coverage_end:%d/%m/%Y}"

    def clean(self):
        if self.coverage_start and self.coverage_end and self.coverage_start > self.coverage_end:
            raise ValidationError({"coverage_end": _("Coverage end must not be before coverage start.")})
        if self.member_id and self.coverage_start and self.coverage_end and self.status != self.Status.CANCELLED:
            overlapping = (
                Enrolment.objects.filter(
                    member_id=self.member_id,
                    scheme=self.scheme,
                    coverage_start__lte=self.coverage_end,
                    coverage_end__gte=self.coverage_start,
                )
                .exclude(status=self.Status.CANCELLED)
                .exclude(pk=self.pk)
                .first()
            )
            if overlapping:
                raise ValidationError(
                    _("This member already has %(scheme)s cover from %(start)s to %(end)s, which overlaps.")
                    % {
                        "scheme": self.get_scheme_display(),
                        "start": overlapping.coverage_start.strftime("%d/%m/%Y"),
                        "end": overlapping.coverage_end.strftime("%d/%m/%Y"),
                    }
                )
