"""Reads shared by the field pages, the admin and reports.

`households_in_area` is the one place that decides which households a
collector may see and change: the communes or villages of their current
assignments. Every field page, search and form goes through it.
"""

from django.db.models import Q
from django.utils import timezone

from households.models import Household

from .models import Collector


def active_collector(user) -> Collector | None:
    """The user's Collector if they may use the field pages, else None."""
    if not user.is_authenticated or not user.is_active:
        return None
    collector = Collector.objects.filter(user=user, active=True).select_related("agent").first()
    return collector


def area_filter(collector: Collector, *, prefix: str = "", on=None) -> Q:
    """A Q matching what lies in the collector's area; `prefix` reaches a
    household from another model ("household__", "member__household__")."""
    on = on or timezone.localdate()
    area = Q(pk__in=[])  # no assignment: nothing
    for commune_id, village_id in collector.assignments.current(on).values_list("commune_id", "village_id"):
        if village_id is None:
            area |= Q(**{f"{prefix}commune_id": commune_id})
        else:
            area |= Q(**{f"{prefix}village_id": village_id})
    return area


def households_in_area(collector: Collector, *, on=None):
    return Household.objects.filter(area_filter(collector, on=on))
