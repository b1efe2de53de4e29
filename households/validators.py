"""Vietnamese identifier rules (see RULES.md, "Identifiers").

Each validator raises ValidationError with a message that says what is
expected; normalisers turn what people type into the stored form.
"""

import re
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .text import digits_only

CITIZEN_ID_RE = r"^[0-9]{12}$"
SI_NUMBER_RE = r"^[0-9]{10}$"
MOBILE_RE = r"^0(3[2-9]|5[25689]|7[06-9]|8[1-9]|9[0-9])[0-9]{7}$"
# Health-insurance cards issued before 2021-04-01: 2 letters of beneficiary
# group + benefit level digit + 2-digit province + the 10-digit SI number.
OLD_CARD_RE = r"^[A-Z]{2}[1-5][0-9]{2}[0-9]{10}$"


def validate_citizen_id(value: str) -> None:
    if not re.fullmatch(CITIZEN_ID_RE, value or ""):
        raise ValidationError(
            _("Citizen ID “%(value)s” must be exactly 12 digits."),
            code="citizen_id",
            params={"value": value},
        )


def validate_si_number(value: str) -> None:
    if not re.fullmatch(SI_NUMBER_RE, value or ""):
        raise ValidationError(
            _("Social-insurance number “%(value)s” must be exactly 10 digits."),
            code="si_number",
            params={"value": value},
        )


def validate_mobile(value: str) -> None:
    if not re.fullmatch(MOBILE_RE, value or ""):
        raise ValidationError(
            _(
                "Phone number “%(value)s” is not a Vietnamese mobile number: "
                "expected 10 digits starting 03, 05, 07, 08 or 09 (or +84…)."
            ),
            code="phone",
            params={"value": value},
        )


def validate_card_number(value: str) -> None:
    """A card number is the 10-digit SI number, or the older 15-character code."""
    if not (re.fullmatch(SI_NUMBER_RE, value or "") or re.fullmatch(OLD_CARD_RE, value or "")):
        raise ValidationError(
            _(
                "Card number “%(value)s” must be the 10-digit social-insurance number "
                "or the 15-character code such as GD4660123456789."
            ),
            code="card_number",
            params={"value": value},
        )


def validate_not_in_future(value: date) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(
            _("Date %(value)s is in the future."),
            code="future_date",
            params={"value": value.strftime("%d/%m/%Y")},
        )


# Dates nobody could mean (a visit in year 1, a follow-up on 31/12/9999, a
# member born in 1899) are refused where rows are written: forms, admin,
# field pages, imports.
EARLIEST_BIRTH = date(1900, 1, 1)
VISIT_DAYS_BACK = 365  # a visit is logged within a year of it
FOLLOW_UP_DAYS_AHEAD = 365  # a follow-up is promised within a year


def validate_birth_date(value: date) -> None:
    """Born on or after 01/01/1900, and not in the future."""
    if value and value < EARLIEST_BIRTH:
        raise ValidationError(
            _("Date of birth %(value)s is before 1900: check the year."),
            code="birth_before_1900",
            params={"value": f"{value.day:02d}/{value.month:02d}/{value.year:04d}"},  # strftime drops year 1's zeros
        )
    validate_not_in_future(value)


def validate_visit_date(value: date) -> None:
    """A visit being logged happened today or within the last year."""
    today = timezone.localdate()
    if value and value > today:
        raise ValidationError(_("This date is in the future: enter today or an earlier day."), code="future")
    earliest = today - timedelta(days=VISIT_DAYS_BACK)
    if value and value < earliest:
        raise ValidationError(
            _("A visit is logged within a year: enter a day from %(earliest)s to today."),
            code="visit_too_old",
            params={"earliest": earliest.strftime("%d/%m/%Y")},
        )


def validate_follow_up_date(value: date) -> None:
    """A follow-up is promised within a year from today."""
    latest = timezone.localdate() + timedelta(days=FOLLOW_UP_DAYS_AHEAD)
    if value and value > latest:
        raise ValidationError(
            _("A follow-up is planned within a year: enter a day up to %(latest)s."),
            code="follow_up_too_far",
            params={"latest": latest.strftime("%d/%m/%Y")},
        )


def normalize_phone(value: str) -> str:
    """'+84 912.345.678' → '0912345678'; anything else is returned trimmed."""
    raw = (value or "").strip()
    digits = digits_only(raw)
    if not digits or len(digits) != len(re.sub(r"[\s.\-()+]", "", raw)):
        return raw  # letters or other symbols: leave for the validator to report
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalize_card_number(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def si_number_from_card(card_number: str) -> str | None:
    """The SI number inside either card form, for matching old and new cards."""
    card = normalize_card_number(card_number)
    if re.fullmatch(SI_NUMBER_RE, card):
        return card
    if re.fullmatch(OLD_CARD_RE, card):
        return card[-10:]
    return None


# Digit 4 of a citizen ID encodes sex and birth century.
_CENTURY_SEX = {
    "0": (1900, "M"),
    "1": (1900, "F"),
    "2": (2000, "M"),
    "3": (2000, "F"),
    "4": (2100, "M"),
    "5": (2100, "F"),
}

CITIZEN_ID_WARNING = gettext_lazy(
    "Citizen ID %(citizen_id)s says %(encoded)s, but the record says %(recorded)s: check both."
)


def citizen_id_warnings(citizen_id: str, date_of_birth: date | None, sex: str | None) -> list[str]:
    """Contradictions between a citizen ID and the date of birth or sex.

    These are warnings, not errors: the ID was issued by the state and the
    mistake may be in the record.
    """
    if not citizen_id or not re.fullmatch(CITIZEN_ID_RE, citizen_id):
        return []
    century_sex = _CENTURY_SEX.get(citizen_id[3])
    if century_sex is None:
        return [_("Citizen ID %(citizen_id)s has an unknown sex/century digit “%(digit)s”.")
                % {"citizen_id": citizen_id, "digit": citizen_id[3]}]
    century, encoded_sex = century_sex
    warnings = []
    if date_of_birth is not None:
        encoded_year = century + int(citizen_id[4:6])
        if encoded_year != date_of_birth.year:
            warnings.append(
                CITIZEN_ID_WARNING
                % {
                    "citizen_id": citizen_id,
                    "encoded": _("born in %(year)s") % {"year": encoded_year},
                    "recorded": _("born in %(year)s") % {"year": date_of_birth.year},
                }
            )
    if sex and sex != encoded_sex:
        labels = {"M": _("male"), "F": _("female")}
        warnings.append(
            CITIZEN_ID_WARNING
            % {"citizen_id": citizen_id, "encoded": labels[encoded_sex], "recorded": labels.get(sex, sex)}
        )
    return warnings
