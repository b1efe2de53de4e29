"""Uploads that would decompress, or spread, past what an import can need are
refused before any spreadsheet reader sees them (the attack: a 616 KB xlsx of
400 MB of `<row/>` took 85 s and 7.5 GB in the web request). The bombs are
made here, small on disk."""

import io
import re
import zipfile

import openpyxl
import pytest

from households import workbook
from households.imports import import_households
from households.models import Household, Member
from households.tests.factories import CommuneFactory
from households.tests.files import csv_file, family, member, xlsx_file

pytestmark = pytest.mark.django_db

SHEET = "xl/worksheets/sheet1.xml"
TOO_LARGE = ("The workbook holds more than an import can read (over 200 MB once unpacked, or packed far tighter "
             "than any list): it is not a list of households as Excel saves one. Save the list again from Excel, "
             "only its rows, or split it into smaller files.")


@pytest.fixture(autouse=True)
def commune():
    CommuneFactory(code=24259, name="Xã Quảng Phú")


@pytest.fixture
def no_reader(monkeypatch):
    """Fails the test if a spreadsheet reader is even started."""
    def refuse(*args, **kwargs):
        raise AssertionError("a reader was started on a file that should have been refused before")

    import python_calamine

    monkeypatch.setattr(python_calamine, "load_workbook", refuse)
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def rewritten(content: bytes, name: str, change) -> bytes:
    """The workbook with part `name` replaced by change(its bytes), deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            target.writestr(item.filename, change(data) if item.filename == name else data,
                            compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def padded_sheet(padding: bytes):
    """Puts `padding` at the end of the sheet's data, where rows go."""
    return lambda data: data.replace(b"</sheetData>", padding + b"</sheetData>")


def refused(content) -> list[str]:
    report = import_households(content=content, file_name="bomb.xlsx")
    assert not report.imported
    assert not Household.objects.exists() and not Member.objects.exists()
    return [str(problem) for problem in report.problems]


def test_a_sheet_of_millions_of_empty_rows_is_refused_before_it_is_read(no_reader):
    bomb = rewritten(xlsx_file(family()), SHEET, padded_sheet(b"<row/>" * 4_000_000))  # 24 MB of rows
    assert len(bomb) < 100_000
    assert refused(bomb) == [TOO_LARGE]


def test_a_sheet_padded_with_whitespace_is_refused_before_it_is_read(no_reader):
    bomb = rewritten(xlsx_file(family()), SHEET, padded_sheet(b" " * 30_000_000))
    assert len(bomb) < 100_000
    assert refused(bomb) == [TOO_LARGE]


def test_a_workbook_larger_than_the_limit_once_unpacked_is_refused(no_reader, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_MB = 1
    # Digits do not compress much: no ratio to catch, only the size.
    names = "".join(f"<c t=\"inlineStr\"><is><t>{n:012d}</t></is></c>" for n in range(40_000))
    content = rewritten(xlsx_file(family()), SHEET, padded_sheet(f"<row>{names}</row>".encode()))
    assert refused(content) == [TOO_LARGE.replace("200 MB", "1 MB")]


def test_a_cell_a_million_rows_down_is_refused_before_it_is_read(no_reader):
    far = b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    assert refused(rewritten(xlsx_file(family()), SHEET, padded_sheet(far))) == [
        "The sheet has rows up to row 1.000.000; an import takes at most 200.000 rows. Split the list into smaller "
        "files, or delete the empty rows below it."]


def test_a_cell_in_the_last_column_is_refused_before_it_is_read(no_reader):
    # A1 and XFD2 would make a reader lay out 16,384 columns for every row.
    far = b'<row r="5"><c r="XFD5" t="inlineStr"><is><t>x</t></is></c></row>'
    assert refused(rewritten(xlsx_file(family()), SHEET, padded_sheet(far))) == [
        "The sheet has cells beyond column CV (column 100); a list has a dozen columns. Delete the columns to the "
        "right of the list and import again."]


def test_a_csv_with_more_rows_than_an_import_takes_is_refused(settings):
    settings.IMPORT_MAX_ROWS = 2
    assert refused(csv_file(family())) == [
        "The file has 3 rows; an import takes at most 2 rows. Split the list into smaller files."]


def test_xml_entities_are_never_expanded():
    # A "billion laughs" (10⁸ × "lol") in the sheet, also with a formula so that openpyxl (defusedxml) reads it.
    laughs = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 9))
              + b"]>")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file([member()])))
    plain = io.BytesIO()
    book.save(plain)
    book.active["M2"] = "=1+1"
    with_formula = io.BytesIO()
    book.save(with_formula)
    for content in (plain.getvalue(), with_formula.getvalue()):
        bomb = rewritten(content, SHEET, lambda data: laughs + data.replace("Nguyễn Văn An".encode(), b"&lol8;"))
        report = import_households(content=bomb, file_name="laughs.xlsx")
        assert not report.imported
        assert "lollol" not in " ".join(str(problem) for problem in report.problems)
        assert not Member.objects.exists()


def test_cells_without_references_are_still_read_in_their_columns():
    content = rewritten(xlsx_file(family()), SHEET, lambda data: re.sub(rb'<c r="[A-Z]+[0-9]+"', b"<c", data))
    report = import_households(content=content, file_name="no-references.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    assert sorted(Member.objects.values_list("full_name", flat=True)) == [
        "Nguyễn Văn An", "Nguyễn Văn Cường", "Trần Thị Bình"]


def test_a_list_that_starts_in_column_b_is_read_in_its_columns():
    rows = [[None, *values] for values in ([*m.values()] for m in family())]
    content = xlsx_file(rows, headers=[None, *family()[0].keys()])
    report = import_households(content=content, file_name="column-b.xlsx")
    assert report.ok, [str(p) for p in report.problems]
    assert Member.objects.get(full_name="Trần Thị Bình").phone == "0987654321"


def test_the_web_request_estimates_a_workbooks_rows_from_measuring_it():
    from households.imports import estimate_rows

    assert estimate_rows(xlsx_file(family())) == 3
    assert estimate_rows(rewritten(xlsx_file(family()), SHEET, padded_sheet(b"<row/>" * 4_000_000))) == 0


def test_a_large_workbook_with_formulas_is_refused_before_openpyxl_reads_it_cell_by_cell(monkeypatch, request):
    monkeypatch.setattr(workbook, "OPENPYXL_MAX_CELLS", 30)
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file(family())))
    book.active["M2"] = "=1+1"
    content = io.BytesIO()
    book.save(content)
    request.getfixturevalue("no_reader")
    assert refused(content.getvalue()) == [
        "The workbook is large and has formulas (or cells written without their place), which are read cell by "
        "cell: copy the list, paste it back as values only (Paste Special › Values), save and import again."]
