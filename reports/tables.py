"""A table of figures: what a page shows, what its chart draws, and what
its Excel export holds, so that the three can never disagree."""

import re
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from django.http import HttpResponse
from django.utils.formats import number_format
from openpyxl import Workbook
from openpyxl.styles import Font

from households.resources import neutralise

INT, MONEY, PERCENT, TEXT, DATE, MONTH, FLAG = "int", "money", "percent", "text", "date", "month", "flag"
NUMBERS = {INT, MONEY, PERCENT}
EXCEL_FORMATS = {INT: "#,##0", MONEY: '#,##0 "₫"', PERCENT: "0.0%", DATE: "DD/MM/YYYY", MONTH: "MM/YYYY"}


@dataclass
class Column:
    label: str
    kind: str = INT


@dataclass
class Chart:
    """How to draw a table: `kind` "columns" (vertical bars by category, e.g.
    months), "bars" (horizontal, e.g. communes) or "lines"; the categories come
    from column `category`, one series from each of columns `series`."""

    kind: str
    series: list[int]
    category: int = 0
    stacked: bool = False
    overlay: bool = False  # cumulative series drawn over each other (30 ⊂ 60 ⊂ 90 days)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""

    def cells(self):
        """Rows as the page shows them: (text, is a number) per cell."""
        for row in self.rows:
            yield [(display(value, column.kind), column.kind in NUMBERS) for value, column in zip(row, self.columns)]


def display(value, kind: str) -> str:
    """A cell as the page shows it (DD/MM/YYYY, Vietnamese grouping)."""
    if value is None or value == "":
        return "—"
    if kind == PERCENT:
        return f"{number_format(value * 100, 1)} %"
    if kind == MONEY:
        return f"{number_format(value, force_grouping=True)} ₫"
    if kind == INT:
        return number_format(value, force_grouping=True)
    if kind == DATE:
        return value.strftime("%d/%m/%Y")
    if kind == MONTH:
        return value.strftime("%m/%Y")
    if kind == FLAG:
        return "✔" if value else ""
    return str(value)


def share(part: int, whole: int | None) -> float | None:
    return part / whole if whole else None


def xlsx_response(table: Table, *, as_of: date | None) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31]
    sheet.append([str(column.label) for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_excel_value(value, column.kind) for value, column in zip(row, table.columns)])
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, min(40, len(str(column.label)) + 2))
        if column.kind in EXCEL_FORMATS:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = EXCEL_FORMATS[column.kind]
    sheet.freeze_panes = "A2"
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    suffix = f"-{as_of:%Y-%m-%d}" if as_of else ""
    response["Content-Disposition"] = f'attachment; filename="{table.key}{suffix}.xlsx"'
    return response


def _excel_value(value, kind):
    if kind == FLAG:
        return "x" if value else ""
    if kind == TEXT and value is not None:
        value = str(value)
    # Names come from people (a collector called =HYPERLINK(…)): never a live formula, as in the registry's exports.
    return neutralise(value)
