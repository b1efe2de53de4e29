"""The nightly reminder batch: claim, merge, allot, send.

1. `prepare_night` (one transaction, serialised per night by locking its
   `NightlyRun` row): *claim* a `Reminder` row for every enrolment whose stage
   falls due, with INSERT … SELECT … ON CONFLICT DO NOTHING on the unique key
   (enrolment, coverage end, stage, channel); *merge* the new reminders into
   one open `Message` per household, channel and day; *allot* messages to the
   night within each channel's cap.
2. `dispatch_due` hands the messages that may go now to workers in chunks.
3. `send_message` claims one message (a conditional UPDATE: only one worker
   wins), seals its text, calls the channel with the message's idempotency
   key, and records the attempt. A worker killed mid-call leaves the message
   "sending" until its lease runs out; it is then sent again with the same
   key, and the gateway delivers it once.
"""

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, Func, Max, OuterRef, Q, Subquery, Value, When
from django.db.models import fields as model_fields
from django.utils import timezone
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from households.contributions import ContributionError, format_vnd
from households.models import Enrolment
from households.quotes import cover_for_ladder, renewal_quote

from . import channels
from .text import COLLECTOR_WIDTH, NAMES_WIDTH, check_gsm7, shorten, sms_size, unaccented
from .models import (
    Channel,
    ChannelPolicy,
    DeliveryAttempt,
    HouseholdEmail,
    Message,
    NightlyRun,
    Reminder,
    ReminderOptOut,
    ReminderRule,
)

logger = logging.getLogger(__name__)

# Cover that can still be reminded: active, or lapsed for the stages after the end.
REMINDABLE = [Enrolment.Status.ACTIVE, Enrolment.Status.LAPSED]


# --- 1. the scan --------------------------------------------------------------------------------


def due_enrolments(*, rule: ReminderRule, day: date, first: date | None = None):
    """Enrolments for which `rule`'s stage falls due on a night from `first` (default
    `day`) to `day`: the one selection shared by the claim and the dry run (the
    benchmark's baseline writes it by hand)."""
    first = first or day
    renewed = Enrolment.objects.filter(
        member_id=OuterRef("member_id"), scheme=OuterRef("scheme"), coverage_end__gt=OuterRef("coverage_end"),
    ).exclude(status=Enrolment.Status.CANCELLED)
    opted_out = ReminderOptOut.objects.filter(
        Q(member__isnull=True) | Q(member_id=OuterRef("member_id")),
        Q(channel="") | Q(channel=rule.channel),
        household_id=OuterRef("member__household_id"),
    )
    enrolments = Enrolment.objects.filter(
        scheme=rule.scheme, status__in=REMINDABLE,
        coverage_end__range=(first - timedelta(days=rule.offset_days), day - timedelta(days=rule.offset_days)),
    ).filter(~Exists(renewed), ~Exists(opted_out))
    if rule.channel == Channel.EMAIL:
        # Only households that gave an address get e-mail; the others still get SMS.
        enrolments = enrolments.filter(member__household__reminder_email__isnull=False)
    return enrolments.order_by()


def catch_up_from(day: date) -> date:
    """The first night a run for `day` covers: the night after the last completed
    run before it (a missed night is caught up), or `day` itself for a first run ever."""
    last = (NightlyRun.objects.filter(day__lt=day, finished_at__isnull=False)
            .aggregate(last=Max("day"))["last"])
    return day if last is None else last + timedelta(days=1)


def _next_offset(rule: ReminderRule, rules: list[ReminderRule]) -> int | None:
    """The next later stage of the same scheme and channel, which overtakes `rule` once due."""
    return min((r.offset_days for r in rules if r.scheme == rule.scheme and r.channel == rule.channel
                and r.offset_days > rule.offset_days), default=None)


def _due_on(rule: ReminderRule):
    """coverage_end + the rule's offset, in SQL (the offset is an int from the rule, not user text)."""
    offset = int(rule.offset_days)
    template = (f"date(%(expressions)s, '{offset:+d} days')" if connection.vendor == "sqlite"
                else f"(%(expressions)s + {offset})")
    return Func(F("coverage_end"), template=template, output_field=model_fields.DateField())


def overtaken_reason() -> str:
    return str(_("overtaken by a later stage due too"))


def too_late_reason() -> str:
    return str(_("more than %(days)d days late (no run on the night it fell due)")
               % {"days": settings.REMINDERS_CATCH_UP_DAYS})


def _claim_rows(*, rule: ReminderRule, first: date, day: date, now: datetime, next_offset: int | None):
    """The Reminder rows to claim for `rule` on the nights `first`..`day`, as a values_list in
    INSERT column order. A stage a later one has overtaken (it fell due too while no run
    happened) and a stage more than REMINDERS_CATCH_UP_DAYS late are claimed as skipped, with why."""
    whens = []
    if next_offset is not None:
        whens.append(When(coverage_end__lte=day - timedelta(days=next_offset), then=Value(overtaken_reason())))
    late_before = day - timedelta(days=settings.REMINDERS_CATCH_UP_DAYS + rule.offset_days)
    whens.append(When(coverage_end__lt=late_before, then=Value(too_late_reason())))
    reason = Case(*whens, default=Value(""), output_field=model_fields.CharField())
    skipped = [When(w.condition, then=Value(Reminder.Status.SKIPPED)) for w in whens]
    if rule.channel == Channel.SMS:
        skipped.append(When(member__phone__isnull=True, member__household__phone__isnull=True,
                            then=Value(Reminder.Status.NO_PHONE)))
    status = Case(*skipped, default=Value(Reminder.Status.QUEUED), output_field=model_fields.CharField())
    return due_enrolments(rule=rule, first=first, day=day).annotate(
        r_stage=Value(rule.offset_days, model_fields.SmallIntegerField()),
        r_channel=Value(rule.channel, model_fields.CharField()),
        r_household=F("member__household_id"),
        r_due=_due_on(rule),
        r_status=status,
        r_reason=reason,
        r_created=Value(now, model_fields.DateTimeField()),
        r_updated=Value(now, model_fields.DateTimeField()),
    ).values_list(
        "id", "coverage_end", "r_stage", "r_channel", "r_household", "r_due", "r_status", "r_reason",
        "r_created", "r_updated",
    )


CLAIM_FIELDS = ["enrolment", "coverage_end", "stage", "channel", "household", "due_on", "status", "reason",
                "created_at", "updated_at"]
KEY_FIELDS = ["enrolment", "coverage_end", "stage", "channel"]


def _columns(names):
    return ", ".join(connection.ops.quote_name(Reminder._meta.get_field(n).column) for n in names)


def claim_reminders(*, rule: ReminderRule, day: date, now: datetime, first: date | None = None,
                    next_offset: int | None = None) -> int:
    """Claim the reminders of one rule for the nights `first` (default `day`) to `day`;
    returns how many were new. `next_offset`: the rule's next later stage (see `_claim_rows`)."""
    rows = _claim_rows(rule=rule, first=first or day, day=day, now=now, next_offset=next_offset)
    if connection.vendor == "postgresql":
        # Set-based: the selection never leaves the database.
        select_sql, params = rows.query.sql_with_params()
        sql = (f"INSERT INTO {connection.ops.quote_name(Reminder._meta.db_table)} ({_columns(CLAIM_FIELDS)}) "
               f"{select_sql} ON CONFLICT ({_columns(KEY_FIELDS)}) DO NOTHING")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    # Portable fallback (SQLite, the quick start): the same selection, inserted in batches.
    existing = Reminder.objects.filter(due_on__range=(first or day, day), stage=rule.offset_days,
                                       channel=rule.channel)
    before = existing.count()
    batch = []
    for values in rows.iterator(chunk_size=2_000):
        row = dict(zip(CLAIM_FIELDS, values))
        batch.append(Reminder(enrolment_id=row.pop("enrolment"), household_id=row.pop("household"), **row))
        if len(batch) == 2_000:
            Reminder.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Reminder.objects.bulk_create(batch, ignore_conflicts=True)
    return existing.count() - before


def merge_into_messages(*, day: date, now: datetime, first: date | None = None) -> int:
    """Attach the unattached queued reminders due from `first` (default `day`) to `day`
    to one open message per household, channel and due day; returns how many were attached."""
    days = (first or day, day)
    pending = Reminder.objects.filter(due_on__range=days, status=Reminder.Status.QUEUED, message__isnull=True)
    # Lock the open messages first: a worker cannot seal one while reminders join it, and
    # one sealed meanwhile is no longer open, so a new message is made below.
    list(Message.objects.select_for_update().filter(due_on__range=days, sealed_at__isnull=True).values_list("pk"))
    _create_open_messages(pending, now=now)
    open_message = Message.objects.filter(
        household_id=OuterRef("household_id"), channel=OuterRef("channel"), due_on=OuterRef("due_on"),
        sealed_at__isnull=True,
    ).values("pk")[:1]
    return pending.update(message_id=Subquery(open_message), updated_at=now)


def _create_open_messages(pending, *, now: datetime) -> None:
    """An open message for each household, channel and due day of `pending` that has none."""
    pairs = pending.order_by().values_list("household_id", "channel", "due_on").distinct()
    if connection.vendor != "postgresql":
        Message.objects.bulk_create(
            [Message(household_id=h, channel=c, due_on=d) for h, c, d in pairs.iterator(chunk_size=5_000)],
            ignore_conflicts=True, batch_size=2_000,
        )
        return
    # Set-based, as the claim: every other column takes its field's default.
    given = {"key": ("gen_random_uuid()", []), "household": ("p.household_id", []), "channel": ("p.channel", []),
             "due_on": ("p.due_on", []), "created_at": ("%s", [now]), "updated_at": ("%s", [now])}
    columns, values, params = [], [], []
    for f in Message._meta.concrete_fields:
        if f.primary_key:
            continue
        sql, field_params = given.get(f.name) or ("%s", [f.get_db_prep_save(f.get_default(), connection)])
        columns.append(connection.ops.quote_name(f.column))
        values.append(sql)
        params += field_params
    select_sql, select_params = pairs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(Message._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM ({select_sql}) p ON CONFLICT DO NOTHING", params + list(select_params))


def allot_to_night(*, night: date) -> dict[str, int]:
    """Give queued, not yet allotted messages the night, within each channel's
    cap (oldest first); returns per channel how many must wait for a later night."""
    policies = {p.channel: p for p in ChannelPolicy.objects.select_for_update()}
    waiting_after = {}
    for channel in Channel.values:
        waiting = Message.objects.filter(channel=channel, night__isnull=True, status=Message.Status.QUEUED)
        cap = policies[channel].nightly_cap if channel in policies else None
        if cap is None:
            waiting.update(night=night)
        else:
            free = max(cap - Message.objects.filter(channel=channel, night=night).count(), 0)
            oldest = waiting.order_by("due_on", "id").values("pk")[:free]
            Message.objects.filter(pk__in=Subquery(oldest)).update(night=night)
        waiting_after[channel] = waiting.count()
    return waiting_after


@dataclass
class NightSummary:
    day: date
    first: date | None = None  # the first night covered (earlier than `day` when catching up)
    claimed: int = 0
    merged: int = 0
    waiting_for_next_night: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # of the new claims: queued, overtaken, too_late, no_phone
    no_report: int = 0  # messages closed without a delivery report


def _claim_counts(*, first: date, day: date, now: datetime) -> dict[str, int]:
    """What this run claimed (its rows carry `now` as created_at), by what the ledger shows."""
    rows = (Reminder.objects.filter(due_on__range=(first, day), created_at=now).order_by()
            .values_list("status", "reason").annotate(n=Count("id")))
    counts = dict.fromkeys(["queued", "overtaken", "too_late", "no_phone"], 0)
    overtaken, too_late = overtaken_reason(), too_late_reason()
    for status, reason, n in rows:
        if status == Reminder.Status.SKIPPED:
            counts["overtaken" if reason == overtaken else "too_late" if reason == too_late else "queued"] += n
        elif status in counts:
            counts[status] += n
    return counts


@transaction.atomic
def prepare_night(*, day: date, now: datetime | None = None) -> NightSummary:
    """Claim, merge and allot the reminders due on `day`. Idempotent: a second
    run (retry, second beat, the command) claims nothing already claimed."""
    now = now or timezone.now()
    run, _ = NightlyRun.objects.get_or_create(day=day)
    # Two batches of one night take turns here (PostgreSQL row lock; SQLite locks the whole file).
    run = NightlyRun.objects.select_for_update().get(pk=run.pk)
    first = min(catch_up_from(day), run.covered_from or day)
    summary = NightSummary(day=day, first=first)
    rules = list(ReminderRule.objects.filter(active=True))
    for rule in rules:
        summary.claimed += claim_reminders(rule=rule, first=first, day=day, now=now,
                                           next_offset=_next_offset(rule, rules))
    summary.counts = _claim_counts(first=first, day=day, now=now)
    summary.merged = merge_into_messages(first=first, day=day, now=now)
    summary.waiting_for_next_night = allot_to_night(night=day)
    summary.no_report = close_silent_messages(now=now)
    NightlyRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), runs=F("runs") + 1, covered_from=first, no_report=F("no_report") + summary.no_report,
        **{name: F(name) + n for name, n in summary.counts.items()})
    return summary


def plan_night(*, day: date) -> Counter:
    """What `prepare_night` would claim (catch-up included), counted by (stage, channel,
    status); changes nothing."""
    planned = Counter()
    first = catch_up_from(day)
    rules = list(ReminderRule.objects.filter(active=True))
    for rule in rules:
        already = Reminder.objects.filter(
            enrolment_id=OuterRef("id"), coverage_end=OuterRef("coverage_end"),
            stage=rule.offset_days, channel=rule.channel)
        rows = _claim_rows(rule=rule, first=first, day=day, now=timezone.now(),
                           next_offset=_next_offset(rule, rules)).filter(~Exists(already))
        for status in rows.values_list("r_status", flat=True):
            planned[(rule.offset_days, rule.channel, status)] += 1
    return planned


# --- 2. dispatch ------------------------------------------------------------------------------------


def quiet_channels(now: datetime) -> list[str]:
    return [p.channel for p in ChannelPolicy.objects.all() if p.is_quiet(now)]


def ready_messages(*, now: datetime):
    """Messages that may be sent now: allotted to a night, due, outside their
    channel's quiet hours, and not in a worker's hands (or its lease ran out)."""
    redispatch = now - timedelta(seconds=settings.REMINDERS_REDISPATCH_AFTER)
    ready = (Q(status=Message.Status.QUEUED)
             & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
             & (Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=redispatch)))
    stuck = Q(status=Message.Status.SENDING, lease_until__lt=now)
    return (Message.objects.filter(night__isnull=False).filter(ready | stuck)
            .exclude(channel__in=quiet_channels(now)).order_by("id"))


def dispatch_due(*, now: datetime | None = None, enqueue: Callable[[list[int]], object]) -> int:
    """Hand the ready messages to `enqueue` in chunks; returns how many.
    Each chunk is marked as handed out (committed) before it is enqueued."""
    now = now or timezone.now()
    ids = list(ready_messages(now=now).values_list("pk", flat=True))
    size = settings.REMINDERS_CHUNK_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        Message.objects.filter(pk__in=chunk).update(dispatched_at=now)
        enqueue(chunk)
    return len(ids)


# --- 3. sending ----------------------------------------------------------------------------------------

# What `send_message` returns.
SENT, RETRY, FAILED, SKIPPED, HELD, NOT_MINE = "sent", "retry", "failed", "skipped", "held", "not_mine"


def retry_delay(attempts: int) -> float:
    return min(settings.REMINDERS_RETRY_DELAY * 2 ** max(attempts - 1, 0), settings.REMINDERS_RETRY_DELAY_MAX)


def _claim_message(message_id: int, now: datetime) -> int:
    """Take the message for one attempt; 1 if this worker won it, 0 otherwise."""
    free = Q(status=Message.Status.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    lease_over = Q(status=Message.Status.SENDING, lease_until__lt=now)
    return Message.objects.filter(free | lease_over, pk=message_id, night__isnull=False).update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1,
        lease_until=now + timedelta(seconds=settings.REMINDERS_SEND_LEASE), updated_at=now,
    )


def _renewed_enrolment_ids(reminders: list[Reminder]) -> set[int]:
    """Reminders whose cover changed since the scan: moved end, cancelled, or a later period."""
    changed = {r.enrolment_id for r in reminders
               if r.enrolment.coverage_end != r.coverage_end or r.enrolment.status == Enrolment.Status.CANCELLED}
    periods = (Enrolment.objects.filter(member_id__in={r.enrolment.member_id for r in reminders})
               .exclude(status=Enrolment.Status.CANCELLED).values_list("member_id", "scheme", "coverage_end"))
    latest = defaultdict(lambda: date.min)
    for member_id, scheme, end in periods:
        latest[(member_id, scheme)] = max(latest[(member_id, scheme)], end)
    changed |= {r.enrolment_id for r in reminders
                if latest[(r.enrolment.member_id, r.enrolment.scheme)] > r.coverage_end}
    return changed


def _opted_out(message: Message, reminders: list[Reminder]) -> set[int]:
    outs = list(ReminderOptOut.objects.filter(household_id=message.household_id)
                .filter(Q(channel="") | Q(channel=message.channel)).values_list("member_id", flat=True))
    if None in outs:
        return {r.pk for r in reminders}
    return {r.pk for r in reminders if r.enrolment.member_id in outs}


def _recipient(message: Message, reminders: list[Reminder]) -> str:
    if message.channel == Channel.EMAIL:
        addresses = HouseholdEmail.objects.filter(household_id=message.household_id)
        return addresses.values_list("email", flat=True).first() or ""
    # A member's own phone when the text is about them alone, else the household's.
    members = {r.enrolment.member_id: r.enrolment.member for r in reminders}
    phones = [m.phone for m in members.values() if m.phone]
    if len(members) == 1 and phones:
        return phones[0]
    return message.household.phone or next(iter(phones), "")


def names_field(names: list[str], width: int = NAMES_WIDTH) -> str:
    """The members due, within `width` (text.NAMES_WIDTH): "A, B", else "A and 2 others"."""
    joined = ", ".join(names)
    if len(joined) <= width or len(names) == 1:
        return shorten(joined, width)
    others = ngettext(" and %(count)d other", " and %(count)d others", len(names) - 1) % {"count": len(names) - 1}
    return shorten(names[0], max(width - len(others), 8)) + others


def renewal_amount(household, day: date) -> int | None:
    """What renewing the household's health insurance costs on `day` (households.quotes),
    or None where the state pays or no rates are in force. The one place reminders ask."""
    try:  # members with their cover in two queries, not one per member
        quote = renewal_quote(household=household, day=day,
                              members=list(household.members.prefetch_related(cover_for_ladder(day))))
    except ContributionError:
        return None
    return quote.total if quote else None


def contact_for(household, day: date) -> tuple[str, str]:
    """(name, phone) the text gives: the collector assigned to the household's village (else
    its commune) today with their phone, else their agent's phone; the office
    (REMINDERS_OFFICE_NAME / _PHONE) when nobody is assigned or neither has a phone. The
    phone is empty only when the office's is too (a system check refuses that with a real
    SMS backend; `_seal` never sends such a text)."""
    # Imported here: collectors.selectors imports reminders.selectors at module level.
    from collectors.models import Assignment

    place = Q(commune_id=household.commune_id, village__isnull=True)
    if household.village_id:
        place |= Q(village_id=household.village_id)
    assignment = (Assignment.objects.current(day).filter(place, collector__active=True)
                  .select_related("collector__agent")
                  .order_by(F("village_id").asc(nulls_last=True), "start", "pk").first())
    office = (settings.REMINDERS_OFFICE_NAME, settings.REMINDERS_OFFICE_PHONE.strip())
    if assignment is None:
        return office
    collector = assignment.collector
    phone = (collector.phone or "").strip() or (collector.agent.phone or "").strip()
    return (collector.full_name, phone) if phone else office


class NoContactPhone(Exception):
    """The text would end with an empty phone to call: it is not sent."""


def no_contact_reason() -> str:
    return _("no phone to call in the text: give the collector or their agent a phone, or set REMINDERS_OFFICE_PHONE")


# The sentence of a text that merges several stages or schemes for one household (see `render`).
SCHEME_SHORT = {Enrolment.Scheme.BHYT_HOUSEHOLD: pgettext_lazy("reminder text", "health ins."),
                Enrolment.Scheme.BHXH_VOLUNTARY: pgettext_lazy("reminder text", "voluntary SI")}


def merged_template() -> str:
    return _("{agency}: {schemes} of {names} end from {end_date}. To pay: {amount}. "
             "Call {collector} {collector_phone}")


def _amount(scheme: str, reminders: list[Reminder], health_amount) -> int | None:
    if scheme == Enrolment.Scheme.BHXH_VOLUNTARY:
        return sum(r.enrolment.monthly_amount or 0 for r in reminders) or None
    return health_amount()


def merge_fields(*, household, scheme: str, reminders: list[Reminder], coverage_end: date, day: date,
                 contact: tuple[str, str], health_amount, names_width: int = NAMES_WIDTH,
                 collector_width: int = COLLECTOR_WIDTH, amount: int | None | str = "") -> dict:
    """A rule's fields for one household (see models.TEMPLATE_FIELDS), within text.LONGEST's widths
    (narrower when `fit_one_part` asks). `amount` given: the total of several schemes."""
    if amount == "":
        amount = _amount(scheme, reminders, health_amount)
    names = list(dict.fromkeys(r.enrolment.member.full_name for r in reminders))  # a member due twice: once
    return {
        "names": names_field(names, width=names_width),
        "end_date": coverage_end.strftime("%d/%m/%Y"), "end_month": coverage_end.strftime("%m/%Y"),
        "household": household.code,
        "amount": format_vnd(amount) if amount else _("ask us"),
        "collector": shorten(contact[0], collector_width) if collector_width else "",
        "collector_phone": contact[1],
    }


# How a text that would still need more than one part at send time is shortened, in order
# (docs/reminders.md, "One SMS part"): names, then the collector's name, narrower; the
# phone to call is never shortened. If even then it does not fit, it is cut (`fit_one_part`).
SHORTER = [(NAMES_WIDTH, COLLECTOR_WIDTH), (20, COLLECTOR_WIDTH), (20, 12), (12, 0)]


def fit_one_part(text: str, *, unaccented_text: bool) -> str:
    """The last resort of `render`: a text still over one part is cut to the part's limit,
    ending with a full stop (never split into two parts), and the cut is logged."""
    if sms_size(text).parts == 1:
        return text
    cut = text
    while sms_size(cut + ".").parts > 1:
        cut = cut[:-1]
    logger.warning("A reminder text was cut to one SMS part: %r", text)
    return cut.rstrip() + "."


def render(message: Message, reminders: list[Reminder], *, now: datetime | None = None,
           policy: ChannelPolicy | None = None) -> str:
    """One text for the household, always one SMS part (docs/reminders.md, "One SMS part").

    One stage of one scheme due: that rule's text. Several (two members at different
    stages, both schemes): one merged sentence naming everyone due (most urgent first),
    with the earliest coverage end and the total to pay (12 months of health insurance
    plus a month of voluntary SI), so every reminder of the message is named by it.
    Without diacritics (GSM 03.38) when the channel's policy says so. Too long for one
    part (a long office phone…): the fields are narrowed (SHORTER), then the text is cut.
    Raises NoContactPhone when the text would name no phone to call."""
    day = timezone.localdate(now)
    rules = {(r.scheme, r.offset_days): r for r in ReminderRule.objects.filter(channel=message.channel)}
    policy = policy or ChannelPolicy.objects.filter(channel=message.channel).first()
    without_diacritics = policy.unaccented if policy else message.channel == Channel.SMS
    groups = defaultdict(list)
    for reminder in reminders:
        groups[(reminder.enrolment.scheme, reminder.stage, reminder.coverage_end)].append(reminder)
    # Most urgent first: the earliest coverage end (the latest stage), then health insurance.
    ordered = sorted(groups.items(), key=lambda g: (g[0][2], g[0][0] != Enrolment.Scheme.BHYT_HOUSEHOLD))
    contact = contact_for(message.household, day)
    amounts = {}

    def health_amount():
        if "bhyt" not in amounts:
            amounts["bhyt"] = renewal_amount(message.household, day)
        return amounts["bhyt"]

    language = settings.REMINDERS_MESSAGE_LANGUAGE
    with translation.override(language):
        (scheme, stage, end), items = ordered[0]  # the most urgent
        rule = rules.get((scheme, stage))
        if rule is None:  # the rule was deleted after the scan: say it plainly
            rule = ReminderRule(scheme=scheme, offset_days=stage, template_vi="{names}: hạn bảo hiểm {end_date}.",
                                template_en="{names}: cover ends {end_date}.")
        rule_text = rule.template_en if language == "en" else rule.template_vi
        if len(ordered) == 1:
            templates, amount, schemes = [rule_text], "", [scheme]
        else:
            items = [r for _key, group in ordered for r in group]
            schemes = list(dict.fromkeys(key[0] for key, _group in ordered))
            parts = [_amount(s, [r for (k, g) in ordered if k[0] == s for r in g], health_amount) for s in schemes]
            amount = sum(a for a in parts if a) or None
            # Should the merged sentence not fit (a channel with diacritics: 70 characters), the most
            # urgent rule's own text, checked to fit when saved, with the same merged fields.
            templates = [merged_template(), rule_text]
        if any("{collector_phone}" in t for t in templates) and not contact[1]:
            raise NoContactPhone()
        for template in templates:
            for names_width, collector_width in SHORTER:
                fields = merge_fields(household=message.household, scheme=scheme, reminders=items, coverage_end=end,
                                      day=day, contact=contact, health_amount=health_amount,
                                      names_width=names_width, collector_width=collector_width, amount=amount)
                text = template.format(days=abs(stage), agency=settings.REMINDERS_OFFICE_NAME,
                                       schemes=", ".join(str(SCHEME_SHORT[s]) for s in schemes), **fields).strip()
                text = unaccented(text) if without_diacritics else text
                if message.channel != Channel.SMS or sms_size(text).parts == 1:
                    return text
    return fit_one_part(text, unaccented_text=without_diacritics)


def _seal(message: Message, now: datetime, policy: ChannelPolicy | None = None) -> str:
    """Fix recipient and text on the first attempt. Returns SENT if there is a text to
    send, SKIPPED if nothing is left to send, FAILED if the text would name no phone to
    call (the message stays unsealed, so staff's retry renders it again once one is set)."""
    reminders = list(message.reminders.filter(status=Reminder.Status.QUEUED)
                     .select_related("enrolment__member").order_by("enrolment__member_id", "stage"))
    renewed = _renewed_enrolment_ids(reminders)
    opted_out = _opted_out(message, reminders)
    skip = {r.pk: _("renewed or paid since the scan") for r in reminders if r.enrolment_id in renewed}
    skip.update({pk: _("opted out") for pk in opted_out if pk not in skip})
    for reason in set(skip.values()):
        Reminder.objects.filter(pk__in=[pk for pk, why in skip.items() if why == reason]).update(
            status=Reminder.Status.SKIPPED, reason=reason, updated_at=now)
    keep = [r for r in reminders if r.pk not in skip]
    message.recipient = _recipient(message, keep) if keep else ""
    message.sealed_at = now
    if keep and not message.recipient:
        Reminder.objects.filter(pk__in=[r.pk for r in keep]).update(
            status=Reminder.Status.NO_PHONE, reason=_("no phone"), updated_at=now)
    if not keep or not message.recipient:
        message.status = Message.Status.SKIPPED
        message.lease_until = None
        message.save(update_fields=["recipient", "sealed_at", "status", "lease_until", "updated_at"])
        return SKIPPED
    try:
        message.text = render(message, keep, now=now, policy=policy)
    except NoContactPhone:
        reason = no_contact_reason()
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.FAILED, gave_up=True, error=reason, lease_until=None, recipient=message.recipient,
            updated_at=now)
        Reminder.objects.filter(pk__in=[r.pk for r in keep]).update(
            status=Reminder.Status.FAILED, reason=reason, updated_at=now)
        return FAILED
    if message.channel == Channel.SMS and (policy.unaccented if policy else True):
        check_gsm7(message.text)  # GSM-7 or nothing: one stray character would make it UCS-2
    message.save(update_fields=["recipient", "text", "sealed_at", "updated_at"])
    return SENT


def send_message(*, message_id: int, now: datetime | None = None) -> str:
    """One attempt at one message. Safe to call any number of times, from any
    number of workers: only the worker whose UPDATE claims the message sends."""
    given_now, now = now, now or timezone.now()
    message = Message.objects.filter(pk=message_id).select_related("household").first()
    if message is None or message.status not in (Message.Status.QUEUED, Message.Status.SENDING):
        return NOT_MINE
    policy = ChannelPolicy.objects.filter(channel=message.channel).first()
    if policy and policy.is_quiet(now):
        # No SMS at night: wait for the end of the quiet hours (the dispatcher picks it up then).
        Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
            next_attempt_at=policy.quiet_ends_after(now), dispatched_at=None)
        return HELD
    with transaction.atomic():
        if not _claim_message(message_id, now):
            return NOT_MINE
        message.refresh_from_db()
        # An attempt still "in flight" belongs to a worker that died: its lease is over.
        message.attempts_made.filter(outcome=DeliveryAttempt.Outcome.IN_FLIGHT).update(
            outcome=DeliveryAttempt.Outcome.INTERRUPTED, finished_at=now)
        sealed = SENT if message.sealed_at is not None else _seal(message, now, policy)
        if sealed != SENT:
            Message.objects.filter(pk=message.pk).update(attempts=F("attempts") - 1)  # no call was made
            return sealed
        attempt = DeliveryAttempt.objects.create(message=message, number=message.attempts, started_at=now)
    # The call happens outside any transaction: a slow gateway holds no lock.
    result = channels.get_backend(message.channel).send(to=message.recipient, text=message.text, key=str(message.key))
    return record_result(message=message, attempt=attempt, result=result, now=given_now)


@transaction.atomic
def record_result(*, message: Message, attempt: DeliveryAttempt, result: channels.Result,
                  now: datetime | None = None) -> str:
    now = now or timezone.now()
    mine = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING, attempts=attempt.number)
    tries = attempt.number - message.round_starts_after  # in this round (staff's retry starts a new one)
    attempt.finished_at, attempt.http_status = now, result.http_status
    attempt.code, attempt.detail = result.code, result.detail
    if result.outcome == channels.SENT:
        attempt.outcome = DeliveryAttempt.Outcome.SENT
        # Sent wins even over a later attempt of a worker that thought this one lost.
        Message.objects.filter(pk=message.pk).exclude(status=Message.Status.SENT).update(
            status=Message.Status.SENT, sent_at=now, provider_id=result.provider_id, error="", lease_until=None,
            updated_at=now)
        Reminder.objects.filter(message=message, status__in=[Reminder.Status.QUEUED, Reminder.Status.FAILED]).update(
            status=Reminder.Status.SENT, reason="", updated_at=now)
        outcome = SENT
    elif result.outcome == channels.RETRY and tries < settings.REMINDERS_MAX_ATTEMPTS:
        attempt.outcome = DeliveryAttempt.Outcome.RETRY
        mine.update(status=Message.Status.QUEUED, lease_until=None, dispatched_at=now, updated_at=now,
                    next_attempt_at=now + timedelta(seconds=retry_delay(tries)), error=_reason(result))
        outcome = RETRY
    else:
        attempt.outcome = (DeliveryAttempt.Outcome.RETRY if result.outcome == channels.RETRY
                           else DeliveryAttempt.Outcome.GAVE_UP)
        reason = _reason(result)
        if mine.update(status=Message.Status.FAILED, lease_until=None, error=reason, updated_at=now,
                       gave_up=result.outcome == channels.GIVE_UP):
            Reminder.objects.filter(message=message, status=Reminder.Status.QUEUED).update(
                status=Reminder.Status.FAILED, reason=reason, updated_at=now)
        outcome = FAILED
    attempt.save()
    return outcome


def _reason(result: channels.Result) -> str:
    return ": ".join(part for part in (result.code, result.detail) if part)[:300]


@transaction.atomic
def retry_failed(*, message_ids: Iterable[int], now: datetime | None = None) -> int:
    """Staff's "retry": failed messages go back to the queue for tonight.

    The recipient is looked up again (the phone may have been corrected). A
    message the gateway refused gets a new idempotency key, since the gateway
    never accepted the old one; one that ran out of retries keeps its key,
    because the gateway may have delivered it on a call that timed out."""
    now = now or timezone.now()
    count = 0
    for message in Message.objects.select_for_update().filter(pk__in=list(message_ids), status=Message.Status.FAILED):
        reminders = list(message.reminders.select_related("enrolment__member"))
        message.recipient = _recipient(message, reminders) or message.recipient
        if message.gave_up:
            message.key = uuid.uuid4()
        message.status, message.round_starts_after, message.next_attempt_at = (
            Message.Status.QUEUED, message.attempts, None)
        message.dispatched_at, message.lease_until, message.gave_up = None, None, False
        message.night = message.night or timezone.localdate(now)
        message.save()
        Reminder.objects.filter(message=message, status=Reminder.Status.FAILED).update(
            status=Reminder.Status.QUEUED, reason="", updated_at=now)
        count += 1
    return count


# --- reporting -----------------------------------------------------------------------------------------


def outcomes_for(*, day: date, first: date | None = None) -> Counter:
    """The reminders due from `first` (default `day`) to `day` counted by (stage, channel, status)."""
    rows = (Reminder.objects.filter(due_on__range=(first or day, day)).order_by().values_list("stage", "channel", "status")
            .annotate(n=Count("id")))
    return Counter({(stage, channel, status): n for stage, channel, status, n in rows})


def seconds_to_next_attempt(*, message_id: int, now: datetime | None = None) -> float:
    now = now or timezone.now()
    at = Message.objects.filter(pk=message_id).values_list("next_attempt_at", flat=True).first()
    return max((at - now).total_seconds(), 0) if at else 0


# --- delivery reports ------------------------------------------------------------------------------------

# A report only moves a message up this order: reports come late, twice and out of order,
# and "delivered" (the phone has it) is the last word.
# "unknown" (no final report in time, see `close_silent_messages`) sits below the real final
# reports: a report that comes after all still has the last word.
DELIVERY_ORDER = [Message.Delivery.NONE, Message.Delivery.ACCEPTED, Message.Delivery.UNKNOWN,
                  Message.Delivery.EXPIRED, Message.Delivery.UNDELIVERED, Message.Delivery.DELIVERED]
FINAL_DELIVERY = {Message.Delivery.DELIVERED, Message.Delivery.UNDELIVERED, Message.Delivery.EXPIRED}


def close_silent_messages(*, now: datetime | None = None) -> int:
    """The nightly step that makes "every message ends delivered once or reported failed" hold
    when a final report is lost: a message sent more than REMINDERS_DLR_TIMEOUT_HOURS ago whose
    gateway sends delivery reports, but which has none but "accepted", is closed as "no delivery
    report" (`unknown`), and its reminders go on the collector's list as undelivered, with that
    reason. A report that arrives later still wins (DELIVERY_ORDER). Returns how many."""
    now = now or timezone.now()
    reporting = [c for c in Channel.values if channels.reports_delivery(c)]
    if not reporting:
        return 0
    hours = settings.REMINDERS_DLR_TIMEOUT_HOURS
    reason = _("no delivery report within %(hours)d hours") % {"hours": hours}
    with transaction.atomic():
        # Locked: a report arriving meanwhile waits, then finds "unknown" and moves it up.
        ids = list(Message.objects.select_for_update().filter(
            channel__in=reporting, status=Message.Status.SENT, sent_at__lt=now - timedelta(hours=hours),
            delivery__in=[Message.Delivery.NONE, Message.Delivery.ACCEPTED]).values_list("pk", flat=True))
        for start in range(0, len(ids), 5_000):
            chunk = ids[start:start + 5_000]
            Message.objects.filter(pk__in=chunk).update(
                delivery=Message.Delivery.UNKNOWN, delivery_reason=reason, delivery_reported_at=now, updated_at=now)
            Reminder.objects.filter(message_id__in=chunk, status__in=[Reminder.Status.SENT, Reminder.Status.QUEUED,
                                                                      Reminder.Status.FAILED]).update(
                status=Reminder.Status.UNDELIVERED, reason=reason, updated_at=now)
    return len(ids)


@transaction.atomic
def record_delivery(*, key, state: str, reason: str = "", now: datetime | None = None) -> bool:
    """Record a delivery report for the message with `key`; True if it changed the message.

    Idempotent and order-proof: a duplicate, or a report below the message's current
    state (an "accepted" after "delivered"), changes nothing. Any report means the
    gateway holds the message, so it counts as sent even if the worker never heard
    back (and it is not sent again). Undelivered or expired reminders go on the
    collector's Today list with the reason."""
    now = now or timezone.now()
    lower = DELIVERY_ORDER[:DELIVERY_ORDER.index(state)]
    message = Message.objects.select_for_update().filter(key=key, delivery__in=lower).first()
    if message is None:
        return False
    message.delivery, message.delivery_reason, message.delivery_reported_at = state, reason[:300], now
    fields = ["delivery", "delivery_reason", "delivery_reported_at", "updated_at"]
    if message.status in (Message.Status.QUEUED, Message.Status.SENDING, Message.Status.FAILED):
        message.status, message.lease_until, message.error = Message.Status.SENT, None, ""
        message.sent_at = message.sent_at or now
        fields += ["status", "lease_until", "error", "sent_at"]
    message.save(update_fields=fields)
    reminders = Reminder.objects.filter(message=message).exclude(
        status__in=[Reminder.Status.SKIPPED, Reminder.Status.NO_PHONE])
    if state == Message.Delivery.DELIVERED:
        reminders.update(status=Reminder.Status.DELIVERED, reason="", updated_at=now)
    elif state in FINAL_DELIVERY:
        label = str(Message.Delivery(state).label)
        reminders.update(status=Reminder.Status.UNDELIVERED, reason=f"{label}: {reason}"[:300] if reason else label,
                         updated_at=now)
    else:
        reminders.filter(status__in=[Reminder.Status.QUEUED, Reminder.Status.FAILED]).update(
            status=Reminder.Status.SENT, reason="", updated_at=now)
    return True
