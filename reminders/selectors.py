"""Reads of the reminders shared by the field pages and reports."""

from dataclasses import dataclass
from datetime import date, timedelta

from .models import Reminder

# The state a collector sees for a household, most in need of a visit first: no SMS could
# go, the phone did not get it (the reason says why), it failed, it waits, it went, it arrived.
STATES = ["no_phone", "undelivered", "failed", "queued", "sent", "delivered"]
# A reminder stays on the collector's list this long after it fell due.
RECENT_DAYS = 14


@dataclass(frozen=True)
class ReminderState:
    state: str  # one of STATES
    reason: str = ""  # for "undelivered": what the operator reported ("expired", …)


def reminder_states(household_ids: list[int], *, on: date) -> dict[int, ReminderState]:
    """For the collector's Today list: per household, the state of the reminders that
    fell due in the fortnight up to `on` (see STATES). Where reminders differ, the state
    most in need of the collector wins. Households with nothing due (or only reminders
    skipped because they renewed or opted out) are absent. One query."""
    rows = (Reminder.objects.filter(household_id__in=household_ids, due_on__lte=on,
                                    due_on__gt=on - timedelta(days=RECENT_DAYS), status__in=STATES)
            .order_by().values_list("household_id", "status", "reason").distinct())
    states: dict[int, ReminderState] = {}
    for household_id, status, reason in rows:
        current = states.get(household_id)
        if current is None or STATES.index(status) < STATES.index(current.state):
            states[household_id] = ReminderState(status, reason if status == "undelivered" else "")
    return states


def due_household_ids(*, on: date):
    """The households with a reminder due `on` (not skipped), as a subquery:
    `households_in_area(collector).filter(pk__in=due_household_ids(on=today))`."""
    return Reminder.objects.filter(due_on=on, status__in=STATES).values("household_id")
