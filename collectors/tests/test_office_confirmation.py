"""What the office sends back: matched on the citizen ID, all or nothing."""

import csv
import io

import pytest
from django.urls import reverse

from collectors.handovers import record_handover
from collectors.models import HandoverReceipt
from collectors.office_confirmation import import_confirmation
from collectors.tests.factories import UserFactory
from collectors.tests.fieldkit import add_member, collector_with_area, head_of, household, today
from collectors.tests.test_office_lists import pay

pytestmark = pytest.mark.django_db
HEADER = ["STT", "Số CCCD/ĐDCN", "Mã số BHXH", "Số thẻ BHYT", "Từ ngày", "Đến ngày"]


def csv_file(*rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def handed(db):
    collector = collector_with_area()
    home = household(collector)
    head = head_of(home)
    head.citizen_id = "066185000124"
    head.save()
    spouse = add_member(home, citizen_id="066083000125")
    payment = pay(collector, home, [head, spouse], "BL-1")
    manager = UserFactory(is_staff=True, is_superuser=True)
    record_handover(collector=collector, numbers=["BL-1"], total=payment.amount, handed_on=today(),
                    received_by="Phạm Thị Lan", recorded_by=manager)
    return payment, head, spouse, manager


def test_the_confirmation_updates_cards_numbers_and_dates_and_accepts_the_receipt(handed):
    payment, head, spouse, _manager = handed
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234567", "GD4666621234567", "01/01/2027", "31/12/2027"],
        ["2", "066083000125", "6621234568", "GD4666621234568", "01/01/2027", "31/12/2027"]))
    assert report.ok and report.people == 2 and report.receipts_accepted == 1
    head.refresh_from_db()
    enrolment = head.enrolments.get()
    assert head.si_number == "6621234567" and enrolment.card_number == "GD4666621234567"
    assert enrolment.coverage_start.isoformat() == "2027-01-01" and enrolment.coverage_end.isoformat() == "2027-12-31"
    assert HandoverReceipt.objects.get(payment=payment).accepted_by_office_at is not None


def test_one_wrong_row_changes_nothing_and_is_named_by_row_and_column(handed):
    payment, head, spouse, _manager = handed
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234567", "GD4666621234567", "01/01/2027", "31/12/2027"],
        ["2", "066083000999", "", "", "", ""],
        ["3", "066083000125", "", "", "01/01/2027", "31/13/2027"]))
    messages = [str(p) for p in report.problems]
    assert messages == [
        "row 3, citizen ID “066083000999”: is not the citizen ID of anyone in the registry",
        "row 4, cover until “31/13/2027”: is not a real date: dates are written day first, DD/MM/YYYY",
    ]
    head.refresh_from_db()
    assert head.si_number is None and head.enrolments.get().card_number == ""
    assert HandoverReceipt.objects.get(payment=payment).accepted_by_office_at is None


def test_a_person_without_a_handed_over_receipt_is_refused(handed):
    payment, head, spouse, _manager = handed
    import_confirmation(content=csv_file(["1", "066185000124", "", "", "", ""],
                                         ["2", "066083000125", "", "", "", ""]))
    report = import_confirmation(content=csv_file(["1", "066185000124", "", "", "", ""]))
    assert [str(p) for p in report.problems] == [
        "row 2, citizen ID “066185000124”: Nguyễn Thị Hiền has no receipt handed over and waiting for the office's "
        "confirmation"]


def test_staff_import_it_in_the_admin_and_a_manager_may_not(client, handed):
    payment, head, spouse, manager = handed
    client.force_login(manager)
    upload = io.BytesIO(csv_file(["1", "066185000124", "", "", "", ""], ["2", "066083000125", "", "", "", ""]))
    upload.name = "xac-nhan.csv"
    response = client.post(reverse("admin:collectors_officelist_confirmation"), {"file": upload})
    assert "2 people confirmed; 1 receipts accepted by the office." in response.content.decode()
    agent_manager = UserFactory(is_staff=True)
    payment.agent.managers.add(agent_manager)
    client.force_login(agent_manager)
    assert client.get(reverse("admin:collectors_officelist_confirmation")).status_code == 403
