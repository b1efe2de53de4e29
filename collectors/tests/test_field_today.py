"""Today: who to visit, most urgent first, grouped by village, with the reason
and the amount due — in a fixed number of queries and a light page."""

import re
import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from collectors.models import Visit
from collectors.selectors import TODAY_PAGE_SIZE
from collectors.tests import fieldkit as kit
from households.contributions import format_vnd
from households.models import Enrolment, Household, Member
from households.quotes import renewal_quote
from households.tests.factories import VillageFactory

pytestmark = pytest.mark.django_db
# 14: a fourth ranking since insured members without VssID or VNeID level 2 are a reason to visit.
# 15: prospects the collector judged (could pay now / later / not now) are ranked in a query of their own,
# through a partial index, so that the others are still read in the area index's order and stop at the page.
TODAY_QUERIES = 15  # session, user with collector, area, 5 rankings, households, members, cover, 3 rates, reminders


def page(client, **params):
    return client.get(reverse("field:today"), params).content.decode()


def order_of(html, *names):
    return [html.index(name) for name in names]


def visit(collector, household, *, days_ago=0, **fields):
    return Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=household,
                                visited_at=timezone.now() - timedelta(days=days_ago), **fields)


def test_cards_ending_within_30_days_or_ended_up_to_60_days_ago_are_due(client, collector):
    for name, days in [("Ends In Ten", 10), ("Ends In Thirty", 30), ("Ended Twenty Ago", -20),
                       ("Ended Sixty Ago", -60), ("Ends In Forty", 40)]:
        kit.cover(kit.head_of(kit.household(collector, head=name)), ends_in_days=days)
    html = page(client)
    assert "Ends In Ten: health-insurance card ends" in html and "(10 days left)" in html
    assert "Ended Twenty Ago: health-insurance card ended" in html and "(20 days ago)" in html
    assert "Ends In Thirty" in html and "Ended Sixty Ago" in html
    assert "Ends In Forty" not in html


def test_most_urgent_first_the_earliest_date_at_stake(client, collector):
    for name, days in [("Soon", 3), ("Long Lapsed", -50), ("Just Lapsed", -1), ("Later", 25)]:
        kit.cover(kit.head_of(kit.household(collector, head=name)), ends_in_days=days)
    html = page(client)
    assert order_of(html, "Long Lapsed", "Just Lapsed", "Soon", "Later") == sorted(
        order_of(html, "Long Lapsed", "Just Lapsed", "Soon", "Later"))


def test_a_renewed_card_is_not_due(client, collector):
    head = kit.head_of(kit.household(collector, head="Already Renewed"))
    kit.cover(head, ends_in_days=-10, months=12)
    Enrolment.objects.create(member=head, scheme="bhyt_hgd", coverage_start=kit.today() - timedelta(days=9),
                             coverage_end=kit.today() + timedelta(days=355), monthly_amount=113_850)
    assert "Already Renewed" not in page(client)


def test_a_promised_follow_up_is_due_on_its_day_until_the_next_visit(client, collector):
    promised = kit.household(collector, head="Promised Today")
    kit.cover(kit.head_of(promised), ends_in_days=200)
    visit(collector, promised, days_ago=3, outcome=Visit.Outcome.WILL_PAY, follow_up_on=kit.today())
    later = kit.household(collector, head="Promised Next Week")
    kit.cover(kit.head_of(later), ends_in_days=200)
    visit(collector, later, days_ago=1, outcome=Visit.Outcome.INTERESTED,
          follow_up_on=kit.today() + timedelta(days=7))
    html = page(client)
    assert "Promised Today" in html and "You promised to come back on" in html
    assert "Promised Next Week" not in html
    visit(collector, promised, outcome=Visit.Outcome.NOBODY_HOME)
    assert "Promised Today" not in page(client)


def test_prospects_are_uninsured_members_of_households_that_could_afford_it(client, collector):
    prospect = kit.household(collector, head="Uninsured Mother")
    kit.add_member(prospect, name="Baby Under Six", born=kit.today() - timedelta(days=700),
                   relation=Member.Relation.CHILD)
    kit.household(collector, head="Poor Household Head", status=Household.EconomicStatus.POOR)
    long_lapsed = kit.household(collector, head="Lapsed Long Ago")
    kit.cover(kit.head_of(long_lapsed), ends_in_days=-200)
    visited = kit.household(collector, head="Declined Last Week")
    visit(collector, visited, days_ago=7, outcome=Visit.Outcome.DECLINED, decline_reason="no_money")
    moved = kit.household(collector, head="Moved Away Long Ago")
    visit(collector, moved, days_ago=90, outcome=Visit.Outcome.MOVED_AWAY)
    html = page(client)
    assert "Uninsured Mother: no health insurance" in html
    assert "Lapsed Long Ago: no health insurance" in html
    for absent in ["Baby Under Six", "Poor Household Head", "Declined Last Week", "Moved Away Long Ago"]:
        assert absent not in html


def test_prospects_come_after_every_dated_reason(client, collector):
    kit.household(collector, head="Aaa Prospect")
    kit.cover(kit.head_of(kit.household(collector, head="Zzz Expiring")), ends_in_days=29)
    html = page(client)
    assert html.index("Zzz Expiring") < html.index("Aaa Prospect")


def test_households_are_grouped_by_village(client, collector):
    other_village = VillageFactory(commune=collector.test_commune, name="Buôn Kô")
    kit.cover(kit.head_of(kit.household(collector, head="In Buon Ko", village=other_village)), ends_in_days=1)
    kit.cover(kit.head_of(kit.household(collector, head="In First Village")), ends_in_days=2)
    kit.cover(kit.head_of(kit.household(collector, head="Also Buon Ko", village=other_village)), ends_in_days=3)
    html = page(client)
    headings = re.findall(r"<h2>(.*?)</h2>", html)
    assert headings == ["Buôn Kô", collector.test_village.name]
    assert html.index("Also Buon Ko") < html.index(collector.test_village.name)


def test_each_line_shows_what_renewing_who_still_has_to_pay_costs(client, collector):
    household = kit.household(collector, head="Head Due")
    head = kit.head_of(household)
    spouse = kit.add_member(household, name="Spouse Due")
    covered = kit.add_member(household, name="Covered Till Next Year", relation=Member.Relation.PARENT,
                             born=date(1950, 1, 1))
    kit.cover(head, ends_in_days=5)
    kit.cover(spouse, ends_in_days=-5)
    kit.cover(covered, ends_in_days=300)
    quote = renewal_quote(household=household, day=kit.today())
    html = page(client)
    # The parent, insured for this period, keeps the first place: head and spouse are 2nd and 3rd.
    assert format_vnd(quote.total) in html and quote.total == 12 * (79_695 + 68_310)
    assert [line.member for line in quote.lines] == [head, spouse]
    assert "Covered Till Next Year" not in html


def test_voluntary_social_insurance_due_shows_the_monthly_amount(client, collector):
    head = kit.head_of(kit.household(collector, head="Voluntary Payer"))
    kit.cover(head, ends_in_days=365)
    kit.cover(head, ends_in_days=12, scheme=Enrolment.Scheme.BHXH_VOLUNTARY, monthly_amount=264_000)
    html = page(client)
    assert "Voluntary Payer: voluntary social insurance paid up to" in html
    assert "voluntary social insurance 264.000 ₫/month" in html


def _judged(collector, name, potential="", month=None, reason=""):
    found = kit.household(collector, head=name)
    Household.objects.filter(pk=found.pk).update(potential=potential, potential_return_month=month,
                                                 potential_reason=reason)
    return found


def _month(months_ahead):
    first = kit.today().replace(day=1)
    total = first.year * 12 + first.month - 1 + months_ahead
    return date(total // 12, total % 12 + 1, 1)


def test_prospects_could_pay_now_first_then_those_whose_month_has_come_then_later(client, collector):
    _judged(collector, "Nobody Asked")
    _judged(collector, "Pays Later", "later", _month(3))
    _judged(collector, "Month Has Come", "not_now", _month(0), "chờ thu hoạch cà phê")
    _judged(collector, "Not Now Yet", "not_now", _month(2))
    _judged(collector, "Pays Now", "now")
    html = page(client)
    assert order_of(html, "Pays Now", "Month Has Come", "Pays Later", "Nobody Asked") == sorted(
        order_of(html, "Pays Now", "Month Has Come", "Pays Later", "Nobody Asked"))
    assert "Not Now Yet" not in html
    assert f"Come back in {_month(0):%m/%Y}: chờ thu hoạch cà phê" in html


def test_a_household_whose_month_has_come_is_brought_back_though_visited_lately(client, collector):
    back = _judged(collector, "Back This Month", "not_now", _month(0))
    visit(collector, back, days_ago=kit.today().day + 3, outcome=Visit.Outcome.INTERESTED)  # last month
    rested = kit.household(collector, head="Visited Lately")
    visit(collector, rested, days_ago=kit.today().day + 3, outcome=Visit.Outcome.INTERESTED)
    html = page(client)
    assert "Back This Month" in html and "Visited Lately" not in html
    visit(collector, back, days_ago=0, outcome=Visit.Outcome.INTERESTED)  # seen this month: left alone again
    assert "Back This Month" not in page(client)


def test_the_come_back_message_is_in_vietnamese(client, collector):
    _judged(collector, "Hẹn Tháng", "later", _month(0), "chờ thu hoạch cà phê")
    html = client.get(reverse("field:today"), headers={"accept-language": "vi"}).content.decode()
    assert f"Hẹn quay lại tháng {_month(0):%m/%Y}: chờ thu hoạch cà phê" in html


def test_an_empty_area_says_nobody_is_due(client, collector):
    assert "Nobody is due in your area today." in page(client)


def test_a_page_past_the_last_says_so_and_links_to_the_first(client, collector):
    kit.cover(kit.head_of(kit.household(collector, head="Ends In Ten")), ends_in_days=10)
    html = page(client, page=2)
    assert "Nobody is due in your area today." not in html and "Ends In Ten" not in html
    assert "No more households on this page." in html
    assert re.search(r'<a href="\?page=1">Back to page 1</a>', html)


def due_households(collector, count, village=None):
    for n in range(count):
        household = kit.household(collector, head=f"Due Person {n:03d}", village=village)
        kit.cover(kit.head_of(household), ends_in_days=n % 90 - 60)
        kit.cover(kit.add_member(household, name=f"Spouse {n:03d}", citizen_id=None), ends_in_days=n % 30)
        if n % 3 == 0:
            visit(collector, household, days_ago=2, outcome=Visit.Outcome.WILL_PAY, follow_up_on=kit.today())
        kit.household(collector, head=f"Prospect {n:03d}", village=village)


@pytest.mark.parametrize("households", [2, 70])
def test_today_runs_a_fixed_number_of_queries_whatever_the_area(client, collector, households,
                                                                django_assert_num_queries):
    for village in [collector.test_village, VillageFactory(commune=collector.test_commune)]:
        due_households(collector, households // 2, village)
    with django_assert_num_queries(TODAY_QUERIES):
        response = client.get(reverse("field:today"))
    assert response.status_code == 200


def test_a_large_area_shows_the_50_most_urgent_in_a_light_page_then_more(client, collector):
    due_households(collector, 90)
    response = client.get(reverse("field:today"))
    html = response.content.decode()
    assert len(response.content) < 100_000
    assert html.count('class="card"') == TODAY_PAGE_SIZE
    assert "Due Person 000" in html and "?page=2" in html
    second = page(client, page=2)
    assert second.count('class="card"') == TODAY_PAGE_SIZE and "Due Person 000" not in second
    shown = set(re.findall(r"Due Person \d+|Prospect \d+", html)) | set(re.findall(r"Due Person \d+|Prospect \d+", second))
    assert {f"Due Person {n:03d}" for n in range(90)} <= shown


def test_a_household_whose_reminder_sms_did_not_arrive_shows_the_operators_reason(client):
    from reminders.models import Reminder

    collector = kit.collector_with_area()
    kit.phone_login(client, collector)
    household = kit.household(collector, head="H Hen Ksor")
    cover = kit.cover(kit.head_of(household), ends_in_days=7)
    Reminder.objects.create(enrolment=cover, coverage_end=cover.coverage_end, stage=-7, channel="sms",
                            household=household, due_on=kit.today(), status="undelivered",
                            reason="expired (phone unreachable)")
    html = client.get(reverse("field:today")).content.decode()
    assert "H Hen Ksor" in html
    assert ("The reminder SMS did not reach their phone (expired (phone unreachable)): tell them in person."
            in html)


def test_today_shows_what_the_nightly_reminder_did_for_each_household(client):
    from reminders.models import Reminder

    collector = kit.collector_with_area()
    kit.phone_login(client, collector)
    for name, status in [("Lê Thị Lan", "sent"), ("Y Bhin Niê", "no_phone")]:
        household = kit.household(collector, head=name)
        cover = kit.cover(kit.head_of(household), ends_in_days=7)
        Reminder.objects.create(enrolment=cover, coverage_end=cover.coverage_end, stage=-7, channel="sms",
                                household=household, due_on=kit.today(), status=status)
    html = client.get(reverse("field:today")).content.decode()
    assert "A reminder SMS was sent." in html
    assert "No reminder could be sent: tell them in person." in html


def test_a_member_insured_by_another_scheme_is_no_prospect(client, collector):
    household = kit.household(collector, head="Pensioner Head")
    Member.objects.filter(pk=kit.head_of(household).pk).update(insured_elsewhere=True)
    assert "Pensioner Head" not in page(client)


def test_insured_members_without_vssid_or_vneid_are_listed_after_every_other_reason(client, collector):
    no_app = kit.household(collector, head="No App Yet", vssid=False)
    kit.cover(kit.head_of(no_app), ends_in_days=200)
    kit.household(collector, head="Not Insured Yet")
    has_vneid = kit.household(collector, head="Has Vneid", vssid=False)
    Member.objects.filter(household=has_vneid).update(vneid_level2=True)
    kit.cover(kit.head_of(has_vneid), ends_in_days=200)
    due = kit.household(collector, head="Due Soon")
    kit.cover(kit.head_of(due), ends_in_days=5)
    html = client.get(reverse("field:today")).content.decode()
    assert "No App Yet: neither VssID nor VNeID level 2, needed to show the card" in html
    assert "Has Vneid" not in html
    assert html.index("Due Soon") < html.index("Not Insured Yet") < html.index("No App Yet")


def test_the_digital_id_reason_is_in_vietnamese(client, collector):
    kit.cover(kit.head_of(kit.household(collector, head="No App Yet", vssid=False)), ends_in_days=200)
    client.cookies["django_language"] = "vi"
    html = client.get(reverse("field:today")).content.decode()
    assert "No App Yet: chưa có VssID hay VNeID mức 2 để xuất trình thẻ" in html


def test_members_the_state_insures_for_their_age_or_where_they_live_are_no_prospects(client, collector):
    """A pensioner 75+ and an ethnic-minority member of a disadvantaged area pay nothing: nobody to win over.
    Those not yet 75, or of a commune that left the list, still are prospects."""
    pensioner = kit.household(collector, head="Pensioner Over 75")
    Member.objects.filter(pk=kit.head_of(pensioner).pk).update(
        date_of_birth=kit.today().replace(year=kit.today().year - 80), social_pension_since=2020)
    young_pensioner = kit.household(collector, head="Pensioner At 70")
    Member.objects.filter(pk=kit.head_of(young_pensioner).pk).update(
        date_of_birth=kit.today().replace(year=kit.today().year - 70), social_pension_since=2020)
    commune = collector.test_commune
    commune.disadvantaged_area = True
    commune.save()
    ede = kit.household(collector, head="H'Hen Ksor")
    Member.objects.filter(pk=kit.head_of(ede).pk).update(ethnicity="12")
    kit.household(collector, head="Kinh Head Of The Same Commune")
    html = page(client)
    assert "Pensioner At 70: no health insurance" in html
    assert "Kinh Head Of The Same Commune: no health insurance" in html
    assert "Pensioner Over 75" not in html
    assert "H&#x27;Hen Ksor" not in html and "H'Hen Ksor" not in html
    commune.disadvantaged_area, commune.left_disadvantaged_area = False, True
    commune.save()
    assert "Ksor: no health insurance" in page(client)


def test_a_household_due_for_renewal_does_not_list_its_pensioner_over_75_as_a_prospect(client, collector):
    household = kit.household(collector, head="Renewing Head")
    kit.cover(kit.head_of(household), ends_in_days=10)
    kit.add_member(household, name="Grandfather On Pension", relation=Member.Relation.PARENT,
                   born=kit.today().replace(year=kit.today().year - 80), social_pension_since=2020)
    html = page(client)
    assert "Renewing Head" in html
    assert "Grandfather On Pension" not in html


def test_a_poor_household_whose_status_no_longer_holds_is_a_prospect(client, collector):
    """The state insures the poor only for the years their status holds (status_valid_years): after that they pay."""
    kit.household(collector, head="Poor Of This Year", status=Household.EconomicStatus.POOR)
    outdated = kit.household(collector, head="Poor Of Long Ago", status=Household.EconomicStatus.POOR)
    Household.objects.filter(pk=outdated.pk).update(status_year=kit.today().year - 5)
    html = page(client)
    assert "Poor Of Long Ago: no health insurance" in html
    assert "Poor Of This Year" not in html
