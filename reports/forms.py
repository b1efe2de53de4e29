import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .selectors import Filters


class MonthField(forms.Field):
    """A month as browsers send it (YYYY-MM) or as people write it (MM/YYYY)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "MM/YYYY", "size": 8})

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        if match := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            year, month = int(match[1]), int(match[2])
        elif match := re.fullmatch(r"(\d{1,2})/(\d{4})", value):
            year, month = int(match[2]), int(match[1])
        else:
            raise ValidationError(_("Enter a month as MM/YYYY."), code="invalid")
        if not 1 <= month <= 12 or year < 2000:
            raise ValidationError(_("Enter a month as MM/YYYY."), code="invalid")
        return date(year, month, 1)


class FilterForm(forms.Form):
    commune = forms.TypedChoiceField(label=_("Commune"), coerce=int, required=False, empty_value=None)
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False, empty_value=None)
    start = MonthField(label=_("From month"), required=False)
    end = MonthField(label=_("To month"), required=False)

    def __init__(self, data, *, fields: list[str], communes=(), agents=(), labels=None):
        super().__init__(data)
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]
        for name, label in (labels or {}).items():
            self.fields[name].label = label
        if "commune" in self.fields:
            self.fields["commune"].choices = [("", _("All communes")), *communes]
        if "agent" in self.fields:
            self.fields["agent"].choices = [("", _("All agents")), *agents]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            raise ValidationError(_("The first month comes after the last."))
        return cleaned

    def filters(self) -> Filters:
        """The filters chosen; where one is wrong, the page shows the whole
        area and the form says what to correct."""
        if not self.is_valid():
            return Filters()
        return Filters(**{name: self.cleaned_data.get(name) for name in ("commune", "agent", "start", "end")})
