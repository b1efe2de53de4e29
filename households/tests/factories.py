from datetime import date, timedelta

import factory

from households.models import Commune, Enrolment, Household, Member, Village


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commune
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: 90000 + n)
    name = factory.Sequence(lambda n: f"Xã Thử Nghiệm {n}")
    kind = Commune.Kind.XA
    province_code = 66


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    commune = factory.SubFactory(CommuneFactory)
    name = factory.Sequence(lambda n: f"Thôn {n}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    code = factory.Sequence(lambda n: f"HGD{n:07d}")
    commune = factory.SubFactory(CommuneFactory)
    village = factory.LazyAttribute(lambda o: VillageFactory(commune=o.commune))
    address = "Thôn 1"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    date_of_birth = date(1980, 5, 17)
    sex = Member.Sex.MALE
    relation = Member.Relation.CHILD
    citizen_id = factory.Sequence(lambda n: f"066080{n:06d}")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrolment

    member = factory.SubFactory(MemberFactory)
    scheme = Enrolment.Scheme.BHYT_HOUSEHOLD
    coverage_start = factory.LazyFunction(lambda: date.today() - timedelta(days=200))
    coverage_end = factory.LazyAttribute(lambda o: o.coverage_start + timedelta(days=364))
    status = Enrolment.Status.ACTIVE
    monthly_amount = 113_850
