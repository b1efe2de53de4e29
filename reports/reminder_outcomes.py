"""What happened after reminders, read from the reminders app.

Kept apart and small on purpose: it reads only the reminders' stable fields
(status, due day, enrolment, household), so a change in that app is adjusted
here alone.
"""

from datetime import date, timedelta

from django.db.models import Count, DateField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import TruncMonth

from collectors.models import PaymentLine
from reminders.models import Reminder

RENEWED_WITHIN_DAYS = 30
# Sent: the gateway took it; a delivery report may since have said whether the phone got it.
SENT = [Reminder.Status.SENT, Reminder.Status.DELIVERED, Reminder.Status.UNDELIVERED]


def reminder_outcomes(*, since: date, until: date) -> list[dict]:
    """Per (commune, village, month the reminder fell due): reminders sent,
    failed, sent ones followed within 30 days by a payment (not cancelled)
    for the same member in the same scheme, and sent ones reported delivered
    or not delivered by the phone."""
    deadline = ExpressionWrapper(OuterRef("due_on") + timedelta(days=RENEWED_WITHIN_DAYS), output_field=DateField())
    paid = PaymentLine.objects.filter(
        enrolment__member_id=OuterRef("enrolment__member_id"),
        enrolment__scheme=OuterRef("enrolment__scheme"),
        payment__cancelled_at__isnull=True,
        payment__paid_on__gte=OuterRef("due_on"),
        payment__paid_on__lte=deadline,
    )
    reminders = Reminder.objects.order_by().filter(due_on__gte=since, due_on__lte=until)
    key = {"area_commune": F("household__commune_id"), "area_village": F("household__village_id"),
           "area_month": TruncMonth("due_on")}
    rows = {}
    for row in (reminders.filter(status__in=[*SENT, Reminder.Status.FAILED]).values(**key)
                .annotate(sent=Count("pk", filter=Q(status__in=SENT)),
                          failed=Count("pk", filter=Q(status=Reminder.Status.FAILED)),
                          delivered=Count("pk", filter=Q(status=Reminder.Status.DELIVERED)),
                          undelivered=Count("pk", filter=Q(status=Reminder.Status.UNDELIVERED)))):
        rows[_key(row)] = {**row, "renewed": 0}
    # The payment test in WHERE (a semi-join), not in the count: one pass, not a lookup per reminder.
    for row in (reminders.filter(Exists(paid), status__in=SENT).values(**key)
                .annotate(renewed=Count("pk"))):
        rows[_key(row)]["renewed"] = row["renewed"]
    return list(rows.values())


def _key(row) -> tuple:
    return row["area_commune"], row["area_village"], row["area_month"]
