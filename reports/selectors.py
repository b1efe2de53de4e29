"""Reads of the dashboards. Each takes the user, and every figure passes
through `outreach.access`: summaries keyed by commune and village through
`household_scope`, collectors' figures through `collector_scope`.

Each page runs a fixed number of queries whatever the size of the province
(the tests pin them)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collectors.models import Agent, Assignment, Collector, Target, TrainingCourse, TrainingSession, Visit
from collectors.training import course_gaps, last_attended, with_training_flags
from households.models import Commune, Enrolment, Household, Village
from outreach.access import collector_scope, household_scope, is_provincial_staff

from .models import (
    AreaSnapshot, CollectorMonth, CoverMonth, PaymentMonth, ProspectCount, ReminderMonth, SummaryRun, VssidMonth,
)
from .months import add_months, first_of_month, month_range, window_start
from .tables import DATE, FLAG, INT, MONEY, MONTH, PERCENT, TEXT, Chart, Column, Table, share

NO_VISIT_DAYS = 14
CHART_MAX_COLLECTORS = 40
SESSIONS_SHOWN_DAYS = 365


def can_view_dashboards(user) -> bool:
    """Provincial staff, and the agent managers and commune officers who
    reach part of the province (their figures are scoped)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if is_provincial_staff(user):
        return True
    return Agent.objects.filter(managers=user).exists() or Commune.objects.filter(officers=user).exists()


def can_refresh(user) -> bool:
    return is_provincial_staff(user)


def latest_run() -> SummaryRun | None:
    return SummaryRun.objects.filter(finished_at__isnull=False).order_by("-pk").first()


@dataclass
class Filters:
    commune: int | None = None
    agent: int | None = None
    start: date | None = None  # first days of months
    end: date | None = None


@dataclass
class Card:
    label: str
    value: object
    kind: str = INT


@dataclass
class Dashboard:
    run: SummaryRun | None
    tables: list[Table] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    live: bool = False
    months: tuple[date, date] | None = None  # the period shown

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


def _whole_communes(area: Q):
    """Communes matched as a whole by a household-style Q (`commune_id`,
    `village_id`, as `household_scope` gives): the commune's code stands for
    commune_id and no village, so a Q reaching only some villages does not
    match."""
    communes = Commune.objects.annotate(commune_id=F("code"), village_id=Value(None, output_field=IntegerField()))
    return communes.filter(area)


def _villages(area: Q):
    """Villages matched by a household-style Q."""
    return Village.objects.annotate(village_id=F("pk")).filter(area)


def communes_in_whole(area: Q) -> set[int]:
    return set(_whole_communes(area).values_list("code", flat=True))


def agent_area(agent_id: int) -> Q:
    """The areas currently assigned to an agent's active collectors, as a Q
    over rows with commune_id / village_id (households, summaries)."""
    communes, villages = set(), set()
    for commune_id, village_id in (Assignment.objects.current().filter(collector__agent_id=agent_id,
                                                                       collector__active=True)
                                   .values_list("commune_id", "village_id")):
        if village_id is None:
            communes.add(commune_id)
        else:
            villages.add(village_id)
    return Q(commune_id__in=sorted(communes)) | Q(village_id__in=sorted(villages))


def filter_choices(user, *, communes: bool = True) -> tuple[list, list]:
    """(communes, agents) the filters offer: those of the user's area. One
    query each."""
    scope = household_scope(user)
    commune_choices = []
    if communes:
        commune_choices = list(
            Commune.objects.filter(Q(code__in=_whole_communes(scope).values("code"))
                                   | Q(code__in=_villages(scope).values("commune_id")))
            .order_by("name").values_list("code", "name"))
    agents = Agent.objects.order_by("name")
    if not is_provincial_staff(user):
        working_here = Assignment.objects.current().filter(scope).values("collector__agent_id")
        agents = agents.filter(Q(pk__in=working_here) | Q(managers=user)).distinct()
    return commune_choices, list(agents.values_list("pk", "name"))


def _period(filters: Filters, as_of: date) -> tuple[date, date]:
    last = first_of_month(as_of)
    end = min(filters.end or last, last)
    start = filters.start or add_months(end, -11)
    start = max(start, window_start(as_of))
    return (start, end) if start <= end else (end, end)


# --- the province -------------------------------------------------------------------

SCHEMES = [(Enrolment.Scheme.BHXH_VOLUNTARY, "bhxh"), (Enrolment.Scheme.BHYT_HOUSEHOLD, "bhyt")]


def province_dashboard(user, filters: Filters) -> Dashboard:
    run = latest_run()
    if run is None:
        return Dashboard(run=None)
    scope = household_scope(user)
    area = scope
    if filters.commune:
        area &= Q(commune_id=filters.commune)
    if filters.agent:
        area &= agent_area(filters.agent)
    start, end = _period(filters, run.as_of)
    whole = communes_in_whole(area)

    by_commune = list(
        AreaSnapshot.objects.filter(area, run=run)
        .values("commune_id", "commune__name", "commune__population")
        .annotate(members=Sum("members"), insured=Sum("insured"), bhyt=Sum("bhyt"), bhxh=Sum("bhxh"),
                  insured_without_digital_id=Sum("insured_without_digital_id"),
                  **{f"{p}_ending_{d}": Sum(f"{p}_ending_{d}") for p in ("bhyt", "bhxh") for d in (30, 60, 90)})
        .order_by()
    )
    cover = Cover(window_start(run.as_of), first_of_month(run.as_of), {
        (row["month"], row["scheme"]): row
        for row in (CoverMonth.objects.filter(area, run=run).values("month", "scheme")
                    .annotate(in_force=Sum("in_force"), lapses=Sum("lapses")).order_by())})
    paid = PaymentMonth.objects.filter(scope, run=run, month__gte=start, month__lte=end)
    if filters.commune:
        paid = paid.filter(commune_id=filters.commune)
    if filters.agent:
        paid = paid.filter(agent_id=filters.agent)  # receipts of the agent itself, wherever
    payments = {row["month"]: row for row in paid.values("month").annotate(
        new=Sum("new_enrolments"), renewals=Sum("renewals"), on_time=Sum("renewals_on_time")).order_by()}
    # One read for both reminder tables: by month, and the delivery rate by commune.
    reminder_rows = list(
        ReminderMonth.objects.filter(area, run=run, month__gte=start, month__lte=end)
        .values("month", "commune_id", "commune__name")
        .annotate(sent=Sum("sent"), failed=Sum("failed"), renewed=Sum("renewed"), delivered=Sum("delivered"),
                  undelivered=Sum("undelivered")).order_by())
    reminders = _summed(reminder_rows, "month")

    months = month_range(start, end)
    dashboard = Dashboard(run=run, months=(start, end))
    dashboard.cards = _province_cards(by_commune)
    dashboard.tables = [
        _coverage_table(by_commune, whole),
        *[table for scheme, prefix in SCHEMES for table in (
            _monthly_table(prefix, scheme, months, cover), _year_over_year_table(prefix, scheme, end, cover))],
        _movements_table(months, payments, cover),
        _ending_table(by_commune),
        _reminders_table(months, reminders),
        _delivery_table(_summed(reminder_rows, "commune_id")),
        _prospects_table(ProspectCount.objects.filter(area, run=run)
                         .values("commune_id", "commune__name", "potential")
                         .annotate(households=Sum("households"), month_come=Sum("month_come")).order_by()),
        *_digital_id_tables(user, filters, run, area, by_commune, start, end),
    ]
    return dashboard


POTENTIALS = [Household.Potential.NOW, Household.Potential.LATER, Household.Potential.NOT_NOW]


def _prospects_table(rows) -> Table:
    """Households the collectors judged, by commune and what they said (one read)."""
    communes = {}
    for row in rows:
        line = communes.setdefault(row["commune_id"], [row["commune__name"], 0, 0, 0, 0])
        line[1 + POTENTIALS.index(row["potential"])] += row["households"]
        line[4] += row["month_come"]
    lines = sorted(communes.values(), key=lambda line: (-line[1], -line[4], line[0]))
    return Table(
        key="prospects",
        title=_("Households that could join, by commune"),
        columns=[Column(_("Commune"), TEXT), *[Column(str(p.label).capitalize()) for p in POTENTIALS],
                 Column(_("Month to come back has come"))],
        rows=lines,
        chart=Chart("bars", series=[1, 2, 3], stacked=True),
        note=_("Households with someone uninsured that a collector judged on a visit, at registration or on "
               "the household's page; their collectors' Today lists them in this order, and brings back those "
               "whose month to come back has come."),
    )


def _digital_id_tables(user, filters: Filters, run, area: Q, by_commune, start: date, end: date) -> list[Table]:
    """The electronic card: insured people without VssID or VNeID level 2 by
    commune, and VssID installed on visits in the period against the targets
    per commune and per collector (three reads: installations, targets)."""
    installed = list(VssidMonth.objects.filter(area, run=run, month__gte=start, month__lte=end)
                     .values("commune_id", "collector_id", "collector__full_name", "collector__code")
                     .annotate(n=Sum("installations")).order_by())
    per_commune, per_collector, names = defaultdict(int), defaultdict(int), {}
    for row in installed:
        per_commune[row["commune_id"]] += row["n"]
        per_collector[row["collector_id"]] += row["n"]
        names[row["collector_id"]] = (row["collector__full_name"], row["collector__code"])
    communes = {r["commune_id"]: r for r in by_commune}
    targets = Target.objects.filter(month__gte=start, month__lte=end, vssid_installations__gt=0).filter(
        Q(commune__in=list(communes)) | Q(collector_scope(user, prefix="collector__"), collector__isnull=False))
    if filters.agent:
        targets = targets.filter(Q(commune__isnull=False) | Q(collector__agent_id=filters.agent))
    commune_targets, collector_targets = defaultdict(int), defaultdict(int)
    for target in targets.select_related("collector").order_by():
        if target.commune_id:
            commune_targets[target.commune_id] += target.vssid_installations
        else:
            collector_targets[target.collector_id] += target.vssid_installations
            names.setdefault(target.collector_id, (target.collector.full_name, target.collector.code))

    commune_rows = []
    for commune_id, r in communes.items():
        done, goal = per_commune.get(commune_id, 0), commune_targets.get(commune_id)
        commune_rows.append([r["commune__name"], r["insured"], r["insured_without_digital_id"],
                             share(r["insured_without_digital_id"], r["insured"]), done, goal,
                             share(done, goal)])
    commune_rows.sort(key=lambda row: (-row[2], row[0]))
    collector_rows = []
    for collector_id in set(per_collector) | set(collector_targets):
        done, goal = per_collector.get(collector_id, 0), collector_targets.get(collector_id)
        collector_rows.append([*names[collector_id], done, goal, share(done, goal)])
    collector_rows.sort(key=lambda row: (row[4] if row[4] is not None else 2, row[0]))
    period = f"{start:%m/%Y}–{end:%m/%Y}"
    return [
        Table(
            key="digital_id",
            title=_("The electronic card by commune: insured without VssID or VNeID level 2"),
            columns=[Column(_("Commune"), TEXT), Column(_("Insured today")),
                     Column(_("Without VssID or VNeID level 2")), Column(_("Share without"), PERCENT),
                     Column(_("VssID installed on visits, %(period)s") % {"period": period}),
                     Column(_("Target: VssID installations")), Column(_("Share of the target"), PERCENT)],
            rows=commune_rows,
            chart=Chart("bars", series=[2]),
            note=_("Since 13/02/2026 the card is electronic: people need VssID or VNeID level 2 to show it. "
                   "Installed: members a visit recorded VssID for. Targets: the communes' monthly targets of "
                   "the period, added up."),
        ),
        Table(
            key="vssid_collectors",
            title=_("VssID installations by collector against their targets, %(period)s") % {"period": period},
            columns=[Column(_("Collector"), TEXT), Column(_("Code"), TEXT), Column(_("VssID installed")),
                     Column(_("Target: VssID installations")), Column(_("Share of the target"), PERCENT)],
            rows=collector_rows,
            chart=Chart("bars", series=[2, 3]),
        ),
    ]


def _summed(rows, key: str) -> dict:
    """Rows of ReminderMonth sums added up by `key`."""
    summed = {}
    for row in rows:
        into = summed.setdefault(row[key], {"commune__name": row["commune__name"]})
        for field in ("sent", "failed", "renewed", "delivered", "undelivered"):
            into[field] = into.get(field, 0) + row[field]
    return summed


def _delivery_table(by_commune) -> Table:
    rows = [[r["commune__name"], r["sent"], r["delivered"], r["undelivered"], share(r["delivered"], r["sent"])]
            for r in by_commune.values() if r["sent"]]
    rows.sort(key=lambda row: (row[4] or 0, row[0]))  # the worst delivery first
    return Table(
        key="delivery",
        title=_("Reminder SMS delivered to the phone, by commune"),
        columns=[Column(_("Commune"), TEXT), Column(_("Sent")), Column(_("Delivered")), Column(_("Not delivered")),
                 Column(_("Delivery rate"), PERCENT)],
        rows=rows,
        chart=Chart("bars", series=[4]),
        note=_("Delivered and not delivered as the operator reported them; the rest of those sent had no report "
               "(yet). Households whose SMS did not arrive are on their collector's Today list."),
    )


def _province_cards(by_commune) -> list[Card]:
    members = sum(r["members"] for r in by_commune)
    insured = sum(r["insured"] for r in by_commune)
    return [
        Card(_("Members known"), members),
        Card(_("Insured today (either scheme)"), insured),
        Card(_("Coverage of known members"), share(insured, members), PERCENT),
        Card(_("Voluntary social insurance participants"), sum(r["bhxh"] for r in by_commune)),
        Card(_("Household health insurance members"), sum(r["bhyt"] for r in by_commune)),
        Card(_("Health insurance cards ending within 30 days"), sum(r["bhyt_ending_30"] for r in by_commune)),
    ]


def _coverage_table(by_commune, whole: set[int]) -> Table:
    rows = []
    for r in by_commune:
        population = r["commune__population"] if r["commune_id"] in whole else None
        rows.append([r["commune__name"], r["commune_id"], r["members"], r["insured"],
                     share(r["insured"], r["members"]), r["bhyt"], r["bhxh"], population,
                     share(r["insured"], population)])
    rows.sort(key=lambda row: (-(row[4] or 0), row[0]))
    return Table(
        key="coverage",
        title=_("Coverage by commune"),
        columns=[Column(_("Commune"), TEXT), Column(_("Code"), TEXT), Column(_("Members known")),
                 Column(_("Insured today")), Column(_("Coverage of known members"), PERCENT),
                 Column(_("Household health insurance")), Column(_("Voluntary social insurance")),
                 Column(_("Population")), Column(_("Coverage of the population"), PERCENT)],
        rows=rows,
        chart=Chart("bars", series=[4]),
        note=_("Insured: cover in force today in household health insurance or voluntary social insurance. "
               "The share of the population is shown where staff entered it and the whole commune is counted."),
    )


SCHEME_TITLES = {
    "bhxh": gettext_lazy("Voluntary social insurance participants, month by month"),
    "bhyt": gettext_lazy("Household health insurance members, month by month"),
}
YEAR_TITLES = {
    "bhxh": gettext_lazy("Voluntary social insurance participants, year over year"),
    "bhyt": gettext_lazy("Household health insurance members, year over year"),
}


@dataclass
class Cover:
    """Summed cover by (month, scheme), and the months the summaries keep."""

    first: date
    last: date
    rows: dict

    def get(self, month: date, scheme: str, field: str = "in_force") -> int | None:
        if not self.first <= month <= self.last:
            return None
        return self.rows.get((month, scheme), {}).get(field, 0)


def _monthly_table(prefix, scheme, months, cover: Cover) -> Table:
    rows = []
    for month in months:
        now = cover.get(month, scheme)
        before, year_ago = cover.get(add_months(month, -1), scheme), cover.get(add_months(month, -12), scheme)
        rows.append([month, now, None if before is None else now - before, year_ago,
                     (now - year_ago) / year_ago if year_ago else None])
    return Table(
        key=f"{prefix}_monthly",
        title=str(SCHEME_TITLES[prefix]),
        columns=[Column(_("Month"), MONTH), Column(_("In force at the month's end")),
                 Column(_("Change on the month before")), Column(_("Same month a year before")),
                 Column(_("Change on a year before"), PERCENT)],
        rows=rows,
        chart=Chart("lines", series=[1]),
        note=_("Cover in force on the last day of each month; for the current month, on the day of the figures."),
    )


def _year_over_year_table(prefix, scheme, end, cover: Cover) -> Table:
    years = [end.year - 2, end.year - 1, end.year]
    rows = [[f"{number:02d}", *[cover.get(date(year, number, 1), scheme) for year in years]]
            for number in range(1, 13)]
    return Table(
        key=f"{prefix}_yoy",
        title=str(YEAR_TITLES[prefix]),
        columns=[Column(_("Month"), TEXT), *[Column(str(year)) for year in years]],
        rows=rows,
        chart=Chart("lines", series=[1, 2, 3]),
    )


def _movements_table(months, payments, cover) -> Table:
    rows = []
    for month in months:
        paid = payments.get(month, {})
        lapses = sum(cover.get(month, scheme, "lapses") or 0 for scheme, _prefix in SCHEMES)
        rows.append([month, paid.get("new", 0), paid.get("renewals", 0), paid.get("on_time", 0), lapses])
    return Table(
        key="movements",
        title=_("New enrolments, renewals and lapses per month"),
        columns=[Column(_("Month"), MONTH), Column(_("New enrolments")), Column(_("Renewals")),
                 Column(_("Renewed on time")), Column(_("Lapses"))],
        rows=rows,
        chart=Chart("columns", series=[1, 2, 4]),
        note=_("New enrolments and renewals: people on receipts not cancelled, by the day paid. "
               "Lapses: cover that ended in the month and has not been continued."),
    )


def _ending_table(by_commune) -> Table:
    rows = [[r["commune__name"], *[r[f"{p}_ending_{d}"] for p in ("bhyt", "bhxh") for d in (30, 60, 90)]]
            for r in by_commune]
    rows.sort(key=lambda row: (-row[1], -row[3], row[0]))
    return Table(
        key="ending",
        title=_("Cover ending in the next 30, 60 and 90 days by commune"),
        columns=[Column(_("Commune"), TEXT),
                 Column(_("Health insurance cards, within 30 days")),
                 Column(_("Health insurance cards, within 60 days")),
                 Column(_("Health insurance cards, within 90 days")),
                 Column(_("Voluntary social insurance, within 30 days")),
                 Column(_("Voluntary social insurance, within 60 days")),
                 Column(_("Voluntary social insurance, within 90 days"))],
        rows=rows,
        chart=Chart("bars", series=[1, 2, 3], overlay=True),
    )


def _reminders_table(months, reminders) -> Table:
    rows = []
    for month in months:
        r = reminders.get(month, {})
        sent, renewed = r.get("sent", 0), r.get("renewed", 0)
        rows.append([month, sent, r.get("failed", 0), renewed, share(renewed, sent)])
    return Table(
        key="reminders",
        title=_("Reminder outcomes"),
        columns=[Column(_("Month due"), MONTH), Column(_("Sent")), Column(_("Failed")),
                 Column(_("Renewed within 30 days")), Column(_("Share renewed"), PERCENT)],
        rows=rows,
        chart=Chart("columns", series=[1, 2, 3]),
        note=_("Renewed: a payment for the same person and scheme within 30 days after a reminder was sent."),
    )


# --- collectors' performance and commission ------------------------------------------

PERFORMANCE_FIELDS = ["visits", "new_enrolments", "renewals", "renewals_on_time", "referrals", "amount", "commission"]


def _visible_collectors(user, filters: Filters):
    collectors = Collector.objects.filter(collector_scope(user))
    if filters.agent:
        collectors = collectors.filter(agent_id=filters.agent)
    return collectors


def performance_dashboard(user, filters: Filters) -> Dashboard:
    """One month per collector against their targets, the commission due to
    each collector and agent, and the last 12 months' trend."""
    run = latest_run()
    if run is None:
        return Dashboard(run=None)
    month = min(filters.end or first_of_month(run.as_of), first_of_month(run.as_of))
    collectors = _visible_collectors(user, filters)
    summaries = CollectorMonth.objects.filter(run=run, collector__in=collectors.values("pk"))
    if filters.agent:
        summaries = summaries.filter(agent_id=filters.agent)
    sums = {field: Sum(field) for field in PERFORMANCE_FIELDS}

    done = {row["collector_id"]: row for row in
            summaries.filter(month=month).values("collector_id").annotate(**sums).order_by()}
    # Active collectors, and any other who worked in the month (left since).
    people = list(collectors.filter(Q(active=True) | Q(pk__in=list(done))).select_related("agent")
                  .order_by("full_name", "pk").distinct())
    targets = {t.collector_id: t for t in Target.objects.filter(month=month, collector__in=collectors.values("pk"))}
    by_agent = list(summaries.filter(month=month).values("agent_id", "agent__name").annotate(**sums)
                    .order_by("agent__name"))
    trend_start = max(add_months(month, -11), window_start(run.as_of))
    trend = {row["month"]: row for row in summaries.filter(month__gte=trend_start, month__lte=month)
             .values("month").annotate(**sums).order_by()}

    dashboard = Dashboard(run=run, months=(trend_start, month))
    collector_rows = [_collector_row(c, done.get(c.pk, {}), targets.get(c.pk)) for c in people]
    dashboard.cards = [
        Card(_("Visits"), sum(r[3] for r in collector_rows)),
        Card(_("New enrolments"), sum(r[5] for r in collector_rows)),
        Card(_("Renewals"), sum(r[7] for r in collector_rows)),
        Card(_("Amount collected"), sum(r[12] for r in collector_rows), MONEY),
        Card(_("Commission due"), sum(r[14] for r in collector_rows), MONEY),
    ]
    dashboard.tables = [
        Table(
            key="collectors",
            title=_("Collectors in %(month)s against their targets") % {"month": f"{month:%m/%Y}"},
            columns=[Column(_("Collector"), TEXT), Column(_("Code"), TEXT), Column(_("Agent"), TEXT),
                     Column(_("Visits")), Column(_("Target: visits")),
                     Column(_("New enrolments")), Column(_("Target: new enrolments")),
                     Column(_("Renewals")), Column(_("Target: renewals")), Column(_("Renewed on time")),
                     Column(_("Referrals brought")),
                     Column(_("Target: amount"), MONEY), Column(_("Amount collected"), MONEY),
                     Column(_("Share of the amount target"), PERCENT), Column(_("Commission due"), MONEY)],
            rows=collector_rows,
            # Hundreds of bars say little: past a few dozen collectors, choose an agent to draw them.
            chart=Chart("bars", series=[12, 11]) if len(collector_rows) <= CHART_MAX_COLLECTORS else None,
            note=_("Renewed on time: paid on or before the day the previous cover ended.")
            if len(collector_rows) <= CHART_MAX_COLLECTORS else
            _("Renewed on time: paid on or before the day the previous cover ended. Choose an agent to see "
              "these figures as a chart."),
        ),
        Table(
            key="agents",
            title=_("Commission due to each agent in %(month)s") % {"month": f"{month:%m/%Y}"},
            columns=[Column(_("Agent"), TEXT), Column(_("New enrolments")), Column(_("Renewals")),
                     Column(_("Amount collected"), MONEY), Column(_("Commission due"), MONEY)],
            rows=[[r["agent__name"], r["new_enrolments"], r["renewals"], r["amount"], r["commission"]]
                  for r in by_agent],
            chart=Chart("bars", series=[4]),
            note=_("Commission: the amount of each receipt line times the rate in force on the day paid for its "
                   "scheme and kind of participant, rounded to the đồng per collector, month and rate."),
        ),
        Table(
            key="trend",
            title=_("The last 12 months"),
            columns=[Column(_("Month"), MONTH), Column(_("Visits")), Column(_("New enrolments")),
                     Column(_("Renewals")), Column(_("Renewed on time")), Column(_("Referrals brought")),
                     Column(_("Amount collected"), MONEY), Column(_("Commission due"), MONEY)],
            rows=[[m, *[trend.get(m, {}).get(f) or 0 for f in PERFORMANCE_FIELDS]]
                  for m in month_range(trend_start, month)],
            chart=Chart("columns", series=[2, 3]),
        ),
    ]
    return dashboard


def _collector_row(collector, done: dict, target) -> list:
    value = {f: done.get(f) or 0 for f in PERFORMANCE_FIELDS}
    goal = target.amount if target else None
    return [collector.full_name, collector.code, collector.agent.name,
            value["visits"], target.visits if target else None,
            value["new_enrolments"], target.new_enrolments if target else None,
            value["renewals"], target.renewals if target else None, value["renewals_on_time"],
            value["referrals"], goal, value["amount"], share(value["amount"], goal), value["commission"]]


# --- the network ------------------------------------------------------------------


def network_dashboard(user, filters: Filters, *, now=None) -> Dashboard:
    """Live: each commune's collectors, the communes and villages nobody
    covers, and collectors who have not logged a visit for 14 days."""
    now = now or timezone.now()
    scope = household_scope(user)
    if filters.commune:
        scope &= Q(commune_id=filters.commune)
    whole = communes_in_whole(scope)
    villages = list(_villages(scope).order_by("name", "pk"))
    communes = {c.pk: c for c in Commune.objects.filter(Q(code__in=sorted(whole))
                                                        | Q(code__in=_villages(scope).values("commune_id")))}
    collectors = _visible_collectors(user, filters).filter(active=True)
    assignments = list(
        Assignment.objects.current(timezone.localdate(now))
        .filter(collector__active=True)
        .filter(Q(commune_id__in=list(communes)) | Q(collector__in=collectors.values("pk")))
        .select_related("collector", "commune", "village").order_by("collector__full_name", "pk"))
    if filters.agent:
        covering = [a for a in assignments if a.collector.agent_id == filters.agent]
    else:
        covering = assignments

    whole_covered = {a.commune_id for a in covering if a.village_id is None}
    villages_covered = {a.village_id for a in covering if a.village_id is not None}
    names = defaultdict(list)
    for a in covering:
        if a.collector.full_name not in names[a.commune_id]:
            names[a.commune_id].append(a.collector.full_name)
    villages_of = defaultdict(list)
    for v in villages:
        villages_of[v.commune_id].append(v)

    commune_rows, gaps = [], []
    for commune in sorted(communes.values(), key=lambda c: c.name):
        own = villages_of[commune.pk]
        open_villages = [] if commune.pk in whole_covered else [v for v in own if v.pk not in villages_covered]
        commune_rows.append([commune.name, commune.pk, ", ".join(names[commune.pk]), len(names[commune.pk]),
                             len(own), len(own) - len(open_villages), len(open_villages)])
        if not names[commune.pk] and commune.pk in whole:
            gaps.append([commune.name, _("(whole commune)")])
        else:
            gaps.extend([commune.name, v.name] for v in open_villages)

    since = now - timedelta(days=NO_VISIT_DAYS)
    last_visit = Visit.objects.filter(collector=OuterRef("pk")).order_by("-visited_at").values("visited_at")[:1]
    quiet = list(collectors.annotate(last_visit=Subquery(last_visit)).filter(
        Q(last_visit__isnull=True) | Q(last_visit__lt=since)).select_related("agent").order_by("full_name"))
    areas = defaultdict(list)
    for a in assignments:
        place = f"{a.village.name}, {a.commune.name}" if a.village_id else a.commune.name
        if place not in areas[a.collector_id]:
            areas[a.collector_id].append(place)
    today = timezone.localdate(now)
    quiet_rows = [[c.full_name, c.code, c.agent.name, "; ".join(areas[c.pk]),
                   timezone.localdate(c.last_visit) if c.last_visit else None,
                   (today - timezone.localdate(c.last_visit)).days if c.last_visit else None] for c in quiet]

    dashboard = Dashboard(run=None, live=True)
    dashboard.cards = [
        Card(_("Communes without a collector"), sum(1 for r in commune_rows if not r[3])),
        Card(_("Villages without a collector"), sum(r[6] for r in commune_rows)),
        Card(_("Collectors with no visit in 14 days"), len(quiet_rows)),
    ]
    dashboard.tables = [
        Table(
            key="communes",
            title=_("Each commune's collectors"),
            columns=[Column(_("Commune"), TEXT), Column(_("Code"), TEXT), Column(_("Collectors"), TEXT),
                     Column(_("Number of collectors")), Column(_("Villages")),
                     Column(_("Villages with a collector")), Column(_("Villages without a collector"))],
            rows=commune_rows,
            chart=Chart("bars", series=[5, 6], stacked=True),
        ),
        Table(
            key="gaps",
            title=_("Communes and villages with no active collector assigned"),
            columns=[Column(_("Commune"), TEXT), Column(_("Village"), TEXT)],
            rows=gaps,
        ),
        Table(
            key="quiet",
            title=_("Collectors with no visit in the last 14 days"),
            columns=[Column(_("Collector"), TEXT), Column(_("Code"), TEXT), Column(_("Agent"), TEXT),
                     Column(_("Area"), TEXT), Column(_("Last visit"), DATE), Column(_("Days since"))],
            rows=quiet_rows,
        ),
    ]
    return dashboard


# --- training -------------------------------------------------------------------------


def training_dashboard(user, filters: Filters, *, on: date | None = None) -> Dashboard:
    """Live: who is not yet trained or due for a refresher, each course's
    reach, and the sessions of the last 12 months."""
    on = on or timezone.localdate()
    collectors = _visible_collectors(user, filters).filter(active=True)
    courses = list(TrainingCourse.objects.order_by("title"))
    people = list(with_training_flags(collectors, on=on).select_related("agent").order_by("full_name", "pk"))
    last = last_attended(collectors, on=on)

    collector_rows = []
    reach = {course.pk: [0, 0, 0] for course in courses}  # up to date, refresher due, never attended
    for c in people:
        missing, due = course_gaps(c.pk, courses, last, on=on)
        dates = [day for (collector_id, _course), day in last.items() if collector_id == c.pk]
        collector_rows.append([c.full_name, c.code, c.agent.name, c.joined_on, c.not_yet_trained,
                               ", ".join(course.title for course in missing), c.refresher_due,
                               ", ".join(course.title for course in due), max(dates, default=None)])
        for course in courses:
            attended = (c.pk, course.pk) in last
            reach[course.pk][2 if not attended else 1 if course in due else 0] += 1
    collector_rows.sort(key=lambda row: (not (row[4] or row[6]), row[0]))

    sessions = list(
        TrainingSession.objects.filter(held_on__gte=on - timedelta(days=SESSIONS_SHOWN_DAYS))
        .select_related("course").annotate(present=_present(collectors)).order_by("-held_on", "pk"))

    dashboard = Dashboard(run=None, live=True)
    dashboard.cards = [
        Card(_("Active collectors"), len(people)),
        Card(_("Not yet trained"), sum(1 for c in people if c.not_yet_trained)),
        Card(_("Due for a refresher"), sum(1 for c in people if c.refresher_due)),
    ]
    dashboard.tables = [
        Table(
            key="flags",
            title=_("Collectors' training"),
            columns=[Column(_("Collector"), TEXT), Column(_("Code"), TEXT), Column(_("Agent"), TEXT),
                     Column(_("Joined on"), DATE), Column(_("Not yet trained"), FLAG),
                     Column(_("Required courses not attended"), TEXT), Column(_("Due for a refresher"), FLAG),
                     Column(_("Courses to refresh"), TEXT), Column(_("Last training"), DATE)],
            rows=collector_rows,
        ),
        Table(
            key="courses",
            title=_("Courses"),
            columns=[Column(_("Course"), TEXT), Column(_("Topic"), TEXT),
                     Column(_("Required for new collectors"), FLAG),
                     Column(_("Refresh every (months)")), Column(_("Up to date")), Column(_("Due for a refresher")),
                     Column(_("Never attended"))],
            rows=[[c.title, c.get_topic_display(), c.required_for_new_collectors, c.refresher_months,
                   *reach[c.pk]] for c in courses],
            chart=Chart("bars", series=[4, 5, 6], stacked=True),
        ),
        Table(
            key="sessions",
            title=_("Sessions of the last 12 months"),
            columns=[Column(_("Date"), DATE), Column(_("Course"), TEXT), Column(_("Topic"), TEXT),
                     Column(_("Trainer"), TEXT), Column(_("Place"), TEXT), Column(_("Collectors present"))],
            rows=[[s.held_on, s.course.title, s.course.get_topic_display(), s.trainer, s.place, s.present]
                  for s in sessions],
        ),
    ]
    return dashboard


def _present(collectors):
    return Count("attendance", filter=Q(attendance__attended=True, attendance__collector__in=collectors.values("pk")))
