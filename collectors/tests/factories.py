import factory
from django.contrib.auth import get_user_model

from collectors.models import Agent, Assignment, Collector
from households.tests.factories import CommuneFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent

    code = factory.Sequence(lambda n: f"AG{n:04d}")
    name = factory.Sequence(lambda n: f"Bưu điện {n}")
    kind = Agent.Kind.POST_OFFICE


class CollectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collector

    user = factory.SubFactory(UserFactory)
    agent = factory.SubFactory(AgentFactory)
    code = factory.Sequence(lambda n: f"TV{n:04d}")
    full_name = factory.Sequence(lambda n: f"Trần Thị Thu {n}")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    collector = factory.SubFactory(CollectorFactory)
    commune = factory.SubFactory(CommuneFactory)
