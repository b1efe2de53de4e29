"""Reads shared by the field pages, the admin and reports.

`households_in_area` is the one place that decides which households a
collector may see and change: the communes or villages of their current
assignments. Every field page, search and form goes through it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Exists, IntegerField, Min, OuterRef, Prefetch, Q, Subquery, Sum, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from households.contributions import ContributionError
from households.models import Enrolment, Household, Member, Village
from households.quotes import (
    LAPSED_WITHIN_DAYS,
    RENEWAL_DUE_WITHIN_DAYS,
    age_on,
    cover_for_ladder,
    latest_cover,
    outdated_evidence,
    prospect_filter,
    renewal_quote,
    state_covered_reason,
    support_evidence,
    support_line,
)
from households.rates import rates_on
from households.search import member_filter, search_households
from households.text import search_key

from reminders.selectors import reminder_states

from .models import Collector, Payment, PaymentLine, Target, Visit


def active_collector(user) -> Collector | None:
    """The user's Collector if they may use the field pages, else None (read
    with the user by outreach.auth.UserBackend: no query of its own)."""
    if not user.is_authenticated or not user.is_active:
        return None
    try:
        collector = user.collector
    except Collector.DoesNotExist:
        return None
    return collector if collector.active else None


def current_places(collector: Collector, on=None) -> list[tuple[int, int | None]]:
    """(commune id, village id or None for the whole commune) of the collector's
    assignments in force on `on`; read once per Collector object, so a request
    that lists and then writes asks the database once."""
    on = on or timezone.localdate()
    read = collector.__dict__.setdefault("_places_on", {})
    if on not in read:
        read[on] = list(collector.assignments.current(on).order_by("commune_id", "village_id")
                       .values_list("commune_id", "village_id"))
    return read[on]


def area_filter(collector: Collector, *, prefix: str = "", on=None) -> Q:
    """A Q matching what lies in the collector's area; `prefix` reaches a
    household from another model ("household__", "member__household__")."""
    places = current_places(collector, on)
    communes = [commune_id for commune_id, village_id in places if village_id is None]
    villages = [village_id for _commune_id, village_id in places if village_id is not None]
    area = Q(pk__in=[])  # no assignment: nothing
    if communes:
        area |= Q(**{f"{prefix}commune_id__in": communes})
    if villages:
        area |= Q(**{f"{prefix}village_id__in": villages})
    return area


def households_in_area(collector: Collector, *, on=None):
    return Household.objects.filter(area_filter(collector, on=on))


def check_in_area(collector: Collector, household: Household) -> None:
    """For services: refuse a household outside the collector's area (the
    same test as `area_filter`, on the household in hand)."""
    if not any(household.commune_id == commune_id if village_id is None else household.village_id == village_id
               for commune_id, village_id in current_places(collector)):
        raise ValidationError({"__all__": _("Household %(code)s is not in your area.") % {"code": household.code}})


# --- the field pages -------------------------------------------------------
# Each read below takes the collector's area (`households_in_area`), so that
# scoping stays in one place, and runs a fixed number of queries whatever the
# size of the area.

TODAY_PAGE_SIZE = 50
EXPIRING_WITHIN_DAYS = RENEWAL_DUE_WITHIN_DAYS
# A prospect approached this recently is left alone for a while.
PROSPECT_REST_DAYS = 30
HISTORY_LENGTH = 20
COVER_ROWS_PER_HOUSEHOLD = 4
SEARCH_LIMIT = 30
RECEIPTS_LIMIT = 500


@dataclass
class Due:
    """One reason to visit a household today."""

    kind: str  # EXPIRING, LAPSED, FOLLOW_UP, PROSPECT or DIGITAL_ID
    day: date | None = None  # cover end, or the promised date
    days: int = 0  # days from today to `day` (negative: past)
    scheme: str = ""
    # Members of a household usually renew together: one line for all whose
    # cover ends the same day.
    members: list[Member] = field(default_factory=list)
    monthly_amount: int = 0  # voluntary social insurance: what a month costs, all of them

    @property
    def days_ago(self) -> int:
        return -self.days

    @property
    def names(self) -> str:
        return ", ".join(m.full_name for m in self.members)


EXPIRING, LAPSED, FOLLOW_UP, PROSPECT = "expiring", "lapsed", "follow_up", "prospect"
# An insured member with neither VssID nor VNeID level 2 cannot show the electronic card
# (RULES.md, since 2026-02-13): a reason to visit after every other.
DIGITAL_ID = "digital_id"


@dataclass
class TodayLine:
    household: Household
    dues: list[Due]
    renewal: object | None  # HouseholdQuote for the listed health-insurance members, or None
    bhxh_monthly: int  # voluntary social insurance due, per month
    reminder: object | None = None  # the last fortnight's reminder: a reminders.selectors.ReminderState
    on: date = field(default_factory=timezone.localdate)

    @property
    def come_back(self) -> bool:
        """The month the collector promised to come back in has come."""
        month = self.household.potential_return_month
        return month is not None and month <= self.on.replace(day=1)

    @property
    def head(self):
        members = list(self.household.members.all())
        return next((m for m in members if m.relation == Member.Relation.HEAD), members[0] if members else None)


@dataclass
class TodayPage:
    villages: list[tuple[str, list[TodayLine]]]
    page: int
    has_more: bool

    @property
    def count(self):
        return sum(len(lines) for _place, lines in self.villages)


def _latest_cover_only():
    """Enrolments with no newer cover of the same member in the same scheme:
    a card already renewed is not due any more."""
    newer = Enrolment.objects.filter(
        member_id=OuterRef("member_id"), scheme=OuterRef("scheme"), coverage_end__gt=OuterRef("coverage_end")
    ).exclude(status=Enrolment.Status.CANCELLED)
    return ~Exists(newer)


def _due_window(on: date) -> tuple[date, date]:
    return on - timedelta(days=LAPSED_WITHIN_DAYS), on + timedelta(days=EXPIRING_WITHIN_DAYS)


def _latest_visit(field: str):
    return Subquery(Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_at", "-pk").values(field)[:1])


def _ranked_households(collector: Collector, area, on: date, limit: int, rates=None) -> list[tuple[tuple, int]]:
    """(sort key, household id) of the `limit` most urgent households of each
    kind; merging them gives the exact top `limit` overall. Each kind is read
    in the order of an index, ties broken by a row id, and the keys below keep
    that order, so that PostgreSQL stops at the page instead of sorting the
    whole area (100,000 households: covers 133 → 30 ms, prospects 240 → 3 ms)."""
    start, end = _due_window(on)
    # Covers in (date, enrolment id) order, not grouped: a household appears once per member due,
    # so a few times `limit` rows hold `limit` households.
    covers = (
        Enrolment.objects.filter(member__household__in=area, coverage_end__range=(start, end))
        .exclude(status=Enrolment.Status.CANCELLED)
        .filter(_latest_cover_only())
        .order_by("coverage_end", "pk")
        .values_list("coverage_end", "pk", "member__household_id")[:limit * COVER_ROWS_PER_HOUSEHOLD]
    )
    later_visit = Visit.objects.filter(household_id=OuterRef("household_id"), visited_at__gt=OuterRef("visited_at"))
    follow_ups = (
        Visit.objects.filter(collector=collector, household__in=area, follow_up_on__lte=on)
        .filter(~Exists(later_visit))
        .values("household_id")
        .annotate(key=Min("follow_up_on"))
        .order_by("key", "household_id")
        .values_list("key", "household_id")[:limit]
    )
    # Prospects the collector judged (a few of the area: the partial index on potential), by what they said;
    # then the others in the index's order.
    judged = _prospect_households(area, on, rates).filter(JUDGED)
    judged = list(judged.annotate(bucket=_prospect_bucket(on)).order_by("bucket", "potential_return_month", "pk")
                  .values_list("bucket", "pk")[:limit])
    unjudged = (
        _prospect_households(area, on, rates).exclude(JUDGED)
        .order_by("commune_id", "village_id", "code")
        .values_list("pk", flat=True)[:limit]
    )
    without_digital_id = (
        Member.objects.filter(_insured_without_digital_id(on), household__in=area)
        .order_by("household_id").values_list("household_id", flat=True).distinct()[:limit]
    )
    # A dated reason first, the earliest date first; on one day covers before promises, each in its own order.
    dated = [((0, day, 0, enrolment_id), household_id) for day, enrolment_id, household_id in covers]
    dated += [((0, day, 1, household_id), household_id) for day, household_id in follow_ups]
    ranked = {}
    for key, household_id in dated:
        ranked[household_id] = min(ranked.get(household_id, key), key)
    for position, (bucket, household_id) in enumerate(judged):
        ranked.setdefault(household_id, (1, bucket, position))
    for position, household_id in enumerate(unjudged):
        ranked.setdefault(household_id, (1, UNJUDGED, position))
    for position, household_id in enumerate(without_digital_id):
        ranked.setdefault(household_id, (2, position))
    return sorted((key, household_id) for household_id, key in ranked.items())


def _insured_without_digital_id(on: date):
    """Members covered today (any scheme) with neither VssID nor VNeID level 2."""
    covered = Enrolment.objects.filter(member_id=OuterRef("pk"), coverage_start__lte=on, coverage_end__gte=on).exclude(
        status=Enrolment.Status.CANCELLED)
    return Q(vssid_installed=False, vneid_level2=False) & Q(Exists(covered))


# Prospects the collector said something about: could pay now / later / not now, or a month to come back.
JUDGED = ~Q(potential="") | Q(potential_return_month__isnull=False)
# Today's order of prospects: could pay now, then those whose month to come back has come, then later, then
# the households nobody judged yet.
NOW_BUCKET, MONTH_COME_BUCKET, LATER_BUCKET, UNJUDGED = 0, 1, 2, 3


def _month_come(on: date) -> Q:
    return Q(potential_return_month__lte=on.replace(day=1))


def _prospect_bucket(on: date):
    return Case(When(potential=Household.Potential.NOW, then=NOW_BUCKET),
                When(_month_come(on), then=MONTH_COME_BUCKET),
                default=LATER_BUCKET, output_field=IntegerField())


def _prospect_households(area, on: date, rates=None):
    """Households with a member who would pay their own health insurance
    (prospect_filter: not one the state insures) and has none, not approached recently, not moved away, and
    not judged "not now" before their month to come back. A household whose
    month has come is brought back even if visited lately, unless visited
    this month already."""
    uninsured_member = Member.objects.filter(prospect_filter(on, rates), household_id=OuterRef("pk"))
    recent_visit = Visit.objects.filter(
        household_id=OuterRef("pk"), visited_at__gte=_start_of_day(on - timedelta(days=PROSPECT_REST_DAYS))
    )
    visited_this_month = Visit.objects.filter(household_id=OuterRef("pk"),
                                              visited_at__gte=_start_of_day(on.replace(day=1)))
    moved_away = Visit.objects.filter(household_id=OuterRef("pk"), outcome=Visit.Outcome.MOVED_AWAY)
    return (
        area.filter(Exists(uninsured_member))
        .exclude(Q(potential=Household.Potential.NOT_NOW) & ~_month_come(on))
        .filter(~Exists(recent_visit) | (_month_come(on) & ~Exists(visited_this_month)))
        .exclude(Exists(moved_away))
    )


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _members_with_cover(on: date):
    """Members with their cover, and what the ladder of a payment made on `on` needs (no further query)."""
    return Prefetch("members", queryset=Member.objects.prefetch_related(cover_for_ladder(on)))


def _dues(household: Household, collector: Collector, on: date, rates=None) -> list[Due]:
    """The reasons to visit, from data already loaded (no query)."""
    start, end = _due_window(on)
    dues: dict[tuple, Due] = {}

    def add(kind, scheme, member, day=None, monthly_amount=0):
        due = dues.setdefault((kind, scheme, day), Due(kind, day, (day - on).days if day else 0, scheme))
        due.members.append(member)
        due.monthly_amount += monthly_amount

    for member in household.members.all():
        bhyt = latest_cover(member, Enrolment.Scheme.BHYT_HOUSEHOLD)
        for scheme in Enrolment.Scheme.values:
            cover = bhyt if scheme == Enrolment.Scheme.BHYT_HOUSEHOLD else latest_cover(member, scheme)
            if cover and start <= cover.coverage_end <= end:
                add(EXPIRING if cover.coverage_end >= on else LAPSED, scheme, member, cover.coverage_end,
                    cover.monthly_amount)
        # As prospect_filter, from data already loaded (the household's commune is selected with it).
        if (bhyt is None or bhyt.coverage_end < start) and state_covered_reason(member, household, on, rates) is None:
            add(PROSPECT, Enrolment.Scheme.BHYT_HOUSEHOLD, member)
        if not (member.vssid_installed or member.vneid_level2) and any(
                e.coverage_start <= on <= e.coverage_end and e.status != Enrolment.Status.CANCELLED
                for e in member.enrolments.all()):
            add(DIGITAL_ID, "", member)
    listed = list(dues.values())
    if (household.last_visit_collector_id == collector.pk and household.last_follow_up_on
            and household.last_follow_up_on <= on):
        listed.append(Due(FOLLOW_UP, household.last_follow_up_on, (household.last_follow_up_on - on).days))
    later = {PROSPECT: 1, DIGITAL_ID: 2}
    return sorted(listed, key=lambda d: (later.get(d.kind, 0), d.day or date.max))


def _renewal_for(household: Household, dues: list[Due], on: date, rates) -> object | None:
    """12 months of household health insurance for who still has to pay, as the household page quotes it."""
    if rates is None or not any(d.scheme == Enrolment.Scheme.BHYT_HOUSEHOLD for d in dues):
        return None
    try:
        return renewal_quote(household=household, day=on, rates=rates, members=list(household.members.all()))
    except ContributionError:
        return None


def periods_offered(rates) -> dict[str, tuple[int, ...]]:
    """{scheme: months a payment may be made for} under `rates`: more than 12
    months of voluntary social insurance only once the fund's interest rate of
    the year is entered (the lump sum is discounted at it)."""
    if rates is None:
        return {scheme: () for scheme in Enrolment.Scheme.values}
    bhxh = rates.bhxh_periods if rates.bhxh_interest_rate is not None else tuple(m for m in rates.bhxh_periods if m <= 12)
    return {Enrolment.Scheme.BHYT_HOUSEHOLD: rates.bhyt_periods, Enrolment.Scheme.BHXH_VOLUNTARY: bhxh}


def rates_or_none(on: date):
    try:
        return rates_on(on)
    except ContributionError:  # no rule in force: pages still work, without amounts
        return None


def today_list(collector: Collector, area, *, on: date, page: int = 1) -> TodayPage:
    """The households to visit, most urgent first (the earliest date at stake:
    cover ended, promised follow-up, cover ending), then prospects; a page of
    TODAY_PAGE_SIZE households grouped by village."""
    page = max(page, 1)
    wanted = TODAY_PAGE_SIZE * page
    rates = rates_or_none(on)  # before the ranking: who the state insures depends on the rules in force
    ranked = _ranked_households(collector, area, on, wanted + 1, rates)
    chosen = [household_id for _key, household_id in ranked[wanted - TODAY_PAGE_SIZE:wanted]]
    households = {h.pk: h for h in _with_cover_and_last_visit(area.filter(pk__in=chosen), on)}
    reminders = reminder_states(chosen, on=on)
    villages: dict[str, list[TodayLine]] = {}
    for household_id in chosen:
        household = households[household_id]
        line = _line(household, collector, on, rates, reminders.get(household_id))
        place = str(household.village.name if household.village else household.commune.name)
        villages.setdefault(place, []).append(line)
    return TodayPage(list(villages.items()), page, has_more=len(ranked) > wanted)


def _with_cover_and_last_visit(households, on: date):
    """What Today's card of each household needs, in three queries."""
    return (households.select_related("village", "commune")
            .annotate(last_visit_at=_latest_visit("visited_at"), last_outcome=_latest_visit("outcome"),
                      last_follow_up_on=_latest_visit("follow_up_on"),
                      last_visit_collector_id=_latest_visit("collector_id"))
            .prefetch_related(_members_with_cover(on)))


def _line(household: Household, collector: Collector, on: date, rates, reminder=None) -> TodayLine:
    dues = _dues(household, collector, on, rates)
    bhxh_monthly = sum(d.monthly_amount for d in dues if d.scheme == Enrolment.Scheme.BHXH_VOLUNTARY
                       and d.kind != PROSPECT)
    return TodayLine(household, dues, _renewal_for(household, dues, on, rates), bhxh_monthly, reminder, on)


# --- help with the electronic card --------------------------------------------


def insured_on(member: Member, on: date) -> bool:
    """Cover in force on `on` in either scheme (from the prefetched enrolments)."""
    return any(e.coverage_start <= on <= e.coverage_end and e.status != Enrolment.Status.CANCELLED
               for e in member.enrolments.all())


def digital_id_help_default(members, on: date) -> list[Member]:
    """Whom the visit form ticks for help with VssID / VNeID: insured members
    old enough for a VNeID level-2 account (settings.DIGITAL_ID_MIN_AGE, data:
    14 *(check)*) without VssID. A younger child is helped only if ticked."""
    return [m for m in members if not m.vssid_installed and insured_on(m, on)
            and age_on(m, on) >= settings.DIGITAL_ID_MIN_AGE]


def never_covered(members) -> bool:
    """Nobody of the household has ever had cover (a cancelled one does not
    count): paying is joining, not renewing."""
    return not any(e.status != Enrolment.Status.CANCELLED for m in members for e in m.enrolments.all())


# --- one household -----------------------------------------------------------


@dataclass
class Cover:
    enrolment: Enrolment
    days: int  # days left until the end (negative: ended that many days ago)

    @property
    def days_ago(self) -> int:
        return -self.days


@dataclass
class MemberCover:
    member: Member
    covers: list[Cover]  # the newest cover per scheme
    state_covered: str | None  # why the state pays this member's health insurance
    support_groups: list[str]  # the state-supported groups the member is in, with their evidence
    support: str | None = None  # their support and what is left to pay a month, as the quote says it


def household_detail(area, pk: int, *, on: date):
    """The household (404 outside the area) with members, their cover, the
    renewal quote and the visit history."""
    household = get_object_or_404(
        area.select_related("village", "commune", "referral__referred_by_member",
                            "referral__referred_by_household").prefetch_related(_members_with_cover(on)),
        pk=pk,
    )
    members = list(household.members.all())
    rates = rates_or_none(on)
    covers = [
        MemberCover(
            member,
            [Cover(c, (c.coverage_end - on).days)
             for c in (latest_cover(member, scheme) for scheme in Enrolment.Scheme.values) if c],
            state_covered_reason(member, household, on, rates),
            support_evidence(member, household, on, rates),
            support_line(member, household, rates) if rates else None,
        )
        for member in members
    ]
    try:
        renewal = renewal_quote(household=household, day=on, rates=rates, members=members) if rates else None
    except ContributionError:
        renewal = None
    visits = list(household.visits.select_related("collector", "payment")[:HISTORY_LENGTH])
    household.outdated_evidence = outdated_evidence(household, on, rates)  # why an old status gives no support
    return household, covers, renewal, visits


def household_in_area(area, pk: int) -> Household:
    return get_object_or_404(area, pk=pk)


def household_with_members(area, pk: int, *, on: date) -> Household:
    return get_object_or_404(area.select_related("village", "commune").prefetch_related(_members_with_cover(on)),
                             pk=pk)


# --- search ------------------------------------------------------------------


def find_households(collector: Collector, area, term: str, *, on: date) -> tuple[list[TodayLine], bool]:
    """Households of the area with a member matching `term` (a name typed
    without diacritics, phone, citizen ID, social-insurance or card number),
    each with its reasons to visit and amount due as Today shows them."""
    if not term.strip():
        return [], False
    found = list(_with_cover_and_last_visit(search_households(area, term), on).order_by("code")[:SEARCH_LIMIT + 1])
    rates = rates_or_none(on) if found else None
    return [_line(h, collector, on, rates) for h in found[:SEARCH_LIMIT]], len(found) > SEARCH_LIMIT


def find_members(area, term: str, *, exclude_household=None) -> list[Member]:
    """Members of the area matching `term`, for choosing who referred someone."""
    if not term.strip():
        return []
    members = Member.objects.filter(member_filter(term), household__in=area).select_related("household__village")
    if exclude_household is not None:
        members = members.exclude(household=exclude_household)
    return list(members.order_by("full_name", "pk")[:SEARCH_LIMIT])


def registered_from_phone(area, client_id) -> Household | None:
    """The household a registration form with this id already created, if any."""
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        return None
    return area.filter(client_id=client_id).first()


# --- duplicates before registering ------------------------------------------------

# In the order a line names them: the surest first.
DUPLICATE_REASONS = ("citizen_id", "si_number", "phone", "name_and_birth")


@dataclass
class LikelyDuplicate:
    """A registered household some of whose members may be the people about to
    be registered: one line per household, however many of them matched."""

    household: Household
    in_area: bool
    head_name: str = ""
    members: list[Member] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # of DUPLICATE_REASONS, each once

    @property
    def matched(self) -> int:
        return len(self.members)


def likely_duplicates(area, *, commune_id: int, household_phone: str | None, people: list[dict]) -> list[LikelyDuplicate]:
    """Registered households with people who may be the ones about to be
    registered: same citizen ID, social-insurance number or phone anywhere, or
    same name and date of birth in the commune. One query.

    Someone registered outside the area is counted only for a same name and
    date of birth, without saying who: an identifier of theirs is refused on
    its own field (the collector may not learn who is registered elsewhere)."""
    ids = {p["citizen_id"] for p in people if p.get("citizen_id")}
    sis = {p["si_number"] for p in people if p.get("si_number")}
    phones = {p["phone"] for p in people if p.get("phone")} | ({household_phone} if household_phone else set())
    names = {(search_key(p["full_name"]), p["date_of_birth"]) for p in people if p.get("full_name")}
    match = Q(citizen_id__in=ids) | Q(si_number__in=sis) | Q(phone__in=phones) | Q(household__phone__in=phones)
    for key, born in names:
        match |= Q(household__commune_id=commune_id, search_key=key, date_of_birth=born)
    head = Member.objects.filter(household_id=OuterRef("household_id"), relation=Member.Relation.HEAD)
    found = list(
        Member.objects.filter(match)
        .select_related("household__village")
        .annotate(in_area=Exists(area.filter(pk=OuterRef("household_id"))),
                  head_name=Subquery(head.values("full_name")[:1]))
        .order_by("household_id", "pk")[:100]
    )
    households: dict[int, LikelyDuplicate] = {}
    for member in found:
        if member.citizen_id and member.citizen_id in ids:
            reason = "citizen_id"
        elif member.si_number and member.si_number in sis:
            reason = "si_number"
        elif member.phone and member.phone in phones or member.household.phone in phones:
            reason = "phone"
        else:
            reason = "name_and_birth"
        if not member.in_area and reason != "name_and_birth":
            continue
        line = households.setdefault(member.household_id, LikelyDuplicate(
            member.household, member.in_area, member.head_name or ""))
        line.members.append(member)
        if reason not in line.reasons:
            line.reasons.append(reason)
    for line in households.values():
        line.reasons.sort(key=DUPLICATE_REASONS.index)
    return list(households.values())


# --- my month ------------------------------------------------------------------


@dataclass
class Month:
    first_day: date
    visits: int
    new_enrolments: int
    renewals: int
    amount: int
    target: Target | None
    receipts: list[Payment]
    receipts_total: int
    more_receipts: bool


def month_bounds(first_day: date) -> tuple[date, date]:
    following = (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_day, following


def my_month(collector: Collector, *, first_day: date) -> Month:
    """Visits, people newly enrolled and renewed, money taken in the month,
    the month's target, and the receipts to hand over to the agent."""
    start, following = month_bounds(first_day)
    visits = Visit.objects.filter(
        collector=collector, visited_at__gte=_start_of_day(start), visited_at__lt=_start_of_day(following)
    ).count()
    payments = Payment.objects.filter(collector=collector, paid_on__gte=start, paid_on__lt=following)
    lines = PaymentLine.objects.filter(payment__in=payments.filter(cancelled_at__isnull=True)).aggregate(
        new=Count("pk", filter=Q(created_enrolment=True)),
        renewed=Count("pk", filter=Q(created_enrolment=False)),
    )
    receipts = list(payments.select_related("household").order_by("paid_on", "receipt_number")[:RECEIPTS_LIMIT + 1])
    kept = [p for p in receipts[:RECEIPTS_LIMIT] if not p.is_cancelled]
    return Month(
        first_day=start,
        visits=visits,
        new_enrolments=lines["new"],
        renewals=lines["renewed"],
        amount=payments.filter(cancelled_at__isnull=True).aggregate(total=Sum("amount"))["total"] or 0,
        target=Target.objects.filter(collector=collector, month=start).first(),
        receipts=receipts[:RECEIPTS_LIMIT],
        receipts_total=sum(p.amount for p in kept),
        more_receipts=len(receipts) > RECEIPTS_LIMIT,
    )


def area_places(collector: Collector, *, on: date | None = None) -> dict[str, tuple[str, int, int | None]]:
    """Where a new household of the area may live: {value: (label, commune
    code, village id or None)}; a whole commune also offers "no village"."""
    on = on or timezone.localdate()
    assignments = list(collector.assignments.current(on).select_related("commune", "village"))
    whole = {a.commune_id: a.commune for a in assignments if a.village_id is None}
    places = {}
    for commune in whole.values():
        label = _("%(commune)s — no village given") % {"commune": commune.name}
        places[f"commune:{commune.pk}"] = (label, commune.pk, None)
    villages = [a.village for a in assignments if a.village_id is not None and a.commune_id not in whole]
    villages += list(Village.objects.filter(commune__in=list(whole)).select_related("commune"))
    for village in sorted(villages, key=lambda v: (v.commune.name, v.name)):
        places[f"village:{village.pk}"] = (f"{village.name}, {village.commune.name}", village.commune_id, village.pk)
    return places
