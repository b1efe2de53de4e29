"""The receipt as a PDF, made on the server with fpdf2 (pure Python, no
browser), in DejaVu Sans for the Vietnamese letters (vendored in
collectors/fonts/, so that it prints on any machine). A5 portrait."""

from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from households.contributions import format_vnd

from .receipts import Receipt

FONT_DIR = Path(__file__).resolve().parent / "fonts"


def _day(value) -> str:
    return value.strftime("%d/%m/%Y")


def receipt_pdf(receipt: Receipt) -> bytes:
    payment = receipt.payment
    pdf = FPDF(format="A5")
    pdf.set_title(_("Receipt %(number)s") % {"number": payment.receipt_number})
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(10, 10, 10)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width, 5, f"{payment.agent.name} · {_('agent code')} {payment.agent.code}", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(width, 8, _("Receipt for insurance contributions"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, f"{_('Receipt number')} {payment.receipt_number} · {_('paid on')} {_day(payment.paid_on)}",
                   align="C", new_x="LMARGIN", new_y="NEXT")
    if payment.is_cancelled:
        pdf.set_font("DejaVu", "B", 10)
        pdf.set_text_color(176, 0, 32)
        cancelled_on = timezone.localtime(payment.cancelled_at)  # Vietnam's day, as the receipt page says
        pdf.multi_cell(width, 6, _("This receipt was cancelled on %(day)s: it no longer pays for any cover.")
                       % {"day": _day(cancelled_on)}, border=1, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font("DejaVu", "", 9)
    pdf.ln(2)
    household = payment.household.code + (f" · {payment.household.address}" if payment.household.address else "")
    months = ngettext("%(months)s month", "%(months)s months", payment.months) % {"months": payment.months}
    for label, value in [(_("Household"), household),
                         (_("Collector"), f"{payment.collector.full_name} ({payment.collector.code})"),
                         (_("Scheme"), f"{payment.get_scheme_display()} · {months}")]:
        pdf.multi_cell(width, 5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(30, 30, 18, 18, 20), text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
                   line_height=5) as table:
        table.row([_("Who is covered"), _("Cover"), _("A month"), _("State support"), _("Amount")])
        for line in receipt.lines:
            cover = f"{_day(line.cover_from)} – {_day(line.cover_to)}"
            if line.confirmed_by_office:
                cover += f" ({_('confirmed by the office')})"
            table.row([line.member.full_name, cover,
                       format_vnd(line.monthly_amount), format_vnd(line.support_total) if line.monthly_support else "—",
                       format_vnd(line.amount)])
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width, 6, f"{_('Total')}: {format_vnd(payment.amount)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, f"{_('In words:')} {receipt.total_in_words}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
