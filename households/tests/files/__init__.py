"""Spreadsheets made at test time, as staff receive them: CSV (UTF-8 with or
without BOM, or not UTF-8 at all) and xlsx workbooks."""

import csv
import io
import unicodedata

import openpyxl

HEADERS = ["household_code", "commune_code", "village", "address", "is_head", "full_name", "date_of_birth", "sex",
           "ethnicity", "citizen_id", "si_number", "phone"]
VIETNAMESE_HEADERS = ["Mã hộ", "Mã xã", "Thôn, buôn", "Địa chỉ", "Chủ hộ", "Họ và tên", "Ngày sinh", "Giới tính",
                      "Dân tộc", "Số CCCD", "Mã số BHXH", "Số điện thoại"]
# The optional columns of the support groups' evidence, last in the templates.
GROUP_HEADERS = ["economic_status", "status_year", "average_standard_year", "student", "insured_elsewhere",
                 "social_pension_since"]
VIETNAMESE_GROUP_HEADERS = ["Hộ nghèo/cận nghèo", "Năm công nhận", "Năm DS hộ mức sống TB", "Học sinh, sinh viên",
                            "Có BHYT khác", "Năm hưởng trợ cấp xã hội hằng tháng"]


def member(**values) -> dict:
    """One member row of Xã Quảng Phú (24259), head of household H1 unless told."""
    row = {"household_code": "H1", "commune_code": "24259", "village": "Thôn 1", "address": "Thôn 1, Xã Quảng Phú",
           "is_head": "yes", "full_name": "Nguyễn Văn An", "date_of_birth": "17/05/1985", "sex": "M",
           "ethnicity": "Kinh", "citizen_id": "066085012345", "si_number": "6601234567", "phone": "0912345678"}
    row.update(values)
    return row


def family() -> list[dict]:
    """Household H1: a head, his wife and their son (without IDs yet)."""
    return [
        member(),
        member(is_head="no", full_name="Trần Thị Bình", date_of_birth="02/09/1988", sex="F",
               citizen_id="066188012345", si_number="6601234568", phone="0987654321"),
        member(is_head="no", full_name="Nguyễn Văn Cường", date_of_birth="10/10/2015", citizen_id="",
               si_number="", phone=""),
    ]


def _values(rows):
    """Rows given as dicts (by English header) or as lists of cells."""
    return [[row.get(key, "") for key in HEADERS] if isinstance(row, dict) else row for row in rows]


def csv_file(rows, headers=HEADERS, *, encoding="utf-8-sig", delimiter=",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(_values(rows))
    if encoding == "windows-1258":
        return windows_1258(buffer.getvalue())
    return buffer.getvalue().encode(encoding)


def windows_1258(text: str) -> bytes:
    """Vietnamese as Excel's plain "CSV" writes it on a Vietnamese Windows: the
    vowel with its own mark (ê, ơ, ă…) as one byte, the tone as a combining one."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            out += unicodedata.normalize("NFC", base + "".join(marks[:-1])).encode("cp1258")
            out += marks[-1].encode("cp1258")
    return bytes(out)


def xlsx_file(rows, headers=HEADERS, *, title="Danh sách", before=()) -> bytes:
    """A workbook whose list is on sheet `title`, after the sheets `before`
    given as (title, rows)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet_title, sheet_rows in before:
        sheet = book.create_sheet(sheet_title)
        for row in sheet_rows:
            sheet.append(row)
    sheet = book.create_sheet(title)
    sheet.append(headers)
    for row in _values(rows):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
