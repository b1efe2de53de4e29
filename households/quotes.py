"""What a payment for real members of a real household costs, and the cover
it buys: the registry's facts (ages, household status, evidence of support
groups, current cover) turned into inputs of the pure contribution rules."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, Value
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import contributions as rules
from .contributions import ContributionError, Coverage, RatesInForce
from .ethnicity import KINH
from .models import Enrolment, Household, Member
from .rates import rates_on

Scheme = Enrolment.Scheme
# Children under this age are covered by the state budget, not by the household.
STATE_COVERED_UNDER_AGE = 6
# A card ending within this many days (or ended, or never held) is quoted for renewal.
RENEWAL_DUE_WITHIN_DAYS = 30
# A member whose household card ended within this many days is due to renew, not a prospect.
LAPSED_WITHIN_DAYS = 60


@dataclass(frozen=True)
class MemberQuoteLine:
    member: Member
    enrolment: Enrolment | None  # the cover this payment extends; None when a new period starts
    monthly_amount: int  # what the person pays a month, after state support
    amount: int
    support_months: int
    coverage: Coverage


@dataclass(frozen=True)
class HouseholdQuote:
    household: Household
    scheme: str
    months: int
    day: date
    lines: list[MemberQuoteLine]
    total: int
    explanation: list[str]


def age_on(member: Member, day: date) -> int:
    born = member.date_of_birth
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _valid_years(rates: RatesInForce | None) -> tuple[int, int]:
    """(years a poor or near-poor status holds, years an average-standard list holds), from the dated rows
    (without rates in force: the rows' usual value, the dataclass's default)."""
    if rates is None:
        defaults = RatesInForce.__dataclass_fields__
        return defaults["status_valid_years"].default, defaults["average_list_valid_years"].default
    return rates.status_valid_years, rates.average_list_valid_years


def _holds(year: int | None, day: date, years: int) -> bool:
    """Evidence of `year` holds on `day` for `years` calendar years, counting its own."""
    return year is not None and year <= day.year < year + years


def status_holds(household: Household, day: date, rates: RatesInForce | None = None) -> bool:
    """Whether the household's poor or near-poor status holds on `day` (only for the years it was certified for)."""
    return (household.economic_status != Household.EconomicStatus.OTHER
            and _holds(household.status_year, day, _valid_years(rates)[0]))


def average_list_holds(household: Household, day: date, rates: RatesInForce | None = None) -> bool:
    return _holds(household.average_standard_year, day, _valid_years(rates)[1])


def bhyt_support_groups(member: Member, household: Household, day: date,
                        rates: RatesInForce | None = None) -> tuple[str, ...]:
    """The state-supported groups the member's evidence, as it holds on `day`,
    puts them in (the rules apply the most favourable). Reads
    `household.commune` for the commune's classification: select it with the
    household when quoting many."""
    groups = []
    commune = household.commune
    if household.economic_status == Household.EconomicStatus.NEAR_POOR and status_holds(household, day, rates):
        groups.append("near_poor")
        # Its own central share (100 % since Decree 188/2025), where a row for it is in force.
        if commune.poor_commune and (rates is None or "near_poor_poor_commune" in rates.bhyt_support_shares):
            groups.append("near_poor_poor_commune")
    if average_list_holds(household, day, rates):
        groups.append("agri_average")
    if member.student:
        groups.append("student")
    if member.ethnicity != KINH and commune.left_disadvantaged_area:
        groups.append("ethnic_minority_exited")
    return tuple(groups)


def outdated_evidence(household: Household, day: date, rates: RatesInForce | None = None) -> list[str]:
    """Why evidence on record gives no support on `day`: "Hộ cận nghèo năm 2019: hết hiệu lực"."""
    shown = []
    if household.economic_status != Household.EconomicStatus.OTHER and household.status_year \
            and household.status_year < day.year and not status_holds(household, day, rates):
        shown.append(_("%(group)s of %(year)s: no longer valid") % {
            "group": capfirst(rules.group_label(household.economic_status)), "year": household.status_year})
    if household.average_standard_year and household.average_standard_year < day.year \
            and not average_list_holds(household, day, rates):
        shown.append(_("%(group)s (list of %(year)s): no longer valid") % {
            "group": capfirst(rules.group_label("agri_average")), "year": household.average_standard_year})
    return shown


def support_evidence(member: Member, household: Household, day: date,
                     rates: RatesInForce | None = None) -> list[str]:
    """The member's state-supported groups with their evidence, as the phone shows them."""
    shown = []
    for group in bhyt_support_groups(member, household, day, rates):
        label = rules.group_label(group)
        if group in ("near_poor", "near_poor_poor_commune"):
            label = f"{label} ({household.status_year})"
        elif group == "agri_average":
            label = _("%(group)s (list of %(year)s)") % {"group": label, "year": household.average_standard_year}
        shown.append(label)
    return shown


def _bhyt_member(member: Member, household: Household, day: date, rates: RatesInForce) -> rules.BhytMember:
    return rules.BhytMember(member.full_name, support_groups=bhyt_support_groups(member, household, day, rates))


def state_covered_reason(member: Member, household: Household, day: date,
                         rates: RatesInForce | None = None) -> str | None:
    """Why this member pays nothing for household health insurance: the state
    or another scheme insures them. (A member whose support is 100 % is not
    one of them: their card is still renewed, at 0 ₫, and listed for the office.)"""
    if household.economic_status == Household.EconomicStatus.POOR and status_holds(household, day, rates):
        return _("members of poor households are insured by the state")
    if age_on(member, day) < STATE_COVERED_UNDER_AGE:
        return _("children under 6 are insured by the state")
    if social_pension_holds(member, day, rates):
        return _("people %(age)s and over on a monthly social pension are insured by the state") % {
            "age": _pension_age(rates)}
    if member.ethnicity != KINH and household.commune.disadvantaged_area:
        return _("ethnic-minority people living in a disadvantaged area are insured by the state")
    if member.insured_elsewhere:
        return _("insured by another scheme")
    return None


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def state_covered_filter(day: date, rates: RatesInForce | None = None) -> Q:
    """The Member rows state_covered_reason gives a reason for, as a database
    filter: the same rules, so that lists and counts agree with the household page."""
    status_years = _valid_years(rates)[0]
    covered = Q(household__economic_status=Household.EconomicStatus.POOR, household__status_year__lte=day.year,
                household__status_year__gt=day.year - status_years)
    covered |= Q(date_of_birth__gt=years_before(day, STATE_COVERED_UNDER_AGE))
    age = _pension_age(rates)
    if age is not None:
        covered |= Q(social_pension_since__lte=day.year, date_of_birth__lte=years_before(day, age))
    covered |= Q(household__commune__disadvantaged_area=True) & ~Q(ethnicity=KINH)
    covered |= Q(insured_elsewhere=True)
    return covered


def prospect_filter(day: date, rates: RatesInForce | None = None) -> Q:
    """Members who would pay their own household health insurance and have had
    none lately (a card ended within LAPSED_WITHIN_DAYS is a renewal): the
    prospects Today lists and the province dashboard counts."""
    recent_cover = Enrolment.objects.filter(
        member_id=OuterRef("pk"), scheme=Scheme.BHYT_HOUSEHOLD,
        coverage_end__gte=day - timedelta(days=LAPSED_WITHIN_DAYS),
    ).exclude(status=Enrolment.Status.CANCELLED)
    return ~state_covered_filter(day, rates) & ~Q(Exists(recent_cover))


def _pension_age(rates: RatesInForce | None) -> int | None:
    if rates is None:
        return RatesInForce.__dataclass_fields__["social_pension_state_paid_age"].default
    return rates.social_pension_state_paid_age


def social_pension_holds(member: Member, day: date, rates: RatesInForce | None = None) -> bool:
    """Whether the member, on a monthly social pension granted by `day`, is old
    enough on `day` for the state to pay their health insurance."""
    age = _pension_age(rates)
    return (member.social_pension_since is not None and member.social_pension_since <= day.year
            and age is not None and age_on(member, day) >= age)


def support_line(member: Member, household: Household, rates: RatesInForce) -> str | None:
    """"Hộ cận nghèo: Nhà nước hỗ trợ 70 % + tỉnh hỗ trợ 30 % = 113.850 ₫, còn
    phải đóng 0 ₫/tháng" for a member of a state-supported group; None otherwise."""
    groups = bhyt_support_groups(member, household, rates.on, rates)
    if not groups or state_covered_reason(member, household, rates.on, rates) is not None:
        return None
    try:
        line = rules.quote_bhyt_household(rates, [rules.BhytMember(member.full_name, support_groups=groups)],
                                          max(rates.bhyt_periods, default=12)).lines[0]
    except ContributionError:
        return None  # the quote says which rule is missing
    return rules.support_text(line)


def paying_members(household: Household, members, day: date, rates: RatesInForce | None = None) -> list[Member]:
    """The members who pay household health insurance here, even 0 ₫ (the others the state insures)."""
    return [m for m in members if state_covered_reason(m, household, day, rates) is None]


def bhxh_support_group(member: Member, household: Household, rates: RatesInForce) -> str:
    """The one support group that applies on `rates.on`: of those the member's
    evidence puts them in, the one with the highest share (central plus the
    province's) in force; on a tie, the first named here."""
    groups = []
    if status_holds(household, rates.on, rates):
        groups.append(household.economic_status)  # "poor" or "near_poor"
    if household.commune.island_or_special_zone:
        groups.append("island")
    if member.ethnicity != KINH:
        groups.append("ethnic_minority")
    groups.append("other")
    shares = rates.bhxh_support_shares
    in_force = [g for g in groups if g in shares]  # a group whose row is not in force yet does not apply
    return max(in_force, key=lambda g: (min(shares[g] + rates.bhxh_province_shares.get(g, 0), 1),
                                        -in_force.index(g)))


def ladder_order(members: Sequence[Member]) -> list[Member]:
    """Head first, then the oldest: the order the office fills the ladder in."""
    return sorted(members, key=lambda m: (m.relation != Member.Relation.HEAD, m.date_of_birth, m.pk or 0))


def latest_cover(member: Member, scheme: str) -> Enrolment | None:
    """The member's newest non-cancelled cover in a scheme, from `member.enrolments`
    (prefetch them, with cover_for_ladder, when quoting many households)."""
    periods = [e for e in member.enrolments.all() if e.scheme == scheme and e.status != Enrolment.Status.CANCELLED]
    return max(periods, key=lambda e: e.coverage_end, default=None)


def renewal_due(member: Member, day: date) -> bool:
    """Whether the member's health-insurance card needs paying for now: none
    yet, ended, or ending within RENEWAL_DUE_WITHIN_DAYS."""
    cover = latest_cover(member, Scheme.BHYT_HOUSEHOLD)
    return cover is None or cover.coverage_end <= day + timedelta(days=RENEWAL_DUE_WITHIN_DAYS)


def members_due(household: Household, members, day: date, rates: RatesInForce | None = None) -> list[Member]:
    """Who still has to pay household health insurance: members who pay here
    (0 ₫ where their support is 100 %) and whose card needs renewing. The
    household page, Today, the payment page and the admin calculator all quote these."""
    return [m for m in paying_members(household, members, day, rates) if renewal_due(m, day)]


# The reverse name of collectors.PaymentLine on Enrolment: the registry reads the dates its receipts were
# paid on through the ORM, without importing the field operation's app.
PAID = "payment_lines"


def enrolments_for_ladder(year: int):
    """Enrolments with what the ladder of a payment dated in `year` needs: the
    first day an uncancelled household-group payment extended them in that
    year (`ladder_paid_on`), and whether a payment started them at all
    (`started_by_payment`: imported cover has no receipt)."""
    in_year = Q(**{f"{PAID}__payment__paid_on__year": year, f"{PAID}__payment__cancelled_at__isnull": True,
                   f"{PAID}__support_group": ""})
    return Enrolment.objects.annotate(
        ladder_year=Value(year),
        ladder_paid_on=Min(f"{PAID}__payment__paid_on", filter=in_year),
        started_by_payment=Count(PAID, filter=Q(**{f"{PAID}__created_enrolment": True})),
    ).order_by("-coverage_end", "-id")


def cover_for_ladder(day: date) -> Prefetch:
    """Members' enrolments, for quoting a payment dated `day` with no further
    query: `members.prefetch_related(cover_for_ladder(day))`."""
    return Prefetch("enrolments", queryset=enrolments_for_ladder(day.year))


def _enrolments_for_ladder(members, year: int) -> dict[int, list[Enrolment]]:
    """{member id: enrolments} read for the ladder of `year`: those prefetched
    with cover_for_ladder for that year, else read again (one query)."""
    loaded = {m.pk: list(m.enrolments.all()) for m in members}
    if all(getattr(e, "ladder_year", None) == year for enrolments in loaded.values() for e in enrolments):
        return loaded
    fresh = {pk: [] for pk in loaded}
    for enrolment in enrolments_for_ladder(year).filter(member_id__in=list(loaded)):
        fresh[enrolment.member_id].append(enrolment)
    return fresh


def _first_paid_in(enrolments, year: int) -> date | None:
    """When the member first paid household health insurance in `year`: a
    receipt dated in it, or imported cover (no receipt) that began in it."""
    days = []
    for enrolment in enrolments:
        if enrolment.scheme != Scheme.BHYT_HOUSEHOLD or enrolment.status == Enrolment.Status.CANCELLED:
            continue
        if enrolment.ladder_paid_on:
            days.append(enrolment.ladder_paid_on)
        if not enrolment.started_by_payment and enrolment.coverage_start.year == year:
            days.append(enrolment.coverage_start)
    return min(days, default=None)


def in_household_group(member: Member, household: Household, day: date, rates: RatesInForce | None = None) -> bool:
    """Whether the member pays on the household ladder (neither insured by the
    state or another scheme nor in a state-supported group)."""
    return (state_covered_reason(member, household, day, rates) is None
            and not bhyt_support_groups(member, household, day, rates))


def ladder_places(household: Household, members, day: date, rates: RatesInForce | None = None) -> dict[int, int]:
    """{member id: place} of the household-group members who already paid in
    the calendar year of `day`, in the order they first paid: the reductions
    count the members who take part in the same financial year (Decree
    146/2018/NĐ-CP Art. 7, kept by Decree 188/2025/NĐ-CP), so those who paid
    this year keep their places and the new ones follow."""
    enrolments = _enrolments_for_ladder(members, day.year)
    held = []
    for member in ladder_order(members):
        if in_household_group(member, household, day, rates):
            first = _first_paid_in(enrolments[member.pk], day.year)
            if first is not None:
                held.append((first, len(held), member))
    return {member.pk: place for place, (_first, _order, member) in enumerate(sorted(held), 1)}


def _places_text(places: dict[int, int], members, paying: set, year: int) -> list[str]:
    """The places held by members not in this payment, as the explanation says them."""
    others = sorted((place, m.full_name) for m in members if m.pk in places and m.pk not in paying
                    for place in [places[m.pk]])
    if not others:
        return []
    return [_("Already paid in %(year)s, keeping their places in the household's ladder: %(names)s") % {
        "year": year, "names": ", ".join(f"{place}. {name}" for place, name in others)}]


def _line(member, scheme, months, day, monthly_amount, amount, support_months=0) -> MemberQuoteLine:
    previous = latest_cover(member, scheme)
    coverage = rules.new_coverage(scheme, day, months, previous.coverage_end if previous else None)
    continues = previous is not None and not coverage.waiting and coverage.start == _day_after(previous.coverage_end)
    return MemberQuoteLine(
        member=member,
        enrolment=previous if continues else None,
        monthly_amount=monthly_amount,
        amount=amount,
        support_months=support_months,
        coverage=coverage,
    )


def _day_after(day: date) -> date:
    return date.fromordinal(day.toordinal() + 1)


def quote_household_payment(
    *,
    household: Household,
    members: Sequence[Member],
    scheme: str,
    months: int,
    day: date,
    income: int | None = None,
    support_months_used: int = 0,
    rates: RatesInForce | None = None,
    household_members: Sequence[Member] | None = None,
) -> HouseholdQuote:
    """What `members` of `household` pay on `day` for `months` of `scheme`.

    Raises ContributionError (with the field at fault) when the rules do not
    allow the payment. `support_months_used`: months of BHXH state support the
    member has already had (it is limited per person). `household_members`: all
    the household's members with their enrolments, when already loaded (the
    others insured in the same period keep their places in the ladder)."""
    if not members:
        raise ContributionError(_("Choose at least one member."), field="members")
    strangers = [m.full_name for m in members if m.household_id != household.pk]
    if strangers:
        raise ContributionError(
            _("%(names)s not in household %(code)s.") % {"names": ", ".join(strangers), "code": household.code},
            field="members",
        )
    rates = rates or rates_on(day)
    if scheme == Scheme.BHYT_HOUSEHOLD:
        everyone = (household.members.prefetch_related(cover_for_ladder(day)) if household_members is None
                    else household_members)
        return _quote_bhyt(household, ladder_order(members), months, day, rates, everyone)
    if scheme == Scheme.BHXH_VOLUNTARY:
        return _quote_bhxh(household, members, months, day, income, support_months_used, rates)
    raise ContributionError(_("Choose a scheme."), field="scheme")


def _quote_bhyt(household, members, months, day, rates, everyone) -> HouseholdQuote:
    for member in members:
        reason = state_covered_reason(member, household, day, rates)
        if reason:
            raise ContributionError(
                _("%(name)s pays nothing here: %(reason)s.") % {"name": member.full_name, "reason": reason},
                field="members",
            )
    quote = _bhyt_quote(household, members, months, day, rates, everyone)
    return HouseholdQuote(
        household=quote.household, scheme=quote.scheme, months=months, day=day, lines=quote.lines,
        total=quote.total,
        explanation=quote.explanation + [f"{line.member.full_name}: {line.coverage.explanation}"
                                         for line in quote.lines],
    )


def _bhyt_quote(household, members, months, day, rates, everyone) -> HouseholdQuote:
    """The ladder for `members` (in ladder order), after the places `everyone`
    of the household already holds this year, and the cover each would get."""
    places = ladder_places(household, everyone, day, rates)
    people = [replace(_bhyt_member(m, household, day, rates), place=places.get(m.pk)) for m in members]
    quote = rules.quote_bhyt_household(rates, people, months, len(places))
    lines = [_line(m, Scheme.BHYT_HOUSEHOLD, months, day, rule.monthly_payable, rule.total_payable)
             for m, rule in zip(members, quote.lines)]
    explanation = (outdated_evidence(household, day, rates)
                   + _places_text(places, everyone, {m.pk for m in members}, day.year) + quote.explanation)
    return HouseholdQuote(household=household, scheme=Scheme.BHYT_HOUSEHOLD, months=months, day=day,
                          lines=lines, total=quote.total_payable, explanation=explanation)


def _quote_bhxh(household, members, months, day, income, support_months_used, rates) -> HouseholdQuote:
    if len(members) != 1:
        raise ContributionError(_("Voluntary social insurance is paid per person: choose one member."),
                                field="members")
    if income is None:
        raise ContributionError(_("Enter the monthly income the person chooses to contribute on."), field="income")
    member = members[0]
    left = max(rates.bhxh_support_max_months - support_months_used, 0)
    quote = rules.quote_bhxh_voluntary(rates, income, bhxh_support_group(member, household, rates), months, left)
    # The monthly amount recorded on the cover is what the person pays in a supported month.
    line = _line(member, Scheme.BHXH_VOLUNTARY, months, day, quote.monthly_payable, quote.total_payable,
                 quote.support_months)
    return HouseholdQuote(
        household=household, scheme=Scheme.BHXH_VOLUNTARY, months=months, day=day, lines=[line],
        total=quote.total_payable,
        explanation=quote.explanation + [f"{member.full_name}: {line.coverage.explanation}"],
    )


def renewal_quote(*, household: Household, day: date, rates: RatesInForce | None = None,
                  members: Sequence[Member] | None = None, months: int | None = None) -> HouseholdQuote | None:
    """What renewing household health insurance costs on `day` for the members
    who still have to pay (members_due), for `months` (default: the longest
    period allowed, 12); None when nobody has to pay.

    `members`: all the household's members, prefetched with their enrolments
    (and `rates`, one rates_on per request), to quote many households without
    a query each."""
    everyone = list(household.members.prefetch_related(cover_for_ladder(day)) if members is None else members)
    rates = rates or rates_on(day)
    due = members_due(household, everyone, day, rates)
    if not due:
        return None
    months = months or max(rates.bhyt_periods, default=12)
    quote = _bhyt_quote(household, ladder_order(due), months, day, rates, everyone)
    return HouseholdQuote(
        household=household, scheme=quote.scheme, months=months, day=day, lines=quote.lines, total=quote.total,
        explanation=quote.explanation + [f"{line.member.full_name}: {line.coverage.explanation}"
                                         for line in quote.lines],
    )
