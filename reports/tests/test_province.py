"""The province dashboard on a small known world (see world.py): every number."""

from datetime import date

import pytest

from reports.selectors import Filters, province_dashboard

pytestmark = pytest.mark.django_db

MAY = date(2026, 5, 1)


def rows(board, key):
    return board.table(key).rows


def column(board, key, index):
    return [row[index] for row in rows(board, key)]


def test_coverage_by_commune_ranked_with_the_population_share_where_known(world):
    board = province_dashboard(world.staff, Filters())
    # A: 5 members, 4 insured (m4 lapsed; m5's BHYT cancelled but BHXH in force); B: 4 members, m6 and m9 insured.
    assert rows(board, "coverage") == [
        ["Xã An Thử", 90101, 5, 4, 0.8, 2, 2, 100, 0.04],
        ["Xã Bình Thử", 90102, 4, 2, 0.5, 2, 0, None, None],
    ]
    assert [(card.label, card.value) for card in board.cards] == [
        ("Members known", 9), ("Insured today (either scheme)", 6), ("Coverage of known members", 6 / 9),
        ("Voluntary social insurance participants", 2), ("Household health insurance members", 4),
        ("Health insurance cards ending within 30 days", 2),
    ]


def test_household_health_insurance_month_by_month_counts_cover_in_force_on_each_months_last_day(world):
    board = province_dashboard(world.staff, Filters(start=date(2024, 1, 1), end=MAY))
    expected = {date(2024, m, 1): 1 for m in range(1, 6)}  # m7, until 31/05/2024
    expected |= {date(2025, 3, 1): 1, date(2025, 4, 1): 1}  # m4 from 10/03/2025 (not 28/02)
    expected |= {date(2025, 5, 1): 2}  # + m6 from 10/05/2025
    expected |= {date(2025, m, 1): 4 for m in range(6, 13)} | {date(2026, 1, 1): 4}  # + m1, m2
    expected |= {date(2026, 2, 1): 5}  # + m9 from 15/02
    expected |= {date(2026, 3, 1): 4, date(2026, 4, 1): 4}  # m4 ended 09/03
    expected |= {MAY: 4}  # on 20/05: m1, m2, m9 and m6's renewed card
    table = rows(board, "bhyt_monthly")
    assert {row[0]: row[1] for row in table} == {m: expected.get(m, 0) for m, *_ in table}
    assert len(table) == 29
    may = table[-1]
    assert may == [MAY, 4, 0, 2, 1.0]  # no change on April; May 2025: 2, so +100 %
    assert table[0][2] is None and table[0][3] is None  # nothing kept before January 2024


def test_voluntary_social_insurance_month_by_month_and_year_over_year(world):
    board = province_dashboard(world.staff, Filters(start=date(2025, 6, 1), end=MAY))
    assert column(board, "bhxh_monthly", 1) == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2]
    assert rows(board, "bhxh_monthly")[1] == [date(2025, 7, 1), 1, 1, 0, None]
    yoy = rows(board, "bhxh_yoy")
    assert board.table("bhxh_yoy").columns[1].label == "2024"
    assert yoy[0] == ["01", 0, 0, 1]
    assert yoy[3] == ["04", 0, 0, 2]
    assert yoy[6] == ["07", 0, 1, None]  # July 2026 is still to come
    assert yoy[11] == ["12", 0, 1, None]


def test_new_enrolments_renewals_and_lapses_per_month(world):
    board = province_dashboard(world.staff, Filters(start=date(2025, 12, 1), end=MAY))
    # P4 is cancelled and does not count; P7 (2023) is older than the kept months.
    assert rows(board, "movements") == [
        [date(2025, 12, 1), 0, 0, 0, 1],  # m8's voluntary cover ended 31/12
        [date(2026, 1, 1), 0, 0, 0, 0],
        [date(2026, 2, 1), 0, 0, 0, 0],
        [date(2026, 3, 1), 0, 0, 0, 1],  # m4; m6's card was continued, so it is no lapse
        [date(2026, 4, 1), 0, 2, 1, 0],  # P1: m1 on time, m2 after its end
        [MAY, 2, 2, 2, 0],  # P2 and P5 new; P3 and P6 renewals, both on time
    ]


def test_cover_ending_within_30_60_and_90_days_by_commune(world):
    board = province_dashboard(world.staff, Filters())
    assert rows(board, "ending") == [
        ["Xã An Thử", 2, 2, 2, 0, 1, 1],  # m1, m2 end 31/05; m5's voluntary cover 30/06
        ["Xã Bình Thử", 0, 1, 1, 0, 0, 0],  # m9 ends 10/07
    ]


def test_reminder_outcomes(world):
    board = province_dashboard(world.staff, Filters(start=date(2026, 3, 1), end=MAY))
    assert rows(board, "reminders") == [
        [date(2026, 3, 1), 1, 1, 1, 1.0],
        [date(2026, 4, 1), 2, 0, 1, 0.5],  # m4 paid on the 30th day; m6 did not pay
        [MAY, 0, 0, 0, None],  # queued reminders are not counted
    ]


def test_the_delivery_rate_of_reminder_sms_by_commune_worst_first(world):
    board = province_dashboard(world.staff, Filters(start=date(2026, 3, 1), end=MAY))
    # An Thử: one delivered, one not delivered (both still count as sent); Bình Thử: one sent, no report.
    assert rows(board, "delivery") == [["Xã Bình Thử", 1, 0, 0, 0.0], ["Xã An Thử", 2, 1, 1, 0.5]]


def test_filters_by_commune_and_agent(world):
    board = province_dashboard(world.staff, Filters(commune=world.b.pk, start=MAY, end=MAY))
    assert rows(board, "coverage") == [["Xã Bình Thử", 90102, 4, 2, 0.5, 2, 0, None, None]]
    assert rows(board, "movements") == [[MAY, 1, 1, 1, 0]]
    # The post office's collector covers village Thôn 1 only: its households, its receipts.
    board = province_dashboard(world.staff, Filters(agent=world.p.pk, start=MAY, end=MAY))
    assert rows(board, "coverage") == [["Xã An Thử", 90101, 3, 3, 1.0, 2, 1, None, None]]
    assert rows(board, "movements") == [[MAY, 1, 1, 1, 0]]


def _judge(code, potential, month=None):
    from households.models import Household

    Household.objects.filter(code=code).update(potential=potential, potential_return_month=month)


def test_households_that_could_join_are_counted_by_commune_and_what_the_collector_said(world, client):
    from reports.services import refresh_summaries

    from .world import AS_OF

    _judge("HA1", "later")  # m3's voluntary social insurance is no health insurance: a prospect, as on Today
    _judge("HA2", "now")
    _judge("HB1", "not_now", MAY)  # its month has come
    _judge("HB0", "", None)
    refresh_summaries(as_of=AS_OF)
    board = province_dashboard(world.staff, Filters())
    assert rows(board, "prospects") == [["Xã An Thử", 1, 1, 0, 0], ["Xã Bình Thử", 0, 0, 1, 1]]
    assert [str(c.label) for c in board.table("prospects").columns] == [
        "Commune", "Could pay now", "Could pay later", "Not now", "Month to come back has come"]
    client.force_login(world.staff)
    from django.urls import reverse

    response = client.get(reverse("admin:reports_province"), {"export": "prospects"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_the_electronic_card_by_commune_and_vssid_installations_against_targets(world):
    import uuid
    from datetime import datetime

    from collectors.models import Target, Visit
    from households.models import Household
    from reports.services import refresh_summaries

    from .world import AS_OF, LOCAL

    m1, m2, _m3 = Household.objects.get(code="HA1").members.order_by("pk")
    type(m1).objects.filter(pk=m1.pk).update(vssid_installed=True)
    type(m2).objects.filter(pk=m2.pk).update(vneid_level2=True)
    visit = Visit.objects.create(client_id=uuid.uuid4(), collector=world.c1, household=m1.household,
                                 visited_at=datetime(2026, 5, 12, 9, tzinfo=LOCAL), outcome="interested",
                                 helped_vssid=True)
    visit.vssid_installed_for.add(m1)
    Target.objects.create(commune=world.a, month=MAY, vssid_installations=4)
    Target.objects.create(collector=world.c2, month=MAY, vssid_installations=3)
    Target.objects.filter(collector=world.c1, month=MAY).update(vssid_installations=2)
    refresh_summaries(as_of=AS_OF)
    board = province_dashboard(world.staff, Filters(start=MAY, end=MAY))
    # A: 4 insured (m1, m2, m3, m5), m1 has VssID and m2 VNeID: 2 without; B: m6 and m9, both without.
    assert rows(board, "digital_id") == [
        ["Xã An Thử", 4, 2, 0.5, 1, 4, 0.25],
        ["Xã Bình Thử", 2, 2, 1.0, 0, None, None],
    ]
    assert rows(board, "vssid_collectors") == [["H'Hen Ksor", "TV-2", 0, 3, 0.0],
                                               ["Trần Thị Mai", "TV-1", 1, 2, 0.5]]


def test_people_the_state_insures_are_no_prospects_on_the_dashboard_as_on_today(world):
    """Judged households whose only uninsured members the state (or another scheme) insures are not counted;
    a poor household whose status no longer holds is."""
    from households.models import Household, Member
    from households.tests.factories import HouseholdFactory, MemberFactory
    from reports.services import refresh_summaries

    from .world import AS_OF

    Household.objects.update(potential="")
    commune = world.b
    commune.disadvantaged_area = True
    commune.save()

    def judged(code, status=Household.EconomicStatus.OTHER, status_year=None, **member):
        household = HouseholdFactory(code=code, commune=commune, village=None, potential="now",
                                     economic_status=status, status_year=status_year)
        MemberFactory(household=household, **member)

    poor = Household.EconomicStatus.POOR
    judged("POOR-NOW", poor, AS_OF.year)
    judged("CHILD", date_of_birth=date(2023, 1, 1))
    judged("ELSEWHERE", insured_elsewhere=True)
    judged("PENSION", date_of_birth=date(1940, 1, 1), social_pension_since=2010)
    judged("EDE", ethnicity="12")
    judged("POOR-OLD", poor, AS_OF.year - 5)  # outdated: pays like anyone
    judged("KINH")
    refresh_summaries(as_of=AS_OF)
    assert rows(province_dashboard(world.staff, Filters()), "prospects") == [["Xã Bình Thử", 2, 0, 0, 0]]
    assert Member.objects.filter(household__code__in=["POOR-OLD", "KINH"]).count() == 2
