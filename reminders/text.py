"""What an SMS costs: its alphabet and number of parts, and the longest text a
rule can produce.

GSM-7 (3GPP TS 23.038) takes 160 characters in one SMS and 153 a part when
concatenated; a character of its extension table (€ [ ] { } …) counts twice.
Anything else goes as UCS-2: 70 characters in one SMS, 67 a part, counted in
UTF-16 units. Vietnamese with diacritics is always UCS-2; without them it is
GSM-7.
"""

import string
import unicodedata
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7, UCS2 = "GSM-7", "UCS-2"

# The longest value each field can take in a text (`merge_fields` keeps to these widths),
# so that "the longest merged text" of a rule is a fixed figure.
NAMES_WIDTH = 32
COLLECTOR_WIDTH = 24
LONGEST = {
    "names": "Nguyễn Thị Ngọc Hoà, Trần Văn Bá",
    "end_date": "28/12/2027",
    "end_month": "12/2027",
    "days": "999",
    "household": "H" * 30,  # Household.code's max_length
    "amount": "99.999.999 đ",
    "collector": "Nguyễn Thị Ngọc Hoà Trần",
    "collector_phone": "0912345678",
}


# What `unaccented` writes for characters that have no GSM-7 form once their marks are gone:
# the apostrophes, quotes and dashes of word processors and phones, the ellipsis, the
# look-alikes of Đ that some registries hold (Ð is the Icelandic eth, ɖ/Ɖ the African D), ₫.
TRANSLITERATE = {
    "đ": "d", "Đ": "D", "Ð": "D", "ð": "d", "ɖ": "d", "Ɖ": "D", "₫": "d",
    "’": "'", "‘": "'", "ʼ": "'", "ʻ": "'", "ˈ": "'", "`": "'", "´": "'", "′": "'", "‚": ",",
    "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "″": '"',
    "–": "-", "—": "-", "‒": "-", "―": "-", "‐": "-", "‑": "-", "−": "-", "•": "-",
    "…": "...", "·": ".", "\t": " ", "\f": " ",
}


def unaccented(text: str) -> str:
    """'Thẻ BHYT của Nguyễn Thị Hiền: 1.263.600 ₫' → 'The BHYT cua Nguyen Thi Hien: 1.263.600 d'.

    The result is always GSM 03.38 (basic set and its extension table): one character
    outside it would make the whole SMS UCS-2 (70 characters a part instead of 160). Marks
    are taken off, the punctuation above transliterated, any other space becomes a space,
    and anything else without a GSM-7 form (emoji, other scripts, control characters) is dropped."""
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            continue
        if ch in TRANSLITERATE:
            out.append(TRANSLITERATE[ch])
        elif ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif unicodedata.category(ch).startswith("Z"):  # no-break, thin, ideographic… spaces
            out.append(" ")
    return "".join(out)


def is_gsm7(text: str) -> bool:
    """True if every character of `text` is in GSM 03.38 (basic set or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def check_gsm7(text: str) -> str:
    """The sender's guard: a text to go as GSM-7 must be encodable in GSM 03.38, or the
    gateway would send it as UCS-2 (or mangle it). Returns the text; raises ValueError
    naming the characters that are not."""
    if not is_gsm7(text):
        bad = sorted({ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION})
        raise ValueError("not GSM 03.38: " + ", ".join(f"U+{ord(ch):04X}" for ch in bad))
    return text


class SmsSize(NamedTuple):
    encoding: str  # GSM7 or UCS2
    length: int  # in the encoding's units (septets, or UTF-16 units)
    parts: int


def sms_size(text: str) -> SmsSize:
    if is_gsm7(text):
        length = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, part = 160, 153
        encoding = GSM7
    else:
        length = len(text.encode("utf-16-be")) // 2
        single, part = 70, 67
        encoding = UCS2
    parts = 1 if length <= single else -(-length // part)
    return SmsSize(encoding, length, parts)


def shorten(text: str, width: int) -> str:
    """Cut to `width` with a full stop (an ellipsis is not GSM-7 and would make the SMS UCS-2)."""
    return text if len(text) <= width else text[:width - 1].rstrip() + "."


def longest_merge(template: str, *, unaccented_text: bool) -> str:
    """The template with every field at its longest value, as it would be sent."""
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    text = template.format(**{name: LONGEST.get(name, "") for name in fields})
    return unaccented(text) if unaccented_text else text


def check_one_part(template: str, *, unaccented_text: bool) -> None:
    """Refuse a template whose longest merged text needs more than one SMS, with the figures."""
    try:
        text = longest_merge(template, unaccented_text=unaccented_text)
    except (KeyError, ValueError, IndexError):
        return  # the fields are checked by validate_template, with a clearer message
    size = sms_size(text)
    if size.parts > 1:
        limit = 160 if size.encoding == GSM7 else 70
        raise ValidationError(
            _("With its fields at their longest this text is %(length)d characters in %(encoding)s: "
              "%(parts)d SMS parts. One part holds %(limit)d; shorten it by %(over)d characters%(hint)s."),
            params={"length": size.length, "encoding": size.encoding, "parts": size.parts, "limit": limit,
                    "over": size.length - limit,
                    "hint": "" if unaccented_text else _(" or send this channel without diacritics")},
        )
