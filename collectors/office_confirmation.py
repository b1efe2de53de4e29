"""The office's confirmation: the card numbers and social-insurance numbers
it issued and the cover dates, for the people of the lists it was sent.

Each row confirms one person's cover in one scheme, matched on the personal
ID number (CCCD) and that scheme: a person with household health insurance
and voluntary social insurance waiting has one row for each, and one row's
card number and dates never land on the other scheme's enrolment. The row
says its scheme in the "scheme" column, or implies it: a card number is
household health insurance (BHYT); a social-insurance number with dates and
no card number is voluntary social insurance (BHXH); a row that implies
neither confirms the one scheme the person has waiting.

A card number carries the social-insurance number (the 10-digit card is it,
the older 15-character code ends with it): a row whose card and
social-insurance number disagree is refused.

All or nothing, as the other imports: any problem (named by row and column)
and nothing changes. The confirmed cover takes the office's card number and
dates, which the receipt then shows as confirmed by the office; a receipt is
"accepted by the office" once every person on it is confirmed.

The file is checked in chunks of at most CHUNK rows, a fixed number of
queries for each chunk (not one a row), so a province's file of thousands of
rows is checked in linear time.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households import validators
from households.imports import (Column, FileProblem, Invalid, Problem, TableSpec, cell_text, clean_identifier,
                                header_key, parse_date)
from households.models import Enrolment, Member

from .models import HandoverReceipt, PaymentLine
from .receipts import cover_from_as_paid

BHYT, BHXH = Enrolment.Scheme.BHYT_HOUSEHOLD, Enrolment.Scheme.BHXH_VOLUNTARY
CHUNK = 1000  # rows looked up in the registry together: one query for each lookup per chunk

SPEC = TableSpec([
    Column("citizen ID", gettext_lazy("citizen ID"), "Số CCCD/ĐDCN", required=True,
           aliases=("CCCD", "Số CCCD", "Số định danh cá nhân"), example="066185000123"),
    Column("scheme", gettext_lazy("scheme"), "Loại hình", aliases=("Loại hình tham gia", "Loại bảo hiểm"),
           example="BHYT", example_vi="BHYT"),
    Column("social-insurance number", gettext_lazy("social-insurance number"), "Mã số BHXH",
           aliases=("Mã BHXH",), example="6621234567"),
    Column("card number", gettext_lazy("card number"), "Số thẻ BHYT", aliases=("Mã thẻ BHYT", "Mã thẻ"),
           example="GD4666621234567"),
    Column("cover from", gettext_lazy("cover from"), "Từ ngày", aliases=("Giá trị từ ngày",), example="01/12/2026"),
    Column("cover until", gettext_lazy("cover until"), "Đến ngày", aliases=("Giá trị đến ngày",),
           example="30/11/2027"),
], name=gettext_lazy("the office's confirmation"))

# The scheme column's words (compared without case or diacritics).
_SCHEMES = {"bhyt": BHYT, "bhyt hgd": BHYT, "bhyt ho gia dinh": BHYT, "household health insurance": BHYT,
            "bhxh": BHXH, "bhxh tn": BHXH, "bhxh tu nguyen": BHXH, "voluntary social insurance": BHXH}


@dataclass
class ConfirmationReport:
    people: int = 0
    receipts_accepted: int = 0
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Row:
    number: int
    record: dict
    citizen_id: str | None = None
    scheme: str | None = None
    scheme_said: bool = False  # in the scheme column, rather than implied by the numbers
    si_number: str | None = None
    card_number: str = ""
    start: object = None
    end: object = None
    member: Member | None = None
    lines: list = field(default_factory=list)


def _awaiting_lines():
    """Lines of handed-over, uncancelled receipts the office has not confirmed yet."""
    return PaymentLine.objects.filter(payment__cancelled_at__isnull=True, payment__handover_receipt__isnull=False,
                                      payment__handover_receipt__accepted_by_office_at__isnull=True)


def _chunks(rows):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _scheme_name(scheme) -> str:
    return "BHYT" if scheme == BHYT else "BHXH"


def _read(content: bytes, report: ConfirmationReport) -> list[_Row]:
    table = SPEC.read(content)
    report.problems += table.problems
    rows = []
    for number, record in table.records():
        row = _Row(number, record)
        _values(row, report)
        rows.append(row)
    _within_file(rows, report)
    for chunk in _chunks([row for row in rows if row.citizen_id]):
        _match_chunk(chunk, report)
    report.problems.sort(key=lambda problem: problem.row or 0)  # in the file's order, as the file is read
    return [row for row in rows if row.lines]


def _values(row: _Row, report: ConfirmationReport) -> None:
    record = row.record

    def check(key, read):
        if not cell_text(record.get(key)):
            return None  # an empty cell keeps what the registry has
        try:
            return read(record.get(key))
        except Invalid as error:
            report.problems.append(Problem(str(error), row.number, SPEC.label(key), cell_text(record.get(key))))
            return None

    row.citizen_id = check("citizen ID", lambda v: clean_identifier(
        Member._meta.get_field("citizen_id"), validators.validate_citizen_id, v))
    if not cell_text(record.get("citizen ID")):
        report.problems.append(Problem(_("is empty: the office's rows are matched on it"), row.number,
                                       SPEC.label("citizen ID")))
    row.si_number = check("social-insurance number", lambda v: clean_identifier(
        Member._meta.get_field("si_number"), validators.validate_si_number, v))
    row.card_number = check("card number", lambda v: clean_identifier(
        Enrolment._meta.get_field("card_number"), validators.validate_card_number, v)) or ""
    _card_holds_si_number(row, report)
    row.start = check("cover from", parse_date)
    row.end = check("cover until", parse_date)
    if row.start and row.end and row.end < row.start:
        report.problems.append(Problem(_("is before the cover's start"), row.number, SPEC.label("cover until"),
                                       row.end.strftime("%d/%m/%Y")))
    said = cell_text(record.get("scheme"))
    if said:
        row.scheme, row.scheme_said = _SCHEMES.get(header_key(said)), True
        if row.scheme is None:
            report.problems.append(Problem(_("must be BHYT (household health insurance) or BHXH (voluntary social "
                                             "insurance)"), row.number, SPEC.label("scheme"), said))
        elif row.scheme == BHXH and row.card_number:
            report.problems.append(Problem(_("is a health-insurance card: this row confirms voluntary social "
                                             "insurance, which has none"), row.number, SPEC.label("card number"),
                                           row.card_number))
    elif row.card_number:
        row.scheme = BHYT
    elif row.si_number and (row.start or row.end):
        row.scheme = BHXH


def _card_holds_si_number(row: _Row, report: ConfirmationReport) -> None:
    """A card carries the social-insurance number (RULES.md, "Identifiers"):
    the 10-digit card is the number itself, the older 15-character code ends
    with it. A row whose two numbers disagree is a typing slip in one of them,
    and either would land on the person: refused rather than guessed."""
    if not (row.card_number and row.si_number):
        return
    held = validators.si_number_from_card(row.card_number)
    if held is None or held == row.si_number:
        return
    if held == row.card_number:
        message = _("the card %(card)s is the social-insurance number itself (10 digits), so the social-insurance "
                    "number must be %(held)s, not %(given)s: check the card number and the social-insurance "
                    "number columns")
    else:
        message = _("the card %(card)s holds social-insurance number %(held)s, not %(given)s: check the card number "
                    "and the social-insurance number columns")
    report.problems.append(Problem(message % {"card": row.card_number, "held": held, "given": row.si_number},
                                   row.number, SPEC.label("social-insurance number"), row.si_number))


def _within_file(rows: list[_Row], report: ConfirmationReport) -> None:
    """A cover confirmed twice, or one number given to two people, in the same file."""
    first_of = {"cover": {}, "si": {}, "card": {}}
    for row in rows:
        if row.citizen_id and row.scheme:
            other = first_of["cover"].setdefault((row.citizen_id, row.scheme), row.number)
            if other != row.number:
                report.problems.append(Problem(
                    _("repeats row %(other)s (the same person and scheme)") % {"other": other}, row.number,
                    SPEC.label("citizen ID"), row.citizen_id))
        for kind, key, value in (("si", "social-insurance number", row.si_number),
                                 ("card", "card number", row.card_number)):
            if not value or not row.citizen_id:
                continue
            citizen_id, number = first_of[kind].setdefault(value, (row.citizen_id, row.number))
            if citizen_id != row.citizen_id:
                report.problems.append(Problem(
                    _("is also on row %(other)s, for another person") % {"other": number}, row.number,
                    SPEC.label(key), value))


def _match_chunk(rows: list[_Row], report: ConfirmationReport) -> None:
    """The chunk's people, their awaiting covers and the numbers already
    someone else's: four queries, whatever the number of rows."""
    members = {m.citizen_id: m for m in Member.objects.filter(citizen_id__in={row.citizen_id for row in rows})}
    lines_of = {}
    for line in (_awaiting_lines().filter(enrolment__member__in=members.values())
                 .select_related("enrolment", "payment").order_by("pk")):
        lines_of.setdefault(line.enrolment.member_id, {}).setdefault(line.payment.scheme, []).append(line)
    si_owner = {m.si_number: m for m in Member.objects.filter(
        si_number__in={row.si_number for row in rows if row.si_number}).only("full_name", "si_number")}
    card_owners = {}
    for enrolment in (Enrolment.objects.filter(card_number__in={row.card_number for row in rows if row.card_number})
                      .select_related("member").only("card_number", "member__full_name")):
        card_owners.setdefault(enrolment.card_number, []).append(enrolment.member)
    for row in rows:
        member = members.get(row.citizen_id)
        if member is None:
            report.problems.append(Problem(_("is not the citizen ID of anyone in the registry"), row.number,
                                           SPEC.label("citizen ID"), row.citizen_id))
            continue
        row.member = member
        waiting = lines_of.get(member.pk, {})
        if not waiting:
            report.problems.append(Problem(
                _("%(name)s has no receipt handed over and waiting for the office's confirmation")
                % {"name": member.full_name}, row.number, SPEC.label("citizen ID"), row.citizen_id))
        elif row.scheme is None and len(waiting) > 1:
            report.problems.append(Problem(
                _("%(name)s has both BHYT and BHXH waiting: say which this row confirms in the scheme column, or "
                  "give the card number (BHYT)") % {"name": member.full_name}, row.number, SPEC.label("scheme")))
        elif row.scheme is not None and row.scheme not in waiting:
            if row.scheme_said:
                message = _("%(name)s has no %(scheme)s receipt waiting for the office's confirmation")
            elif row.card_number:
                message = _("%(name)s has no %(scheme)s receipt waiting for the office's confirmation (the row has a "
                            "card number, so it is read as BHYT)")
            else:
                message = _("%(name)s has no %(scheme)s receipt waiting for the office's confirmation (the row has a "
                            "social-insurance number and dates but no card number, so it is read as BHXH: say "
                            "which in the scheme column)")
            report.problems.append(Problem(message % {"name": member.full_name, "scheme": _scheme_name(row.scheme)},
                                           row.number, SPEC.label("scheme" if row.scheme_said else "citizen ID"),
                                           cell_text(row.record.get("scheme")) if row.scheme_said else row.citizen_id))
        else:
            row.scheme = row.scheme or next(iter(waiting))
            row.lines = waiting[row.scheme]
        if row.si_number and (owner := si_owner.get(row.si_number)) and owner.pk != member.pk:
            report.problems.append(Problem(_("is already the social-insurance number of %(name)s")
                                           % {"name": owner.full_name}, row.number,
                                           SPEC.label("social-insurance number"), row.si_number))
        others = [m for m in card_owners.get(row.card_number, ()) if m.pk != member.pk]
        if row.card_number and others:
            report.problems.append(Problem(_("is already the card number of %(name)s") % {"name": others[0].full_name},
                                           row.number, SPEC.label("card number"), row.card_number))


def check_confirmation(*, content: bytes) -> tuple[ConfirmationReport, list[_Row]]:
    """The file read and matched, nothing written: its problems, or the rows to write."""
    report = ConfirmationReport()
    try:
        rows = _read(content, report)
    except FileProblem as error:
        report.problems += error.problems
        return report, []
    return report, rows


@transaction.atomic
def import_confirmation(*, content: bytes) -> ConfirmationReport:
    report, rows = check_confirmation(content=content)
    if report.problems:
        return report
    confirmed = set()
    for row in rows:
        if row.si_number and row.member.si_number != row.si_number:
            row.member.si_number = row.si_number
            row.member.save(update_fields=["si_number", "updated_at"])
        for line in row.lines:
            enrolment = line.enrolment
            paid_from = cover_from_as_paid(line)  # before the enrolment takes the office's start
            line.confirmed_from = row.start if row.start and row.start != paid_from else None
            line.confirmed_until = row.end if row.end and row.end != line.new_end else None
            if line.confirmed_from or line.confirmed_until:
                line.save(update_fields=["confirmed_from", "confirmed_until"])
            enrolment.card_number = row.card_number or enrolment.card_number
            enrolment.coverage_start = row.start or enrolment.coverage_start
            enrolment.coverage_end = row.end or enrolment.coverage_end
            enrolment.save(update_fields=["card_number", "coverage_start", "coverage_end", "updated_at"])
            confirmed.add(line.pk)
    payment_ids = {line.payment_id for row in rows for line in row.lines}
    waiting = set(_awaiting_lines().filter(payment_id__in=payment_ids).exclude(pk__in=confirmed)
                  .values_list("payment_id", flat=True))
    report.receipts_accepted = HandoverReceipt.objects.filter(payment_id__in=payment_ids - waiting).update(
        accepted_by_office_at=timezone.now())
    report.people = len({row.member.pk for row in rows})
    return report
