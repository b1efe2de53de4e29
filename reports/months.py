"""Month arithmetic shared by the refresh and the dashboards."""

from datetime import date, timedelta


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_range(start: date, end: date) -> list[date]:
    """First days of the months from `start`'s to `end`'s, both included."""
    months, month = [], first_of_month(start)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def last_of_month(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def window_start(as_of: date) -> date:
    """The first month the summaries keep: January two years back, so that a
    year-over-year chart has three whole calendar years."""
    return date(as_of.year - 2, 1, 1)
