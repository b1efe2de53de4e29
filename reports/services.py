"""The nightly refresh: set-based aggregates of the registry and the field
operation into the small tables of `reports.models`.

Every figure is grouped in the database (one query per table, whatever the
number of households); Python only folds the grouped rows. The new rows go in
with one transaction, so a page reads either the previous run or this one.
"""

import time
from collections import defaultdict
from datetime import date, datetime, time as clock, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import (
    BooleanField, Case, Count, DateField, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Sum, Value, When,
)
from django.db.models.functions import ExtractDay, TruncMonth
from django.utils import timezone

from collectors.models import CommissionRate, PaymentLine, Referral, Visit
from households.contributions import ContributionError
from households.models import Enrolment, Household, Member
from households.quotes import prospect_filter
from households.rates import rates_on

from .models import (
    AreaSnapshot, CollectorMonth, CoverMonth, PaymentMonth, ProspectCount, ReminderMonth, SummaryRun, VssidMonth,
)
from .months import first_of_month, month_range, window_start
from .reminder_outcomes import reminder_outcomes

SUMMARIES = [AreaSnapshot, CoverMonth, PaymentMonth, ReminderMonth, CollectorMonth, ProspectCount, VssidMonth]
ENDING_WITHIN = (30, 60, 90)
BATCH = 5_000
AREA = {"area_commune": F("member__household__commune_id"), "area_village": F("member__household__village_id")}

NOT_CANCELLED = ~Q(status=Enrolment.Status.CANCELLED)


def refresh_summaries(*, as_of: date | None = None) -> SummaryRun:
    """Recompute every summary as of `as_of` (default today); returns the run."""
    as_of = as_of or timezone.localdate()
    clock_start = time.monotonic()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The grouped reads sort millions of rows: in memory rather than on disk, for this transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        run = SummaryRun.objects.create(as_of=as_of, started_at=timezone.now())
        snapshots = _area_snapshots(run, as_of)
        _save(CoverMonth, _cover_months(run, as_of, snapshots))
        _save(AreaSnapshot, snapshots.values())
        _save(PaymentMonth, _payment_months(run, as_of))
        _save(CollectorMonth, _collector_months(run, as_of))
        _save(ReminderMonth, _reminder_months(run, as_of))
        _save(ProspectCount, _prospect_counts(run, as_of))
        _save(VssidMonth, _vssid_months(run, as_of))
        run.finished_at = timezone.now()
        run.seconds = round(time.monotonic() - clock_start, 3)
        run.save(update_fields=["finished_at", "seconds"])
        # Older runs go; a slower refresh started earlier may leave its rows
        # until the next one, but pages always read the newest run.
        for model in SUMMARIES:
            model.objects.filter(run_id__lt=run.pk).delete()
        SummaryRun.objects.filter(pk__lt=run.pk).delete()
    return run


def _save(model, rows):
    model.objects.bulk_create(rows, batch_size=BATCH)


def _area(row) -> tuple[int, int | None]:
    return row["area_commune"], row["area_village"]


# --- members and cover on the day -------------------------------------------------


def _area_snapshots(run, as_of: date) -> dict:
    snapshots = {}

    def snapshot(key):
        if key not in snapshots:
            snapshots[key] = AreaSnapshot(run=run, commune_id=key[0], village_id=key[1])
        return snapshots[key]

    members = (Member.objects.order_by()
               .values(area_commune=F("household__commune_id"), area_village=F("household__village_id"))
               .annotate(n=Count("pk")))
    for row in members:
        snapshot(_area(row)).members = row["n"]
    # Distinct members over their cover (a join) rather than a lookup per member.
    insured = (Enrolment.objects.order_by().filter(NOT_CANCELLED, coverage_start__lte=as_of, coverage_end__gte=as_of)
               .values(**AREA).annotate(n=Count("member_id", distinct=True)))
    for row in insured:
        snapshot(_area(row)).insured = row["n"]
    without_digital_id = (Member.objects.order_by().filter(vssid_installed=False, vneid_level2=False)
                          .filter(Exists(_in_force(as_of)))
                          .values(area_commune=F("household__commune_id"), area_village=F("household__village_id"))
                          .annotate(n=Count("pk")))
    for row in without_digital_id:
        snapshot(_area(row)).insured_without_digital_id = row["n"]

    ending = {f"ending_{days}": Count("pk", filter=Q(coverage_end__lte=as_of + timedelta(days=days)))
              for days in ENDING_WITHIN}
    cover = (
        Enrolment.objects.order_by().filter(NOT_CANCELLED, coverage_end__gte=as_of)
        .values("scheme", **AREA)
        .annotate(in_force=Count("pk", filter=Q(coverage_start__lte=as_of)), **ending)
    )
    for row in cover:
        item = snapshot(_area(row))
        prefix = "bhyt" if row["scheme"] == Enrolment.Scheme.BHYT_HOUSEHOLD else "bhxh"
        setattr(item, prefix, row["in_force"])
        for days in ENDING_WITHIN:
            setattr(item, f"{prefix}_ending_{days}", row[f"ending_{days}"])
    return snapshots


def _in_force(as_of: date):
    """A member's cover in force on `as_of`, in either scheme (for Exists)."""
    return Enrolment.objects.filter(NOT_CANCELLED, member_id=OuterRef("pk"), coverage_start__lte=as_of,
                                    coverage_end__gte=as_of)


# --- prospects and the electronic card ----------------------------------------------


def _prospect_counts(run, as_of: date) -> list[ProspectCount]:
    """Judged households that are prospects by Today's rule (prospect_filter): not the state-insured."""
    try:
        rates = rates_on(as_of)
    except ContributionError:  # no rule in force: the rules' usual values, as the household page
        rates = None
    uninsured = Member.objects.filter(prospect_filter(as_of, rates), household_id=OuterRef("pk"))
    rows = (Household.objects.order_by().exclude(potential="").filter(Exists(uninsured))
            .values("potential", area_commune=F("commune_id"), area_village=F("village_id"))
            .annotate(n=Count("pk"), month_come=Count(
                "pk", filter=Q(potential_return_month__lte=first_of_month(as_of)))))
    return [ProspectCount(run=run, commune_id=row["area_commune"], village_id=row["area_village"],
                          potential=row["potential"], households=row["n"], month_come=row["month_come"])
            for row in rows]


def _vssid_months(run, as_of: date) -> list[VssidMonth]:
    """Members whose VssID a visit installed (Visit.vssid_installed_for), by collector and month."""
    installed = Visit.vssid_installed_for.through.objects.order_by().filter(
        visit__visited_at__gte=_start_of_day(window_start(as_of)),
        visit__visited_at__lt=_start_of_day(as_of + timedelta(days=1)))
    rows = (installed.values(collector=F("visit__collector_id"),
                             month=TruncMonth("visit__visited_at", output_field=DateField()),
                             area_commune=F("member__household__commune_id"),
                             area_village=F("member__household__village_id"))
            .annotate(n=Count("pk")))
    return [VssidMonth(run=run, commune_id=row["area_commune"], village_id=row["area_village"],
                       collector_id=row["collector"], month=row["month"], installations=row["n"]) for row in rows]


# --- cover month by month ---------------------------------------------------------


def _cover_months(run, as_of: date, snapshots: dict) -> list[CoverMonth]:
    """Cover in force on each past month's last day, by a running sum: an
    enrolment adds one from the month it starts in and takes it away after the
    last month whose last day it covers. The current month is the day's count."""
    months = month_range(window_start(as_of), as_of)
    index = {month: i for i, month in enumerate(months)}
    current = len(months) - 1
    changes = defaultdict(lambda: [0] * (current + 1))

    spanning = Enrolment.objects.order_by().filter(
        NOT_CANCELLED, coverage_start__lt=months[-1], coverage_end__gte=months[0])
    for row in spanning.values("scheme", month=TruncMonth("coverage_start"), **AREA).annotate(n=Count("pk")):
        changes[_area(row), row["scheme"]][index.get(row["month"], 0)] += row["n"]

    day_after = ExpressionWrapper(F("coverage_end") + timedelta(days=1), output_field=DateField())
    whole_month = Case(When(day_after_day=1, then=Value(True)), default=Value(False), output_field=BooleanField())
    ends = (spanning.annotate(day_after_day=ExtractDay(day_after))
            .values("scheme", whole_month=whole_month, month=TruncMonth("coverage_end"), **AREA)
            .annotate(n=Count("pk")))
    for row in ends:
        # The month after the last one covered to its last day.
        stop = index.get(row["month"], current) + (1 if row["whole_month"] else 0)
        if stop < current:
            changes[_area(row), row["scheme"]][stop] -= row["n"]

    continued = Enrolment.objects.filter(
        NOT_CANCELLED, member_id=OuterRef("member_id"), scheme=OuterRef("scheme"),
        coverage_end__gt=OuterRef("coverage_end"),
        coverage_start__lte=ExpressionWrapper(OuterRef("coverage_end") + timedelta(days=1), output_field=DateField()),
    )
    lapses = (
        Enrolment.objects.order_by().filter(NOT_CANCELLED, coverage_end__gte=months[0], coverage_end__lt=as_of)
        .filter(~Exists(continued))
        .values("scheme", month=TruncMonth("coverage_end"), **AREA)
        .annotate(n=Count("pk"))
    )
    lapsed = {(_area(row), row["scheme"], index[row["month"]]): row["n"] for row in lapses}

    for key, snapshot in snapshots.items():
        for scheme, today_count in ((Enrolment.Scheme.BHYT_HOUSEHOLD, snapshot.bhyt),
                                    (Enrolment.Scheme.BHXH_VOLUNTARY, snapshot.bhxh)):
            changes[key, scheme][current] = today_count
    rows = []
    for (area, scheme), deltas in changes.items():
        in_force = 0
        for i, month in enumerate(months):
            in_force = deltas[i] if i == current else in_force + deltas[i]
            lapse_count = lapsed.pop((area, scheme, i), 0)
            if in_force or lapse_count:
                rows.append(CoverMonth(run=run, commune_id=area[0], village_id=area[1], scheme=scheme, month=month,
                                       in_force=in_force, lapses=lapse_count))
    for (area, scheme, i), lapse_count in lapsed.items():  # areas with lapses only
        rows.append(CoverMonth(run=run, commune_id=area[0], village_id=area[1], scheme=scheme, month=months[i],
                               lapses=lapse_count))
    return rows


# --- receipts ---------------------------------------------------------------------

PAID_AREA = {"area_commune": F("payment__household__commune_id"), "area_village": F("payment__household__village_id")}
RENEWAL = Q(created_enrolment=False)
ON_TIME = RENEWAL & Q(previous_end__gte=F("payment__paid_on"))


def _lines(as_of: date):
    """Payment lines of receipts not cancelled, paid within the kept months."""
    return PaymentLine.objects.order_by().filter(
        payment__cancelled_at__isnull=True, payment__paid_on__gte=window_start(as_of), payment__paid_on__lte=as_of)


def _line_counts():
    return {
        "new_enrolments": Count("pk", filter=Q(created_enrolment=True)),
        "renewals": Count("pk", filter=RENEWAL),
        "renewals_on_time": Count("pk", filter=ON_TIME),
        "amount": Sum("amount"),
    }


def _payment_months(run, as_of: date) -> list[PaymentMonth]:
    rows = (_lines(as_of)
            .values(agent=F("payment__agent_id"), scheme=F("payment__scheme"),
                    month=TruncMonth("payment__paid_on"), **PAID_AREA)
            .annotate(**_line_counts()))
    return [
        PaymentMonth(run=run, commune_id=row["area_commune"], village_id=row["area_village"],
                     agent_id=row["agent"], scheme=row["scheme"], month=row["month"],
                     new_enrolments=row["new_enrolments"], renewals=row["renewals"],
                     renewals_on_time=row["renewals_on_time"], amount=row["amount"] or 0)
        for row in rows
    ]


# --- collectors' months -------------------------------------------------------------


def commission(amount: int, rate: Decimal) -> int:
    """Commission on an amount in đồng, rounded half up to the đồng."""
    return int((Decimal(amount) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _rate_in_force():
    """(a CASE giving each payment line the id of the commission rate in force
    on its payment day for its scheme and kind of participant, the rates by id)."""
    rates = list(CommissionRate.objects.order_by("scheme", "participant_kind", "effective_from"))
    whens = []
    for i, rate in enumerate(rates):
        following = rates[i + 1] if i + 1 < len(rates) else None
        same_kind = following and (following.scheme, following.participant_kind) == (rate.scheme, rate.participant_kind)
        period = Q(payment__paid_on__gte=rate.effective_from)
        if same_kind:
            period &= Q(payment__paid_on__lt=following.effective_from)
        whens.append(When(period, payment__scheme=rate.scheme,
                          created_enrolment=rate.participant_kind == CommissionRate.ParticipantKind.NEW,
                          then=Value(rate.pk)))
    case = Case(*whens, default=Value(None), output_field=IntegerField()) if whens else Value(None, IntegerField())
    return case, {rate.pk: rate.rate for rate in rates}


def _start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock.min))


def _collector_months(run, as_of: date) -> list[CollectorMonth]:
    months = {}

    def month_of(collector_id, agent_id, month):
        key = (collector_id, agent_id, month)
        if key not in months:
            months[key] = CollectorMonth(run=run, collector_id=collector_id, agent_id=agent_id, month=month)
        return months[key]

    rate_case, rates = _rate_in_force()
    lines = (_lines(as_of)
             .values(collector=F("payment__collector_id"), agent=F("payment__agent_id"),
                     month=TruncMonth("payment__paid_on"), rate=rate_case)
             .annotate(**_line_counts()))
    for row in lines:
        item = month_of(row["collector"], row["agent"], row["month"])
        for field in ("new_enrolments", "renewals", "renewals_on_time", "amount"):
            setattr(item, field, getattr(item, field) + (row[field] or 0))
        if row["rate"] is not None:
            # Rounded once per collector, month and rate, not per receipt.
            item.commission += commission(row["amount"] or 0, rates[row["rate"]])

    since = window_start(as_of)
    visits = (Visit.objects.order_by()
              .filter(visited_at__gte=_start_of_day(since), visited_at__lt=_start_of_day(as_of + timedelta(days=1)))
              .values("collector", agent=F("collector__agent_id"),
                      month=TruncMonth("visited_at", output_field=DateField()))
              .annotate(n=Count("pk")))
    for row in visits:
        month_of(row["collector"], row["agent"], row["month"]).visits += row["n"]
    referrals = (Referral.objects.order_by().filter(recorded_on__gte=since, recorded_on__lte=as_of)
                 .values("collector", agent=F("collector__agent_id"), month=TruncMonth("recorded_on"))
                 .annotate(n=Count("pk")))
    for row in referrals:
        month_of(row["collector"], row["agent"], row["month"]).referrals += row["n"]
    return list(months.values())


# --- reminders ----------------------------------------------------------------------


def _reminder_months(run, as_of: date) -> list[ReminderMonth]:
    return [
        ReminderMonth(run=run, commune_id=row["area_commune"], village_id=row["area_village"],
                      month=row["area_month"], sent=row["sent"], failed=row["failed"], renewed=row["renewed"],
                      delivered=row["delivered"], undelivered=row["undelivered"])
        for row in reminder_outcomes(since=window_start(as_of), until=as_of)
    ]
