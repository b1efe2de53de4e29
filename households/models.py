"""The registry: communes, villages, households, members and their enrolments.

Each model keeps the invariants of one row (fields, constraints, `clean`).
Identifiers are stored normalised and NULL when absent, so that uniqueness
holds "where present" on PostgreSQL and SQLite alike.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

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
    population = models.PositiveIntegerField(
        _("population"), null=True, blank=True,
        help_text=_("Residents of the commune, where known: coverage is then also shown as a share of them."),
    )
    officers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="officer_communes", verbose_name=_("commune officers"),
        help_text=_("People of the commune office who may read its households and figures."),
    )
    left_disadvantaged_area = models.BooleanField(
        _("no longer a disadvantaged area"), default=False, db_default=False,
        help_text=_("The commune has left the list of disadvantaged areas: its ethnic-minority residents get the "
                    "province's health-insurance top-up for them (Đắk Lắk: +15 %) (check)."),
    )
    # Evidence of the groups the state pays for or supports more, by where people live (RULES.md).
    disadvantaged_area = models.BooleanField(
        _("disadvantaged area (vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn)"), default=False,
        db_default=False,
        help_text=_("The commune is still on the list of disadvantaged areas: the state pays the health insurance "
                    "of its ethnic-minority residents (Law on Health Insurance, Art. 12). A commune is either "
                    "still disadvantaged or has left the list, not both."),
    )
    poor_commune = models.BooleanField(
        _("poor commune (xã nghèo)"), default=False, db_default=False,
        help_text=_("Near-poor residents get the central share set for near-poor members of a poor commune "
                    "(100 % from 15/08/2025, Decree 188/2025/NĐ-CP: see Contribution rates)."),
    )
    island = models.BooleanField(
        _("island commune (xã đảo)"), default=False, db_default=False,
        help_text=_("Residents get the state support for voluntary social insurance set for island communes and "
                    "special zones (50 % from 01/07/2025, Decree 159/2025/NĐ-CP). Special zones (đặc khu) get it "
                    "without this mark."),
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(disadvantaged_area=True, left_disadvantaged_area=True),
                name="commune_disadvantaged_or_left",
                violation_error_message=_("A commune is either still a disadvantaged area or no longer one, "
                                          "not both."),
            ),
        ]

    @property
    def island_or_special_zone(self) -> bool:
        return self.island or self.kind == self.Kind.DAC_KHU

    def clean(self):
        if self.disadvantaged_area and self.left_disadvantaged_area:
            raise ValidationError({"disadvantaged_area": _(
                "A commune is either still a disadvantaged area or no longer one, not both: untick "
                "“no longer a disadvantaged area” first.")})

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

    class Potential(models.TextChoices):
        NOW = "now", _("could pay now")
        LATER = "later", _("could pay later")
        NOT_NOW = "not_now", _("not now")

    code = models.CharField(_("household code"), max_length=30, unique=True)
    # Both indexed first in the composite indexes of Meta.indexes.
    commune = models.ForeignKey(Commune, models.PROTECT, related_name="households", verbose_name=_("commune"),
                                db_index=False)
    village = models.ForeignKey(
        Village, models.PROTECT, null=True, blank=True, related_name="households", verbose_name=_("village"),
        db_index=False,
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
        help_text=_("Year the poor or near-poor status was certified. It holds for the years set under "
                    "Contribution rates (its year and the next, check); an older one gives no support."),
    )
    average_standard_year = models.PositiveSmallIntegerField(
        _("average-living-standard list year"), null=True, blank=True,
        help_text=_("Year of the commune's list of farming, forestry, fishery or salt-making households of average "
                    "living standard that names this household. Its members get state support for health "
                    "insurance while the list holds (its year and the next, check: see Contribution rates)."),
    )
    # Where the house is, from the latest visit that recorded it with the household's consent
    # (the collector's phone, on the visit form): the household page's "Directions" opens it in the maps app.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    located_at = models.DateTimeField(_("location recorded at"), null=True, blank=True)
    # Whether the household could join, as the collector last judged it (the history keeps the earlier ones).
    potential = models.CharField(_("could join"), max_length=10, choices=Potential.choices, blank=True,
                                 help_text=_("Whether the household could pay for cover, as the collector judged it."))
    potential_reason = models.CharField(_("why"), max_length=100, blank=True,
                                        help_text=_("A short reason, e.g. “waiting for the coffee harvest”."))
    potential_return_month = models.DateField(
        _("come back in"), null=True, blank=True, help_text=_("The first day of the month to come back in."))
    potential_set_at = models.DateTimeField(_("judged at"), null=True, blank=True, editable=False)
    potential_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("judged by"))
    # The id of the phone's registration form, so that the same form sent again finds this household.
    client_id = models.UUIDField(_("registration form id"), unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["code"]
        indexes = [
            # A commune's or a village's households in code order, without walking the whole province.
            models.Index(fields=["commune", "code"], name="household_commune_code_idx"),
            models.Index(fields=["village", "code"], name="household_village_code_idx"),
            # The field's prospects, village by village, of a collector's communes.
            models.Index(fields=["commune", "village", "code"], name="household_commune_village_idx"),
            models.Index(fields=["phone"], name="household_phone_idx"),  # searched by phone number
            # Today's prospects the collector judged: a few households of a commune.
            models.Index(fields=["commune", "village"], name="household_judged_idx",
                         condition=~Q(potential="") | Q(potential_return_month__isnull=False)),
        ]
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
            models.CheckConstraint(
                condition=Q(potential_return_month__isnull=True) | Q(potential_return_month__day=1),
                name="household_return_month_first_day",
                violation_error_message=_("The month to come back in starts on its first day."),
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

    # Indexed with the id (Meta.indexes): a household's member ids come from the index alone, so the
    # joins household → member → enrolment of commune filters and the field pages skip the table.
    household = models.ForeignKey(Household, models.CASCADE, related_name="members", verbose_name=_("household"),
                                  db_index=False)
    full_name = models.CharField(_("full name"), max_length=100)
    search_key = models.CharField(_("search key"), max_length=100, editable=False, db_index=True)
    date_of_birth = models.DateField(_("date of birth"), validators=[validators.validate_birth_date])
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
    student = models.BooleanField(
        _("pupil or student"), default=False, db_default=False,
        help_text=_("At school, college or university: state support for health insurance as a pupil or student."),
    )
    insured_elsewhere = models.BooleanField(
        _("insured by another scheme"), default=False, db_default=False,
        help_text=_("Has health insurance through an employer, a pension, the state budget or another group: "
                    "not counted in the household and pays nothing here."),
    )
    social_pension_since = models.PositiveSmallIntegerField(
        _("receives a social pension (trợ cấp xã hội hằng tháng) since"), null=True, blank=True,
        help_text=_("Year the monthly social pension was granted, from the commune's decision; empty if none. "
                    "From the age set under Contribution rates (75), the state pays their health insurance."),
    )
    # Since 2026-02-13 the health-insurance card is electronic (RULES.md): to show it the
    # person needs the VssID app or a level-2 VNeID account; collectors help set them up.
    vssid_installed = models.BooleanField(_("VssID installed"), default=False, db_default=False)
    vneid_level2 = models.BooleanField(_("VNeID level 2 active"), default=False, db_default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()
    # Who changed what and when (personal data: every change is audited).
    history = HistoricalRecords(excluded_fields=["search_key"])

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household_id", "id"]
        indexes = [models.Index(fields=["household", "id"], name="member_household_id_idx")]
        permissions = [
            ("view_personal_data", _("Can see citizen IDs and phone numbers in full in exports")),
        ]
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

    # Indexed with the id (Meta.indexes), as members are with their household.
    member = models.ForeignKey(Member, models.CASCADE, related_name="enrolments", verbose_name=_("member"),
                               db_index=False)
    scheme = models.CharField(_("scheme"), max_length=10, choices=Scheme.choices)
    card_number = CardNumberField(
        _("card number"), blank=True, validators=[validators.validate_card_number],
        help_text=_("10-digit social-insurance number, or the older 15-character code."),
    )
    coverage_start = models.DateField(_("coverage start"))
    coverage_end = models.DateField(_("coverage end"))  # indexed with the id (Meta.indexes)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    monthly_amount = models.PositiveIntegerField(_("monthly amount (₫)"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-coverage_end", "-id"]
        indexes = [
            # In date order to the row, so that a list or the field's Today page sorted by cover end
            # reads the index in order and stops at its page.
            models.Index(fields=["coverage_end", "id"], name="enrolment_end_id_idx"),
            models.Index(fields=["status", "coverage_end"], name="enrolment_status_end_idx"),
            models.Index(fields=["card_number"], name="enrolment_card_number_idx"),
            models.Index(fields=["member", "id"], name="enrolment_member_id_idx"),
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


class ReferenceAmount(models.Model):
    """An amount set by law (base salary, poverty line), in force from a date."""

    class Kind(models.TextChoices):
        BASE_SALARY = "base_salary", _("base salary (lương cơ sở)")
        RURAL_POVERTY_LINE = "rural_poverty_line", _("rural poverty line (chuẩn nghèo nông thôn)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.PositiveIntegerField(_("amount per month (₫)"))
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("legal source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reference amount")
        verbose_name_plural = _("reference amounts")
        ordering = ["kind", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "effective_from"], name="reference_amount_one_per_day",
                                    violation_error_message=_("There is already an amount of this kind from that date.")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount:,} ₫ ({self.effective_from:%d/%m/%Y})".replace(",", ".")


class ContributionRate(models.Model):
    """A rate or share of the contribution rules, in force from a date."""

    class Key(models.TextChoices):
        BHYT_RATE = "bhyt_rate", _("BHYT household: 1st member, share of the base salary")
        BHYT_LADDER_2 = "bhyt_ladder_2", _("BHYT household: 2nd member, share of the 1st member's amount")
        BHYT_LADDER_3 = "bhyt_ladder_3", _("BHYT household: 3rd member, share of the 1st member's amount")
        BHYT_LADDER_4 = "bhyt_ladder_4", _("BHYT household: 4th member, share of the 1st member's amount")
        BHYT_LADDER_5 = "bhyt_ladder_5", _("BHYT household: 5th member onward, share of the 1st member's amount")
        BHYT_SUPPORT_NEAR_POOR = "bhyt_support_near_poor", _("BHYT: state support for near-poor members")
        BHYT_SUPPORT_STUDENT = "bhyt_support_student", _("BHYT: state support for pupils and students")
        BHYT_SUPPORT_AGRI_AVERAGE = "bhyt_support_agri_average", _(
            "BHYT: state support for farming households of average living standard")
        BHYT_SUPPORT_ETHNIC_MINORITY_EXITED = "bhyt_support_ethnic_minority_exited", _(
            "BHYT: support for ethnic-minority people of communes no longer disadvantaged")
        BHYT_SUPPORT_NEAR_POOR_POOR_COMMUNE = "bhyt_support_near_poor_poor_commune", _(
            "BHYT: state support for near-poor members living in a poor commune")
        BHXH_RATE = "bhxh_rate", _("BHXH voluntary: share of the chosen income")
        BHXH_INCOME_MAX_MULTIPLE = "bhxh_income_max_multiple", _(
            "BHXH voluntary: highest income, as a multiple of the base salary")
        BHXH_SUPPORT_POOR = "bhxh_support_poor", _("BHXH voluntary: state support, poor households")
        BHXH_SUPPORT_NEAR_POOR = "bhxh_support_near_poor", _("BHXH voluntary: state support, near-poor households")
        BHXH_SUPPORT_ETHNIC_MINORITY = "bhxh_support_ethnic_minority", _(
            "BHXH voluntary: state support, ethnic minorities")
        BHXH_SUPPORT_ISLAND = "bhxh_support_island", _(
            "BHXH voluntary: state support, people living in island communes or special zones")
        BHXH_SUPPORT_OTHER = "bhxh_support_other", _("BHXH voluntary: state support, everyone else")
        BHXH_SUPPORT_MAX_YEARS = "bhxh_support_max_years", _(
            "BHXH voluntary: years of state support per person, at most")
        BHXH_FUND_MONTHLY_INTEREST = "bhxh_fund_monthly_interest", _(
            "BHXH voluntary: the fund's average monthly interest rate of the year before")
        # How long the evidence of a support group holds: a number of calendar years, counting its own.
        STATUS_VALID_YEARS = "status_valid_years", _(
            "Poor or near-poor status: calendar years it holds, counting the year it was certified for")
        AVERAGE_LIST_VALID_YEARS = "average_list_valid_years", _(
            "Average-living-standard list: calendar years it holds, counting the list's year")
        SOCIAL_PENSION_STATE_PAID_AGE = "social_pension_state_paid_age", _(
            "Social pension: age from which the state pays the health insurance")

    # Groups that exist only from the date of their first row: before it they do not apply (no error).
    OPTIONAL_KEYS = frozenset({Key.BHYT_SUPPORT_NEAR_POOR_POOR_COMMUNE, Key.BHXH_SUPPORT_ISLAND})
    # Support shares a province may top up (a row with its province code); the others are central only.
    SUPPORT_KEYS = frozenset({
        Key.BHYT_SUPPORT_NEAR_POOR, Key.BHYT_SUPPORT_STUDENT, Key.BHYT_SUPPORT_AGRI_AVERAGE,
        Key.BHYT_SUPPORT_ETHNIC_MINORITY_EXITED, Key.BHYT_SUPPORT_NEAR_POOR_POOR_COMMUNE, Key.BHXH_SUPPORT_POOR,
        Key.BHXH_SUPPORT_NEAR_POOR, Key.BHXH_SUPPORT_ISLAND, Key.BHXH_SUPPORT_ETHNIC_MINORITY, Key.BHXH_SUPPORT_OTHER,
    })
    CENTRAL = 0

    key = models.CharField(_("rule"), max_length=40, choices=Key.choices)
    province_code = models.PositiveSmallIntegerField(
        _("province"), default=CENTRAL,
        help_text=_("0 for the central rule, for the whole country. A province code (66 = Đắk Lắk) for that "
                    "province's own top-up on a support share, added to the central share (together never "
                    "above 100 %). No Đắk Lắk top-up for voluntary social insurance (BHXH tự nguyện) was found "
                    "(check)."),
    )
    value = models.DecimalField(
        _("value"), max_digits=9, decimal_places=6,
        help_text=_("A share as a decimal: 0.045 for 4.5 %, 0.7 for 70 %. The fund's monthly interest rate is "
                    "entered each year, from 1 January, as the social-insurance office publishes it for the year "
                    "before (0.004 for 0.4 % a month); lump sums of voluntary social insurance paid for more "
                    "than 12 months are refused until it is entered. The years a poor or near-poor status or an "
                    "average-living-standard list holds are whole years counting its own: 2 = its year and the "
                    "next, as lists approved at a year's end serve the year after (check). The social pension's "
                    "age is whole years (75)."),
    )
    effective_from = models.DateField(_("in force from"))
    source = models.CharField(_("legal source"), max_length=200, blank=True,
                              help_text=_("The law, decree or resolution; “(check)” where it was not confirmed."))

    class Meta:
        verbose_name = _("contribution rate")
        verbose_name_plural = _("contribution rates")
        ordering = ["key", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "province_code", "effective_from"],
                                    name="contribution_rate_one_per_day",
                                    violation_error_message=_("There is already a value of this rule from that date.")),
            models.CheckConstraint(condition=Q(value__gte=0), name="contribution_rate_not_negative"),
        ]

    def __str__(self):
        where = f" [{self.province_code}]" if self.province_code != self.CENTRAL else ""
        return f"{self.get_key_display()}{where}: {self.value.normalize()} ({self.effective_from:%d/%m/%Y})"

    def clean(self):
        if self.province_code != self.CENTRAL and self.key not in self.SUPPORT_KEYS:
            raise ValidationError({"province_code": _("Only support shares have a province's top-up: use 0 here.")})
        if self.key in self.SUPPORT_KEYS and self.value is not None and self.value > 1:
            raise ValidationError({"value": _("A support share is at most 1 (100 %).")})
        if (self.key in (self.Key.STATUS_VALID_YEARS, self.Key.AVERAGE_LIST_VALID_YEARS) and self.value is not None
                and (self.value < 1 or self.value != int(self.value))):
            raise ValidationError({"value": _("Enter a whole number of years, 1 or more (2: its year and the next).")})
        if (self.key == self.Key.SOCIAL_PENSION_STATE_PAID_AGE and self.value is not None
                and (self.value < 1 or self.value != int(self.value))):
            raise ValidationError({"value": _("Enter an age in whole years, such as 75.")})


class PaymentPeriod(models.Model):
    """A number of months that may be paid at once in a scheme."""

    scheme = models.CharField(_("scheme"), max_length=10, choices=Enrolment.Scheme.choices)
    months = models.PositiveSmallIntegerField(
        _("months"),
        help_text=_("Health insurance: 3, 6 or 12. Voluntary social insurance: 1, 3, 6, 12, or several years ahead "
                    "(24, 36…), at most 5 years under the old decree (check)."),
    )
    effective_from = models.DateField(_("allowed from"))
    effective_until = models.DateField(_("allowed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("allowed payment period")
        verbose_name_plural = _("allowed payment periods")
        ordering = ["scheme", "months"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "months", "effective_from"], name="payment_period_unique"),
            models.CheckConstraint(condition=Q(months__gte=1), name="payment_period_months_positive"),
        ]

    def __str__(self):
        return f"{self.get_scheme_display()}: {self.months}"


class ExportLog(models.Model):
    """Who took which list out of the registry, and when (personal data law:
    log who exported what)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("user"))
    resource = models.CharField(_("list"), max_length=100)
    format = models.CharField(_("format"), max_length=10)
    row_count = models.PositiveIntegerField(_("rows"))
    personal_data = models.BooleanField(
        _("IDs and phones in full"), default=False,
        help_text=_("Whether citizen IDs and phone numbers were written in full rather than masked."),
    )
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("export log")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.resource} · {self.row_count} · {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"


class ImportJob(models.Model):
    """One households-with-members file on its way in: checked, shown to the
    user, then imported on confirmation. Large files run on a Celery worker,
    so the job keeps the file, the progress and the report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting to be checked")
        CHECKING = "checking", _("checking")
        READY = "ready", _("checked: waiting for confirmation")
        REFUSED = "refused", _("refused: the file has errors")
        IMPORT_QUEUED = "import_queued", _("waiting to be imported")
        IMPORTING = "importing", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", pgettext_lazy("import", "failed")
        EXPIRED = "expired", _("not confirmed in time: upload the file again")

    RUNNING = (Status.QUEUED, Status.CHECKING, Status.IMPORT_QUEUED, Status.IMPORTING)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("user"))
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=10, default="vi")
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.file_name} ({timezone.localtime(self.created_at):%d/%m/%Y %H:%M})"

    @property
    def is_running(self):
        return self.status in self.RUNNING
