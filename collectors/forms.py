"""Forms of the field pages. Dates are typed in the phone's date picker
(sent as YYYY-MM-DD) or as DD/MM/YYYY."""

import uuid

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from households import validators
from households.models import Enrolment, Household, Member

from .models import Collector, Visit
from .selectors import digital_id_help_default


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class FieldAuthenticationForm(AuthenticationForm):
    """Collectors sign in here; staff are let through (and sent to the admin),
    anyone else is refused with a reason."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "inactive_collector": _("Your collector account is not active. Ask your agent or the provincial office."),
        "not_collector": _("This account is not a collector's account: the field pages are for collectors."),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        collector = Collector.objects.filter(user=user).only("active").first()
        if collector is not None and collector.active:
            return
        if user.is_staff:
            return
        code = "inactive_collector" if collector is not None else "not_collector"
        raise ValidationError(self.error_messages[code], code=code)


def _not_in_future(day):
    if day and day > timezone.localdate():
        raise ValidationError(_("This date is in the future: enter today or an earlier day."), code="future")


# On the visit form "enrolled" and "renewed" say what they record: people who paid elsewhere. A payment
# taken by the collector is recorded with "Take a payment", which logs its own visit with these outcomes.
VISIT_OUTCOME_LABELS = {
    Visit.Outcome.ENROLLED: _("enrolled (paid elsewhere)"),
    Visit.Outcome.RENEWED: _("renewed (paid elsewhere)"),
}


class MonthInput(forms.DateInput):
    """The phone's month picker (sent as YYYY-MM)."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    """A month, typed in the phone's month picker (YYYY-MM) or as MM/YYYY; its first day."""

    widget = MonthInput
    input_formats = ["%Y-%m", "%m/%Y", "%Y-%m-%d", "%d/%m/%Y"]
    default_error_messages = {"invalid": _("Enter a month, e.g. 12/2026.")}


class PotentialForm(forms.Form):
    """Whether a household could join: could pay now / later / not now, why,
    and the month to come back in."""

    potential = forms.ChoiceField(label=_("Could they join?"), choices=Household.Potential.choices,
                                  widget=forms.RadioSelect, required=False)
    potential_reason = forms.CharField(
        label=_("Why"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. waiting for the coffee harvest")}))
    potential_return_month = MonthField(label=_("Come back in (month)"), required=False)

    def clean(self):
        data = super().clean()
        clean_potential(self, data)
        return data


def clean_potential(form, data) -> None:
    """A reason or a month needs the judgement it explains; a month to come back in is not past."""
    month = data.get("potential_return_month")
    if month is not None:
        data["potential_return_month"] = month = month.replace(day=1)
        if month < timezone.localdate().replace(day=1):
            form.add_error("potential_return_month", _("This month has passed: choose this month or a later one."))
    if not data.get("potential") and (data.get("potential_reason") or month):
        form.add_error("potential", _("Choose whether the household could join."))


class VisitForm(PotentialForm):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"), widget=forms.RadioSelect,
        choices=[(value, VISIT_OUTCOME_LABELS.get(value, label)) for value, label in Visit.Outcome.choices],
    )
    decline_reason = forms.ChoiceField(
        label=_("Why they declined"), choices=[("", "—"), *Visit.DeclineReason.choices], required=False
    )
    visited_on = forms.DateField(label=_("Visit date"), widget=DateInput, validators=[validators.validate_visit_date])
    follow_up_on = forms.DateField(label=_("Come back on"), widget=DateInput, required=False,
                                   validators=[validators.validate_follow_up_date])
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=1000)
    # The house's location is taken only with the household's consent (off by default); without it,
    # a location sent is dropped.
    location_consent = forms.BooleanField(label=_("The household agrees that the house's location is recorded"),
                                          required=False)
    latitude = forms.DecimalField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90,
                                  max_digits=9, decimal_places=6)
    longitude = forms.DecimalField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180,
                                   max_digits=9, decimal_places=6)
    helped_vssid = forms.BooleanField(label=_("Helped install VssID"), required=False)
    helped_vneid = forms.BooleanField(label=_("Helped activate VNeID level 2"), required=False)
    helped_members = forms.TypedMultipleChoiceField(label=_("Who was helped"), coerce=int, required=False,
                                                    widget=forms.CheckboxSelectMultiple)
    # Sent by the form that lists the members; an older phone's outbox sends the help without it.
    help_members_shown = forms.BooleanField(widget=forms.HiddenInput, required=False, initial=True)

    def __init__(self, *args, household, **kwargs):
        kwargs.setdefault("initial", {"client_id": uuid.uuid4(), "visited_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["visited_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        # Read only when members are sent or shown: a visit without help costs no query for them.
        self.fields["helped_members"].choices = lambda: [(m.pk, f"{m.full_name} ({m.date_of_birth.year})")
                                                         for m in self.household_members]

    @cached_property
    def household_members(self) -> list[Member]:
        return list(self.household.members.prefetch_related("enrolments"))

    def clean(self):
        data = super().clean()
        outcome, visited_on, follow_up_on = data.get("outcome"), data.get("visited_on"), data.get("follow_up_on")
        if outcome == Visit.Outcome.DECLINED and not data.get("decline_reason"):
            self.add_error("decline_reason", _("Say why the household declined."))
        if outcome == Visit.Outcome.WILL_PAY and not follow_up_on:
            self.add_error("follow_up_on", _("Enter the day they will pay."))
        if follow_up_on and visited_on and follow_up_on < visited_on:
            self.add_error("follow_up_on", _("The follow-up date cannot be before the visit."))
        if not data.get("location_consent"):
            data["latitude"] = data["longitude"] = None
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_("The location is incomplete: get it again or leave it out."))
        self._clean_helped_members(data)
        return data

    def _clean_helped_members(self, data) -> None:
        """The members the help is recorded on: those ticked; from an older
        phone that did not list them, the usual choice (insured, old enough,
        without VssID). Nobody when no help was given."""
        shown = data.pop("help_members_shown", False)
        if not (data.get("helped_vssid") or data.get("helped_vneid")):
            data["helped_members"] = []
            return
        if shown:
            chosen = set(data.get("helped_members") or ())
            if not chosen and "helped_members" not in self.errors:
                self.add_error("helped_members", _("Tick the members who were helped."))
            data["helped_members"] = [m for m in self.household_members if m.pk in chosen]
        else:
            data["helped_members"] = digital_id_help_default(self.household_members, data.get("visited_on")
                                                             or timezone.localdate())


def _period_label(months: int) -> str:
    if months > 12 and months % 12 == 0:
        return _("%(years)s years ahead (%(months)s months)") % {"years": months // 12, "months": months}
    if months == 1:
        return _("1 month")
    return _("%(months)s months") % {"months": months}


class PaymentForm(forms.Form):
    """Members, scheme and months make the quote; the receipt number and the
    amount shown are needed only to save."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    scheme = forms.ChoiceField(label=_("Scheme"), choices=Enrolment.Scheme.choices, widget=forms.RadioSelect)
    members = forms.TypedMultipleChoiceField(label=_("Who pays"), coerce=int, widget=forms.CheckboxSelectMultiple)
    # One list of periods per scheme, each offering only what its scheme allows; the scheme chosen says which
    # is read (without JavaScript both are shown).
    months = forms.TypedChoiceField(
        label=_("Months of health insurance"), coerce=int, required=False, empty_value=None,
        error_messages={"invalid_choice": _("Choose one of the payment periods in the list.")},
    )
    bhxh_months = forms.TypedChoiceField(
        label=_("Months of voluntary social insurance"), coerce=int, required=False, empty_value=None,
        error_messages={"invalid_choice": _("Choose one of the payment periods in the list.")},
    )
    income = forms.IntegerField(
        label=_("Monthly income chosen (voluntary social insurance)"), required=False, min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1000}),
    )
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput, validators=[_not_in_future])
    receipt_number = forms.CharField(label=_("Receipt number"), max_length=30, required=False,
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))
    amount = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, members, periods, periods_on=None, saving=False, **kwargs):
        """`periods`: {scheme: months allowed} today, the choices offered; `periods_on(day)`: the same on the
        day paid, None when no rules were in force then (a payment dated earlier follows the rules of its day)."""
        super().__init__(*args, **kwargs)
        self.periods_on = periods_on
        self.members_by_id = {m.pk: m for m in members}
        self.fields["members"].choices = [(m.pk, m.full_name) for m in members]
        for name, scheme in (("months", Enrolment.Scheme.BHYT_HOUSEHOLD), ("bhxh_months", Enrolment.Scheme.BHXH_VOLUNTARY)):
            self.fields[name].choices = [(m, _period_label(m)) for m in periods.get(scheme, ())]
        self.fields["paid_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if saving:
            self.fields["receipt_number"].required = True
            self.fields["amount"].required = True

    def clean(self):
        data = super().clean()
        field = self.months_field()
        if field not in self.errors:
            if data.get(field) is None:
                self.add_error(field, _("Choose how many months are paid."))
            data["months"] = data.get(field)
        if (field not in self.errors and data.get("scheme") and data.get("paid_on")
                and self.periods_on is not None):
            self._check_period_on(field, data["scheme"], data["months"], data["paid_on"])
        return data

    def months_field(self) -> str:
        """The field that holds the months of the scheme chosen."""
        return "bhxh_months" if self.data.get("scheme") == Enrolment.Scheme.BHXH_VOLUNTARY else "months"

    def _check_period_on(self, field: str, scheme: str, months: int, paid_on) -> None:
        """The period chosen from today's list must be one the rules in force on the day paid allow."""
        allowed = self.periods_on(paid_on)
        day = paid_on.strftime("%d/%m/%Y")
        if allowed is None:
            self.add_error("paid_on", _("No contribution rules were in force on %(day)s: check the date paid.")
                           % {"day": day})
        elif months not in allowed.get(scheme, ()):
            self.add_error(field, _(
                "On %(day)s this scheme could be paid for %(allowed)s months, not %(months)s (a payment follows the "
                "rules in force on the day it was paid): choose one of those, or check the date paid."
            ) % {"day": day, "months": months, "allowed": ", ".join(str(m) for m in allowed.get(scheme, ())) or "—"})

    def choice_errors(self) -> bool:
        """Whether what the quote needs (not the receipt) has errors."""
        return any(name in self.errors
                   for name in ("members", "scheme", "months", "bhxh_months", "income", "paid_on", "client_id"))

    def chosen_members(self):
        return [self.members_by_id[pk] for pk in self.cleaned_data["members"]]


class HouseholdForm(forms.ModelForm):
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    place = forms.ChoiceField(label=_("Village"))
    confirm_new = forms.BooleanField(
        label=_("I checked: this is a different household, register it."), required=False
    )

    potential = PotentialForm.base_fields["potential"]
    potential_reason = PotentialForm.base_fields["potential_reason"]
    potential_return_month = PotentialForm.base_fields["potential_return_month"]

    class Meta:
        model = Household
        fields = ["address", "phone", "economic_status", "status_year", "potential", "potential_reason",
                  "potential_return_month"]
        widgets = {"phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
                   "status_year": forms.NumberInput(attrs={"inputmode": "numeric"})}

    def clean(self):
        data = super().clean()
        clean_potential(self, data)
        return data

    def __init__(self, *args, places, **kwargs):
        """`places`: {value: (label, commune code, village id or None)} of the collector's area."""
        super().__init__(*args, **kwargs)
        self.places = places
        self.fields["place"].choices = [("", "—")] + [(value, label) for value, (label, *_ids) in places.items()]

    def chosen_place(self) -> tuple[int, int | None]:
        """(commune code, village id or None) of the chosen place."""
        _label, commune_id, village_id = self.places[self.cleaned_data["place"]]
        return commune_id, village_id


class MemberForm(forms.ModelForm):
    """A member typed on the phone. With `area` (the collector's households),
    an identifier already registered outside it is refused without saying
    so: the collector may not learn who is registered elsewhere."""

    CANNOT_USE = {
        "citizen_id": _("This citizen ID cannot be used here: the office will check it."),
        "si_number": _("This social-insurance number cannot be used here: the office will check it."),
        "phone": _("This phone number cannot be used here: the office will check it."),
    }

    def __init__(self, *args, area=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.area = area
        self.refused_outside_area = []  # (field, member registered outside the area)

    def validate_unique(self):
        super().validate_unique()
        if self.area is None:
            return
        for name, message in self.CANNOT_USE.items():
            if self.has_error(name, code="unique"):
                holder = Member.objects.filter(**{name: getattr(self.instance, name)}).exclude(
                    household__in=self.area).first()
                if holder is not None:
                    self._errors[name] = self.error_class([message])
                    self.refused_outside_area.append((name, holder))

    class Meta:
        model = Member
        fields = ["full_name", "date_of_birth", "sex", "relation", "ethnicity", "citizen_id", "si_number", "phone",
                  "vssid_installed", "vneid_level2"]
        widgets = {
            "date_of_birth": DateInput,
            "citizen_id": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "si_number": forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }


class BaseMemberFormSet(BaseModelFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        relations = [f.cleaned_data.get("relation") for f in self.forms if f.cleaned_data]
        if relations.count(Member.Relation.HEAD) != 1:
            raise ValidationError(_("Choose exactly one head of household."))


MemberFormSet = modelformset_factory(
    Member, form=MemberForm, formset=BaseMemberFormSet, extra=0, min_num=1, validate_min=True, max_num=20,
    validate_max=True,
)
