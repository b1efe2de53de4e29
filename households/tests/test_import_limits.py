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


# --- Cells laid out: a reader holds each sheet's rectangle from A1 to its last cell ------------------------


def spread_out(sheets: int, last_row: int) -> bytes:
    """`sheets` sheets of two cells each, A1 and CV`last_row`: a few hundred bytes a sheet that a
    reader lays out as `last_row` × 100 cells (the attack: 100 sheets to CV5000, 33 KB, took 1.6 GB
    in the web request; one sheet to CV200000, 1.5 KB, 680 MB on the worker)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for number in range(1, sheets + 1):
        sheet = book.create_sheet(f"Sheet {number}")
        sheet["A1"], sheet[f"CV{last_row}"] = "x", "y"
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


SPREAD_OUT = {
    "100 sheets to CV5000": ((100, 5_000), "50.000.000"),
    "one sheet to CV200000": ((1, 200_000), "20.000.000"),
}


def spread_out_message(cells: str) -> str:
    return (f"The workbook's sheets span {cells} cells (each sheet from cell A1 to its last row and column, all "
            "sheets together); an import reads at most 5.000.000. Delete the empty rows and columns around the list "
            "and the sheets that are not part of it, or split the list into smaller files.")


def peak_memory_growth_mb(function) -> tuple[object, float]:
    """(what function() returns, how far the process's peak resident memory rose while it ran), run in a
    forked child so that the peak is its own; the child may not grow past 1 GB (a reader that lays out
    the rectangle fails there rather than take the machine's memory). Reading only: no database."""
    import os
    import pickle
    import resource

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            os.close(read_end)
            with open("/proc/self/status") as status:
                size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
            resource.setrlimit(resource.RLIMIT_AS, ((size_kb + 1_000_000) * 1024, resource.RLIM_INFINITY))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            try:
                result = function()
            except Exception as error:  # returned to the parent to assert on
                result = error
            growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            with os.fdopen(write_end, "wb") as out:
                pickle.dump((repr(result) if isinstance(result, BaseException) and not isinstance(
                    result, Exception) else result, growth), out)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as answer:
        data = answer.read()
    os.waitpid(pid, 0)
    assert data, "the child died (it ran out of the memory allowed)"
    return pickle.loads(data)


@pytest.mark.parametrize("kind", SPREAD_OUT)
def test_a_workbook_whose_sheets_lay_out_millions_of_cells_is_refused_before_it_is_read(kind, no_reader):
    (sheets, last_row), cells = SPREAD_OUT[kind]
    content = spread_out(sheets, last_row)
    assert len(content) < 60_000
    assert refused(content) == [spread_out_message(cells)]


@pytest.mark.parametrize("kind", SPREAD_OUT)
def test_checking_a_spread_out_workbook_takes_little_memory(kind):
    from households.imports import HOUSEHOLD_SPEC, FileProblem, estimate_rows

    content = spread_out(*SPREAD_OUT[kind][0])

    def web_request_then_check():
        # What the web request runs (the estimate that sends a file to the worker), then the check itself.
        estimate = estimate_rows(content)
        try:
            HOUSEHOLD_SPEC.read(content)
        except FileProblem as problem:
            return estimate, str(problem)
        return estimate, "read"

    (estimate, outcome), growth = peak_memory_growth_mb(web_request_then_check)
    assert (estimate, outcome) == (0, spread_out_message(SPREAD_OUT[kind][1]))
    assert growth < 50, f"the check's peak memory rose by {growth:.0f} MB"


def test_a_list_on_the_first_sheet_is_read_without_laying_out_the_other_sheets(monkeypatch):
    import python_calamine

    loaded = []
    real = python_calamine.CalamineWorkbook.get_sheet_by_name

    class Spy:
        def __init__(self, book):
            self.book = book
            self.sheet_names = book.sheet_names

        def get_sheet_by_name(self, name):
            loaded.append(name)
            return real(self.book, name)

    load = python_calamine.load_workbook
    monkeypatch.setattr(python_calamine, "load_workbook", lambda *args, **kwargs: Spy(load(*args, **kwargs)))
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file(family())))
    book.create_sheet("Ghi chú")["B3"] = "Danh sách tháng 5"
    content = io.BytesIO()
    book.save(content)
    report = import_households(content=content.getvalue(), file_name="two-sheets.xlsx")
    assert report.imported, [str(p) for p in report.problems]
    assert loaded == ["Danh sách"]


def test_the_web_requests_estimate_counts_the_rows_of_every_sheet():
    from households.imports import estimate_rows

    two_lists = xlsx_file(family(), before=[("Trước", [[1], [2], [3], [4], [5]])])
    assert estimate_rows(two_lists) == 3 + 4
