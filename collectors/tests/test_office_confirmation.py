"""What the office sends back: matched on the citizen ID, all or nothing."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from collectors.handovers import record_handover
from collectors.models import HandoverReceipt
from collectors.office_confirmation import check_confirmation, import_confirmation
from collectors.tests.factories import UserFactory
from collectors.tests.fieldkit import add_member, collector_with_area, head_of, household, today
from collectors.tests.test_office_lists import pay
from collectors.models import PaymentLine
from households.models import Enrolment, Member

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


SCHEME_HEADER = ["STT", "Số CCCD/ĐDCN", "Loại hình", "Mã số BHXH", "Số thẻ BHYT", "Từ ngày", "Đến ngày"]


def csv_with_scheme(*rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([SCHEME_HEADER, *rows])
    return out.getvalue().encode("utf-8-sig")


@pytest.fixture
def both_schemes(db):
    """One person with household health insurance and voluntary social insurance waiting."""
    collector = collector_with_area()
    home = household(collector)
    head = head_of(home)
    head.citizen_id = "066185000124"
    head.save()
    bhyt = pay(collector, home, [head], "BL-1")
    bhxh = pay(collector, home, [head], "BL-2", scheme="bhxh_tn", months=1, income=2_000_000)
    record_handover(collector=collector, numbers=["BL-1", "BL-2"], total=bhyt.amount + bhxh.amount,
                    handed_on=today(), received_by="Phạm Thị Lan", recorded_by=UserFactory(is_superuser=True))
    return head, bhyt, bhxh


def cover_of(payment):
    enrolment = payment.lines.get().enrolment
    enrolment.refresh_from_db()
    return enrolment.card_number, enrolment.coverage_start.isoformat(), enrolment.coverage_end.isoformat()


def test_each_row_confirms_its_own_scheme_by_the_numbers_it_carries(both_schemes):
    head, bhyt, bhxh = both_schemes
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234567", "GD4666621234567", "01/01/2027", "31/12/2027"],
        ["2", "066185000124", "6621234567", "", "01/02/2027", "28/02/2027"]))
    assert report.ok, [str(p) for p in report.problems]
    assert report.people == 1 and report.receipts_accepted == 2
    assert cover_of(bhyt) == ("GD4666621234567", "2027-01-01", "2027-12-31")
    assert cover_of(bhxh) == ("", "2027-02-01", "2027-02-28")  # not the card, not the BHYT dates


def test_the_scheme_column_says_which_cover_a_row_confirms(both_schemes):
    head, bhyt, bhxh = both_schemes
    report = import_confirmation(content=csv_with_scheme(
        ["1", "066185000124", "BHXH tự nguyện", "6621234567", "", "01/02/2027", "28/02/2027"]))
    assert report.ok and report.receipts_accepted == 1
    assert cover_of(bhxh) == ("", "2027-02-01", "2027-02-28")
    assert cover_of(bhyt)[0] == ""  # the BHYT cover still waits for its own row
    assert HandoverReceipt.objects.get(payment=bhyt).accepted_by_office_at is None


def test_a_row_that_matches_nothing_waiting_is_refused_and_changes_nothing(handed):
    payment, head, spouse, _manager = handed
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234567", "GD4666621234567", "01/01/2027", "31/12/2027"],
        ["2", "066083000125", "6621234568", "", "01/02/2027", "28/02/2027"]))
    assert [str(p) for p in report.problems] == [
        "row 3, citizen ID “066083000125”: Trần Văn Bình has no BHXH receipt waiting for the office's confirmation "
        "(the row has a social-insurance number and dates but no card number, so it is read as BHXH: say which in "
        "the scheme column)"]
    head.refresh_from_db()
    assert head.si_number is None and head.enrolments.get().card_number == ""
    report = import_confirmation(content=csv_with_scheme(["1", "066083000125", "BHXH", "", "", "", ""],
                                                         ["2", "066185000124", "sức khoẻ", "", "", "", ""]))
    assert [str(p) for p in report.problems] == [
        "row 2, scheme “BHXH”: Trần Văn Bình has no BHXH receipt waiting for the office's confirmation",
        "row 3, scheme “sức khoẻ”: must be BHYT (household health insurance) or BHXH (voluntary social insurance)"]


def test_a_row_that_does_not_say_which_of_two_waiting_schemes_is_refused(both_schemes):
    head, bhyt, bhxh = both_schemes
    report = import_confirmation(content=csv_file(["1", "066185000124", "", "", "", ""]))
    assert [str(p) for p in report.problems] == [
        "row 2, scheme: Nguyễn Thị Hiền has both BHYT and BHXH waiting: say which this row confirms in the scheme "
        "column, or give the card number (BHYT)"]
    report = import_confirmation(content=csv_with_scheme(
        ["1", "066185000124", "BHXH", "", "GD4666621234567", "", ""],
        ["2", "066185000124", "BHYT", "", "", "", ""],
        ["3", "066185000124", "bhyt", "", "", "", ""]))
    assert [str(p) for p in report.problems] == [
        "row 2, card number “GD4666621234567”: is a health-insurance card: this row confirms voluntary social "
        "insurance, which has none",
        "row 4, citizen ID “066185000124”: repeats row 3 (the same person and scheme)"]
    assert not HandoverReceipt.objects.filter(accepted_by_office_at__isnull=False).exists()


def test_one_card_or_social_insurance_number_for_two_people_is_refused(handed):
    payment, head, spouse, _manager = handed
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234567", "GD4666621234567", "", ""],
        ["2", "066083000125", "6621234567", "GD4666621234567", "", ""]))
    assert [str(p) for p in report.problems] == [
        "row 3, social-insurance number “6621234567”: is also on row 2, for another person",
        "row 3, card number “GD4666621234567”: is also on row 2, for another person"]
    other = add_member(household(collector_with_area(), head="Lê Văn Tám"), name="Lê Thị Mai", citizen_id="066190000001")
    other.enrolments.create(scheme="bhyt_hgd", card_number="GD4666621234599", coverage_start=today(),
                            coverage_end=today(), monthly_amount=0)
    report = import_confirmation(content=csv_file(["1", "066185000124", "", "GD4666621234599", "", ""],
                                                  ["2", "066083000125", "", "", "", ""]))
    assert [str(p) for p in report.problems] == [
        "row 2, card number “GD4666621234599”: is already the card number of Lê Thị Mai"]
    assert head.enrolments.get().card_number == ""


@pytest.mark.parametrize("rows", [50, 500])
def test_checking_a_file_costs_the_same_queries_for_50_or_500_rows(handed, rows, django_assert_num_queries):
    """One chunk (≤ 1000 rows): the people, their waiting covers, the
    social-insurance numbers and the card numbers already used: 4 queries,
    not one or more a row."""
    payment, head, spouse, _manager = handed
    home = payment.household
    people = Member.objects.bulk_create([
        Member(household=home, full_name=f"Người {n}", search_key=f"nguoi {n}", date_of_birth=date(1990, 1, 1),
               sex="M", relation="child", citizen_id=f"0661900{n:05d}") for n in range(rows)])
    line = payment.lines.first()
    enrolments = Enrolment.objects.bulk_create([
        Enrolment(member=person, scheme="bhyt_hgd", coverage_start=line.enrolment.coverage_start,
                  coverage_end=line.new_end, monthly_amount=line.monthly_amount) for person in people])
    PaymentLine.objects.bulk_create([  # on the handed-over receipt: each row has a cover waiting
        PaymentLine(payment=payment, enrolment=enrolment, amount=line.amount, monthly_amount=line.monthly_amount,
                    created_enrolment=True, new_end=line.new_end) for enrolment in enrolments])
    content = csv_file(*[[str(n + 1), f"0661900{n:05d}", f"66290{n:05d}", f"GD466{6629000000 + n}", "01/01/2027",
                          "31/12/2027"] for n in range(rows)])
    with django_assert_num_queries(4):
        report, checked = check_confirmation(content=content)
    assert report.ok, [str(p) for p in report.problems[:3]]
    assert len(checked) == rows and {len(row.lines) for row in checked} == {1}
    assert import_confirmation(content=content).people == rows
    assert Enrolment.objects.get(member__citizen_id="066190000007").card_number == "GD4666629000007"


def test_a_card_that_does_not_hold_the_row_s_social_insurance_number_is_refused(handed):
    """The 15-character card ends with the social-insurance number; a 10-digit
    card is the number itself. A row whose two disagree changes nothing."""
    payment, head, spouse, _manager = handed
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234599", "GD4666621234567", "01/01/2027", "31/12/2027"],
        ["2", "066083000125", "6621234568", "6621234560", "01/01/2027", "31/12/2027"]))
    assert [str(p) for p in report.problems] == [
        "row 2, social-insurance number “6621234599”: the card GD4666621234567 holds social-insurance number "
        "6621234567, not 6621234599: check the card number and the social-insurance number columns",
        "row 3, social-insurance number “6621234568”: the card 6621234560 is the social-insurance number itself "
        "(10 digits), so the social-insurance number must be 6621234560, not 6621234568: check the card number and "
        "the social-insurance number columns"]
    head.refresh_from_db()
    assert head.si_number is None and head.enrolments.get().card_number == ""
    assert HandoverReceipt.objects.get(payment=payment).accepted_by_office_at is None


def test_a_card_that_holds_the_row_s_social_insurance_number_is_accepted_in_either_form(handed):
    payment, head, spouse, _manager = handed
    report = import_confirmation(content=csv_file(
        ["1", "066185000124", "6621234567", "gd4 66 6621234567", "01/01/2027", "31/12/2027"],
        ["2", "066083000125", "6621234568", "6621234568", "01/01/2027", "31/12/2027"]))
    assert report.ok, [str(p) for p in report.problems]
    spouse.refresh_from_db()
    assert spouse.si_number == "6621234568" and spouse.enrolments.get().card_number == "6621234568"
    assert head.enrolments.get().card_number == "GD4666621234567"
