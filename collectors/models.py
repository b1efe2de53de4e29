"""The field operation: collection agents, their collectors and the areas
each collector is assigned to."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households import validators
from households.fields import PhoneField
from households.models import Commune, Village


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
