"""Training flags: who has not yet taken every course required of new
collectors, and who is due for a refresher.

- not yet trained: some course marked "required for new collectors" has no
  session, held on or before the day, that the collector attended;
- due for a refresher: for some course with a refresher period, the last
  session the collector attended is older than that period.

Given as annotations so that a list of collectors costs the same queries
whatever its length: one for the courses, then the list itself.
"""

from datetime import date

from django.db.models import BooleanField, Exists, ExpressionWrapper, Max, OuterRef, Q, Value

from .models import TrainingAttendance, TrainingCourse


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + month // 12, month % 12 + 1, 1)
    last_day = (following - date.resolution).day
    return date(year, month, min(day.day, last_day))


def _attended(course_id: int, on: date, since: date | None = None):
    sessions = TrainingAttendance.objects.filter(
        collector_id=OuterRef("pk"), attended=True, session__course_id=course_id, session__held_on__lte=on)
    if since is not None:
        sessions = sessions.filter(session__held_on__gte=since)
    return Exists(sessions)


def with_training_flags(queryset, *, on: date):
    """Collectors annotated `not_yet_trained` and `refresher_due` (booleans)."""
    untrained, refresher_due = [], []
    courses = TrainingCourse.objects.filter(Q(required_for_new_collectors=True) | Q(refresher_months__isnull=False))
    for course_id, required, months in courses.values_list("pk", "required_for_new_collectors", "refresher_months"):
        if required:
            untrained.append(~Q(_attended(course_id, on)))
        if months:
            refresher_due.append(Q(_attended(course_id, on)) & ~Q(_attended(course_id, on, months_before(on, months))))
    return queryset.annotate(not_yet_trained=_any(untrained), refresher_due=_any(refresher_due))


def _any(conditions: list[Q]):
    if not conditions:
        return Value(False, output_field=BooleanField())
    combined = conditions[0]
    for condition in conditions[1:]:
        combined |= condition
    return ExpressionWrapper(combined, output_field=BooleanField())


def last_attended(collectors, *, on: date) -> dict[tuple[int, int], date]:
    """{(collector id, course id): day of the last session attended}, for a
    queryset of collectors; one query."""
    rows = (TrainingAttendance.objects.order_by()
            .filter(collector__in=collectors, attended=True, session__held_on__lte=on)
            .values_list("collector_id", "session__course_id")
            .annotate(last=Max("session__held_on")))
    return {(collector_id, course_id): last for collector_id, course_id, last in rows}


def course_gaps(collector_id: int, courses, last: dict, *, on: date) -> tuple[list, list]:
    """(courses required but never attended, courses due for a refresher) for
    one collector, from `last_attended`; the same rules as the annotations."""
    missing, due = [], []
    for course in courses:
        attended = last.get((collector_id, course.pk))
        if course.required_for_new_collectors and attended is None:
            missing.append(course)
        if course.refresher_months and attended is not None and attended < months_before(on, course.refresher_months):
            due.append(course)
    return missing, due
