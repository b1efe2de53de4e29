from datetime import date, timedelta

import factory

from households.models import Enrolment, Member
from households.tests.factories import EnrolmentFactory, HouseholdFactory, MemberFactory
from reminders.models import HouseholdEmail, ReminderOptOut

_phones = iter(range(10_000_000))


def next_phone() -> str:
    """A valid, unused Vietnamese mobile number."""
    return f"091{next(_phones):07d}"


class ReminderOptOutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderOptOut

    household = factory.SubFactory(HouseholdFactory)


class HouseholdEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseholdEmail

    household = factory.SubFactory(HouseholdFactory)
    email = factory.Sequence(lambda n: f"ho{n}@example.vn")


def due_enrolment(*, ends: date, household=None, phone: str | None = "auto", name: str | None = None,
                  scheme=Enrolment.Scheme.BHYT_HOUSEHOLD, status=Enrolment.Status.ACTIVE) -> Enrolment:
    """A member of `household` (a new one by default, without a household phone)
    whose cover ends on `ends`; the member gets a phone unless `phone=None`."""
    household = household or HouseholdFactory(phone=None)
    fields = {"household": household, "phone": next_phone() if phone == "auto" else phone,
              "relation": Member.Relation.HEAD if not household.members.exists() else Member.Relation.CHILD}
    if name:
        fields["full_name"] = name
    member = MemberFactory(**fields)
    return EnrolmentFactory(member=member, scheme=scheme, status=status,
                            coverage_start=ends - timedelta(days=364), coverage_end=ends)
