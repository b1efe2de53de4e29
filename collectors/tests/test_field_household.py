"""Finding a household and reading its page: members, cover, what renewing
costs now, and the visits — in a fixed number of queries."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from collectors.models import Payment, Visit
from collectors.tests import fieldkit as kit
from households.contributions import format_vnd
from households.models import Enrolment, Household, Member
from households.quotes import renewal_quote

pytestmark = pytest.mark.django_db
# 9 since Find shows the cover state and amount due as Today: their cover and the 3 rates in force.
SEARCH_QUERIES = 9  # session, user with collector, area, households, their members, cover, 3 rates
HOUSEHOLD_QUERIES = 10  # session, user with collector, area, household, members, cover, 3 rates, visits


@pytest.fixture
def hien(collector):
    household = kit.household(collector, head="Nguyễn Thị Hiền", phone="0912345678")
    head = kit.head_of(household)
    head.citizen_id, head.si_number, head.phone = "066185001234", "6601234567", "0987654321"
    head.save()
    kit.cover(head, ends_in_days=20)
    return household


def find(client, term):
    return client.get(reverse("field:find"), {"q": term}).content.decode()


@pytest.mark.parametrize("term", ["nguyen thi hien", "NGUYEN THI HIEN", "thi hien", "0987654321", "+84 987 654 321",
                                  "0912.345.678", "066185001234", "6601234567", "GD4666601234567"])
def test_a_household_is_found_by_name_without_accents_phone_or_any_number(client, hien, term):
    html = find(client, term)
    assert reverse("field:household", args=[hien.pk]) in html and "Nguyễn Thị Hiền" in html


def test_a_search_that_finds_nothing_says_so(client, hien):
    assert "No household in your area matches “tran van an”" in find(client, "tran van an")


def test_find_shows_the_cover_state_and_amount_due_as_today_does(client, collector, hien):
    covered = kit.household(collector, head="Nguyễn Văn Đủ")
    kit.cover(kit.head_of(covered), ends_in_days=300)
    html = find(client, "nguyen")
    today = client.get(reverse("field:today")).content.decode()
    end = (kit.today() + timedelta(days=20)).strftime("%d/%m/%Y")
    due = f"Nguyễn Thị Hiền: health-insurance card ends {end}"
    amount = format_vnd(renewal_quote(household=hien, day=kit.today()).total)
    assert due in html and due in today
    assert amount in html and amount in today
    card = html[html.index("Nguyễn Văn Đủ"):]
    assert "Nothing due" in card[:card.index("</a>")]


def test_search_lists_mask_phone_numbers(client, hien):
    html = find(client, "hien")
    assert "0912345678" not in html and "••••••5678" in html


@pytest.mark.parametrize("households", [1, 40])
def test_search_runs_a_fixed_number_of_queries(client, collector, households, django_assert_num_queries):
    for n in range(households):
        kit.add_member(kit.household(collector, head=f"Nguyễn Thị Hiền {n}"), name=f"Lê Văn Nam {n}", citizen_id=None)
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(reverse("field:find"), {"q": "nguyen thi hien"})
    assert response.content.decode().count('class="card"') == min(households, 30)
    assert len(response.content) < 100_000


def test_the_household_page_shows_each_members_cover(client, collector, hien):
    spouse = kit.add_member(hien, name="Trần Văn Bình")
    kit.cover(spouse, ends_in_days=-12)
    kit.add_member(hien, name="Bé Na", born=kit.today() - timedelta(days=400), relation=Member.Relation.CHILD)
    kit.add_member(hien, name="Bà Tư", born=date(1950, 1, 1), relation=Member.Relation.PARENT, citizen_id=None)
    html = client.get(reverse("field:household", args=[hien.pk])).content.decode()
    end = (kit.today() + timedelta(days=20)).strftime("%d/%m/%Y")
    assert f"until {end}" in html and "(20 days left)" in html and "Ends soon" in html
    assert "Lapsed" in html and "(12 days ago)" in html
    assert "Children under 6 are insured by the state" in html
    assert "No insurance recorded" in html  # Bà Tư
    assert "••••••••1234" in html and "066185001234" not in html  # citizen ID masked
    assert 'href="tel:0912345678"' in html


def test_the_household_page_shows_what_renewing_costs_now_and_how(client, collector, hien):
    kit.add_member(hien, name="Trần Văn Bình")
    members = list(hien.members.all())
    quote = renewal_quote(household=hien, day=kit.today(), members=members)
    html = client.get(reverse("field:household", args=[hien.pk])).content.decode()
    assert "Renewing health insurance for 12 months today costs" in html
    assert format_vnd(quote.total) in html
    assert "Member 2 of the household (Trần Văn Bình)" in html


def test_the_household_page_lists_the_visits_newest_first(client, collector, hien):
    payment = Payment.objects.create(agent=collector.agent, collector=collector, household=hien, scheme="bhyt_hgd",
                                     receipt_number="BL-77", paid_on=kit.today(), months=12, amount=1_366_200,
                                     recorded_by=collector.user)
    for days_ago, outcome, extra in [(10, "declined", {"decline_reason": "no_money", "note": "Sau vụ cà phê"}),
                                     (0, "renewed", {"payment": payment})]:
        Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=hien, outcome=outcome,
                             visited_at=timezone.now() - timedelta(days=days_ago), **extra)
    html = client.get(reverse("field:household", args=[hien.pk])).content.decode()
    assert html.index("Renewed") < html.index("Declined")
    assert "cannot afford it now" in html and "Sau vụ cà phê" in html
    assert "receipt BL-77: 1.366.200 ₫" in html


def test_a_visit_is_named_by_vietnam_s_day(collector, hien):
    visit = Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=hien, outcome="interested",
                                 visited_at=datetime(2026, 12, 4, 18, 30, tzinfo=UTC))  # 01:30 on 05/12 there
    assert str(visit).endswith("05/12/2026")


@pytest.mark.parametrize("members, visits", [(1, 1), (9, 40)])
def test_the_household_page_runs_a_fixed_number_of_queries(client, collector, members, visits,
                                                           django_assert_num_queries):
    household = kit.household(collector)
    for n in range(members):
        kit.cover(kit.add_member(household, name=f"Thành Viên {n}", citizen_id=None), ends_in_days=n * 20 - 40)
    for n in range(visits):
        Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=household, outcome="interested",
                             visited_at=timezone.now() - timedelta(days=n))
    kit.household(collector, head="Someone Else")  # the size of the area changes nothing
    with django_assert_num_queries(HOUSEHOLD_QUERIES):
        response = client.get(reverse("field:household", args=[household.pk]))
    assert response.status_code == 200 and len(response.content) < 100_000


def test_a_household_without_cover_rules_in_force_still_opens(client, collector, hien):
    from households.models import ReferenceAmount

    ReferenceAmount.objects.all().delete()
    response = client.get(reverse("field:household", args=[hien.pk]))
    assert response.status_code == 200 and "Renewing health insurance" not in response.content.decode()
    assert Enrolment.objects.count() == 1


def test_the_household_page_shows_each_members_supported_group_with_its_evidence(client, collector):
    near_poor = kit.household(collector, status="near_poor", head="Cận Nghèo", average_standard_year=2025)
    html = client.get(reverse("field:household", args=[near_poor.pk])).content.decode()
    # Near-poor beats the farm list in Đắk Lắk (100 % against 60 %): nothing to pay, and why.
    assert "Supported group: near-poor household (%s) · farming, forestry or fishery household of average " \
           "living standard (list of 2025)" % kit.today().year in html
    # Their card still needs renewing, at 0 ₫: each member's support says so (it read "the state and the
    # province pay all of it" and quoted nothing before).
    assert "Near-poor household: the state supports 70 % + the province supports 30 % = 113.850 ₫, still to pay " \
           "0 ₫/month" in html
    # Nobody of the household was ever covered: paying is joining (since the merge of "join, not renew").
    assert "Joining health insurance for 12 months today costs" in html
    assert '<p class="total">0 ₫</p>' in html

    pupil_home = kit.household(collector, head="Học Sinh")
    kit.add_member(pupil_home, name="Pupil", born=date(2010, 1, 1), relation="child", student=True)
    html = client.get(reverse("field:household", args=[pupil_home.pk])).content.decode()
    assert "Supported group: pupil or student" in html
    assert "1.980.996 ₫" in html  # 12 × (113,850 + 51,233): the pupil outside the ladder


def test_a_new_prospects_page_offers_joining_not_renewing_for_the_same_amount(client, collector):
    prospect = kit.household(collector, head="Chưa Tham Gia")
    kit.add_member(prospect, name="Vợ Chưa Tham Gia")
    quote = renewal_quote(household=prospect, day=kit.today(), members=list(prospect.members.all()))
    html = client.get(reverse("field:household", args=[prospect.pk])).content.decode()
    assert "Joining health insurance for 12 months today costs" in html
    assert "Renewing health insurance" not in html
    assert format_vnd(quote.total) in html


def test_a_household_covered_once_is_still_offered_renewal(client, collector):
    lapsed = kit.household(collector, head="Đã Từng Có Thẻ")
    kit.cover(kit.head_of(lapsed), ends_in_days=-200)
    html = client.get(reverse("field:household", args=[lapsed.pk])).content.decode()
    assert "Renewing health insurance for 12 months today costs" in html and "Joining health" not in html


def test_whether_a_household_could_join_is_set_from_its_page_and_audited(client, collector, hien):
    month = kit.today().replace(day=1)
    later = month.replace(year=month.year + 1)
    response = client.post(reverse("field:potential", args=[hien.pk]), {
        "potential": "not_now", "potential_reason": "chờ thu hoạch cà phê",
        "potential_return_month": f"{later.month:02d}/{later.year}"})
    assert response.status_code == 302
    hien.refresh_from_db()
    assert (hien.potential, hien.potential_reason, hien.potential_return_month, hien.potential_set_by) == (
        "not_now", "chờ thu hoạch cà phê", later, collector.user)
    latest = hien.history.first()
    assert (latest.potential, latest.history_user) == ("not_now", collector.user)
    html = client.get(reverse("field:household", args=[hien.pk])).content.decode()
    assert "Not now" in html and "chờ thu hoạch cà phê" in html and f"come back in {later:%m/%Y}" in html


@pytest.mark.parametrize("fields, message", [
    ({"potential": "someday"}, "Select a valid choice."),
    ({"potential": "later", "potential_return_month": "2001-01"}, "This month has passed"),
    ({"potential": "later", "potential_return_month": "13/2026"}, "Enter a month, e.g. 12/2026."),
    ({"potential_reason": "chờ"}, "Choose whether the household could join."),
])
def test_a_wrong_potential_is_refused_naming_the_field_and_changes_nothing(client, collector, hien, fields, message):
    response = client.post(reverse("field:potential", args=[hien.pk]), fields)
    assert response.status_code == 400 and message in response.content.decode()
    hien.refresh_from_db()
    assert (hien.potential, hien.potential_reason, hien.potential_return_month) == ("", "", None)


def test_the_potential_of_a_household_outside_the_area_cannot_be_set(client, collector):
    from households.tests.factories import HouseholdFactory

    elsewhere = HouseholdFactory()
    assert client.post(reverse("field:potential", args=[elsewhere.pk]), {"potential": "now"}).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.potential == ""


def test_the_household_page_says_why_an_outdated_status_gives_no_support(client, collector):
    stale = kit.household(collector, status="near_poor", head="Cận Nghèo Cũ")
    Household.objects.filter(pk=stale.pk).update(status_year=2019)
    html = client.get(reverse("field:household", args=[stale.pk]), HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert "Hộ cận nghèo năm 2019: hết hiệu lực" in html
    assert "Nhóm được hỗ trợ" not in html  # no supported group for her
    assert '<p class="total">1.366.200 ₫</p>' in html  # 12 × 113,850: the household's 1st member


def test_the_household_page_shows_the_social_pension_and_the_communes_classification(client, collector):
    commune = collector.test_commune
    commune.disadvantaged_area, commune.poor_commune = True, True
    commune.save()
    household = kit.household(collector, head="Paying Head")
    kit.add_member(household, name="Grandmother On Pension", relation=Member.Relation.PARENT,
                   born=kit.today().replace(year=kit.today().year - 80), social_pension_since=2021)
    html = client.get(reverse("field:household", args=[household.pk])).content.decode()
    assert "Social pension (trợ cấp xã hội hằng tháng) since 2021" in html
    assert "People 75 and over on a monthly social pension are insured by the state" in html
    assert "Disadvantaged area: the state insures ethnic-minority residents" in html
    assert "Poor commune" in html
    # Only the head pays: the grandmother is not counted.
    assert renewal_quote(household=household, day=kit.today()).lines[0].member.full_name == "Paying Head"
    assert len(renewal_quote(household=household, day=kit.today()).lines) == 1
