"""Model fields that store identifiers in one normalised form.

Normalising in `to_python` (which forms, the admin, imports and full_clean
call first) and again in `pre_save` means every way in stores the same form,
and the validators see what will be stored. The columns are wider than the
stored form so that a value typed with spaces or +84 reaches the validator,
whose message is clearer than "too long"; CHECK constraints keep the stored
form exact.
"""

import re

from django.db import models

from .validators import normalize_card_number, normalize_phone


class NormalizedCharField(models.CharField):
    def normalize(self, value: str) -> str:
        return value.strip()

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        value = self.normalize(value)
        return value if value or not self.null else None

    def pre_save(self, model_instance, add):
        value = self.to_python(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value


class IdentifierField(NormalizedCharField):
    """Citizen ID, social-insurance number: digits typed with spaces or dots."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def normalize(self, value):
        return re.sub(r"[\s.\-]", "", value)


class PhoneField(NormalizedCharField):
    """A Vietnamese mobile number stored as 0xxxxxxxxx."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def normalize(self, value):
        return normalize_phone(value)


class CardNumberField(NormalizedCharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)

    def normalize(self, value):
        return normalize_card_number(value)
