"""Helpers of the field-page tests: a collector signed in on a phone, and
households whose cover is due in known ways."""

from datetime import date, timedelta

from django.utils import timezone

from collectors.tests.factories import AssignmentFactory, CollectorFactory
from households.models import Enrolment, Household, Member
from households.tests.factories import CommuneFactory, EnrolmentFactory, HouseholdFactory, MemberFactory, VillageFactory


def today() -> date:
    return timezone.localdate()


def collector_with_area(**fields):
    """A collector assigned a whole commune (with one village) from last year on."""
    collector = CollectorFactory(**fields)
    commune = CommuneFactory()
    village = VillageFactory(commune=commune)
    AssignmentFactory(collector=collector, commune=commune, start=today() - timedelta(days=365))
    collector.test_commune, collector.test_village = commune, village
    return collector


def household(collector, *, village=None, status=Household.EconomicStatus.OTHER, head="Nguyễn Thị Hiền",
              vssid=True, **fields) -> Household:
    """A household of the collector's area with its head (born 1985), who has
    VssID unless `vssid=False` (else a covered head is on Today for it)."""
    village = village or collector.test_village
    found = HouseholdFactory(commune=village.commune, village=village, economic_status=status,
                             status_year=None if status == Household.EconomicStatus.OTHER else today().year,
                             **fields)
    MemberFactory(household=found, full_name=head, relation=Member.Relation.HEAD, sex=Member.Sex.FEMALE,
                  date_of_birth=date(1985, 5, 17), vssid_installed=vssid)
    return found


def head_of(household_) -> Member:
    return household_.members.get(relation=Member.Relation.HEAD)


def add_member(household_, name="Trần Văn Bình", born=date(1983, 2, 1), relation=Member.Relation.SPOUSE, **fields):
    fields.setdefault("vssid_installed", True)  # as the head: see household()
    return MemberFactory(household=household_, full_name=name, date_of_birth=born, relation=relation, **fields)


def cover(member, *, ends_in_days: int, scheme=Enrolment.Scheme.BHYT_HOUSEHOLD, months=12, coverage_start=None,
          **fields) -> Enrolment:
    """Cover of `member` ending `ends_in_days` from today (negative: already ended), of `months` unless
    `coverage_start` is given."""
    end = today() + timedelta(days=ends_in_days)
    start = coverage_start or end - timedelta(days=30 * months)
    status = Enrolment.Status.ACTIVE if end >= today() else Enrolment.Status.LAPSED
    return EnrolmentFactory(member=member, scheme=scheme, coverage_start=start, coverage_end=end, status=status,
                            card_number=member.si_number or "", **fields)


def phone_login(client, collector):
    client.force_login(collector.user)
    return client
