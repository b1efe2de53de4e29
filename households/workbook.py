"""Reading an uploaded xlsx workbook without letting it decompress, or
allocate, more than an import can need.

A workbook is a zip of XML parts, and a zip can hold far more than it weighs
(616 KB of zip held 400 MB of `<row/>`). So before any spreadsheet reader
sees the file, every part is decompressed here in chunks, counting what comes
out, and refused past a total size (`IMPORT_MAX_UNCOMPRESSED_MB`) or a
compression ratio no spreadsheet has; each sheet is then bounded in rows
(`IMPORT_MAX_ROWS`) and columns, from its XML's bytes, and the workbook in the
cells its sheets lay out together (`IMPORT_MAX_CELLS`), since a reader lays
out each sheet's rectangle from its first to its last cell (two cells, A1 and
CV200000, are 20 million: 620 MB in calamine). The reader then gets the
measured parts, re-packed uncompressed, so that it never decompresses
anything itself, and holds one sheet at a time.

python-calamine reads the cells (a Rust parser, several times faster than
our own XML reading was). It shows a formula as the value it computed, and
imports refuse formulas as typed, so a workbook with formulas, or with cells
that carry no reference (rare writers), is read by openpyxl instead, whose
XML parsing goes through defusedxml.
"""

import io
import re
import zipfile
from typing import NamedTuple

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
# The column letters of each cell's reference: as Excel, LibreOffice and openpyxl write cells, and in general.
_PLAIN_CELL_COLUMN = re.compile(rb"<c r=\"([A-Z]+)")
_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"([A-Z]+)")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_CELL = re.compile(rb"<(?:\w+:)?c[\s/>]")
_CELL_WITHOUT_REFERENCE = re.compile(rb"<(?:\w+:)?c(?:/?>|\s(?![^>]*\br=\")[^>]*>)")
_PLAIN_FORMULA = re.compile(rb"<f[\s/>]")
_PLAIN_ODD_CELL = re.compile(rb"<c[\t\n\r/>]")  # a cell element not followed by a space


class TooLarge(Exception):
    """The workbook would decompress or spread past what an import may read."""


class Damaged(Exception):
    """The bytes are not a readable workbook."""


class Measured:
    """A workbook's parts once unpacked and bounded, and what its sheets hold."""

    def __init__(self, content: bytes):
        self.parts = _measured_parts(content)
        self.sheets_xml = [data for data in self.parts.values() if _SHEET_DATA.search(data)]
        self.scans = [_scan_sheet(data) for data in self.sheets_xml]
        cells = sum(scan.cells for scan in self.scans)
        if cells > settings.IMPORT_MAX_CELLS:
            raise TooLarge(_("The workbook's sheets span %(cells)s cells (each sheet from cell A1 to its last row and "
                             "column, all sheets together); an import reads at most %(max)s. Delete the empty rows "
                             "and columns around the list and the sheets that are not part of it, or split the "
                             "list into smaller files.")
                           % {"cells": _number(cells), "max": _number(settings.IMPORT_MAX_CELLS)})

    @property
    def rows(self) -> int:
        """The data rows of every sheet together (the header row of each left out), at most."""
        return sum(max(scan.last_row - 1, 0) for scan in self.scans)


def read_workbook(content: bytes) -> list["WorkbookSheet"]:
    """The sheets of an xlsx workbook, in order, once it has been measured."""
    measured = Measured(content)
    sheets_xml, scans = measured.sheets_xml, measured.scans
    # Parts are not tied to sheet names here: each sheet gets the largest estimate.
    estimate = max([scan.last_row - 1 for scan in scans], default=0)
    plain = _repacked(measured.parts)
    del measured
    if any(scan.needs_openpyxl for scan in scans):
        if sum(len(_CELL.findall(data)) for data in sheets_xml) > OPENPYXL_MAX_CELLS:
            raise TooLarge(_("The workbook is large and has formulas (or cells written without their place), which "
                             "are read cell by cell: copy the list, paste it back as values only (Paste Special › "
                             "Values), save and import again."))
        del sheets_xml
        return _OpenpyxlBook(plain).sheets(estimate)
    return _CalamineBook(plain).sheets(estimate)


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


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


class _Scan(NamedTuple):
    last_row: int  # an upper bound
    last_column: int  # 1 for A; 0 when no cell has a reference
    needs_openpyxl: bool  # formulas, or cells without a reference

    @property
    def cells(self) -> int:
        """The rectangle a reader lays out, at most: from A1 to the last row and column."""
        return self.last_row * self.last_column


def _column_index(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index


def _scan_sheet(data: bytes) -> _Scan:
    """The sheet's last row and column and whether openpyxl must read it,
    from its bytes; refused past IMPORT_MAX_ROWS rows or MAX_COLUMNS
    columns. Byte counts answer for
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
                       % {"rows": _number(last_row), "max": _number(settings.IMPORT_MAX_ROWS)})
    referenced_alike = plain and data.count(b"<c ") == data.count(b'<c r="')
    columns = set((_PLAIN_CELL_COLUMN if referenced_alike else _CELL_COLUMN).findall(data))
    last_column = max((_column_index(letters) for letters in columns), default=0)
    if last_column > MAX_COLUMNS:
        raise TooLarge(_("The sheet has cells beyond column CV (column %(max)s); a list has a dozen columns. Delete "
                         "the columns to the right of the list and import again.") % {"max": MAX_COLUMNS})
    if plain:
        formulas = bool(_PLAIN_FORMULA.search(data))
        unreferenced = (_PLAIN_ODD_CELL.search(data) or not referenced_alike) and bool(
            _CELL_WITHOUT_REFERENCE.search(data))
    else:
        formulas = bool(_FORMULA.search(data))
        unreferenced = bool(_CELL_WITHOUT_REFERENCE.search(data))
    return _Scan(last_row, last_column, formulas or unreferenced)


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
        self._loaded = None

    def sheets(self, estimate: int) -> list[WorkbookSheet]:
        return [WorkbookSheet(name, estimate, self._reader(name)) for name in self.book.sheet_names]

    def _sheet(self, name: str):
        """calamine lays out a whole sheet to read any of it: one is held at a
        time, so that looking for the list's sheet among many holds only one."""
        if self._loaded is None or self._loaded[0] != name:
            self._loaded = None
            self._loaded = (name, self.book.get_sheet_by_name(name))
        return self._loaded[1]

    def _reader(self, name: str):
        def read():
            sheet = self._sheet(name)
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
