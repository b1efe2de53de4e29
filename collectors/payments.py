"""Recording and cancelling receipts: the one way money moves cover.

Both run in one transaction holding a lock on the household's row, and read
its members' cover again under that lock: two phones recording for the same
household at the same moment take turns, and the second extends the cover
from the end the first left (or is refused), never from the same end twice.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from households import contributions as rules
from households.contributions import ContributionError, format_vnd
from households.models import Enrolment, Household, Member
from households.quotes import (
    HouseholdQuote,
    bhxh_support_group,
    bhyt_support_groups,
    cover_for_ladder,
    quote_household_payment,
)
from households.rates import rates_on
from households.text import clean_spaces

from .models import Collector, HandoverReceipt, Payment, PaymentLine
from .selectors import check_in_area


def support_months_used(member: Member) -> int:
    """Months of BHXH state support the member has had through this system."""
    return PaymentLine.objects.filter(
        enrolment__member=member, enrolment__scheme=Enrolment.Scheme.BHXH_VOLUNTARY, payment__cancelled_at__isnull=True
    ).aggregate(total=Sum("support_months"))["total"] or 0


def quote_for_collector(*, collector: Collector, household: Household, members, scheme: str, months: int,
                        paid_on: date, income: int | None = None, household_members=None,
                        rates=None) -> HouseholdQuote:
    """The quote a collector shows before saving; same checks as recording.
    `household_members`: all the household's members with their enrolments, when loaded;
    `rates`: the rates in force on `paid_on`, when already read."""
    check_in_area(collector, household)
    used = support_months_used(members[0]) if scheme == Enrolment.Scheme.BHXH_VOLUNTARY and members else 0
    try:
        return quote_household_payment(household=household, members=list(members), scheme=scheme, months=months,
                                       day=paid_on, income=income, support_months_used=used,
                                       household_members=household_members, rates=rates)
    except ContributionError as error:
        raise ValidationError({error.field: error.message}) from None


@transaction.atomic
def record_payment(
    *,
    collector: Collector,
    household: Household,
    members,
    scheme: str,
    months: int,
    paid_on: date,
    receipt_number: str,
    amount: int,
    income: int | None = None,
    recorded_by,
) -> Payment:
    """Record a receipt and extend (or start) each member's cover.

    The amount must be the one the rules give; a receipt number is used once
    per agent. Raises ValidationError keyed by field; changes nothing then."""
    # One payment of a household at a time: wait for any other to commit, then read the cover it left.
    # (The household's row always exists; a first enrolment has no enrolment row to lock.)
    household = lock_household(household)
    everyone = list(household.members.prefetch_related(cover_for_ladder(paid_on)))
    fresh = {m.pk: m for m in everyone}
    members = [fresh.get(m.pk, m) for m in members]  # a member of another household stays, to be refused
    errors = {}
    receipt_number = clean_spaces(receipt_number)
    if not receipt_number:
        errors["receipt_number"] = _("Enter the number printed on the receipt.")
    elif used := Payment.objects.filter(agent=collector.agent, receipt_number=receipt_number).first():
        errors["receipt_number"] = _(
            "Receipt number %(number)s was already used on %(day)s: enter the number of this receipt."
        ) % {"number": receipt_number, "day": used.paid_on.strftime("%d/%m/%Y")}
    if paid_on > timezone.localdate():
        errors["paid_on"] = _("A payment cannot be dated in the future.")
    if months < 1:
        errors["months"] = _("Months paid must be 1 or more, not %(value)s.") % {"value": months}
    quote = None
    if "months" not in errors:
        try:
            quote = quote_for_collector(collector=collector, household=household, members=members, scheme=scheme,
                                        months=months, paid_on=paid_on, income=income, household_members=everyone)
        except ValidationError as error:
            if "__all__" in error.message_dict and not errors:
                raise
            for field, messages in error.message_dict.items():
                errors.setdefault(field, messages[0])
    if quote and amount != quote.total:
        errors["amount"] = _("The amount for this payment is %(expected)s, not %(entered)s.") % {
            "expected": format_vnd(quote.total), "entered": format_vnd(amount)}
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                agent=collector.agent, collector=collector, household=household, scheme=scheme,
                receipt_number=receipt_number, paid_on=paid_on, months=months, amount=quote.total,
                income=income if scheme == Enrolment.Scheme.BHXH_VOLUNTARY else None, recorded_by=recorded_by,
            )
    except IntegrityError:  # the same receipt recorded a moment ago on another phone
        raise ValidationError({"receipt_number": _("Receipt number %(number)s was already used.")
                               % {"number": receipt_number}}) from None
    today = timezone.localdate()
    rates = rates_on(paid_on)
    for line in quote.lines:
        _apply_line(payment, line, today, *_line_support(household, line, scheme, months, income, rates))
    return payment


def _line_support(household: Household, line, scheme: str, months: int, income: int | None, rates) -> tuple[str, int]:
    """(support group, support a month) of a quoted line, for the receipt: the
    same pure rules the quote used (a supported BHYT member is outside the
    ladder, so quoting them alone gives their line)."""
    if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD:
        groups = bhyt_support_groups(line.member, household, rates.on, rates)
        if not groups:
            return "", 0
        rule = rules.quote_bhyt_household(rates, [rules.BhytMember(line.member.full_name, support_groups=groups)],
                                          months).lines[0]
        return rule.support_group or "", rule.monthly_support
    group = bhxh_support_group(line.member, household, rates)
    rule = rules.quote_bhxh_voluntary(rates, income, group, months, line.support_months)
    return (group, rule.monthly_support) if line.support_months else ("", 0)


def lock_household(household: Household) -> Household:
    """The household's row, locked until the transaction ends (a no-op on SQLite,
    which lets one writer in at a time anyway)."""
    return Household.objects.select_for_update().select_related("commune").get(pk=household.pk)


def _status_for(start: date, end: date, today: date) -> str:
    if start > today:
        return Enrolment.Status.PENDING
    return Enrolment.Status.ACTIVE if end >= today else Enrolment.Status.LAPSED


def _apply_line(payment: Payment, line, today: date, support_group: str = "", monthly_support: int = 0) -> None:
    enrolment = line.enrolment
    if enrolment is None:
        enrolment = Enrolment.objects.create(
            member=line.member, scheme=payment.scheme, card_number=line.member.si_number or "",
            coverage_start=line.coverage.start, coverage_end=line.coverage.end,
            status=_status_for(line.coverage.start, line.coverage.end, today), monthly_amount=line.monthly_amount,
        )
        previous = {"created_enrolment": True}
    else:
        previous = {
            "created_enrolment": False,
            "previous_end": enrolment.coverage_end,
            "previous_status": enrolment.status,
            "previous_monthly_amount": enrolment.monthly_amount,
        }
        enrolment.coverage_end = line.coverage.end
        enrolment.status = _status_for(enrolment.coverage_start, enrolment.coverage_end, today)
        enrolment.monthly_amount = line.monthly_amount
        enrolment.save(update_fields=["coverage_end", "status", "monthly_amount", "updated_at"])
    PaymentLine.objects.create(
        payment=payment, enrolment=enrolment, amount=line.amount, monthly_amount=line.monthly_amount,
        support_months=line.support_months, new_end=line.coverage.end, support_group=support_group,
        monthly_support=monthly_support, **previous,
    )


@transaction.atomic
def cancel_payment(*, payment: Payment, user, reason: str) -> Payment:
    """Undo a wrong entry: each enrolment gets back the cover it had before.

    Refused when a later payment has extended the same cover since (cancel
    that one first), so cover is never restored past what was paid."""
    lock_household(payment.household)  # the same turn as recording
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    reason = clean_spaces(reason)
    if payment.is_cancelled:
        raise ValidationError({"__all__": _("Receipt %(number)s was already cancelled on %(day)s.") % {
            "number": payment.receipt_number, "day": timezone.localtime(payment.cancelled_at).strftime("%d/%m/%Y")}})
    if not reason:
        raise ValidationError({"reason": _("Say why the payment is cancelled.")})
    if HandoverReceipt.objects.filter(payment=payment).exists():  # the money is at the agent now
        raise ValidationError({"__all__": _("Receipt %(number)s was handed over to the agent: it can no longer be "
                                            "cancelled.") % {"number": payment.receipt_number}})
    lines = list(payment.lines.select_related("enrolment"))
    enrolments = {e.pk: e for e in Enrolment.objects.select_for_update().filter(pk__in=[ln.enrolment_id for ln in lines])}
    for line in lines:
        enrolment = enrolments[line.enrolment_id]
        if enrolment.coverage_end != line.new_end or enrolment.status == Enrolment.Status.CANCELLED:
            later = (PaymentLine.objects.filter(enrolment=enrolment, payment__cancelled_at__isnull=True,
                                                payment__id__gt=payment.pk).select_related("payment").first())
            raise ValidationError({"__all__": _(
                "The cover of %(name)s was changed after this payment%(later)s: cancel that first."
            ) % {"name": enrolment.member.full_name,
                 "later": (_(" (receipt %(number)s)") % {"number": later.payment.receipt_number}) if later else ""}})
        if line.created_enrolment:
            enrolment.status = Enrolment.Status.CANCELLED
        else:
            enrolment.coverage_end = line.previous_end
            enrolment.status = line.previous_status
            enrolment.monthly_amount = line.previous_monthly_amount
        enrolment.save(update_fields=["coverage_end", "status", "monthly_amount", "updated_at"])
    payment.cancelled_at = timezone.now()
    payment.cancelled_by = user
    payment.cancel_reason = reason
    payment.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    return payment
