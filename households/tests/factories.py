import importlib
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


def seed_rules_of_law():
    """Put back the dated rates and reference amounts that the households
    migrations seed (each migration's `seed`, in order): a transactional or
    live-server test's database is emptied between tests. A migration that
    seeds more rules later is picked up without a change here."""
    import pkgutil

    from django.apps import apps

    import households.migrations

    for module in sorted(m.name for m in pkgutil.iter_modules(households.migrations.__path__)):
        seed = getattr(importlib.import_module(f"households.migrations.{module}"), "seed", None)
        if seed is not None:
            seed(apps, None)
