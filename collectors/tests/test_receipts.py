"""The receipt the household keeps: its page, PDF, total in words, and the
link that opens it (and nothing else) without an account."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from collectors.handovers import record_handover
from collectors.models import ReceiptLink
from collectors.office_confirmation import import_confirmation
from collectors.payments import cancel_payment, quote_for_collector, record_payment
from collectors.receipts import amount_in_words, link_for, revoke_link
from collectors.tests.factories import CollectorFactory, UserFactory
from collectors.tests.pdftext import pdf_shows
from collectors.tests.fieldkit import add_member, collector_with_area, head_of, household, phone_login, today
from households.contributions import format_vnd

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount, words", [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (1_000_000, "Một triệu đồng"),
    (3_142_260, "Ba triệu một trăm bốn mươi hai nghìn hai trăm sáu mươi đồng"),
    (999_999_999, "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (1_366_200, "Một triệu ba trăm sáu mươi sáu nghìn hai trăm đồng"),
    (21_015, "Hai mươi mốt nghìn không trăm mười lăm đồng"),
    (2_000_000_000, "Hai tỷ đồng"),
])
def test_amount_in_words(amount, words):
    assert amount_in_words(amount) == words


def paid(collector, household_, members=None, receipt="BL-0001"):
    members = members or list(household_.members.all())
    quote = quote_for_collector(collector=collector, household=household_, members=members, scheme="bhyt_hgd",
                                months=12, paid_on=today())
    return record_payment(collector=collector, household=household_, members=members, scheme="bhyt_hgd",
                          months=12, paid_on=today(), receipt_number=receipt, amount=quote.total,
                          recorded_by=collector.user)


@pytest.fixture
def collector():
    return collector_with_area()


def test_the_collector_sees_the_receipt_with_amounts_words_and_cover(client, collector):
    home = household(collector)
    add_member(home)
    payment = paid(collector, home)
    html = phone_login(client, collector).get(reverse("field:receipt", args=[payment.pk]),
                                              HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "BL-0001" in html and collector.agent.name in html and collector.full_name in html
    assert "Nguyễn Thị Hiền" in html and "Trần Văn Bình" in html
    assert "Biên lai thu tiền đóng BHXH, BHYT" in html and f"Bằng chữ: <b>{amount_in_words(payment.amount)}</b>" in html
    line = payment.lines.get(enrolment__member=head_of(home))
    assert line.new_end.strftime("%d/%m/%Y") in html
    token = ReceiptLink.objects.get(payment=payment).token
    assert reverse("household_receipt", args=[token]) in html  # the link to send
    assert "data-share-url" in html and "<script>" not in html  # Web Share from a file, under the CSP


def test_a_supported_member_s_receipt_shows_the_state_support(client, collector):
    home = household(collector)
    add_member(home, name="Y Ngơ Ksor", student=True)  # pupils: part paid by the state and the province
    payment = paid(collector, home, members=[home.members.get(full_name="Y Ngơ Ksor")])
    line = payment.lines.get()
    assert line.support_group and line.monthly_support > 0
    html = phone_login(client, collector).get(reverse("field:receipt", args=[payment.pk])).content.decode()
    assert format_vnd(line.monthly_support * 12) in html


def test_a_collector_cannot_open_another_collector_s_receipt(client, collector):
    payment = paid(collector, household(collector))
    other = CollectorFactory()
    phone_login(client, other)
    assert client.get(reverse("field:receipt", args=[payment.pk])).status_code == 404
    assert client.get(reverse("field:receipt_pdf", args=[payment.pk])).status_code == 404


def test_the_link_opens_the_receipt_without_login_and_nothing_else(client, collector):
    home = household(collector)
    payment = paid(collector, home)
    other = paid(collector, household(collector, head="Lê Văn Tám"), receipt="BL-0002")
    token = link_for(payment).token
    assert len(token) >= 32
    page = client.get(reverse("household_receipt", args=[token]))
    assert page.status_code == 200 and "BL-0001" in page.content.decode()
    assert "BL-0002" not in page.content.decode() and other.household.code not in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    pdf = client.get(reverse("household_receipt_pdf", args=[token]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Having opened the link gives no session: the field pages and the admin still ask to sign in.
    for url in [reverse("field:today"), reverse("field:receipt", args=[payment.pk]),
                reverse("field:household", args=[home.pk]), reverse("admin:index")]:
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert client.get(reverse("household_receipt", args=[token[:-1]])).status_code == 404
    assert client.get(f"/r/{token}/../{other.pk}/").status_code == 404


def test_a_revoked_link_no_longer_opens(client, collector):
    payment = paid(collector, household(collector))
    token = link_for(payment).token
    revoke_link(payment)
    assert client.get(reverse("household_receipt", args=[token])).status_code == 404
    assert link_for(payment).token != token  # the collector can send a new one


def test_a_cancelled_receipt_says_so(client, collector):
    payment = paid(collector, household(collector))
    token = link_for(payment).token
    cancel_payment(payment=payment, user=collector.user, reason="nhập nhầm")
    html = client.get(reverse("household_receipt", args=[token])).content.decode()
    said = "This receipt was cancelled on %s" % timezone.localdate().strftime("%d/%m/%Y")
    assert said in html
    pdf = client.get(reverse("household_receipt_pdf", args=[token])).content
    assert pdf.startswith(b"%PDF") and pdf_shows(pdf, said)
    vietnamese = client.get(reverse("household_receipt_pdf", args=[token]), HTTP_ACCEPT_LANGUAGE="vi").content
    assert pdf_shows(vietnamese, "Biên lai này đã bị hủy ngày %s" % timezone.localdate().strftime("%d/%m/%Y"))


def test_the_cancellation_day_is_vietnam_s_day_on_the_page_and_in_the_pdf(client, collector):
    payment = paid(collector, household(collector))
    token = link_for(payment).token
    cancel_payment(payment=payment, user=collector.user, reason="nhập nhầm")
    # 18:30 UTC is 01:30 the next morning in Đắk Lắk.
    type(payment).objects.filter(pk=payment.pk).update(cancelled_at=datetime(2026, 12, 4, 18, 30, tzinfo=UTC))
    said = "This receipt was cancelled on 05/12/2026"
    assert said in client.get(reverse("household_receipt", args=[token])).content.decode()
    assert pdf_shows(client.get(reverse("household_receipt_pdf", args=[token])).content, said)


def test_a_receipt_kept_shows_no_cancellation(client, collector):
    token = link_for(paid(collector, household(collector))).token
    pdf = client.get(reverse("household_receipt_pdf", args=[token])).content
    assert pdf_shows(pdf, "Receipt for insurance contributions") and not pdf_shows(pdf, "cancelled")


def handed_over(collector):
    """A household's payment handed over to the agent, its head with the citizen ID the office's file names."""
    home = household(collector)
    payment = paid(collector, home)
    head = head_of(home)
    head.citizen_id = "066185000124"
    head.save()
    record_handover(collector=collector, numbers=[payment.receipt_number], total=payment.amount, handed_on=today(),
                    received_by="Phạm Thị Lan", recorded_by=UserFactory(is_superuser=True))
    return payment


def test_after_the_office_s_confirmation_the_receipt_shows_its_dates(client, collector):
    payment = handed_over(collector)
    token = link_for(payment).token
    line = payment.lines.get()
    assert "15/03/2031" not in client.get(reverse("household_receipt", args=[token])).content.decode()
    start, end = line.new_end + timedelta(days=1), line.new_end + timedelta(days=365)
    report = import_confirmation(content=(
        "Số CCCD/ĐDCN,Số thẻ BHYT,Từ ngày,Đến ngày\n"
        f"066185000124,GD4666621234567,{start:%d/%m/%Y},{end:%d/%m/%Y}\n").encode())
    assert report.ok, [str(p) for p in report.problems]
    html = client.get(reverse("household_receipt", args=[token])).content.decode()
    assert f"{start:%d/%m/%Y} – {end:%d/%m/%Y}" in html and "confirmed by the office" in html
    assert line.new_end.strftime("%d/%m/%Y") not in html
    pdf = client.get(reverse("household_receipt_pdf", args=[token])).content
    assert pdf_shows(pdf, f"{start:%d/%m/%Y} – {end:%d/%m/%Y} (confirmed by the office)")


def test_a_confirmation_with_the_dates_paid_for_adds_no_note(client, collector):
    payment = handed_over(collector)
    line = payment.lines.get()
    start = line.enrolment.coverage_start
    assert import_confirmation(content=(
        "Số CCCD/ĐDCN,Số thẻ BHYT,Từ ngày,Đến ngày\n"
        f"066185000124,GD4666621234567,{start:%d/%m/%Y},{line.new_end:%d/%m/%Y}\n").encode()).ok
    html = client.get(reverse("household_receipt", args=[link_for(payment).token])).content.decode()
    assert f"{start:%d/%m/%Y} – {line.new_end:%d/%m/%Y}" in html and "confirmed by the office" not in html


def test_my_month_links_each_receipt(client, collector):
    payment = paid(collector, household(collector))
    html = phone_login(client, collector).get(reverse("field:month")).content.decode()
    assert reverse("field:receipt", args=[payment.pk]) in html


def test_staff_revoke_a_link_in_the_admin(staff_client, collector):
    payment = paid(collector, household(collector))
    link = link_for(payment)
    response = staff_client.post(reverse("admin:collectors_receiptlink_changelist"),
                                 {"action": "revoke", "_selected_action": [link.pk]}, follow=True)
    assert "1 link revoked." in response.content.decode()
    assert staff_client.get(reverse("household_receipt", args=[link.token])).status_code == 404
    assert link.token not in staff_client.get(reverse("admin:collectors_receiptlink_change",
                                                      args=[link.pk])).content.decode()


def test_the_household_s_receipt_costs_the_same_queries_whatever_its_lines(client, collector,
                                                                          django_assert_num_queries):
    home = household(collector)
    for n in range(4):
        add_member(home, name=f"Trần Văn Bình {n}")
    token = link_for(paid(collector, home)).token
    with django_assert_num_queries(2):  # the link with its payment, agent, collector and household; the lines
        response = client.get(reverse("household_receipt", args=[token]))
    assert response.content.decode().count("Trần Văn Bình") == 4
