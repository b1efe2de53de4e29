"""Writes of the field operation that touch several rows."""

import uuid
from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from households.models import Household, Member

from .models import Collector, Payment, Referral, Visit
from .payments import lock_household, record_payment
from .selectors import check_in_area

# --- the field pages ---------------------------------------------------------


def visit_time(day: date) -> datetime:
    """When a visit logged for `day` happened: now if today, else midday
    (a collector logging yesterday's visits in the evening gives only the date)."""
    now = timezone.now()
    if day == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(day, time(12)))


def _existing_visit(client_id: uuid.UUID, collector: Collector) -> Visit | None:
    """The visit already stored under this phone-made id, if it is the collector's.

    Another collector's id is refused without saying whose it is."""
    visit = Visit.objects.filter(client_id=client_id).select_related("payment").first()
    if visit is not None and visit.collector_id != collector.pk:
        raise ValidationError({"client_id": _("This visit id is already used. Reload the page and log the visit again.")})
    return visit


def log_visit(
    *,
    collector: Collector,
    household: Household,
    client_id: uuid.UUID,
    outcome: str,
    visited_on: date,
    decline_reason: str = "",
    note: str = "",
    follow_up_on: date | None = None,
    latitude=None,
    longitude=None,
    location_consent: bool = False,
    helped_vssid: bool = False,
    helped_vneid: bool = False,
    helped_members: list[Member] | None = None,
    potential: str = "",
    potential_reason: str = "",
    potential_return_month: date | None = None,
    payment: Payment | None = None,
) -> tuple[Visit, bool]:
    """Store a visit once: the same `client_id` sent again (a retry, the
    phone's outbox) returns the visit stored the first time. Returns (visit, created).
    Help with VssID or VNeID is recorded on `helped_members` (the members the
    collector picked, none else); a potential given is recorded on the household.
    A location is kept only with the household's consent, and becomes the
    household's if it is its latest."""
    check_in_area(collector, household)
    if not location_consent:
        latitude = longitude = None
    visit = Visit(
        client_id=client_id, collector=collector, household=household, visited_at=visit_time(visited_on),
        outcome=outcome, decline_reason=decline_reason if outcome == Visit.Outcome.DECLINED else "", note=note,
        follow_up_on=follow_up_on, latitude=latitude, longitude=longitude, payment=payment,
        helped_vssid=helped_vssid, helped_vneid=helped_vneid,
    )
    # The form checked the rows it names; this keeps every other way in honest too. The client
    # id's uniqueness is left to the database and the one CHECK constraint is tested here in
    # Python, so neither costs a query on the phone's hottest path.
    if outcome == Visit.Outcome.DECLINED and not decline_reason:
        raise ValidationError({"decline_reason": _("Say why the household declined.")})
    if any(m.household_id != household.pk for m in helped_members or ()):
        raise ValidationError({"helped_members": _("Choose members of this household.")})
    visit.full_clean(exclude=["client_id", "collector", "household", "payment"], validate_unique=False,
                     validate_constraints=False)
    try:
        with transaction.atomic():  # a savepoint when the caller holds a transaction
            visit.save()
            if helped_vssid or helped_vneid:
                _record_digital_id_help(visit, helped_members or [], vssid=helped_vssid, vneid=helped_vneid)
            if potential:
                set_potential(household=household, potential=potential, reason=potential_reason,
                              return_month=potential_return_month, by=collector.user)
            if latitude is not None and longitude is not None:
                _record_location(household, visit)
    except IntegrityError:  # this id was stored before: a retry, or the outbox sending again
        existing = _existing_visit(client_id, collector)
        if existing is None:
            raise
        return existing, False
    return visit, True


def _record_location(household: Household, visit: Visit) -> None:
    """The visit's location becomes the household's unless a later visit's is already there
    (the outbox may send yesterday's visit after today's). One UPDATE, no history row: the
    location is not a registration fact."""
    Household.objects.filter(pk=household.pk).filter(
        Q(located_at__isnull=True) | Q(located_at__lte=visit.visited_at)
    ).update(latitude=visit.latitude, longitude=visit.longitude, located_at=visit.visited_at)


def _record_digital_id_help(visit: Visit, members: list[Member], *, vssid: bool, vneid: bool) -> None:
    """The collector helped these members set up VssID / VNeID level 2. The
    visit keeps whose app or account it set up (the dashboards count them)."""
    installed, activated = [], []
    for member in members:  # saved one by one: the history keeps who and when
        changed = [name for name, helped in (("vssid_installed", vssid), ("vneid_level2", vneid))
                   if helped and not getattr(member, name)]
        for name in changed:
            setattr(member, name, True)
        if changed:
            member.save(update_fields=[*changed, "updated_at"])
        if "vssid_installed" in changed:
            installed.append(member)
        if "vneid_level2" in changed:
            activated.append(member)
    if installed:
        visit.vssid_installed_for.add(*installed)
    if activated:
        visit.vneid_activated_for.add(*activated)


def set_potential(*, household: Household, potential: str, reason: str = "", return_month: date | None = None,
                  by=None) -> Household:
    """Record whether the household could join (could pay now / later / not
    now), why, and the month to come back in; the household's history keeps
    the earlier judgements."""
    if potential not in Household.Potential.values:
        raise ValidationError({"potential": _("Choose whether the household could join.")})
    if return_month is not None:
        return_month = return_month.replace(day=1)
    household.potential, household.potential_reason = potential, reason.strip()
    household.potential_return_month = return_month
    household.potential_set_at, household.potential_set_by = timezone.now(), by
    household.save(update_fields=["potential", "potential_reason", "potential_return_month", "potential_set_at",
                                  "potential_set_by", "updated_at"])
    return household


@transaction.atomic
def record_payment_with_visit(
    *,
    collector: Collector,
    household: Household,
    client_id: uuid.UUID,
    members,
    scheme: str,
    months: int,
    paid_on: date,
    receipt_number: str,
    amount: int,
    income: int | None = None,
    recorded_by,
) -> tuple[Visit, bool]:
    """A receipt taken on a visit: the payment moves the cover, and a visit
    (enrolled or renewed) records it for the collector. Saving twice (a
    double tap, a retry) stores it once, even when the posts arrive together:
    the household's lock makes the second wait and then find the first's visit.
    Returns (visit, created)."""
    lock_household(household)
    existing = _existing_visit(client_id, collector)
    if existing is not None:
        return existing, False
    payment = record_payment(
        collector=collector, household=household, members=members, scheme=scheme, months=months, paid_on=paid_on,
        receipt_number=receipt_number, amount=amount, income=income, recorded_by=recorded_by,
    )
    renewed = payment.lines.filter(created_enrolment=False).exists()
    return log_visit(
        collector=collector, household=household, client_id=client_id, visited_on=paid_on, payment=payment,
        outcome=Visit.Outcome.RENEWED if renewed else Visit.Outcome.ENROLLED,
    )


# 242590001367: the commune's code, then the commune's serial on 7 digits, as the registry's codes.
SERIAL_DIGITS = 7
CODE_ATTEMPTS = 5


def next_household_code(commune_id: int) -> str:
    """The commune's code and its next serial. Two registrations at once may
    read the same serial: the code's unique index refuses the second, which
    tries again (see register_household)."""
    prefix = str(commune_id)
    first, last = prefix + "0" * SERIAL_DIGITS, prefix + "9" * SERIAL_DIGITS
    # Highest first along the (commune, code) index; a code of another shape in the range is skipped.
    codes = (Household.objects.filter(commune_id=commune_id, code__gte=first, code__lte=last)
             .order_by("-code").values_list("code", flat=True)[:50])
    serial = next((int(c[len(prefix):]) for c in codes if len(c) == len(first) and c.isdigit()), 0)
    return f"{prefix}{serial + 1:0{SERIAL_DIGITS}d}"


@transaction.atomic
def register_household(
    *,
    collector: Collector,
    client_id: uuid.UUID,
    commune_id: int,
    village_id: int | None,
    address: str,
    phone: str | None,
    economic_status: str,
    status_year: int | None,
    members: list[dict],
    potential: str = "",
    potential_reason: str = "",
    potential_return_month: date | None = None,
) -> tuple[Household, bool]:
    """A new household (a prospect) with its members, the first being its head,
    under the commune's next code. Returns (household, created); the same
    `client_id` again returns the first."""
    existing = _registered_with(client_id, collector)
    if existing is not None:
        return existing, False
    household = Household(
        client_id=client_id, commune_id=commune_id, village_id=village_id, address=address, phone=phone or None,
        economic_status=economic_status, status_year=status_year, potential=potential,
        potential_reason=potential_reason.strip() if potential else "",
        potential_return_month=potential_return_month.replace(day=1) if potential and potential_return_month else None,
        potential_set_at=timezone.now() if potential else None, potential_set_by=collector.user if potential else None,
    )
    household.full_clean(exclude=["code", "client_id"])
    check_in_area(collector, household)
    for _attempt in range(CODE_ATTEMPTS):
        household.code = next_household_code(commune_id)
        try:
            with transaction.atomic():  # a savepoint: a code taken meanwhile is tried again
                household.save(force_insert=True)
            break
        except IntegrityError:
            household.pk = None
            existing = _registered_with(client_id, collector)  # the same form, saved meanwhile
            if existing is not None:
                return existing, False
    else:
        raise ValidationError({"__all__": _("No household code could be given: send the form again.")})
    people = [Member(household=household, **fields) for fields in members]
    for person in people:
        person.full_clean(exclude=["household"])
    Member.objects.bulk_create(people)
    return household, True


def _registered_with(client_id: uuid.UUID, collector: Collector) -> Household | None:
    existing = Household.objects.filter(client_id=client_id).first()
    if existing is not None:
        check_in_area(collector, existing)
    return existing


@transaction.atomic
def add_member(*, collector: Collector, household: Household, fields: dict) -> tuple[Member, bool]:
    """A member added on the phone to a household of the area (a newborn, a spouse who moved in).
    Returns (member, created); the same name and birth date again in the household (a double
    tap) returns the member already there."""
    check_in_area(collector, household)
    household = lock_household(household)  # two phones adding at once: one after the other
    same = household.members.filter(full_name=fields["full_name"], date_of_birth=fields["date_of_birth"]).first()
    if same is not None:
        return same, False
    if fields["relation"] == Member.Relation.HEAD and household.members.filter(relation=Member.Relation.HEAD).exists():
        raise ValidationError({"relation": _("This household already has a head.")})
    member = Member(household=household, **fields)
    member.full_clean(exclude=["household"])
    member.save()
    return member, True


@transaction.atomic
def record_referral(
    *,
    collector: Collector,
    household: Household,
    referred_by_household: Household,
    referred_by_member: Member | None = None,
) -> Referral:
    """Who brought `household` in: another household of the area, or one of
    its members. Recording again replaces the earlier answer."""
    for each in (household, referred_by_household):
        check_in_area(collector, each)
    if referred_by_household.pk == household.pk:
        raise ValidationError({"__all__": _("A household cannot refer itself: choose another household.")})
    if referred_by_member is not None and referred_by_member.household_id != referred_by_household.pk:
        raise ValidationError({"__all__": _("This member belongs to another household.")})
    referral, _created = Referral.objects.update_or_create(
        household=household,
        defaults={"referred_by_household": referred_by_household, "referred_by_member": referred_by_member,
                  "collector": collector, "recorded_on": timezone.localdate()},
    )
    return referral
