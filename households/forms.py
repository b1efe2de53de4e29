from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Enrolment, Household

BHYT_SUPPORT_CHOICES = [
    ("", _("none")),
    ("near_poor", _("near-poor household")),
    ("student", _("pupil or student")),
    ("agri_average", _("farming, forestry or fishery household of average living standard")),
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
                                help_text=_("Quote for the members of this household who pay in the ladder."))
    members = forms.IntegerField(label=_("members who pay"), min_value=1, max_value=30, required=False)
    support = forms.ChoiceField(label=_("state support (health insurance)"), choices=BHYT_SUPPORT_CHOICES,
                                required=False)
    income = forms.IntegerField(label=_("chosen monthly income (₫)"), min_value=0, required=False)
    group = forms.ChoiceField(label=_("group (voluntary social insurance)"), choices=BHXH_GROUP_CHOICES,
                              required=False, initial="other")

    def clean_household(self):
        code = self.cleaned_data["household"].strip()
        if not code:
            return None
        household = Household.objects.filter(code=code).first()
        if household is None:
            raise forms.ValidationError(_("No household has the code %(code)s.") % {"code": code})
        return household

    def clean(self):
        data = super().clean()
        scheme = data.get("scheme")
        if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD and not data.get("household") and not data.get("members"):
            raise forms.ValidationError(_("Choose a household or type how many members pay."))
        if scheme == Enrolment.Scheme.BHXH_VOLUNTARY and data.get("income") is None:
            self.add_error("income", _("Enter the monthly income the person chooses to contribute on."))
        if scheme == Enrolment.Scheme.BHXH_VOLUNTARY and not data.get("group"):
            self.add_error("group", _("Choose the person's group."))
        return data
