"""The lists for the social-insurance office: exactly the period's
handed-over, uncancelled receipts, under the official headers; a second run
adds nothing; a manager produces only their agent's."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from collectors.handovers import record_handover
from collectors.models import OfficeList, OfficeListEntry
from collectors.office_confirmation import import_confirmation
from collectors.office_lists import D03_TS, D05_TS, TK1_TS, file_name, produce_lists
from collectors.payments import cancel_payment, quote_for_collector, record_payment
from collectors.tests.factories import AgentFactory, UserFactory
from collectors.tests.fieldkit import add_member, collector_with_area, cover, head_of, household, today
from households.models import ExportLog
from outreach.roles import AGENT_MANAGER, ensure_roles

pytestmark = pytest.mark.django_db


def pay(collector, home, members, receipt, scheme="bhyt_hgd", months=12, income=None):
    quote = quote_for_collector(collector=collector, household=home, members=members, scheme=scheme, months=months,
                                paid_on=today(), income=income)
    return record_payment(collector=collector, household=home, members=members, scheme=scheme, months=months,
                          paid_on=today(), receipt_number=receipt, amount=quote.total, income=income,
                          recorded_by=collector.user)


@pytest.fixture
def setting():
    collector = collector_with_area()
    manager = UserFactory(username="truongbd", is_staff=True)
    manager.groups.add(ensure_roles()[AGENT_MANAGER])
    collector.agent.managers.add(manager)
    first = household(collector)  # new: no cover, no social-insurance number → a TK1-TS
    spouse = add_member(first, citizen_id="066185000123")
    renewing = household(collector, head="Lê Văn Tám")
    cover(head_of(renewing), ends_in_days=5)
    bhxh = household(collector, head="Y Bhin Niê")
    receipts = {
        "BL-1": pay(collector, first, [head_of(first), spouse], "BL-1"),
        "BL-2": pay(collector, renewing, [head_of(renewing)], "BL-2"),
        "BL-3": pay(collector, bhxh, [head_of(bhxh)], "BL-3", scheme="bhxh_tn", months=1, income=2_000_000),
    }
    held = household(collector, head="Đinh Thị Hoa")  # paid but still with the collector: not listed
    receipts["BL-5"] = pay(collector, held, [head_of(held)], "BL-5")
    cancelled = household(collector, head="Mai Văn Tư")
    receipts["BL-6"] = pay(collector, cancelled, [head_of(cancelled)], "BL-6")
    cancel_payment(payment=receipts["BL-6"], user=manager, reason="nhập nhầm")
    handed = [receipts[n] for n in ["BL-1", "BL-2", "BL-3"]]
    record_handover(collector=collector, numbers=["BL-1", "BL-2", "BL-3"], total=sum(p.amount for p in handed),
                    handed_on=today(), received_by="Phạm Thị Lan", recorded_by=manager)
    return collector, manager, receipts


def confirmation_csv(*rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([["STT", "Số CCCD/ĐDCN", "Mã số BHXH", "Số thẻ BHYT", "Từ ngày", "Đến ngày"], *rows])
    return out.getvalue().encode("utf-8-sig")


def sheet_rows(content, sheet=None):
    book = load_workbook(io.BytesIO(content))
    return [list(row) for row in (book[sheet] if sheet else book.active).iter_rows(values_only=True)]


def test_the_lists_hold_exactly_the_handed_over_receipts_with_the_official_headers(setting):
    collector, manager, receipts = setting
    period = today().replace(day=1)
    produced = {item.office_list.form: item for item in produce_lists(agent=collector.agent, period=period,
                                                                      user=manager)}
    assert set(produced) == {"D05-TS", "D03-TS", "TK1-TS"}
    d03 = sheet_rows(produced["D03-TS"].content)
    assert d03[0][-1] == "Mẫu số: D03-TS" and d03[2][0] == D03_TS.title
    header = d03.index([c.header for c in D03_TS.columns])
    body = [row for row in d03[header + 1:] if row[0] is not None and isinstance(row[0], int)]
    receipt_column = [c.header for c in D03_TS.columns].index("Số biên lai")
    assert sorted(row[receipt_column] for row in body) == ["BL-1", "BL-1", "BL-2"]
    assert {row[1] for row in body} == {"Nguyễn Thị Hiền", "Trần Văn Bình", "Lê Văn Tám"}
    d05 = sheet_rows(produced["D05-TS"].content)
    header = d05.index([c.header for c in D05_TS.columns])
    body = [row for row in d05[header + 1:] if isinstance(row[0], int)]
    assert [row[1] for row in body] == ["Y Bhin Niê"] and body[0][6] == 2_000_000
    tk1 = load_workbook(io.BytesIO(produced["TK1-TS"].content))
    names = sorted(dict((r[0], r[1]) for r in sheet.iter_rows(values_only=True))["[01] Họ và tên"]
                   for sheet in tk1.worksheets)
    # new participants without a social-insurance number: the first household's two, and the BHXH one
    assert names == ["Nguyễn Thị Hiền", "Trần Văn Bình", "Y Bhin Niê"]
    assert tk1.worksheets[0]["A3"].value == TK1_TS.title
    d03_list = produced["D03-TS"].office_list
    assert d03_list.produced_by == manager and d03_list.form_version == D03_TS.source


def test_a_second_run_of_the_same_period_adds_nothing_and_a_later_handover_is_listed_once(setting, tmp_path):
    collector, manager, receipts = setting
    out = io.StringIO()
    call_command("agent_lists", agent=collector.agent.code, month=today().strftime("%Y-%m"), user="truongbd",
                 out=str(tmp_path), stdout=out)
    files = sorted(p.name.split("_")[0] for p in tmp_path.iterdir())
    assert files == ["D03-TS", "D05-TS", "TK1-TS"]
    entries = OfficeListEntry.objects.count()
    again = io.StringIO()
    call_command("agent_lists", agent=collector.agent.code, month=today().strftime("%Y-%m"), user="truongbd",
                 out=str(tmp_path), stdout=again)
    assert "Nothing new" in again.getvalue() and OfficeListEntry.objects.count() == entries
    assert len(list(tmp_path.iterdir())) == 3
    record_handover(collector=collector, numbers=["BL-5"], total=receipts["BL-5"].amount, handed_on=today(),
                    received_by="Phạm Thị Lan", recorded_by=manager)
    later = produce_lists(agent=collector.agent, period=today().replace(day=1))
    assert [(item.office_list.form, item.rows) for item in later] == [("D03-TS", 1), ("TK1-TS", 1)]
    assert list(later[0].office_list.entries.values_list("payment__receipt_number", flat=True)) == ["BL-5"]
    assert produce_lists(agent=collector.agent, period=(today().replace(day=1) - timedelta(days=1)).replace(day=1)) == []


def test_the_command_names_what_is_wrong(setting):
    collector, manager, receipts = setting
    with pytest.raises(CommandError, match="--month “11/2026”: expected a month as YYYY-MM"):
        call_command("agent_lists", agent="X", month="11/2026", user="truongbd")
    with pytest.raises(CommandError, match="--agent “NOPE”: no agent has this code"):
        call_command("agent_lists", agent="NOPE", month="2026-11", user="truongbd")
    with pytest.raises(CommandError, match="--user “nobody”: no active user has this username"):
        call_command("agent_lists", agent=collector.agent.code, month="2026-11", user="nobody")
    with pytest.raises(CommandError, match="the following arguments are required: --user"):
        call_command("agent_lists", agent=collector.agent.code, month="2026-11")
    stranger = UserFactory(username="khac", is_staff=True)
    AgentFactory().managers.add(stranger)
    with pytest.raises(CommandError, match=f"--user “khac”: may not produce the lists of {collector.agent.code}"):
        call_command("agent_lists", agent=collector.agent.code, month="2026-11", user="khac")
    assert not OfficeList.objects.exists()


def test_a_manager_produces_and_downloads_only_their_agent_s_lists(client, setting, django_assert_num_queries):
    collector, manager, receipts = setting
    other = AgentFactory()
    client.force_login(manager)
    assert client.get(reverse("admin:collectors_officelist_produce", args=[other.pk])).status_code == 404
    page = client.get(reverse("admin:collectors_agent_change", args=[collector.agent.pk])).content.decode()
    assert reverse("admin:collectors_officelist_produce", args=[collector.agent.pk]) in page
    response = client.post(reverse("admin:collectors_officelist_produce", args=[collector.agent.pk]),
                           {"month": today().strftime("%Y-%m")})
    assert response.status_code == 200 and OfficeList.objects.filter(agent=collector.agent).count() == 3
    bad = client.post(reverse("admin:collectors_officelist_produce", args=[collector.agent.pk]), {"month": "11-2026"})
    assert "Enter the month as YYYY-MM" in bad.content.decode()
    mine = OfficeList.objects.get(form="D03-TS")
    download = client.get(reverse("admin:collectors_officelist_download", args=[mine.pk]))
    assert download.status_code == 200 and download.content[:2] == b"PK"
    theirs = OfficeList.objects.create(agent=other, form="D03-TS", form_version="x", period=mine.period)
    assert client.get(reverse("admin:collectors_officelist_download", args=[theirs.pk])).status_code == 404
    # session, user, permissions ×2, provincial staff?, agents filter, count, count unfiltered, rows, forms filter
    with django_assert_num_queries(10):
        listing = client.get(reverse("admin:collectors_officelist_changelist")).content.decode()
    assert listing.count("/download/") == 3


def test_the_command_records_who_produced_the_lists_and_logs_the_export(setting, tmp_path):
    collector, manager, receipts = setting
    call_command("agent_lists", agent=collector.agent.code, month=today().strftime("%Y-%m"), user="truongbd",
                 out=str(tmp_path), stdout=io.StringIO())
    assert set(OfficeList.objects.values_list("form", "produced_by__username")) == {
        ("D03-TS", "truongbd"), ("D05-TS", "truongbd"), ("TK1-TS", "truongbd")}
    logged = {(log.user, log.resource, log.format, log.row_count, log.personal_data, log.filters["agent"])
              for log in ExportLog.objects.all()}
    assert logged == {(manager, "D03-TS", "xlsx", 3, True, collector.agent.code),
                      (manager, "D05-TS", "xlsx", 1, True, collector.agent.code),
                      (manager, "TK1-TS", "xlsx", 3, True, collector.agent.code)}
    d03 = sheet_rows((tmp_path / file_name(OfficeList.objects.get(form="D03-TS"))).read_bytes())
    assert "Người lập: truongbd" in d03[3][0]


def test_a_declaration_only_for_new_people_without_a_social_insurance_number(setting):
    collector, manager, receipts = setting
    home = household(collector, head="Hà Văn Sáu")
    numbered = add_member(home, name="Hà Thị Bảy", si_number="6621234599", citizen_id="066190000077")
    payment = pay(collector, home, [head_of(home), numbered], "BL-7")
    record_handover(collector=collector, numbers=["BL-7"], total=payment.amount, handed_on=today(),
                    received_by="Phạm Thị Lan", recorded_by=manager)
    produced = {item.office_list.form: item for item in produce_lists(agent=collector.agent,
                                                                      period=today().replace(day=1), user=manager)}
    tk1 = load_workbook(io.BytesIO(produced["TK1-TS"].content))
    names = sorted(dict((r[0], r[1]) for r in sheet.iter_rows(values_only=True))["[01] Họ và tên"]
                   for sheet in tk1.worksheets)
    assert "Hà Văn Sáu" in names and "Hà Thị Bảy" not in names  # she has a number: the office knows her
    assert produced["TK1-TS"].rows == len(tk1.worksheets) == 4


def test_a_list_downloaded_again_is_the_file_that_was_sent(client, setting):
    collector, manager, receipts = setting
    produce_lists(agent=collector.agent, period=today().replace(day=1), user=manager)
    d03 = OfficeList.objects.get(form="D03-TS")
    client.force_login(manager)
    url = reverse("admin:collectors_officelist_download", args=[d03.pk])
    first = client.get(url).content
    staff = UserFactory(is_staff=True, is_superuser=True)
    rows = [["1", "066185000123", "6621234567", "GD4666621234567", "15/03/2031", "14/03/2032"]]
    home = receipts["BL-1"].household
    head = head_of(home)
    head.citizen_id = "066185000124"
    head.save()
    rows.append(["2", "066185000124", "6621234568", "GD4666621234568", "15/03/2031", "14/03/2032"])
    renewing = head_of(receipts["BL-2"].household)
    renewing.citizen_id = "066185000126"
    renewing.save()
    rows.append(["3", "066185000126", "6621234569", "GD4666621234569", "15/03/2031", "14/03/2032"])
    report = import_confirmation(content=confirmation_csv(*rows))
    assert report.ok, [str(p) for p in report.problems]
    assert staff and client.get(url).content == first
    assert "15/03/2031" not in str(sheet_rows(first))
    assert ExportLog.objects.filter(resource="D03-TS").count() == 2  # each download is logged


def test_a_manager_sees_only_their_own_agent_in_the_lists_filters(client, setting):
    collector, manager, receipts = setting
    produce_lists(agent=collector.agent, period=today().replace(day=1), user=manager)
    other = AgentFactory(name="Bưu điện huyện Krông Pắc")
    OfficeList.objects.create(agent=other, form="D03-TS", form_version="x", period=today().replace(day=1))
    second = AgentFactory(name="Hội Nông dân xã Ea Kao")
    second.managers.add(manager)  # two agents of their own: the filter shows
    client.force_login(manager)
    for page in ("admin:collectors_handover_changelist", "admin:collectors_officelist_changelist"):
        html = client.get(reverse(page)).content.decode()
        assert "Hội Nông dân xã Ea Kao" in html and collector.agent.name in html, page
        assert "Krông Pắc" not in html, page


def test_a_person_new_to_both_schemes_gets_one_declaration_naming_both(setting):
    collector, manager, receipts = setting
    home = household(collector, head="Rơ Châm Hyuk")
    both = [pay(collector, home, [head_of(home)], "BL-8"),
            pay(collector, home, [head_of(home)], "BL-9", scheme="bhxh_tn", months=3, income=1_500_000)]
    record_handover(collector=collector, numbers=["BL-8", "BL-9"], total=sum(p.amount for p in both),
                    handed_on=today(), received_by="Phạm Thị Lan", recorded_by=manager)
    produced = {item.office_list.form: item for item in produce_lists(agent=collector.agent,
                                                                      period=today().replace(day=1), user=manager)}
    tk1 = load_workbook(io.BytesIO(produced["TK1-TS"].content))
    sheets = [dict((r[0], r[1]) for r in sheet.iter_rows(values_only=True)) for sheet in tk1.worksheets]
    [hers] = [sheet for sheet in sheets if sheet["[01] Họ và tên"] == "Rơ Châm Hyuk"]
    assert hers["[11] Loại hình tham gia"] == "BHYT hộ gia đình, BHXH tự nguyện"
    assert hers["[12] Mức thu nhập tháng đóng BHXH tự nguyện"] == 1_500_000
    assert hers["[13] Phương thức đóng (số tháng)"] == "BHYT hộ gia đình: 12; BHXH tự nguyện: 3"
    # the setting's three new people and her, once each
    assert produced["TK1-TS"].rows == len(tk1.worksheets) == 4
    # both receipts are on the list, so neither comes back in a later run
    assert produced["TK1-TS"].office_list.entries.count() == 4
