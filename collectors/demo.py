"""A year of the field operation for the demo, on top of the registry that
`households.demo` seeded: agents, collectors in most communes and their areas,
monthly targets, visits, receipts, referrals, commission rates and training.

Deterministic for a seed and a reference date. Receipts go through
`collectors.payments.record_payment` in the order they were taken, so every
cover they extend or start is the one the rules give; visits, referrals and
training are bulk inserts (nothing in them depends on other rows' rules).
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from households.models import Commune, Enrolment, Household
from households.contributions import ContributionError
from households.quotes import paying_members, quote_household_payment
from households.rates import rates_on

from .models import (
    Agent,
    Assignment,
    Collector,
    CommissionRate,
    Referral,
    Target,
    TrainingAttendance,
    TrainingCourse,
    TrainingSession,
    Visit,
)
from .payments import record_payment, support_months_used

BHYT, BHXH = Enrolment.Scheme.BHYT_HOUSEHOLD, Enrolment.Scheme.BHXH_VOLUNTARY
# The share of communes with a collector of their own (the others are the
# uncovered communes the network dashboard lists).
COVERED_SHARE = 0.85
RENEWING_SHARE = 0.7  # of the households whose cover ran out in the year
ENROLLING_SHARE = 0.35  # of the uninsured households of an area
# The demo logins (outreach.demo) are collectors of the seeded network: same codes, agents and communes.
DEMO_COLLECTORS = {24259: ("collector1", "TV-0001", "Trần Thị Mai", "0912345601", "BD-DLK"),
                   24580: ("collector2", "TV-0002", "H'Hen Ksor", "0912345602", "HPN-24580")}
UNION_KINDS = [(Agent.Kind.WOMENS_UNION, "HPN", "Hội Liên hiệp Phụ nữ"), (Agent.Kind.FARMERS_UNION, "HND", "Hội Nông dân"),
               (Agent.Kind.COMMUNE_OFFICE, "UBND", "Ủy ban nhân dân"), (Agent.Kind.VETERANS_UNION, "HCCB", "Hội Cựu chiến binh")]
COURSES = [("Thu thập thông tin hộ gia đình", TrainingCourse.Topic.DATA_COLLECTION, True, 12),
           ("Chính sách BHYT hộ gia đình và BHXH tự nguyện", TrainingCourse.Topic.SCHEME_RULES, True, 12),
           ("Hướng dẫn ứng dụng VssID", TrainingCourse.Topic.VSSID, True, None),
           ("Kỹ năng vận động người dân", TrainingCourse.Topic.PERSUASION, False, 6)]
# Invented for the demo: Decision 1155/QĐ-BHXH's rates were not found in a public text.
COMMISSION = [(BHYT, "new", "0.0600"), (BHYT, "renewal", "0.0450"), (BHXH, "new", "0.0800"),
              (BHXH, "renewal", "0.0500")]
FAMILY = {"Trần", "Nguyễn", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi"}
GIVEN = ["Thị Lan", "Văn Hùng", "Thị Hoa", "Minh Tuấn", "Thị Hằng", "Văn Dũng", "Thị Nga", "Quốc Bảo", "Thị Yến",
         "Văn Lộc", "Thị Thu", "Đức Anh"]
HIGHLAND_COLLECTORS = ["H'Ni Êban", "Y Sươn Niê", "H'Bia Mlô", "Y Kông Ksor", "H'Ruôn Byă", "Y Thuột Adrơng"]


@dataclass
class FieldTotals:
    agents: int = 0
    collectors: int = 0
    visits: int = 0
    payments: int = 0
    referrals: int = 0
    sessions: int = 0
    skipped: list = field(default_factory=list)


def months_back(today: date, count: int) -> list[date]:
    """The first days of the `count` months up to today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def _uuid(rng) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _moment(day: date, rng) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(7, 17), rng.choice([0, 15, 30, 45]))))


class FieldWorld:
    def __init__(self, *, seed: int, today: date):
        # Its own stream: the registry drawn for a seed stays the same with or without the field operation.
        self.rng = random.Random(f"field-{seed}")
        self.today = today
        self.start = today - timedelta(days=365)
        self.totals = FieldTotals()
        self.receipts = {}  # agent id → last receipt serial

    # --- the network ----------------------------------------------------------

    @transaction.atomic
    def network(self, communes: list[Commune]) -> dict[int, Collector]:
        """Agents, one collector in most communes (two demo logins among them), their areas."""
        rng = self.rng
        post_office, _ = Agent.objects.update_or_create(
            code="BD-DLK", defaults={"name": "Bưu điện tỉnh Đắk Lắk", "kind": Agent.Kind.POST_OFFICE})
        covered = [c for c in communes if c.code in DEMO_COLLECTORS or rng.random() < COVERED_SHARE]
        User = get_user_model()
        collectors = {}
        phones = set()
        for n, commune in enumerate(covered, start=1):
            if commune.code in DEMO_COLLECTORS:
                username, code, name, phone, agent_code = DEMO_COLLECTORS[commune.code]
            else:
                username, code, agent_code = f"ctv{commune.code}", f"TV-{commune.code}", None
                name = (rng.choice(HIGHLAND_COLLECTORS) if rng.random() < 0.25
                        else f"{rng.choice(sorted(FAMILY))} {rng.choice(GIVEN)}")
                phone = None
                while phone is None or phone in phones:
                    phone = f"09{rng.randrange(10**8):08d}"
            phones.add(phone)
            if agent_code == "BD-DLK" or (agent_code is None and rng.random() < 0.55):
                agent = post_office
            else:
                kind, prefix, title = (UNION_KINDS[0] if agent_code else rng.choice(UNION_KINDS))
                agent, _ = Agent.objects.update_or_create(
                    code=agent_code or f"{prefix}-{commune.code}",
                    defaults={"name": f"{title} {commune.name.replace('Phường', 'phường').replace('Xã', 'xã')}",
                              "kind": kind, "commune": commune})
            joined = self.start - timedelta(days=rng.randrange(0, 700)) if rng.random() < 0.85 else \
                self.start + timedelta(days=rng.randrange(30, 300))
            user, _ = User.objects.get_or_create(username=username, defaults={"first_name": name})
            if not user.has_usable_password():
                user.set_unusable_password()
                user.save(update_fields=["password"])
            collector, _ = Collector.objects.update_or_create(
                user=user, defaults={"agent": agent, "code": code, "full_name": name, "phone": phone,
                                     "joined_on": joined})
            Assignment.objects.get_or_create(collector=collector, commune=commune, village=None,
                                             defaults={"start": min(joined, self.start)})
            collectors[commune.code] = collector
        self.totals.agents = Agent.objects.count()
        self.totals.collectors = len(collectors)
        return collectors

    # --- money ----------------------------------------------------------------

    def commission_rates(self):
        for scheme, kind, rate in COMMISSION:
            CommissionRate.objects.get_or_create(
                scheme=scheme, participant_kind=kind, effective_from=date(self.start.year, 1, 1),
                defaults={"rate": Decimal(rate), "source": "Số liệu mẫu của bản demo (check)"})

    def _receipt(self, collector: Collector) -> str:
        serial = self.receipts.get(collector.agent_id, 0) + 1
        self.receipts[collector.agent_id] = serial
        return f"{collector.agent.code}-{self.start.year % 100:02d}{serial:05d}"

    def receipts_for(self, collectors: dict[int, Collector]) -> list[tuple]:
        """(paid on, collector, household, members, scheme, months, income, new?) for
        the year: renewals of the cover that ran out in it, a few first enrolments."""
        rng = self.rng
        plans = []
        households = (Household.objects.filter(commune_id__in=list(collectors)).order_by("pk")
                      .prefetch_related("members__enrolments"))
        for household in households:
            collector = collectors[household.commune_id]
            members = sorted(household.members.all(), key=lambda m: m.pk)
            covers = [e for m in members for e in m.enrolments.all() if e.status != Enrolment.Status.CANCELLED]
            bhyt = [e for e in covers if e.scheme == BHYT]
            earliest = max(self.start, collector.joined_on + timedelta(days=30))
            if bhyt:
                end = max(e.coverage_end for e in bhyt)
                if earliest <= end <= self.today and rng.random() < RENEWING_SHARE:
                    paid = end + timedelta(days=rng.randint(-25, 20))
                    if earliest <= paid < self.today:
                        ending = [e.member for e in bhyt if e.coverage_end == end]
                        plans.append((paid, collector, household, ending, BHYT, rng.choice([3, 6, 12, 12]),
                                      None, False))
            elif not covers and rng.random() < ENROLLING_SHARE:
                paid = earliest + timedelta(days=rng.randrange(max(1, (self.today - earliest).days)))
                payers = paying_members(household, members, paid)
                if payers and paid < self.today:
                    plans.append((paid, collector, household, payers, BHYT, 12, None, True))
            for enrolment in covers:
                if (enrolment.scheme == BHXH and earliest <= enrolment.coverage_end < self.today
                        and rng.random() < RENEWING_SHARE):
                    paid = enrolment.coverage_end - timedelta(days=rng.randint(0, 20))
                    if paid >= earliest:
                        plans.append((paid, collector, household, [enrolment.member], BHXH, rng.choice([3, 6, 12]),
                                      rng.choice([1_500_000, 2_000_000, 3_000_000]), False))
        plans.sort(key=lambda plan: (plan[0], plan[2].pk, plan[4]))
        return plans

    @transaction.atomic  # one commit (each receipt its savepoint): SQLite syncs to disk once, not 400 times
    def record(self, plans) -> list[tuple]:
        """Each receipt through the one service that moves cover; returns (plan, payment)."""
        done, rates = [], {}
        for plan in plans:
            paid, collector, household, members, scheme, months, income, _new = plan
            if paid not in rates:
                rates[paid] = rates_on(paid)
            try:
                used = support_months_used(members[0]) if scheme == BHXH else 0
                quote = quote_household_payment(household=household, members=members, scheme=scheme, months=months,
                                                day=paid, income=income, support_months_used=used,
                                                rates=rates[paid])
                payment = record_payment(
                    collector=collector, household=household, members=members, scheme=scheme, months=months,
                    paid_on=paid, receipt_number=self._receipt(collector), amount=quote.total, income=income,
                    recorded_by=collector.user)
            except (ContributionError, ValidationError) as error:  # the rules refuse it: not taken
                self.totals.skipped.append((household.code, str(error)))
                continue
            done.append((plan, payment))
        self.totals.payments = len(done)
        return done

    # --- visits and referrals -------------------------------------------------

    def visits_and_referrals(self, collectors: dict[int, Collector], paid: list[tuple]):
        rng = self.rng
        visits = []
        for (day, collector, household, _members, _scheme, _months, _income, new), payment in paid:
            visits.append(Visit(client_id=_uuid(rng), collector=collector, household=household,
                                visited_at=_moment(day, rng), payment=payment,
                                outcome=Visit.Outcome.ENROLLED if new else Visit.Outcome.RENEWED))
        area = {}
        for household_id, commune_id in Household.objects.filter(
                commune_id__in=list(collectors)).order_by("pk").values_list("pk", "commune_id"):
            area.setdefault(commune_id, []).append(household_id)
        outcomes = [(Visit.Outcome.INTERESTED, 30), (Visit.Outcome.WILL_PAY, 20), (Visit.Outcome.DECLINED, 20),
                    (Visit.Outcome.NOBODY_HOME, 25), (Visit.Outcome.MOVED_AWAY, 2)]
        reasons = [r for r, _label in Visit.DeclineReason.choices]
        for commune_code, collector in sorted(collectors.items()):
            homes = area.get(commune_code) or []
            if not homes:
                continue
            day = max(self.start, collector.joined_on)
            # Some collectors went quiet lately: the network dashboard lists those without a visit in 14 days.
            last = self.today - timedelta(days=rng.choice([0, 1, 2, 3, 20]))
            while day <= last:
                if day.weekday() < 6 and rng.random() < 0.35:
                    outcome = rng.choices(*zip(*outcomes))[0]
                    visits.append(Visit(
                        client_id=_uuid(rng), collector=collector, household_id=rng.choice(homes),
                        visited_at=_moment(day, rng), outcome=outcome,
                        decline_reason=rng.choice(reasons) if outcome == Visit.Outcome.DECLINED else "",
                        follow_up_on=day + timedelta(days=rng.randint(3, 30)) if outcome == Visit.Outcome.WILL_PAY
                        else None))
                day += timedelta(days=1)
        Visit.objects.bulk_create(visits, batch_size=2_000)
        self.totals.visits = len(visits)

        # People enrolled bring their neighbours: about half the new households were referred by one of the village.
        insured_by_village = {}
        for household_id, village_id in (Household.objects.filter(members__enrolments__isnull=False,
                                                                  village__isnull=False)
                                         .order_by("pk").distinct().values_list("pk", "village_id")):
            insured_by_village.setdefault(village_id, []).append(household_id)
        referrals = []
        for (day, collector, household, _m, _s, _mo, _i, new), _payment in paid:
            neighbours = [h for h in insured_by_village.get(household.village_id, []) if h != household.pk]
            if new and neighbours and rng.random() < 0.5:
                referrals.append(Referral(household=household, referred_by_household_id=rng.choice(neighbours),
                                          collector=collector, recorded_on=day))
        Referral.objects.bulk_create(referrals)
        self.totals.referrals = len(referrals)

    # --- targets and training -------------------------------------------------

    def targets(self, collectors: dict[int, Collector]):
        rng = self.rng
        rows = []
        for _code, collector in sorted(collectors.items()):
            for month in months_back(self.today, 13):
                if month >= collector.joined_on.replace(day=1):
                    rows.append(Target(collector=collector, month=month, visits=rng.choice([6, 8, 10]),
                                       new_enrolments=rng.choice([1, 1, 2]), renewals=rng.choice([2, 3, 4]),
                                       amount=rng.choice([2, 3, 4, 5]) * 1_000_000))
        Target.objects.bulk_create(rows, ignore_conflicts=True)

    def training(self, collectors: dict[int, Collector]):
        """Courses held over the year; most collectors attended, a few never did
        (the training dashboard lists them), some are due for a refresher."""
        rng = self.rng
        people = [c for _code, c in sorted(collectors.items())]
        never = set(rng.sample(range(len(people)), min(len(people), max(2, len(people) // 15))))
        attendance = []
        for title, topic, required, refresher in COURSES:
            course, _ = TrainingCourse.objects.get_or_create(
                title=title, defaults={"topic": topic, "required_for_new_collectors": required,
                                       "refresher_months": refresher})
            for offset in (-500, -330, -150, -20):
                held = self.today + timedelta(days=offset + rng.randint(-10, 10))
                session = TrainingSession.objects.create(
                    course=course, held_on=held, trainer=rng.choice(["Tạ Đức Hậu", "Nguyễn Thị Xuân", "Y Blông Niê"]),
                    place=rng.choice(["BHXH tỉnh Đắk Lắk", "Hội trường UBND phường Buôn Ma Thuột",
                                      "BHXH cơ sở Krông Pắc"]))
                self.totals.sessions += 1
                for index, collector in enumerate(people):
                    if index not in never and collector.joined_on <= held and rng.random() < 0.4:
                        attendance.append(TrainingAttendance(session=session, collector=collector,
                                                             attended=rng.random() < 0.95))
        TrainingAttendance.objects.bulk_create(attendance)


def seed_field_operation(*, seed: int, today: date, communes: list[Commune]) -> FieldTotals:
    """The year of field work up to `today` in `communes` (see the module docstring)."""
    world = FieldWorld(seed=seed, today=today)
    collectors = world.network(communes)
    world.commission_rates()
    paid = world.record(world.receipts_for(collectors))
    with transaction.atomic():
        world.visits_and_referrals(collectors, paid)
        world.targets(collectors)
        world.training(collectors)
    return world.totals
