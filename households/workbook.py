"""Reading an uploaded xlsx workbook without letting it decompress, or
allocate, more than an import can need.

A workbook is a zip of XML parts, and a zip can hold far more than it weighs
(616 KB of zip held 400 MB of `<row/>`). So before any spreadsheet reader
sees the file, every part is decompressed here in chunks, counting what comes
out, and refused past a total size (`IMPORT_MAX_UNCOMPRESSED_MB`) or a
compression ratio no spreadsheet has; each sheet is then bounded in rows
(`IMPORT_MAX_ROWS`) and columns, from its XML's bytes, since a reader lays
out the rectangle from its first to its last cell (two cells, A1 and
XFD1048576, would be 17 billion). The reader then gets the measured parts,
re-packed uncompressed, so that it never decompresses anything itself.

python-calamine reads the cells (a Rust parser, several times faster than
our own XML reading was). It shows a formula as the value it computed, and
imports refuse formulas as typed, so a workbook with formulas, or with cells
that carry no reference (rare writers), is read by openpyxl instead, whose
XML parsing goes through defusedxml.
"""

import io
import re
import zipfile

from django.conf import settings
from django.utils.translation import gettext as _

# Sheets written by Excel, LibreOffice or openpyxl compress 5–20 times; a
# part compressed more than this is padding (whitespace, empty rows or cells).
MAX_RATIO = 100
RATIO_FROM_BYTES = 64 * 1024  # smaller parts cost nothing, whatever their ratio
MAX_PARTS = 1_000
MAX_COLUMNS = 100  # column CV; a list has a dozen
# openpyxl spends ~13 µs a cell: past this many it is not started (a file with formulas is refused anyway).
OPENPYXL_MAX_CELLS = 500_000
CHUNK = 1 << 20

_SHEET_DATA = re.compile(rb"<(?:\w+:)?sheetData[\s/>]")
# The general patterns, for any prefix and spacing; the usual case is found with byte counts first.
_ROW = re.compile(rb"<(?:\w+:)?row[\s/>]")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"(\d+)\"")
_FIRST_ROW_NUMBER = re.compile(rb"<row r=\"(\d+)\"")
# A cell reference past column CV: three letters, or D…Z then a letter, or CW…CZ.
_FAR_COLUMN = re.compile(rb"r=\"(?:[A-Z]{3}|[D-Z][A-Z]|C[W-Z])")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_CELL_WITHOUT_REFERENCE = re.compile(rb"<(?:\w+:)?c(?:/?>|\s(?![^>]*\br=\")[^>]*>)")
_PLAIN_FORMULA = re.compile(rb"<f[\s/>]")
_PLAIN_ODD_CELL = re.compile(rb"<c[\t\n\r/>]")  # a cell element not followed by a space


class TooLarge(Exception):
    """The workbook would decompress or spread past what an import may read."""


class Damaged(Exception):
    """The bytes are not a readable workbook."""


def read_workbook(content: bytes) -> list["WorkbookSheet"]:
    """The sheets of an xlsx workbook, in order, once it has been measured."""
    parts = _measured_parts(content)
    sheets_xml = [data for data in parts.values() if _SHEET_DATA.search(data)]
    scans = [_scan_sheet(data) for data in sheets_xml]
    # Parts are not tied to sheet names here: each sheet gets the largest estimate.
    estimate = max([last_row - 1 for last_row, _openpyxl in scans], default=0)
    plain = _repacked(parts)
    del parts
    if any(needs_openpyxl for _last_row, needs_openpyxl in scans):
        if sum(len(_CELL.findall(data)) for data in sheets_xml) > OPENPYXL_MAX_CELLS:
            raise TooLarge(_("The workbook is large and has formulas (or cells written without their place), which "
                             "are read cell by cell: copy the list, paste it back as values only (Paste Special › "
                             "Values), save and import again."))
        del sheets_xml
        return _OpenpyxlBook(plain).sheets(estimate)
    return _CalamineBook(plain).sheets(estimate)


def _limit_bytes() -> int:
    return settings.IMPORT_MAX_UNCOMPRESSED_MB * 1_000_000


def _too_large_message() -> str:
    return _("The workbook holds more than an import can read (over %(mb)s MB once unpacked, or packed far tighter "
             "than any list): it is not a list of households as Excel saves one. Save the list again from Excel, "
             "only its rows, or split it into smaller files.") % {"mb": settings.IMPORT_MAX_UNCOMPRESSED_MB}


def _measured_parts(content: bytes) -> dict[str, bytes]:
    """Every part of the zip, decompressed here and counted as it comes out
    (a zip's declared sizes may lie): refused at the first byte past a bound."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise Damaged from error
    limit = _limit_bytes()
    if len(infos) > MAX_PARTS or sum(info.file_size for info in infos) > limit:
        raise TooLarge(_too_large_message())
    parts, total = {}, 0
    for info in infos:
        chunks, size, allowed = [], 0, max(info.compress_size, 1) * MAX_RATIO
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    if total > limit or (size > RATIO_FROM_BYTES and size > allowed):
                        raise TooLarge(_too_large_message())
                    chunks.append(chunk)
        except TooLarge:
            raise
        except Exception as error:  # a bad CRC, an unknown compression, a truncated part
            raise Damaged from error
        parts[info.filename] = b"".join(chunks)
    return parts


def _scan_sheet(data: bytes) -> tuple[int, bool]:
    """(the sheet's last row, an upper bound; whether openpyxl must read it:
    formulas, or cells without a reference), from its bytes; refused past
    IMPORT_MAX_ROWS rows or MAX_COLUMNS columns. Byte counts answer for
    sheets as Excel, LibreOffice and openpyxl write them (unprefixed
    elements, `r` first); anything else goes through the general patterns."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:100]:
        raise Damaged  # UTF-16, which the byte patterns below would not see: no spreadsheet writes it
    plain = b":row" not in data and b":c" not in data and b":f" not in data
    rows = data.count(b"<row") - data.count(b"<rowBreaks")
    numbered = [int(number) for number in _FIRST_ROW_NUMBER.findall(data)] if plain else []
    if len(numbered) != rows:
        numbered = [int(number) for number in _ROW_NUMBER.findall(data)]
        rows = len(_ROW.findall(data))
    last_row = max(numbered, default=0) + rows - len(numbered)  # a row without a number follows the one before
    if last_row - 1 > settings.IMPORT_MAX_ROWS:
        raise TooLarge(_("The sheet has rows up to row %(rows)s; an import takes at most %(max)s rows. Split the list "
                         "into smaller files, or delete the empty rows below it.")
                       % {"rows": f"{last_row:,}".replace(",", "."),
                          "max": f"{settings.IMPORT_MAX_ROWS:,}".replace(",", ".")})
    if _FAR_COLUMN.search(data):
        raise TooLarge(_("The sheet has cells beyond column CV (column %(max)s); a list has a dozen columns. Delete "
                         "the columns to the right of the list and import again.") % {"max": MAX_COLUMNS})
    if plain:
        formulas = bool(_PLAIN_FORMULA.search(data))
        unreferenced = (_PLAIN_ODD_CELL.search(data) or data.count(b"<c ") != data.count(b'<c r="')) and bool(
            _CELL_WITHOUT_REFERENCE.search(data))
    else:
        formulas = bool(_FORMULA.search(data))
        unreferenced = bool(_CELL_WITHOUT_REFERENCE.search(data))
    return last_row, formulas or unreferenced


def _repacked(parts: dict[str, bytes]) -> bytes:
    """The measured parts as a zip without compression: what the reader
    unpacks is exactly what was counted."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class WorkbookSheet:
    """One sheet: its name, an estimate of its rows (header included), and
    its rows as (spreadsheet row number, values), read on demand."""

    def __init__(self, name: str, estimated_rows: int, read):
        self.name = name
        self.estimated_rows = estimated_rows
        self._read = read

    def rows(self):
        try:
            yield from self._read()
        except Exception as error:  # a sheet damaged part way through
            raise Damaged from error


class _CalamineBook:
    def __init__(self, content: bytes):
        import python_calamine

        try:
            self.book = python_calamine.load_workbook(io.BytesIO(content))
        except Exception as error:
            raise Damaged from error

    def sheets(self, estimate: int) -> list[WorkbookSheet]:
        return [WorkbookSheet(name, estimate, self._reader(name)) for name in self.book.sheet_names]

    def _reader(self, name: str):
        loaded = []

        def read():
            if not loaded:
                loaded.append(self.book.get_sheet_by_name(name))
            sheet = loaded[0]
            # Rows come from row 1; columns from the first one used, so empty columns on the left are put back.
            padding = [""] * (sheet.start[1] if sheet.start else 0)
            for number, values in enumerate(sheet.iter_rows(), start=1):
                yield number, padding + values if padding else values

        return read


class _OpenpyxlBook:
    def __init__(self, content: bytes):
        import openpyxl

        try:
            self.book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        except Exception as error:
            raise Damaged from error

    def sheets(self, estimate: int) -> list[WorkbookSheet]:
        return [WorkbookSheet(sheet.title, estimate, self._reader(sheet)) for sheet in self.book.worksheets]

    @staticmethod
    def _reader(sheet):
        def read():
            sheet.reset_dimensions()  # each row as wide as its cells, not as the sheet claims to be
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(values)

        return read
