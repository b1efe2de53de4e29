"""Money handed over: a collector gives the agent the cash of their receipts
and the agent's manager records it. Recorded only here, in one transaction
holding the receipts' rows, so a receipt is handed over once; once handed
over it can no longer be cancelled (collectors.payments.cancel_payment)."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from households.contributions import format_vnd
from households.text import clean_spaces
from outreach.access import collector_scope, is_provincial_staff

from .models import Collector, Handover, HandoverReceipt, Payment

# Receipts still with the collector: kept (not cancelled) and not handed over.
HELD = Q(cancelled_at__isnull=True, handover_receipt__isnull=True)


def may_record_handover(user, collector: Collector) -> bool:
    """Provincial staff, or a manager of the collector's agent."""
    return is_provincial_staff(user) or collector.agent.managers.filter(pk=user.pk).exists()


def receipt_numbers(text: str) -> list[str]:
    """"BL-1, BL-2\nBL-3" → ["BL-1", "BL-2", "BL-3"] (commas, semicolons or lines), each once."""
    numbers = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        number = clean_spaces(part)
        if number and number not in numbers:
            numbers.append(number)
    return numbers


@transaction.atomic
def record_handover(*, collector: Collector, numbers: list[str], total: int, handed_on: date, received_by: str,
                    recorded_by) -> Handover:
    """Record that `collector` handed over the cash of the receipts `numbers`.

    Refused (ValidationError keyed by field, nothing changed) when the user
    may not, a receipt is unknown, another collector's, cancelled or already
    handed over, or `total` is not the sum of the receipts."""
    if not may_record_handover(recorded_by, collector):
        raise ValidationError({"collector": _("Only a manager of %(agent)s or provincial staff records this "
                                              "collector's hand-overs.") % {"agent": collector.agent.name}})
    errors = {}
    received_by = clean_spaces(received_by)
    if not received_by:
        errors["received_by"] = _("Enter who at the agent took the money.")
    if handed_on > timezone.localdate():
        errors["handed_on"] = _("A hand-over cannot be dated in the future.")
    if not numbers:
        errors["receipts"] = _("Enter the numbers of the receipts handed over.")
    payments = list(Payment.objects.select_for_update().filter(agent=collector.agent, receipt_number__in=numbers)
                    .select_related("collector").order_by("receipt_number"))
    found = {p.receipt_number: p for p in payments}
    problems = []
    if unknown := [n for n in numbers if n not in found]:
        problems.append(_("no receipt %(numbers)s at this agent") % {"numbers": ", ".join(unknown)})
    if others := [p for p in payments if p.collector_id != collector.pk]:
        problems.append(_("%(numbers)s taken by another collector (%(names)s)") % {
            "numbers": ", ".join(p.receipt_number for p in others),
            "names": ", ".join(sorted({p.collector.full_name for p in others}))})
    if cancelled := [p.receipt_number for p in payments if p.is_cancelled]:
        problems.append(_("%(numbers)s cancelled") % {"numbers": ", ".join(cancelled)})
    done = HandoverReceipt.objects.filter(payment__in=payments).select_related("handover", "payment")
    if done := list(done):
        problems.append(_("%(numbers)s already handed over on %(day)s") % {
            "numbers": ", ".join(d.payment.receipt_number for d in done),
            "day": done[0].handover.handed_on.strftime("%d/%m/%Y")})
    if problems:
        errors["receipts"] = _("Not accepted: %(problems)s.") % {"problems": "; ".join(problems)}
    elif payments:
        if handed_on < max(p.paid_on for p in payments) and "handed_on" not in errors:
            errors["handed_on"] = _("A receipt of this hand-over is dated after it.")
        expected = sum(p.amount for p in payments)
        if total != expected:
            errors["total"] = _("The receipts entered add up to %(expected)s, not %(entered)s: check the cash and "
                                "the receipts.") % {"expected": format_vnd(expected), "entered": format_vnd(total)}
    if errors:
        raise ValidationError(errors)
    handover = Handover.objects.create(agent=collector.agent, collector=collector, handed_on=handed_on, total=total,
                                       received_by=received_by, recorded_by=recorded_by)
    try:
        with transaction.atomic():
            HandoverReceipt.objects.bulk_create([HandoverReceipt(handover=handover, payment=p) for p in payments])
    except IntegrityError:  # the same receipt recorded a moment ago in another tab
        raise ValidationError({"receipts": _("A receipt of this hand-over was handed over a moment ago.")}) from None
    return handover


@dataclass
class Held:
    receipts: int
    amount: int
    since: date | None


def held_by(collector: Collector) -> Held:
    """What the collector still holds: receipts, their amount, the oldest day."""
    row = Payment.objects.filter(HELD, collector=collector).aggregate(
        receipts=Count("pk"), amount=Sum("amount"), since=Min("paid_on"))
    return Held(row["receipts"], row["amount"] or 0, row["since"])


def collectors_holding(user, model=Collector):
    """The collectors `user` follows, annotated `held_amount`, `held_receipts`
    and `held_since` (one query whatever the number of collectors)."""
    held = Payment.objects.filter(HELD, collector=OuterRef("pk")).order_by().values("collector")
    return (model.objects.filter(collector_scope(user)).distinct().select_related("agent").annotate(
        held_amount=Subquery(held.annotate(total=Sum("amount")).values("total")),
        held_receipts=Subquery(held.annotate(count=Count("pk")).values("count")),
        held_since=Subquery(held.annotate(first=Min("paid_on")).values("first")),
    ))
