"""The receipt the household keeps: its figures, the total in words, and the
household's own link (an unguessable token, revocable, that opens only that
receipt)."""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from households.models import Member

from .models import Payment, PaymentLine, ReceiptLink

_DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
_SCALES = ["", "nghìn", "triệu"]  # then "tỷ", which repeats: 10^12 is "nghìn tỷ"


def _three_digits(number: int, leading: bool) -> list[str]:
    """0–999 read as Vietnamese; a group after the first reads its hundreds
    and "linh" even when zero (1.000.005 = một triệu không trăm linh năm)."""
    hundreds, tens, units = number // 100, number // 10 % 10, number % 10
    words = []
    if not leading or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units and words:
            words.append("linh")
    elif tens == 1:
        words.append("mười")
    else:
        words += [_DIGITS[tens], "mươi"]
    if units == 1 and tens >= 2:
        words.append("mốt")
    elif units == 4 and tens >= 2:
        words.append("tư")
    elif units == 5 and tens >= 1:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _read(number: int) -> list[str]:
    if number >= 10**9:
        billions, rest = divmod(number, 10**9)
        return _read(billions) + ["tỷ"] + (_groups(rest, leading=False) if rest else [])
    return _groups(number, leading=True)


def _groups(number: int, leading: bool) -> list[str]:
    groups = [number // 10**6 % 1000, number // 1000 % 1000, number % 1000]
    words = []
    for index, group in enumerate(groups):
        if not group:
            continue
        first = leading and not words
        words += _three_digits(group, leading=first) + ([_SCALES[2 - index]] if _SCALES[2 - index] else [])
    return words


def amount_in_words(amount: int) -> str:
    """3142260 → "Ba triệu một trăm bốn mươi hai nghìn hai trăm sáu mươi đồng",
    as receipts write the total (Vietnamese whatever the page's language)."""
    if amount < 0:
        raise ValueError("amount_in_words: a negative amount")
    words = _read(amount) if amount else ["không"]
    text = " ".join(words + ["đồng"])
    return text[0].upper() + text[1:]


@dataclass
class ReceiptLine:
    member: Member
    scheme_label: str
    months: int
    monthly_amount: int
    monthly_support: int
    support_group: str
    support_total: int
    amount: int
    cover_from: date
    cover_to: date
    confirmed_by_office: bool = False  # the office confirmed other dates than paid for: these are its dates


@dataclass
class Receipt:
    payment: Payment
    lines: list[ReceiptLine]
    total_in_words: str


def cover_from_as_paid(line: PaymentLine) -> date:
    """The first day the payment covered (a new enrolment's start until the
    office confirms another; the office's own is `confirmed_from`)."""
    if line.created_enrolment or line.previous_end is None:
        return line.enrolment.coverage_start
    return line.previous_end + timedelta(days=1)


def receipt_for(payment: Payment) -> Receipt:
    """Everything the receipt prints, in two queries (the payment's lines with
    their people; `payment` selected with agent, collector and household)."""
    lines = []
    for line in payment.lines.select_related("enrolment__member").order_by("pk"):
        support_months = line.support_months if line.support_months else payment.months
        lines.append(ReceiptLine(
            member=line.enrolment.member, scheme_label=payment.get_scheme_display(), months=payment.months,
            monthly_amount=line.monthly_amount, monthly_support=line.monthly_support,
            support_group=line.support_group, support_total=line.monthly_support * support_months,
            amount=line.amount, cover_from=line.confirmed_from or cover_from_as_paid(line),
            cover_to=line.confirmed_until or line.new_end,
            confirmed_by_office=bool(line.confirmed_from or line.confirmed_until),
        ))
    return Receipt(payment=payment, lines=lines, total_in_words=amount_in_words(payment.amount))


def link_for(payment: Payment) -> ReceiptLink:
    """The receipt's link, made the first time it is asked for (a new one after
    a revocation)."""
    link = ReceiptLink.objects.filter(payment=payment).first()
    if link and link.revoked_at is None:
        return link
    with transaction.atomic():
        if link:
            link.delete()
        try:
            with transaction.atomic():
                return ReceiptLink.objects.create(payment=payment, token=secrets.token_urlsafe(24))
        except IntegrityError:  # made a moment ago by another request
            return ReceiptLink.objects.get(payment=payment)


def revoke_link(payment: Payment) -> None:
    ReceiptLink.objects.filter(payment=payment, revoked_at__isnull=True).update(revoked_at=timezone.now())


def payment_for_token(token: str) -> Payment | None:
    """The one payment a live token opens, or None."""
    link = (ReceiptLink.objects.filter(token=token, revoked_at__isnull=True)
            .select_related("payment__agent", "payment__collector", "payment__household").first())
    return link.payment if link else None
