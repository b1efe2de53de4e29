"""Synthetic but realistic households of Đắk Lắk for demos and benchmarks.

Deterministic for a seed and a reference date. Names follow each group's
customs: Kinh "Nguyễn Văn An"; Ê Đê and M'nông "Y Bhin Niê" / "H'Hen Ksor",
children taking the mother's clan (matrilineal); Jrai "Ksor Y Ngơ"/"Siu H'Bla".
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from .contributions import BhytMember, RatesInForce, bhyt_ladder_amounts, quote_bhyt_household
from .ethnicity import EDE, JRAI, KINH, MNONG
from .models import Commune, Enrolment, Household, Member, Village

KINH_SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
                 "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lương", "Mai"]
NORTHERN_SURNAMES = ["Hoàng", "Nông", "Lường", "Lò", "Bàn", "Triệu", "Đinh", "Quách", "Lục", "La", "Vi", "Hà"]
MIDDLE = {"M": ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Công", "Thanh", "Xuân"],
          "F": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Minh", "Thanh", "Kim"]}
GIVEN = {"M": ["An", "Bình", "Cường", "Dũng", "Hùng", "Hải", "Hiếu", "Khoa", "Long", "Nam", "Phúc", "Quang",
               "Sơn", "Tài", "Thắng", "Tuấn", "Việt", "Vinh", "Đạt", "Trung", "Hòa", "Lộc"],
         "F": ["Anh", "Hiền", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Oanh", "Phương", "Thảo",
               "Thủy", "Trang", "Tuyết", "Vân", "Yến", "Hạnh", "Hằng", "Đào", "Loan", "Nga"]}
EDE_CLANS = ["Niê", "Ksor", "Mlô", "Êban", "Byă", "Adrơng", "Êya", "Hwing", "Knul", "Buôn Yă", "Kpă", "Mdrang",
             "Ktla", "Êñuôl"]
MNONG_CLANS = ["Bkrông", "Liêng", "Ddăng", "Jơ", "Krông", "Buôn Krông", "Bing"]
JRAI_CLANS = ["Ksor", "Siu", "Rơ Châm", "Kpă", "Rah Lan", "Nay", "Rơ Mah", "Puih"]
HIGHLAND_GIVEN = {"M": ["Bhin", "Sươn", "Blông", "Kông", "Thuột", "Jú", "Ngơ", "Dhăm", "Khu", "Wai", "Pruê",
                        "Tlang", "Đam", "Sang", "Mlo"],
                  "F": ["Hen", "Ni", "Bia", "Dung", "Ruôn", "Mai", "Linh", "Rin", "Nhi", "Yơn", "Juê", "Đoan",
                        "Bla", "Wen", "Ngăm"]}
BUON_NAMES = ["Kô", "Jắt", "Trấp", "Ea Ktur", "Drai", "Mblớt", "Pốk", "Ênao", "Ko Tam", "Ea Bông", "Kmrơng",
              "Ea Na", "Dhăm", "Hra"]

# Đắk Lắk's mix, roughly: Kinh, then Ê Đê, M'nông, Jrai, and migrants from the north.
ETHNIC_WEIGHTS = [(KINH, 64), (EDE, 18), (MNONG, 5), (JRAI, 4), ("02", 3), ("07", 3), ("03", 1), ("06", 1),
                  ("09", 1)]
HIGHLAND = {EDE, MNONG, JRAI}
HOUSEHOLD_SIZES = [(1, 8), (2, 17), (3, 22), (4, 27), (5, 15), (6, 7), (7, 4)]
# Provinces of birth registration seen among Đắk Lắk's residents (Kinh migrants came from these).
MIGRANT_BIRTH_PROVINCES = ["034", "036", "038", "040", "042", "049", "051", "052"]

MOBILE_PREFIXES = ["32", "33", "34", "35", "36", "37", "38", "39", "56", "58", "70", "76", "77", "78", "79", "81",
                   "82", "83", "84", "85", "86", "88", "89", "90", "91", "94", "96", "97", "98"]


def _weighted(rng, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


@dataclass
class DemoMember:
    full_name: str
    sex: str
    date_of_birth: date
    relation: str
    ethnicity: str
    citizen_id: str | None = None
    si_number: str | None = None
    phone: str | None = None
    enrolments: list = field(default_factory=list)


class DemoWorld:
    """Draws households one after another from one random stream."""

    def __init__(self, seed: int, today: date, rates: RatesInForce):
        self.rng = random.Random(seed)
        self.today = today
        self.bhyt_monthly = bhyt_ladder_amounts(rates)
        # Near-poor members are a state-supported group: outside the ladder, paying what the support leaves.
        self.near_poor_monthly = quote_bhyt_household(
            rates, [BhytMember(name="", support_group="near_poor")], months=12).lines[0].monthly_payable
        self.citizen_ids: set[str] = set()
        self.phones: set[str] = set()
        self.si_serial = self.rng.randrange(10_000_000, 50_000_000)
        self.household_serial = 0

    # --- villages -----------------------------------------------------------------

    def villages_for(self, commune: Commune) -> list[Village]:
        rng = self.rng
        if commune.kind == Commune.Kind.PHUONG:
            return [Village(commune=commune, name=f"Tổ dân phố {i}", kind=Village.Kind.TO_DAN_PHO)
                    for i in range(1, rng.randint(6, 12) + 1)]
        villages = [Village(commune=commune, name=f"Thôn {i}", kind=Village.Kind.THON)
                    for i in range(1, rng.randint(4, 10) + 1)]
        villages += [Village(commune=commune, name=f"Buôn {name}", kind=Village.Kind.BUON)
                     for name in rng.sample(BUON_NAMES, rng.randint(1, 4))]
        return villages

    # --- people -------------------------------------------------------------------

    def _birth_date(self, age: int) -> date:
        year = self.today.year - age
        return date(year, 1, 1) + timedelta(days=self.rng.randrange(365))

    def _citizen_id(self, ethnicity: str, sex: str, born: date) -> str:
        rng = self.rng
        province = "066" if ethnicity != KINH or born.year >= 1990 or rng.random() < 0.5 else rng.choice(
            MIGRANT_BIRTH_PROVINCES)
        century_digit = (0 if born.year < 2000 else 2) + (1 if sex == "F" else 0)
        prefix = f"{province}{century_digit}{born.year % 100:02d}"
        while True:
            cid = f"{prefix}{rng.randrange(1_000_000):06d}"
            if cid not in self.citizen_ids:
                self.citizen_ids.add(cid)
                return cid

    def _phone(self) -> str:
        while True:
            phone = "0" + self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def _si_number(self) -> str:
        self.si_serial += 1
        return f"66{self.si_serial % 10**8:08d}"

    def _name(self, ethnicity: str, sex: str, family: str | None) -> tuple[str, str]:
        """Returns (full name, the family/clan name this person passes on)."""
        rng = self.rng
        if ethnicity in (EDE, MNONG):
            clan = family or rng.choice(EDE_CLANS if ethnicity == EDE else MNONG_CLANS)
            prefix = "Y" if sex == "M" else "H'"
            given = rng.choice(HIGHLAND_GIVEN[sex])
            return (f"{prefix} {given} {clan}" if sex == "M" else f"H'{given} {clan}"), clan
        if ethnicity == JRAI:
            clan = family or rng.choice(JRAI_CLANS)
            given = rng.choice(HIGHLAND_GIVEN[sex])
            return (f"{clan} Y {given}" if sex == "M" else f"{clan} H'{given}"), clan
        surname = family or rng.choice(KINH_SURNAMES if ethnicity == KINH else NORTHERN_SURNAMES)
        return f"{surname} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}", surname

    def _member(self, ethnicity, sex, age, relation, family=None, phone_chance=0.0):
        rng = self.rng
        name, family_name = self._name(ethnicity, sex, family)
        born = self._birth_date(age)
        member = DemoMember(full_name=name, sex=sex, date_of_birth=born, relation=relation, ethnicity=ethnicity)
        if rng.random() < 0.93:
            member.citizen_id = self._citizen_id(ethnicity, sex, born)
        if age >= 16 and rng.random() < phone_chance:
            member.phone = self._phone()
        return member, family_name

    def _people(self, ethnicity: str, size: int) -> list[DemoMember]:
        rng = self.rng
        head_age = rng.randint(22, 78)
        head_sex = "F" if rng.random() < (0.45 if ethnicity in HIGHLAND else 0.25) else "M"
        head, head_family = self._member(ethnicity, head_sex, head_age, Member.Relation.HEAD, phone_chance=0.85)
        people = [head]
        spouse_family = None
        if size >= 2 and rng.random() < 0.88:
            spouse_sex = "F" if head_sex == "M" else "M"
            spouse, spouse_family = self._member(ethnicity, spouse_sex, max(18, head_age + rng.randint(-6, 4)),
                                                 Member.Relation.SPOUSE, phone_chance=0.5)
            people.append(spouse)
        mother_family = head_family if head_sex == "F" else spouse_family
        father_family = head_family if head_sex == "M" else spouse_family
        # Highland groups pass the mother's clan on; the others the father's surname.
        child_family = mother_family if ethnicity in (EDE, MNONG, JRAI) else father_family
        while len(people) < size:
            if head_age >= 50 and rng.random() < 0.3:
                age, relation = rng.randint(0, 15), Member.Relation.GRANDCHILD
            elif head_age <= 50 and rng.random() < 0.12:
                age, relation = min(95, head_age + rng.randint(20, 32)), Member.Relation.PARENT
            else:
                age, relation = max(0, head_age - rng.randint(19, 38)), Member.Relation.CHILD
            family = child_family if relation in (Member.Relation.CHILD, Member.Relation.GRANDCHILD) else None
            member, _ = self._member(ethnicity, rng.choice("MF"), age, relation, family, phone_chance=0.35)
            people.append(member)
        return people

    # --- cover --------------------------------------------------------------------

    def _age(self, member: DemoMember) -> int:
        born = member.date_of_birth
        return self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))

    def _add_cover(self, people: list[DemoMember], status: str):
        """Household health insurance for the members who pay in the household
        ladder (near-poor households' members as a supported group, outside it):
        children under 6 and poor households are covered by the state."""
        rng = self.rng
        draw = rng.random()
        if draw < 0.62:
            end = self.today + timedelta(days=rng.randrange(0, 366))
        elif draw < 0.80:
            end = self.today - timedelta(days=rng.randrange(1, 400))
        else:
            end = None
        if end is not None and status != Household.EconomicStatus.POOR:
            months = rng.choice([3, 6, 12, 12, 12])
            start = _months_before(end, months)
            position = 0
            for member in people:
                if self._age(member) < 6:
                    continue
                member.si_number = member.si_number or self._si_number()
                if status == Household.EconomicStatus.NEAR_POOR:
                    monthly = self.near_poor_monthly
                else:
                    monthly = self.bhyt_monthly[min(position, len(self.bhyt_monthly) - 1)]
                    position += 1
                member.enrolments.append(dict(
                    scheme=Enrolment.Scheme.BHYT_HOUSEHOLD,
                    card_number=member.si_number,
                    coverage_start=start,
                    coverage_end=end,
                    status=Enrolment.Status.ACTIVE if end >= self.today else Enrolment.Status.LAPSED,
                    monthly_amount=monthly,
                ))
        for member in people:
            if 18 <= self._age(member) < 60 and rng.random() < 0.08:
                member.si_number = member.si_number or self._si_number()
                paid_up = _month_end(self.today + timedelta(days=rng.randrange(-200, 330)))
                months = rng.choice([1, 3, 6, 12])
                member.enrolments.append(dict(
                    scheme=Enrolment.Scheme.BHXH_VOLUNTARY,
                    card_number="",
                    coverage_start=_months_before(paid_up, months),
                    coverage_end=paid_up,
                    status=Enrolment.Status.ACTIVE if paid_up >= self.today else Enrolment.Status.LAPSED,
                    monthly_amount=rng.choice([264_000, 231_000, 330_000, 440_000]),
                ))

    # --- households ---------------------------------------------------------------

    def household(self, commune: Commune, villages: list[Village]) -> tuple[Household, list[DemoMember]]:
        rng = self.rng
        ethnicity = _weighted(rng, ETHNIC_WEIGHTS)
        buons = [v for v in villages if v.kind == Village.Kind.BUON]
        village = rng.choice(buons if ethnicity in HIGHLAND and buons else villages)
        poor_chance = 0.18 if ethnicity in HIGHLAND else 0.05
        draw = rng.random()
        status = (Household.EconomicStatus.POOR if draw < poor_chance
                  else Household.EconomicStatus.NEAR_POOR if draw < 2 * poor_chance
                  else Household.EconomicStatus.OTHER)
        people = self._people(ethnicity, _weighted(rng, HOUSEHOLD_SIZES))
        self._add_cover(people, status)
        self.household_serial += 1
        household = Household(
            code=f"{commune.code}{self.household_serial:07d}",
            commune=commune,
            village=village,
            address=f"{village.name}, {commune.name}",
            phone=people[0].phone,
            economic_status=status,
            status_year=self.today.year - rng.randint(0, 2) if status != Household.EconomicStatus.OTHER else None,
        )
        return household, people


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _months_before(end: date, months: int) -> date:
    """First day of a cover of `months` months that ends on `end`."""
    following = end + timedelta(days=1)
    month_index = following.year * 12 + following.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(following.day, 28)
    return date(year, month + 1, day)
