"""Who may see which households: the one place that decides it.

Every admin list, field page, search, export and report filters through
`household_scope`, so a role's reach is defined once:

- provincial staff (and superusers): the whole province;
- an agent manager: the areas currently assigned to their agent's collectors;
- a commune officer: their communes;
- a collector: their current assignments (collectors.selectors.area_filter).

A user may hold several of these; their reach is the union.

What a manager may change is bounded here too: `may_assign` (only their own
agent's collectors, only in the communes the province gave the agent).
"""

from django.db.models import Q
from django.utils import timezone

from collectors.models import Assignment, Collector

from .roles import PROVINCIAL_STAFF

NOTHING = Q(pk__in=[])


def is_provincial_staff(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_is_provincial_staff"):  # asked many times per request
        user._is_provincial_staff = user.groups.filter(name=PROVINCIAL_STAFF).exists()
    return user._is_provincial_staff


def household_scope(user, *, prefix: str = "") -> Q:
    """A Q over households (or, with `prefix` such as "member__household__",
    over rows that reach a household) matching what `user` may see."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if is_provincial_staff(user):
        return Q()
    communes, villages = _area_of(user)
    scope = NOTHING
    if communes:
        scope |= Q(**{f"{prefix}commune_id__in": sorted(communes)})
    if villages:
        scope |= Q(**{f"{prefix}village_id__in": sorted(villages)})
    return scope


def _area_of(user) -> tuple[set[int], set[int]]:
    """(whole communes, single villages) the user reaches through any role."""
    today = timezone.localdate()
    assignments = Assignment.objects.current(today).filter(
        Q(collector__user=user, collector__active=True)
        | Q(collector__agent__managers=user, collector__active=True)
    )
    communes, villages = set(user.officer_communes.values_list("code", flat=True)), set()
    for commune_id, village_id in assignments.values_list("commune_id", "village_id"):
        if village_id is None:
            communes.add(commune_id)
        else:
            villages.add(village_id)
    return communes, villages


def collector_scope(user, *, prefix: str = "") -> Q:
    """Collectors whose work `user` may follow (or, with `prefix` such as
    "collector__", rows that belong to one): all for provincial staff, their
    agent's for a manager, themselves for a collector."""
    if is_provincial_staff(user):
        return Q()
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    return Q(**{f"{prefix}agent__managers": user}) | Q(**{f"{prefix}user": user})


def visible_collectors(user):
    return Collector.objects.filter(collector_scope(user)).distinct()


def agent_scope(user) -> Q:
    """Agents `user` may see: all for provincial staff, the agents they manage
    for a manager (with their collectors' names and phones), none otherwise."""
    if is_provincial_staff(user):
        return Q()
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    return Q(managers=user)


def may_assign(user, collector, commune) -> bool:
    """Whether `user` may give `collector` an area in `commune`: provincial
    staff anywhere; an agent manager only their own agent's collectors, only in
    the communes the province has given that agent (Agent.communes)."""
    if is_provincial_staff(user):
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    agent = collector.agent
    return agent.managers.filter(pk=user.pk).exists() and agent.communes.filter(pk=commune.pk).exists()
