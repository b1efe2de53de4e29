"""The office's confirmation: the card numbers and social-insurance numbers
it issued and the cover dates, for the people of the lists it was sent.

Matched on the personal ID number (CCCD). All or nothing, as the other
imports: any problem (named by row and column) and nothing changes. Each
person's cover (on receipts handed over and not yet confirmed) takes the
office's card number and dates; a receipt is "accepted by the office" once
every person on it is confirmed.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households import validators
from households.imports import (Column, FileProblem, Invalid, Problem, TableSpec, cell_text, clean_identifier,
                                parse_date)
from households.models import Enrolment, Member

from .models import HandoverReceipt, PaymentLine

SPEC = TableSpec([
    Column("citizen ID", gettext_lazy("citizen ID"), "Số CCCD/ĐDCN", required=True,
           aliases=("CCCD", "Số CCCD", "Số định danh cá nhân"), example="066185000123"),
    Column("social-insurance number", gettext_lazy("social-insurance number"), "Mã số BHXH",
           aliases=("Mã BHXH",), example="6621234567"),
    Column("card number", gettext_lazy("card number"), "Số thẻ BHYT", aliases=("Mã thẻ BHYT", "Mã thẻ"),
           example="GD4666621234567"),
    Column("cover from", gettext_lazy("cover from"), "Từ ngày", aliases=("Giá trị từ ngày",), example="01/12/2026"),
    Column("cover until", gettext_lazy("cover until"), "Đến ngày", aliases=("Giá trị đến ngày",),
           example="30/11/2027"),
], name=gettext_lazy("the office's confirmation"))


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
    member: Member
    lines: list
    si_number: str | None
    card_number: str
    start: object
    end: object


def _awaiting_lines():
    """Lines of handed-over, uncancelled receipts the office has not confirmed yet."""
    return PaymentLine.objects.filter(payment__cancelled_at__isnull=True, payment__handover_receipt__isnull=False,
                                      payment__handover_receipt__accepted_by_office_at__isnull=True)


def _read(content: bytes, report: ConfirmationReport) -> list[_Row]:
    table = SPEC.read(content)
    report.problems += table.problems
    records = list(table.records())
    ids = {}
    for number, record in records:
        try:
            citizen_id = clean_identifier(Member._meta.get_field("citizen_id"), validators.validate_citizen_id,
                                          record.get("citizen ID"))
        except Invalid as error:
            report.problems.append(Problem(str(error), number, SPEC.label("citizen ID"), str(record["citizen ID"])))
            continue
        if citizen_id is None:
            report.problems.append(Problem(_("is empty: the office's rows are matched on it"), number,
                                           SPEC.label("citizen ID")))
        elif citizen_id in ids:
            report.problems.append(Problem(_("repeats row %(other)s") % {"other": ids[citizen_id]}, number,
                                           SPEC.label("citizen ID"), citizen_id))
        else:
            ids[citizen_id] = number
    members = {m.citizen_id: m for m in Member.objects.filter(citizen_id__in=list(ids))}
    lines_of = {}
    for line in _awaiting_lines().filter(enrolment__member__in=members.values()).select_related("enrolment"):
        lines_of.setdefault(line.enrolment.member_id, []).append(line)
    rows = []
    for number, record in records:
        citizen_id = next((c for c, n in ids.items() if n == number), None)
        if citizen_id is None:
            continue
        member = members.get(citizen_id)
        if member is None:
            report.problems.append(Problem(_("is not the citizen ID of anyone in the registry"), number,
                                           SPEC.label("citizen ID"), citizen_id))
            continue
        if member.pk not in lines_of:
            report.problems.append(Problem(
                _("%(name)s has no receipt handed over and waiting for the office's confirmation")
                % {"name": member.full_name}, number, SPEC.label("citizen ID"), citizen_id))
            continue
        row = _Row(number, member, lines_of[member.pk], None, "", None, None)
        _values(row, record, report)
        rows.append(row)
    return rows


def _values(row: _Row, record: dict, report: ConfirmationReport) -> None:
    def check(key, read):
        if not cell_text(record.get(key)):
            return None  # an empty cell keeps what the registry has
        try:
            return read(record.get(key))
        except Invalid as error:
            report.problems.append(Problem(str(error), row.number, SPEC.label(key), str(record.get(key) or "")))
            return None

    row.si_number = check("social-insurance number", lambda v: clean_identifier(
        Member._meta.get_field("si_number"), validators.validate_si_number, v))
    row.card_number = check("card number", lambda v: clean_identifier(
        Enrolment._meta.get_field("card_number"), validators.validate_card_number, v)) or ""
    row.start = check("cover from", parse_date)
    row.end = check("cover until", parse_date)
    if row.start and row.end and row.end < row.start:
        report.problems.append(Problem(_("is before the cover's start"), row.number, SPEC.label("cover until"),
                                       row.end.strftime("%d/%m/%Y")))
    if row.si_number and (other := Member.objects.filter(si_number=row.si_number).exclude(pk=row.member.pk).first()):
        report.problems.append(Problem(_("is already the social-insurance number of %(name)s")
                                       % {"name": other.full_name}, row.number,
                                       SPEC.label("social-insurance number"), row.si_number))


@transaction.atomic
def import_confirmation(*, content: bytes) -> ConfirmationReport:
    report = ConfirmationReport()
    try:
        rows = _read(content, report)
    except FileProblem as error:
        report.problems += error.problems
        return report
    if report.problems:
        return report
    confirmed = set()
    for row in rows:
        if row.si_number and row.member.si_number != row.si_number:
            row.member.si_number = row.si_number
            row.member.save(update_fields=["si_number", "updated_at"])
        for line in row.lines:
            enrolment = line.enrolment
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
    report.people = len(rows)
    return report
