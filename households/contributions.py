"""Contribution rules for household health insurance (BHYT hộ gia đình) and
voluntary social insurance (BHXH tự nguyện); see RULES.md.

Pure functions: every amount and rate in force is passed in (`RatesInForce`),
nothing is read from the database. Money is integer đồng; each monthly amount
is rounded to the đồng, half up, before it is multiplied by the months.
Messages and explanations are translated at call time.
"""

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.text import capfirst
from django.utils.translation import gettext as _

BHYT_HOUSEHOLD = "bhyt_hgd"
BHXH_VOLUNTARY = "bhxh_tn"
BHYT_WAITING_DAYS = 30
# A renewal paid within this many months of the previous end keeps cover continuous.
BHYT_MAX_BREAK_MONTHS = 3


class ContributionError(ValueError):
    """Input a quote cannot be made for; the message says what is allowed.

    `field` names the input at fault ("months", "income", "group", "members",
    "scheme"), so that a form can show the message beside it."""

    def __init__(self, message: str, field: str = "__all__"):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class RatesInForce:
    """The reference values in force on `on`, as read from the dated rows."""

    on: date
    base_salary: int
    rural_poverty_line: int
    bhyt_rate: Decimal
    bhyt_ladder: tuple[Decimal, ...]
    bhyt_periods: tuple[int, ...]
    bhyt_support_shares: dict[str, Decimal] = field(hash=False)  # the central share of each group
    bhxh_rate: Decimal
    bhxh_income_min: int
    bhxh_income_max: int
    bhxh_support_shares: dict[str, Decimal] = field(hash=False)
    bhxh_periods: tuple[int, ...]
    # State support for BHXH is paid for a limited number of months per person.
    bhxh_support_max_months: int = 120
    # The province's own top-up on a group's central share, per group (none: no top-up).
    province_code: int | None = None
    bhyt_province_shares: dict[str, Decimal] = field(default_factory=dict, hash=False)
    bhxh_province_shares: dict[str, Decimal] = field(default_factory=dict, hash=False)
    # The fund's average monthly interest rate published for the year before `on` (None: not entered yet);
    # lump sums of BHXH for more than 12 months are discounted, or charged interest, at it.
    bhxh_interest_rate: Decimal | None = None
    # Calendar years a poor or near-poor status, and an average-living-standard list, hold (counting their own).
    status_valid_years: int = 2
    average_list_valid_years: int = 2
    # From this age a member on a monthly social pension is insured by the state (None: nobody on that ground).
    social_pension_state_paid_age: int | None = 75


HOUSEHOLD_GROUP = "household"  # pays on the ladder
SUPPORTED = "supported"  # a state-supported group: 4.5 % less the support, no place in the ladder
COVERED = "covered"  # paid by the state or another scheme: pays nothing here, not counted


@dataclass(frozen=True)
class BhytMember:
    name: str
    # Pensioners, children under 6, poor-household members paid by the state…:
    # they do not count in the household ladder and pay nothing here.
    covered_elsewhere: bool = False
    # The state-supported groups the person fits (near-poor, student, …): the most favourable applies.
    support_groups: tuple[str, ...] = ()
    support_group: str | None = None  # one group: the same as support_groups=(group,)
    # The place in the ladder the person already holds this financial year (they paid earlier in it);
    # None: a new place after those already held.
    place: int | None = None

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.support_groups, *([self.support_group] if self.support_group else []))))


@dataclass(frozen=True)
class BhytLine:
    name: str
    kind: str  # HOUSEHOLD_GROUP, SUPPORTED or COVERED
    position: int | None  # the place in the household ladder; None outside it
    ladder_share: Decimal
    support_group: str | None
    central_share: Decimal
    province_share: Decimal  # as applied: the part of the province's top-up within 100 %
    support_share: Decimal  # central + province, at most 1
    monthly_gross: int
    monthly_support: int
    monthly_payable: int
    total_gross: int
    total_support: int
    total_payable: int


@dataclass(frozen=True)
class BhytQuote:
    lines: list[BhytLine]
    months: int
    total_gross: int
    total_support: int
    total_payable: int
    explanation: list[str]


@dataclass(frozen=True)
class BhxhQuote:
    income: int
    group: str
    months: int
    support_months: int  # months of this payment that carry state support
    monthly_gross: int
    monthly_support: int
    monthly_payable: int  # in a month with support
    total_gross: int
    total_support: int
    total_payable: int
    explanation: list[str]
    mode: str = "ahead"  # AHEAD (this period and on) or MISSING (months missing before, paid at once)
    discount: int = 0  # taken off a payment of many months ahead
    interest: int = 0  # added to a payment of missing months


@dataclass(frozen=True)
class Coverage:
    start: date
    end: date
    waiting: bool  # the card only takes effect after the 30-day wait
    explanation: str


# --- formatting ------------------------------------------------------------


def format_vnd(amount: int) -> str:
    """1263600 → "1.263.600 ₫" (Vietnamese grouping, in every UI language)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount):,} ₫".replace(",", ".")


def format_percent(share: Decimal) -> str:
    """Decimal("0.045") → "4,5%"; the project writes decimals with a comma."""
    text = f"{share * 100:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") + "%"


def format_share(share: Decimal) -> str:
    """Decimal("0.7") → "70 %", as the explanation of support writes it."""
    return format_percent(share)[:-1] + " %"


def _format_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _format_month(day: date) -> str:
    return day.strftime("%m/%Y")


def _round_dong(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def group_label(group: str) -> str:
    labels = {
        "poor": _("poor household"),
        "near_poor": _("near-poor household"),
        "ethnic_minority": _("ethnic minority"),
        "other": _("other participant"),
        "student": _("pupil or student"),
        "agri_average": _("farming, forestry or fishery household of average living standard"),
        "ethnic_minority_exited": _("ethnic minority of a commune no longer disadvantaged"),
        "near_poor_poor_commune": _("near-poor household of a poor commune"),
        "island": _("living in an island commune or special zone"),
    }
    return labels.get(group, group)  # groups added by the province show their key


# --- validation ------------------------------------------------------------


def _check_period(months: int, allowed: Sequence[int]) -> None:
    if months not in allowed:
        raise ContributionError(
            _("Payment period must be one of %(allowed)s months.")
            % {"allowed": ", ".join(str(m) for m in allowed)},
            field="months",
        )


def _check_group(group: str, shares: Mapping[str, Decimal]) -> None:
    if group not in shares:
        raise ContributionError(
            _("Unknown support group “%(group)s”: choose one of %(allowed)s.")
            % {"group": group, "allowed": ", ".join(shares)},
            field="group",
        )


def _check_income(income: int, rates: RatesInForce) -> None:
    if not rates.bhxh_income_min <= income <= rates.bhxh_income_max:
        raise ContributionError(
            _(
                "Monthly income %(income)s is outside the allowed range: "
                "choose an amount from %(minimum)s to %(maximum)s."
            )
            % {
                "income": format_vnd(income),
                "minimum": format_vnd(rates.bhxh_income_min),
                "maximum": format_vnd(rates.bhxh_income_max),
            },
            field="income",
        )


# --- BHYT household --------------------------------------------------------


def _ladder_share(rates: RatesInForce, position: int) -> Decimal:
    """Share of the first member's amount; the last rung applies from there on."""
    return rates.bhyt_ladder[min(position, len(rates.bhyt_ladder)) - 1]


def bhyt_ladder_amounts(rates: RatesInForce) -> list[int]:
    """Monthly amount of the 1st, 2nd, … member; the last applies from there on."""
    first = _round_dong(rates.base_salary * rates.bhyt_rate)
    return [_round_dong(first * share) for share in rates.bhyt_ladder]


@dataclass(frozen=True)
class Support:
    group: str
    central: Decimal
    province: Decimal  # the part of the province's top-up within 100 %

    @property
    def share(self) -> Decimal:
        return self.central + self.province


def bhyt_support(rates: RatesInForce, groups: Sequence[str]) -> Support | None:
    """The most favourable of the groups a person fits (one level, never summed
    across groups): central share plus the province's top-up, at most 100 %."""
    best = None
    for group in groups:
        _check_group(group, rates.bhyt_support_shares)
        central = min(rates.bhyt_support_shares[group], Decimal(1))
        province = min(rates.bhyt_province_shares.get(group, Decimal(0)), Decimal(1) - central)
        support = Support(group, central, province)
        if best is None or support.share > best.share:
            best = support
    return best


def _bhyt_line(rates: RatesInForce, member: BhytMember, position: int | None, support: Support | None,
               first_monthly: int, months: int) -> BhytLine:
    if member.covered_elsewhere:
        kind, share, monthly, support = COVERED, Decimal(0), 0, None
    elif support is not None:
        # A supported member pays on the first member's amount (4.5 % of the base salary), outside the ladder.
        kind, share, monthly = SUPPORTED, Decimal(1), first_monthly
    else:
        kind, share = HOUSEHOLD_GROUP, _ladder_share(rates, position)
        # Official figures take the share of the rounded first-member amount: 73,710 = 70 % of 105,300.
        monthly = _round_dong(first_monthly * share)
    # The person's own part is the monthly amount rounded (45 % of 113,850 = 51,232.5 → 51,233); support the rest.
    support_amount = monthly - _round_dong(monthly * (1 - support.share)) if support else 0
    return BhytLine(
        name=member.name,
        kind=kind,
        position=position if kind == HOUSEHOLD_GROUP else None,
        ladder_share=share,
        support_group=support.group if support else None,
        central_share=support.central if support else Decimal(0),
        province_share=support.province if support else Decimal(0),
        support_share=support.share if support else Decimal(0),
        monthly_gross=monthly,
        monthly_support=support_amount,
        monthly_payable=monthly - support_amount,
        total_gross=monthly * months,
        total_support=support_amount * months,
        total_payable=(monthly - support_amount) * months,
    )


def support_text(line: BhytLine) -> str:
    """"Hộ cận nghèo: Nhà nước hỗ trợ 70 % + tỉnh hỗ trợ 30 % = 113.850 ₫, còn phải đóng 0 ₫/tháng"."""
    values = {
        "group": capfirst(group_label(line.support_group)),
        "central": format_share(line.central_share),
        "province": format_share(line.province_share),
        "support": format_vnd(line.monthly_support),
        "payable": format_vnd(line.monthly_payable),
    }
    if line.province_share:
        return _("%(group)s: the state supports %(central)s + the province supports %(province)s = %(support)s, "
                 "still to pay %(payable)s/month") % values
    return _("%(group)s: the state supports %(central)s = %(support)s, still to pay %(payable)s/month") % values


def _bhyt_line_text(line: BhytLine, rates: RatesInForce, first_monthly: int) -> str:
    if line.kind == COVERED:
        return _(
            "%(name)s: covered by another scheme, not counted in the household and pays nothing here"
        ) % {"name": line.name}
    if line.kind == SUPPORTED:
        return _(
            "%(name)s, outside the household ladder: %(rate)s of the base salary %(base)s = %(amount)s/month. "
            "%(support)s"
        ) % {
            "name": line.name,
            "rate": format_percent(rates.bhyt_rate),
            "base": format_vnd(rates.base_salary),
            "amount": format_vnd(line.monthly_gross),
            "support": support_text(line),
        }
    if line.position == 1:
        return _(
            "Member 1 of the household (%(name)s): %(rate)s of the base salary %(base)s = %(amount)s/month"
        ) % {
            "name": line.name,
            "rate": format_percent(rates.bhyt_rate),
            "base": format_vnd(rates.base_salary),
            "amount": format_vnd(line.monthly_gross),
        }
    return _(
        "Member %(position)s of the household (%(name)s): %(share)s of %(first)s = %(amount)s/month"
    ) % {
        "position": line.position,
        "name": line.name,
        "share": format_percent(line.ladder_share),
        "first": format_vnd(first_monthly),
        "amount": format_vnd(line.monthly_gross),
    }


def _total_text(monthly_gross: int, months: int, total_gross: int, total_support: int, total_payable: int) -> str:
    values = {
        "monthly": format_vnd(monthly_gross),
        "months": months,
        "gross": format_vnd(total_gross),
        "support": format_vnd(total_support),
        "payable": format_vnd(total_payable),
    }
    if not total_support:
        return _("Total: %(monthly)s/month × %(months)s = %(payable)s") % values
    return _(
        "Total: %(monthly)s/month × %(months)s = %(gross)s, minus support (state and province) %(support)s = %(payable)s to pay"
    ) % values


def quote_bhyt_household(
    rates: RatesInForce, members: Sequence[BhytMember], months: int, already_counted: int = 0
) -> BhytQuote:
    """What a household pays for `months` of BHYT.

    Household-group members (no support group, not covered elsewhere) take the
    ladder's places in the order given; members of a state-supported group pay
    4.5 % of the base salary less their support and take no place; members
    covered elsewhere pay nothing and are not counted. `already_counted`:
    the places of the ladder already held in the same financial year
    (Decree 188/2025/NĐ-CP keeps Decree 146/2018's "trong năm tài chính"):
    a member joining a household whose three others paid this year is its
    4th, not its 1st. A member whose `place` is set keeps it; the others take
    the places after `already_counted`."""
    _check_period(months, rates.bhyt_periods)
    supports = [None if member.covered_elsewhere else bhyt_support(rates, member.groups) for member in members]
    if all(member.covered_elsewhere for member in members):
        raise ContributionError(
            _("The household needs at least one member who pays here (not covered by another scheme)."),
            field="members",
        )

    first_monthly = _round_dong(rates.base_salary * rates.bhyt_rate)
    lines, position = [], already_counted
    for member, support in zip(members, supports):
        in_ladder = not member.covered_elsewhere and support is None
        place = None
        if in_ladder and member.place:
            place = member.place
        elif in_ladder:
            position += 1
            place = position
        lines.append(_bhyt_line(rates, member, place, support, first_monthly, months))

    total_gross = sum(line.total_gross for line in lines)
    total_support = sum(line.total_support for line in lines)
    total_payable = sum(line.total_payable for line in lines)
    explanation = [_bhyt_line_text(line, rates, first_monthly) for line in lines]
    monthly_gross = sum(line.monthly_gross for line in lines)
    explanation.append(_total_text(monthly_gross, months, total_gross, total_support, total_payable))
    return BhytQuote(lines, months, total_gross, total_support, total_payable, explanation)


# --- BHXH voluntary --------------------------------------------------------


def _bhxh_support_text(
    rates: RatesInForce, group: str, monthly_support: int, support_months: int, months: int
) -> list[str]:
    if not monthly_support:
        return [_("No state support for this group (%(group)s).") % {"group": group_label(group)}]
    if not support_months:
        return [_("No state support: the person has no months of support left.")]
    lines = [
        _(
            "State support (%(group)s): %(share)s of %(rate)s of the rural poverty line "
            "%(poverty_line)s = %(support)s/month"
        )
        % {
            "group": group_label(group),
            "share": format_percent(min(rates.bhxh_support_shares[group]
                                        + rates.bhxh_province_shares.get(group, Decimal(0)), Decimal(1))),
            "rate": format_percent(rates.bhxh_rate),
            "poverty_line": format_vnd(rates.rural_poverty_line),
            "support": format_vnd(monthly_support),
        }
    ]
    if support_months < months:
        lines.append(
            _(
                "State support is paid for %(support_months)s of the %(months)s months: "
                "the support limit is then reached."
            )
            % {"support_months": support_months, "months": months}
        )
    return lines


AHEAD = "ahead"
MISSING = "missing"


def discounted_lump_sum(monthly_amounts: Sequence[int], monthly_rate: Decimal) -> int:
    """n months paid ahead at once: T = Σ P_i / (1 + r)^(i−1), rounded once to the đồng."""
    return _round_dong(sum((Decimal(p) / (1 + monthly_rate) ** i for i, p in enumerate(monthly_amounts)),
                           Decimal(0)))


def lump_sum_with_interest(monthly_amounts: Sequence[int], monthly_rate: Decimal) -> int:
    """n missing months paid at once: T = Σ P_i × (1 + r)^i, rounded once to the đồng."""
    return _round_dong(sum((Decimal(p) * (1 + monthly_rate) ** (i + 1) for i, p in enumerate(monthly_amounts)),
                           Decimal(0)))


def _interest_rate(rates: RatesInForce, mode: str, months: int) -> Decimal:
    """The fund's rate for the lump sum of `mode`; refused, naming the payment and the dated row to add, while
    the office has not entered it."""
    if rates.bhxh_interest_rate is None:
        values = {"months": months, "year": rates.on.year - 1, "next_year": rates.on.year,
                  "row": _("BHXH voluntary: the fund's average monthly interest rate of the year before")}
        if mode == MISSING:
            message = _("%(months)s missing months paid at once carry interest at the fund's average monthly "
                        "interest rate for %(year)s, which is not entered yet: add the contribution rate "
                        "“%(row)s” in force from 01/01/%(next_year)s.")
        else:
            message = _("%(months)s months paid ahead at once are discounted at the fund's average monthly "
                        "interest rate for %(year)s, which is not entered yet: add the contribution rate "
                        "“%(row)s” in force from 01/01/%(next_year)s.")
        raise ContributionError(message % values, field="months")
    return rates.bhxh_interest_rate


def quote_bhxh_voluntary(
    rates: RatesInForce, income: int, group: str, months: int, support_months_left: int | None = None,
    mode: str = AHEAD,
) -> BhxhQuote:
    """What a participant pays for `months` of voluntary social insurance.

    `support_months_left`: months of state support the person still has (support
    is limited per person); None means no limit applies to this payment.
    `mode`: AHEAD pays this period and on (more than 12 months at once are
    discounted month by month at the fund's interest rate); MISSING pays
    months missing before at once, with that interest.
    """
    if mode == AHEAD:
        _check_period(months, rates.bhxh_periods)
    elif mode != MISSING:
        raise ContributionError(_("Choose how the months are paid: ahead, or missing months."), field="mode")
    elif months < 1:
        raise ContributionError(_("Months paid must be 1 or more, not %(value)s.") % {"value": months},
                                field="months")
    _check_group(group, rates.bhxh_support_shares)
    _check_income(income, rates)
    if support_months_left is not None and support_months_left < 0:
        raise ContributionError(
            _("Months of support left must be 0 or more, not %(value)s.") % {"value": support_months_left}
        )

    monthly_gross = _round_dong(income * rates.bhxh_rate)
    # Support is a share of 22 % of the poverty line, whatever income was chosen; the province may add
    # its own share; it can never exceed the contribution itself.
    share = min(rates.bhxh_support_shares[group] + rates.bhxh_province_shares.get(group, Decimal(0)), Decimal(1))
    support = _round_dong(rates.rural_poverty_line * rates.bhxh_rate * share)
    monthly_support = min(support, monthly_gross)
    support_months = months if support_months_left is None else min(months, support_months_left)

    total_gross = monthly_gross * months
    total_support = monthly_support * support_months
    undiscounted = total_gross - total_support
    discount = interest = 0
    lump_text = []
    if mode == MISSING or months > 12:
        rate = _interest_rate(rates, mode, months)
        amounts = [monthly_gross - monthly_support] * support_months + [monthly_gross] * (months - support_months)
        if mode == AHEAD:
            discount = undiscounted - discounted_lump_sum(amounts, rate)
        else:
            interest = lump_sum_with_interest(amounts, rate) - undiscounted
        values = {"months": months, "rate": format_percent(rate), "plain": format_vnd(undiscounted),
                  "change": format_vnd(discount or interest), "total": format_vnd(undiscounted - discount + interest)}
        if mode == AHEAD:
            lump_text.append(_(
                "%(months)s months paid ahead at once: each month after the first is discounted at the fund's "
                "interest rate of %(rate)s a month: %(plain)s less %(change)s = %(total)s to pay"
            ) % values)
        else:
            lump_text.append(_(
                "%(months)s missing months paid at once, with interest at the fund's rate of %(rate)s a month: "
                "%(plain)s plus %(change)s = %(total)s to pay"
            ) % values)
    total_payable = undiscounted - discount + interest
    explanation = [
        _("Contribution: %(rate)s of the chosen income %(income)s = %(gross)s/month")
        % {"rate": format_percent(rates.bhxh_rate), "income": format_vnd(income), "gross": format_vnd(monthly_gross)},
        *_bhxh_support_text(rates, group, monthly_support, support_months, months),
        _total_text(monthly_gross, months, total_gross, total_support, undiscounted),
        *lump_text,
    ]
    return BhxhQuote(
        income=income,
        group=group,
        months=months,
        support_months=support_months,
        monthly_gross=monthly_gross,
        monthly_support=monthly_support,
        monthly_payable=monthly_gross - monthly_support,
        total_gross=total_gross,
        total_support=total_support,
        total_payable=total_payable,
        explanation=explanation,
        mode=mode,
        discount=discount,
        interest=interest,
    )


# --- coverage --------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 → 28/29 Feb)."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def period_end(start: date, months: int) -> date:
    """Last day of a period of `months` calendar months that begins on `start`.

    The day before the same date `months` later; when that date does not exist
    (a period from 31 Jan for 3 months) the period ends with the month (30 Apr),
    so a period never loses a day to the clamping.
    """
    same_day_later = add_months(start, months)
    if same_day_later.day < start.day:
        return same_day_later
    return same_day_later - timedelta(days=1)


def _last_day_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _bhyt_coverage(paid_on: date, months: int, previous_end: date | None) -> Coverage:
    continuous = previous_end is not None and paid_on <= add_months(previous_end, BHYT_MAX_BREAK_MONTHS)
    if continuous:
        start = previous_end + timedelta(days=1)
        end = period_end(start, months)
        text = _("Renewal without a break: the card runs on from %(start)s to %(end)s.")
        return Coverage(start, end, False, text % {"start": _format_day(start), "end": _format_day(end)})

    start = paid_on + timedelta(days=BHYT_WAITING_DAYS)
    end = period_end(start, months)
    values = {"start": _format_day(start), "end": _format_day(end)}
    if previous_end is None:
        text = _("First enrolment: the card takes effect 30 days after payment, from %(start)s to %(end)s.")
    else:
        values["previous_end"] = _format_day(previous_end)
        text = _(
            "Cover ended on %(previous_end)s, more than 3 months before this payment: "
            "the card takes effect 30 days after payment, from %(start)s to %(end)s."
        )
    return Coverage(start, end, True, text % values)


def _bhxh_coverage(paid_on: date, months: int, previous_end: date | None) -> Coverage:
    payment_month = paid_on.replace(day=1)
    start = payment_month
    if previous_end is not None:
        month_after = add_months(previous_end.replace(day=1), 1)
        # Paid ahead or on time: continue; after a gap, cover restarts with the payment month.
        start = max(month_after, payment_month)
    end = _last_day_of_month(add_months(start, months - 1))
    text = _("Paid from %(start)s up to %(end)s.") % {"start": _format_month(start), "end": _format_month(end)}
    return Coverage(start, end, False, text)


def new_coverage(scheme: str, paid_on: date, months: int, previous_end: date | None) -> Coverage:
    """Cover bought by a payment of `months` made on `paid_on`."""
    if months < 1:
        raise ContributionError(_("Months paid must be 1 or more, not %(value)s.") % {"value": months}, field="months")
    if scheme == BHYT_HOUSEHOLD:
        return _bhyt_coverage(paid_on, months, previous_end)
    if scheme == BHXH_VOLUNTARY:
        return _bhxh_coverage(paid_on, months, previous_end)
    raise ContributionError(
        _("Unknown scheme “%(scheme)s”: choose one of %(allowed)s.")
        % {"scheme": scheme, "allowed": ", ".join((BHYT_HOUSEHOLD, BHXH_VOLUNTARY))},
        field="scheme",
    )
