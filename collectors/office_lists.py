"""The lists an agent sends the social-insurance office, as xlsx.

Each form layout is one definition below naming its source (decision and
form version): a new version of a form is a new definition. Layout details
not confirmed against the published form are marked *(check)* in `unconfirmed`.
Only handed-over, uncancelled receipts of the period go in, and a receipt is
listed once per form and period (OfficeListEntry's constraint): a second run
of the same period lists only what was handed over since.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from households.contributions import group_label
from households.ethnicity import ETHNIC_GROUPS
from households.models import Enrolment, ExportLog, Member
from households.resources import neutralise

from .models import Agent, OfficeList, OfficeListEntry, Payment, PaymentLine
from .receipts import cover_from_as_paid

ETHNICITY = dict(ETHNIC_GROUPS)


@dataclass
class Row:
    """One person of one receipt, as the lists read them; on a declaration
    (TK1-TS, one per person) also the same person's other receipts of the list."""

    payment: Payment
    line: PaymentLine
    member: Member
    also: tuple["Row", ...] = ()

    @property
    def cover_from(self) -> date:
        return cover_from_as_paid(self.line)

    @property
    def with_also(self) -> tuple["Row", ...]:
        return (self, *self.also)


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _sex(row: Row) -> str:
    return "Nữ" if row.member.sex == Member.Sex.FEMALE else "Nam"


def _address(row: Row) -> str:
    household = row.member.household
    parts = [household.address, household.village.name if household.village else "", household.commune.name]
    return ", ".join(p for p in parts if p)


SCHEME_ON_FORM = {Enrolment.Scheme.BHXH_VOLUNTARY: "BHXH tự nguyện", Enrolment.Scheme.BHYT_HOUSEHOLD: "BHYT hộ gia đình"}


def _schemes(row: Row) -> str:
    return ", ".join(dict.fromkeys(SCHEME_ON_FORM[r.payment.scheme] for r in row.with_also))


def _voluntary_income(row: Row) -> int | str:
    return next((r.payment.income for r in row.with_also
                 if r.payment.scheme == Enrolment.Scheme.BHXH_VOLUNTARY and r.payment.income), "")


def _months_paid(row: Row) -> int | str:
    if not row.also:
        return row.payment.months
    return "; ".join(f"{SCHEME_ON_FORM[r.payment.scheme]}: {r.payment.months}" for r in row.with_also)


def _support(row: Row) -> int:
    months = row.line.support_months or row.payment.months
    return row.line.monthly_support * months


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Row], object]


@dataclass(frozen=True)
class ListLayout:
    """A list with one row per person paid for."""

    code: str
    title: str
    scheme: str | None  # the receipts' scheme; None: both (TK1-TS)
    source: str
    columns: tuple[Column, ...] = ()
    unconfirmed: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        return f"{self.code} · {self.source}"


D05_TS = ListLayout(
    code="D05-TS",
    title="DANH SÁCH NGƯỜI THAM GIA BẢO HIỂM XÃ HỘI TỰ NGUYỆN",
    scheme=Enrolment.Scheme.BHXH_VOLUNTARY,
    source="Mẫu D05-TS, Quyết định 595/QĐ-BHXH ngày 14/4/2017, sửa đổi theo Quyết định 490/QĐ-BHXH ngày 28/3/2023",
    columns=(
        Column("STT", lambda r: None),
        Column("Họ và tên", lambda r: r.member.full_name),
        Column("Mã số BHXH", lambda r: r.member.si_number or ""),
        Column("Số CCCD/ĐDCN", lambda r: r.member.citizen_id or ""),
        Column("Ngày tháng năm sinh", lambda r: _day(r.member.date_of_birth)),
        Column("Giới tính", _sex),
        Column("Mức thu nhập tháng đóng BHXH", lambda r: r.payment.income or 0),
        Column("Phương thức đóng (số tháng)", lambda r: r.payment.months),
        Column("Từ tháng", lambda r: r.cover_from.strftime("%m/%Y")),
        Column("Đến tháng", lambda r: r.line.new_end.strftime("%m/%Y")),
        Column("Đối tượng được hỗ trợ", lambda r: group_label(r.line.support_group) if r.line.support_group else ""),
        Column("Số tiền NSNN hỗ trợ", _support),
        Column("Số tiền người tham gia đóng", lambda r: r.line.amount),
        Column("Số biên lai", lambda r: r.payment.receipt_number),
        Column("Ngày thu", lambda r: _day(r.payment.paid_on)),
        Column("Ghi chú", lambda r: "Tham gia mới" if r.line.created_enrolment else ""),
    ),
    unconfirmed=(
        "column order and names after amendment 490/QĐ-BHXH (check)",
        "'Số biên lai' and 'Ngày thu' columns kept for the agent's reconciliation (check)",
    ),
)

D03_TS = ListLayout(
    code="D03-TS",
    title="DANH SÁCH NGƯỜI CHỈ THAM GIA BẢO HIỂM Y TẾ",
    scheme=Enrolment.Scheme.BHYT_HOUSEHOLD,
    source="Mẫu D03-TS, Quyết định 595/QĐ-BHXH ngày 14/4/2017, sửa đổi theo Quyết định 490/QĐ-BHXH ngày 28/3/2023",
    columns=(
        Column("STT", lambda r: None),
        Column("Họ và tên", lambda r: r.member.full_name),
        Column("Mã số BHXH", lambda r: r.member.si_number or ""),
        Column("Số CCCD/ĐDCN", lambda r: r.member.citizen_id or ""),
        Column("Ngày tháng năm sinh", lambda r: _day(r.member.date_of_birth)),
        Column("Giới tính", _sex),
        Column("Mã hộ gia đình", lambda r: r.payment.household.code),
        Column("Địa chỉ", _address),
        Column("Số tháng đóng", lambda r: r.payment.months),
        Column("Từ ngày", lambda r: _day(r.cover_from)),
        Column("Đến ngày", lambda r: _day(r.line.new_end)),
        Column("Đối tượng được hỗ trợ", lambda r: group_label(r.line.support_group) if r.line.support_group else ""),
        Column("Số tiền NSNN hỗ trợ", _support),
        Column("Số tiền đóng", lambda r: r.line.amount),
        Column("Số biên lai", lambda r: r.payment.receipt_number),
        Column("Ghi chú", lambda r: "Tham gia mới" if r.line.created_enrolment else ""),
    ),
    unconfirmed=(
        "the household list's current code and title: D03-TS 'người chỉ tham gia BHYT' (check)",
        "'Mã hộ gia đình' is the registry's household code, not the office's (check)",
    ),
)

# TK1-TS is a declaration per person, not a table: numbered items.
TK1_TS = ListLayout(
    code="TK1-TS",
    title="TỜ KHAI THAM GIA, ĐIỀU CHỈNH THÔNG TIN BẢO HIỂM XÃ HỘI, BẢO HIỂM Y TẾ",
    scheme=None,
    source="Mẫu TK1-TS, Quyết định 490/QĐ-BHXH ngày 28/3/2023",
    columns=(
        Column("[01] Họ và tên", lambda r: r.member.full_name),
        Column("[02] Ngày, tháng, năm sinh", lambda r: _day(r.member.date_of_birth)),
        Column("[03] Giới tính", _sex),
        Column("[04] Quốc tịch", lambda r: "Việt Nam"),
        Column("[05] Dân tộc", lambda r: ETHNICITY.get(r.member.ethnicity, "")),
        Column("[06] Nơi đăng ký khai sinh", lambda r: ""),
        Column("[07] Mã số BHXH (nếu có)", lambda r: r.member.si_number or ""),
        Column("[08] Số CCCD/ĐDCN/Hộ chiếu", lambda r: r.member.citizen_id or ""),
        Column("[09] Số điện thoại liên hệ", lambda r: r.member.phone or ""),
        Column("[10] Địa chỉ liên hệ", _address),
        Column("[11] Loại hình tham gia", _schemes),
        Column("[12] Mức thu nhập tháng đóng BHXH tự nguyện", _voluntary_income),
        Column("[13] Phương thức đóng (số tháng)", _months_paid),
        Column("[14] Nơi đăng ký khám chữa bệnh ban đầu", lambda r: ""),
    ),
    unconfirmed=(
        "item numbers [01]–[14] follow the 2023 form's order as far as found (check)",
        "'Nơi đăng ký khai sinh' and the first clinic are not in the registry: filled by hand (check)",
    ),
)

LAYOUTS = (D05_TS, D03_TS, TK1_TS)


def month_of(text: str) -> date:
    """"2026-11" → 2026-11-01; ValueError with what is expected otherwise."""
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise ValueError(f"“{text}”: expected a month as YYYY-MM, e.g. 2026-11") from None


def _following(first_day: date) -> date:
    return (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _lines(layout: ListLayout, agent: Agent, period: date):
    """The lines of the period's handed-over, uncancelled receipts not yet on this list."""
    lines = PaymentLine.objects.filter(
        payment__agent=agent, payment__paid_on__gte=period, payment__paid_on__lt=_following(period),
        payment__cancelled_at__isnull=True, payment__handover_receipt__isnull=False,
    ).exclude(payment__in=OfficeListEntry.objects.filter(form=layout.code, period=period).values("payment"))
    if layout.scheme:
        lines = lines.filter(payment__scheme=layout.scheme)
    else:  # a declaration for each person whose first cover this is and who has no social-insurance number
        lines = lines.filter(created_enrolment=True, enrolment__member__si_number__isnull=True)
    return lines


@dataclass
class Produced:
    office_list: OfficeList
    file_name: str
    content: bytes
    rows: int


@transaction.atomic
def produce_lists(*, agent: Agent, period: date, user=None) -> list[Produced]:
    """The period's lists with what is new since the last run (none when
    nothing is); each recorded with when and by whom."""
    Agent.objects.select_for_update().get(pk=agent.pk)  # two runs at once take turns
    produced = []
    for layout in LAYOUTS:
        payment_ids = sorted(set(_lines(layout, agent, period).values_list("payment_id", flat=True)))
        if not payment_ids:
            continue
        office_list = OfficeList.objects.create(agent=agent, form=layout.code, form_version=layout.source,
                                                period=period, produced_by=user)
        OfficeListEntry.objects.bulk_create([OfficeListEntry(office_list=office_list, payment_id=pk, form=layout.code,
                                                             period=period) for pk in payment_ids])
        content, rows = render_list(office_list)
        office_list.content, office_list.row_count = content, rows
        office_list.save(update_fields=["content", "row_count"])
        produced.append(Produced(office_list, file_name(office_list), content, rows))
    return produced


def log_export(office_list: OfficeList, *, user, rows: int) -> None:
    """The export log's entry for a list taken out (personal data law: who exported what)."""
    ExportLog.objects.create(user=user, resource=office_list.form, format="xlsx", row_count=rows, personal_data=True,
                             filters={"agent": office_list.agent.code, "period": office_list.period.strftime("%Y-%m")})


def file_name(office_list: OfficeList) -> str:
    return f"{office_list.form}_{office_list.agent.code}_{office_list.period:%Y-%m}_{office_list.pk}.xlsx"


def layout_of(code: str) -> ListLayout:
    return {layout.code: layout for layout in LAYOUTS}[code]


def _rows(layout: ListLayout, office_list: OfficeList) -> list[Row]:
    lines = (PaymentLine.objects.filter(payment__office_entries__office_list=office_list)
             .select_related("payment__household", "enrolment__member__household__commune",
                             "enrolment__member__household__village")
             .order_by("payment__paid_on", "payment__receipt_number", "pk"))
    rows = [Row(line.payment, line, line.enrolment.member) for line in lines]
    if layout.scheme is None:  # as _lines chose: new people without a social-insurance number, not the receipt's others
        return _one_per_person([row for row in rows if row.line.created_enrolment and not row.member.si_number])
    return rows


def _one_per_person(rows: list[Row]) -> list[Row]:
    """One declaration per person: someone new to both schemes declares both on one form."""
    people: dict[int, Row] = {}
    for row in rows:
        if row.member.pk in people:
            first = people[row.member.pk]
            first.also = (*first.also, row)
        else:
            people[row.member.pk] = row
    return list(people.values())


def sent_file(office_list: OfficeList) -> tuple[bytes, int]:
    """The file as it was produced and sent, and its number of rows; a list
    produced before files were kept is made again from the registry."""
    if office_list.content:
        return bytes(office_list.content), office_list.row_count
    return render_list(office_list)


def render_list(office_list: OfficeList) -> tuple[bytes, int]:
    """The list's xlsx from the registry as it is now, and its number of rows
    (once, when the list is produced: later downloads serve `sent_file`)."""
    layout = layout_of(office_list.form)
    rows = _rows(layout, office_list)
    book = Workbook()
    if layout.scheme is None:
        book.remove(book.active)
        for number, row in enumerate(rows, 1):
            _declaration(book.create_sheet(f"{number:03d}"), layout, office_list, row)
    else:
        _table(book.active, layout, office_list, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), len(rows)


def _heading(sheet, layout: ListLayout, office_list: OfficeList, width: int) -> None:
    agent = office_list.agent
    sheet.append([f"Đơn vị: {agent.name}"] + [""] * (width - 2) + [f"Mẫu số: {layout.code}"])
    sheet.append([f"Mã đại lý thu: {agent.code}"] + [""] * (width - 2) + [f"({layout.source})"])
    sheet.append([layout.title])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True, size=13)
    sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row, end_column=width)
    sheet.cell(sheet.max_row, 1).alignment = Alignment(horizontal="center")
    sheet.append([f"Kỳ: tháng {office_list.period:%m/%Y} · Lập ngày "
                  f"{timezone.localtime(office_list.produced_at):%d/%m/%Y %H:%M}"
                  + (f" · Người lập: {office_list.produced_by.get_full_name() or office_list.produced_by.username}"
                     if office_list.produced_by else "")])
    sheet.append([])


def _table(sheet, layout: ListLayout, office_list: OfficeList, rows: list[Row]) -> None:
    sheet.title = layout.code
    width = len(layout.columns)
    _heading(sheet, layout, office_list, width)
    sheet.append([column.header for column in layout.columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for number, row in enumerate(rows, 1):
        sheet.append([number if column.header == "STT" else neutralise(column.value(row))
                      for column in layout.columns])
    sheet.append([])
    sheet.append(["", "Người lập biểu", "", "", "", "", "", "", "", "Thủ trưởng đơn vị"])
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _declaration(sheet, layout: ListLayout, office_list: OfficeList, row: Row) -> None:
    _heading(sheet, layout, office_list, 2)
    for column in layout.columns:
        sheet.append([column.header, neutralise(column.value(row))])
    sheet.append([])
    sheet.append(["Người kê khai (ký, ghi rõ họ tên)", ""])
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 48
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
