"""A small province whose every figure is known, for the dashboards' tests.

Figures are as of 20/05/2026 (`AS_OF`); the numbers each dashboard must
show are worked out next to the tests that check them."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from collectors.models import (
    Agent, CommissionRate, Payment, PaymentLine, Referral, Target, TrainingAttendance, TrainingCourse,
    TrainingSession, Visit,
)
from outreach.roles import provincial_staff_group
from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory, UserFactory
from households.models import Enrolment
from households.tests.factories import CommuneFactory, EnrolmentFactory, HouseholdFactory, MemberFactory, VillageFactory
from reminders.models import Reminder

AS_OF = date(2026, 5, 20)
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
BHYT, BHXH = Enrolment.Scheme.BHYT_HOUSEHOLD, Enrolment.Scheme.BHXH_VOLUNTARY


@dataclass
class World:
    a: object
    b: object
    a1: object
    a2: object
    b1: object
    p: object
    w: object
    c1: object
    c2: object
    c3: object
    c4: object
    staff: object
    manager: object
    officer: object


def cover(member, scheme, start, end, status=Enrolment.Status.ACTIVE):
    return EnrolmentFactory(member=member, scheme=scheme, coverage_start=start, coverage_end=end, status=status)


def pay(collector, household, scheme, paid_on, lines, *, number, cancelled=False, by):
    """lines: (enrolment, amount, new?, previous end)."""
    payment = Payment.objects.create(
        agent=collector.agent, collector=collector, household=household, scheme=scheme, receipt_number=number,
        paid_on=paid_on, months=12, amount=sum(amount for _e, amount, _n, _p in lines), recorded_by=by,
        cancelled_at=timezone.now() if cancelled else None)
    for enrolment, amount, new, previous_end in lines:
        PaymentLine.objects.create(payment=payment, enrolment=enrolment, amount=amount, monthly_amount=amount,
                                   created_enrolment=new, previous_end=previous_end, new_end=date(2027, 1, 1))


def build_world() -> World:
    a = CommuneFactory(code=90101, name="Xã An Thử", population=100)
    b = CommuneFactory(code=90102, name="Xã Bình Thử")
    a1, a2 = VillageFactory(commune=a, name="Thôn 1"), VillageFactory(commune=a, name="Thôn 2")
    b1 = VillageFactory(commune=b, name="Buôn Kô")
    h_a1 = HouseholdFactory(code="HA1", commune=a, village=a1)
    h_a2 = HouseholdFactory(code="HA2", commune=a, village=a2)
    h_b1 = HouseholdFactory(code="HB1", commune=b, village=b1)
    h_b0 = HouseholdFactory(code="HB0", commune=b, village=None)
    m1, m2, m3 = (MemberFactory(household=h_a1) for _ in range(3))
    m4, m5 = (MemberFactory(household=h_a2) for _ in range(2))
    m6, m7, m8 = (MemberFactory(household=h_b1) for _ in range(3))
    m9 = MemberFactory(household=h_b0)

    e1 = cover(m1, BHYT, date(2025, 6, 1), date(2026, 5, 31))
    e2 = cover(m2, BHYT, date(2025, 6, 1), date(2026, 5, 31))
    cover(m3, BHXH, date(2026, 1, 1), date(2026, 12, 31))
    e4 = cover(m4, BHYT, date(2025, 3, 10), date(2026, 3, 9), Enrolment.Status.LAPSED)
    cover(m5, BHYT, date(2026, 1, 1), date(2026, 12, 31), Enrolment.Status.CANCELLED)
    cover(m5, BHXH, date(2026, 4, 1), date(2026, 6, 30))
    e6a = cover(m6, BHYT, date(2025, 5, 10), date(2026, 5, 9), Enrolment.Status.LAPSED)
    cover(m6, BHYT, date(2026, 5, 10), date(2027, 5, 9))  # continues e6a the next day: no lapse
    cover(m7, BHYT, date(2023, 6, 1), date(2024, 5, 31), Enrolment.Status.LAPSED)
    e8 = cover(m8, BHXH, date(2025, 7, 1), date(2025, 12, 31), Enrolment.Status.LAPSED)
    e9 = cover(m9, BHYT, date(2026, 2, 15), date(2026, 7, 10))

    staff = UserFactory(username="staff", is_staff=True)
    staff.groups.add(provincial_staff_group())
    manager = UserFactory(username="manager", is_staff=True)
    officer = UserFactory(username="officer", is_staff=True)
    b.officers.add(officer)
    p = AgentFactory(name="Bưu điện Thử", kind=Agent.Kind.POST_OFFICE)
    w = AgentFactory(name="Hội Phụ nữ Thử", kind=Agent.Kind.WOMENS_UNION)
    p.managers.add(manager)
    c1 = CollectorFactory(agent=p, full_name="Trần Thị Mai", code="TV-1", joined_on=date(2024, 1, 1))
    c2 = CollectorFactory(agent=w, full_name="H'Hen Ksor", code="TV-2", joined_on=date(2025, 1, 1))
    c3 = CollectorFactory(agent=p, full_name="Lê Văn Nghỉ", code="TV-3", active=False)
    c4 = CollectorFactory(agent=w, full_name="Nguyễn Thị Mới", code="TV-4", joined_on=date(2026, 5, 1))
    AssignmentFactory(collector=c1, commune=a, village=a1, start=date(2026, 1, 1))
    AssignmentFactory(collector=c2, commune=b, village=None, start=date(2026, 1, 1))
    AssignmentFactory(collector=c3, commune=a, village=a2, start=date(2026, 1, 1))  # inactive: covers nothing

    for scheme, kind, rate, since in [
        (BHYT, "new", "0.05", date(2020, 1, 1)),
        (BHYT, "renewal", "0.03", date(2020, 1, 1)),
        (BHYT, "renewal", "0.035", date(2026, 5, 1)),
        (BHXH, "new", "0.08", date(2020, 1, 1)),
    ]:
        CommissionRate.objects.create(scheme=scheme, participant_kind=kind, rate=Decimal(rate), effective_from=since)
    pay(c1, h_a1, BHYT, date(2026, 4, 10), [(e1, 1_263_600, False, date(2026, 4, 30)),
                                            (e2, 884_520, False, date(2026, 4, 5))], number="P1", by=staff)
    pay(c1, h_a2, BHYT, date(2026, 5, 5), [(e4, 105_300, True, None)], number="P2", by=staff)
    pay(c1, h_a1, BHYT, date(2026, 5, 6), [(e1, 105_300, False, date(2026, 5, 31))], number="P3", by=staff)
    pay(c1, h_a1, BHYT, date(2026, 5, 7), [(e2, 500_000, False, date(2026, 5, 31))], number="P4", by=staff,
        cancelled=True)
    pay(c2, h_b1, BHXH, date(2026, 5, 10), [(e8, 1_980_000, True, None)], number="P5", by=staff)
    pay(c2, h_b1, BHXH, date(2026, 5, 11), [(e8, 990_000, False, date(2026, 5, 31))], number="P6", by=staff)
    pay(c1, h_a1, BHYT, date(2023, 12, 20), [(e1, 100_000, False, date(2023, 12, 31))], number="P7", by=staff)

    for enrolment, household, due, status in [
        (e1, h_a1, date(2026, 3, 31), Reminder.Status.DELIVERED),  # paid 10/04: renewed
        (e2, h_a1, date(2026, 3, 29), Reminder.Status.FAILED),
        (e4, h_a2, date(2026, 4, 5), Reminder.Status.UNDELIVERED),  # paid 05/05, the 30th day: renewed
        (e6a, h_b1, date(2026, 4, 9), Reminder.Status.SENT),    # nothing paid
        (e9, h_b0, date(2026, 5, 15), Reminder.Status.QUEUED),  # not sent yet: not counted
    ]:
        Reminder.objects.create(enrolment=enrolment, coverage_end=enrolment.coverage_end, stage=-30, channel="sms",
                                household=household, due_on=due, status=status)

    for collector, household, moment in [
        (c1, h_a1, datetime(2026, 5, 1, 0, 30, tzinfo=LOCAL)),  # just after midnight: May, not April
        (c1, h_a1, datetime(2026, 5, 10, 9, 0, tzinfo=LOCAL)),
        (c1, h_a2, datetime(2026, 4, 15, 9, 0, tzinfo=LOCAL)),
    ]:
        Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=household, visited_at=moment,
                             outcome=Visit.Outcome.INTERESTED)
    Referral.objects.create(household=h_a2, referred_by_household=h_a1, collector=c1, recorded_on=date(2026, 5, 2))
    Target.objects.create(collector=c1, month=date(2026, 5, 1), visits=10, new_enrolments=2, renewals=2,
                          amount=1_000_000)

    k1 = TrainingCourse.objects.create(title="Thu thập dữ liệu", topic="data_collection", refresher_months=12)
    k2 = TrainingCourse.objects.create(title="Ứng dụng VssID", topic="vssid")
    k3 = TrainingCourse.objects.create(title="Thuyết phục hộ gia đình", topic="persuasion",
                                       required_for_new_collectors=False, refresher_months=6)
    sessions = {}
    for name, course, day in [("s1", k1, date(2025, 3, 1)), ("s2", k1, date(2026, 1, 10)), ("s3", k2, date(2025, 3, 2)),
                              ("s4", k3, date(2025, 10, 1)), ("s5", k2, date(2026, 6, 1))]:
        sessions[name] = TrainingSession.objects.create(course=course, held_on=day, trainer="Tạ Đức Hậu",
                                                        place="BHXH tỉnh")
    for collector, name in [(c1, "s1"), (c1, "s3"), (c1, "s4"), (c2, "s2"), (c2, "s5")]:
        TrainingAttendance.objects.create(session=sessions[name], collector=collector)
    return World(a=a, b=b, a1=a1, a2=a2, b1=b1, p=p, w=w, c1=c1, c2=c2, c3=c3, c4=c4, staff=staff, manager=manager,
                 officer=officer)


def build_more(world: World):
    """More of everything, to show that a page's queries do not grow with it."""
    from reports.services import refresh_summaries

    for n in range(3):
        commune = CommuneFactory(code=90200 + n, population=50)
        village = VillageFactory(commune=commune)
        household = HouseholdFactory(commune=commune, village=village)
        member = MemberFactory(household=household)
        enrolment = cover(member, BHYT, date(2025, 7, 1), date(2026, 6, 30))
        collector = CollectorFactory(agent=world.p if n % 2 else world.w)
        AssignmentFactory(collector=collector, commune=commune, village=None, start=date(2026, 1, 1))
        pay(collector, household, BHYT, date(2026, 5, 2), [(enrolment, 1_000, True, None)], number=f"M{n}",
            by=world.staff)
        Target.objects.create(collector=collector, month=date(2026, 5, 1), visits=1)
        course = TrainingCourse.objects.create(title=f"Khoá {n}", topic="other", refresher_months=3)
        session = TrainingSession.objects.create(course=course, held_on=date(2026, 4, 1), trainer="A", place="B")
        TrainingAttendance.objects.create(session=session, collector=collector)
        Visit.objects.create(client_id=uuid.uuid4(), collector=collector, household=household,
                             visited_at=datetime(2026, 5, 3, 9, tzinfo=LOCAL), outcome=Visit.Outcome.INTERESTED)
    refresh_summaries(as_of=AS_OF)
