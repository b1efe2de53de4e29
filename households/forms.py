from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Enrolment, Household

BHYT_SUPPORT_CHOICES = [
    ("near_poor", _("near-poor household")),
    ("student", _("pupil or student")),
    ("agri_average", _("farming, forestry or fishery household of average living standard")),
    ("ethnic_minority_exited", _("ethnic minority of a commune no longer disadvantaged")),
]
BHXH_MODE_CHOICES = [
    ("ahead", _("this period and ahead")),
    ("missing", _("missing months, paid at once with interest")),
]
BHXH_GROUP_CHOICES = [
    ("other", _("other participant")),
    ("ethnic_minority", _("ethnic minority")),
    ("near_poor", _("near-poor household")),
    ("poor", _("poor household")),
]


class CalculatorForm(forms.Form):
    scheme = forms.ChoiceField(label=_("scheme"), choices=Enrolment.Scheme.choices)
    months = forms.IntegerField(label=_("months"), min_value=1, initial=12)
    day = forms.DateField(label=_("date"), initial=timezone.localdate, help_text=_("DD/MM/YYYY"))
    household = forms.CharField(label=_("household code"), required=False,
                                help_text=_("Quote for the members of this household who still have to pay."))
    members = forms.IntegerField(label=_("household-group members"), min_value=0, max_value=30, required=False,
                                 help_text=_("Members who pay on the household ladder (100/70/60/50/40 %)."))
    supported = forms.MultipleChoiceField(
        label=_("members of state-supported groups"), choices=BHYT_SUPPORT_CHOICES, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One member of each group ticked; they pay outside the ladder, less the support."))
    income = forms.IntegerField(label=_("chosen monthly income (₫)"), min_value=0, required=False)
    group = forms.ChoiceField(label=_("group (voluntary social insurance)"), choices=BHXH_GROUP_CHOICES,
                              required=False, initial="other")
    mode = forms.ChoiceField(label=_("paid for (voluntary social insurance)"), choices=BHXH_MODE_CHOICES,
                             required=False, initial="ahead")

    def __init__(self, data=None, *, households=None, **kwargs):
        """`households`: those the user may see (a household outside them is "not found", as a wrong code)."""
        self.households = Household.objects.all() if households is None else households
        if data is not None and data.get("household") and not data.get("scheme"):
            # Opened from a household's page: start filled in, 12 months from today.
            data = {"scheme": Enrolment.Scheme.BHYT_HOUSEHOLD, "months": 12,
                    "day": timezone.localdate().strftime("%d/%m/%Y"), **data.dict()}
        super().__init__(data, **kwargs)

    def clean_household(self):
        code = self.cleaned_data["household"].strip()
        if not code:
            return None
        household = self.households.select_related("commune").filter(code=code).first()
        if household is None:
            raise forms.ValidationError(_("No household has the code %(code)s.") % {"code": code})
        return household

    def clean(self):
        data = super().clean()
        scheme = data.get("scheme")
        if (scheme == Enrolment.Scheme.BHYT_HOUSEHOLD and not data.get("household") and not data.get("members")
                and not data.get("supported") and "household" not in self.errors):
            raise forms.ValidationError(_("Choose a household or type how many members pay."))
        if scheme == Enrolment.Scheme.BHXH_VOLUNTARY and data.get("income") is None:
            self.add_error("income", _("Enter the monthly income the person chooses to contribute on."))
        if scheme == Enrolment.Scheme.BHXH_VOLUNTARY and not data.get("group"):
            self.add_error("group", _("Choose the person's group."))
        return data
