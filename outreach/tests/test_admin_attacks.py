"""Attacks on the admin that once worked, each kept as a test (issue #15).

Holes 1, 3, 5, 8 and 12 (admin side) of the attack report; the walk of every
admin URL with POSTs as each partial role is in test_url_access.py."""

from datetime import date

import pytest
from django.urls import reverse

from collectors.tests.factories import AgentFactory, AssignmentFactory, CollectorFactory, UserFactory
from households.models import Enrolment
from households.tests.factories import EnrolmentFactory, HouseholdFactory, MemberFactory
from outreach.roles import AGENT_MANAGER, COMMUNE_OFFICER, ensure_roles

from .formdata import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups():
    return ensure_roles()


@pytest.fixture
def enrolment():
    return EnrolmentFactory(member=MemberFactory(household=HouseholdFactory()), monthly_amount=113_850,
                            coverage_end=date(2026, 12, 31), status=Enrolment.Status.LAPSED)


def officer_of(commune, groups):
    officer = UserFactory(is_staff=True)
    officer.groups.add(groups[COMMUNE_OFFICER])
    commune.officers.add(officer)
    return officer


def manager_of(commune, groups):
    """An agent manager whose collector is assigned `commune`."""
    manager = UserFactory(is_staff=True)
    manager.groups.add(groups[AGENT_MANAGER])
    collector = CollectorFactory()
    collector.agent.managers.add(manager)
    AssignmentFactory(collector=collector, commune=commune, start=date(2020, 1, 1))
    return manager


def revert_url(row):
    latest = row.history.latest("history_date")
    return reverse(f"admin:{row._meta.app_label}_{row._meta.model_name}_simple_history",
                   args=[row.pk, latest.history_id])


# --- 1. read-only roles edited through the history pages ---------------------------------


@pytest.mark.parametrize("role", ["commune officer", "agent manager"])
def test_a_read_only_role_cannot_change_an_enrolment_through_its_history_page(client, groups, enrolment, role):
    commune = enrolment.member.household.commune
    user = officer_of(commune, groups) if role == "commune officer" else manager_of(commune, groups)
    client.force_login(user)
    page = client.get(revert_url(enrolment))
    assert page.status_code == 200  # they may look at the old version…
    data = form_data(page.content.decode())
    data.update(coverage_end=["31/12/2099"], status=["active"], monthly_amount=["1"])
    response = client.post(revert_url(enrolment), data)
    assert response.status_code == 403  # …but not save it
    enrolment.refresh_from_db()
    assert (enrolment.coverage_end, enrolment.status, enrolment.monthly_amount) == (
        date(2026, 12, 31), Enrolment.Status.LAPSED, 113_850)
    assert enrolment.history.count() == 1


def test_staff_who_may_change_an_enrolment_still_revert_it(client, staff, enrolment):
    old = enrolment.history.latest("history_date")
    enrolment.monthly_amount = 200_000
    enrolment.save()
    url = reverse("admin:households_enrolment_simple_history", args=[enrolment.pk, old.history_id])
    response = client.post(url, form_data(client.get(url).content.decode()))
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.monthly_amount == 113_850


def test_a_revert_never_writes_fields_the_form_shows_read_only(client, staff):
    """A receipt's fields are all read-only (it changes through the payment
    services): reverting it would write the old version's amount and
    cancellation past the form."""
    from collectors.models import Payment

    from .test_url_access import household_with_everything

    collector = CollectorFactory()
    household = household_with_everything(collector, code="HGD-REVERT", name="Revert Person",
                                           citizen_id="066177777777", phone="0987000333", receipt="R-1",
                                           note="n")
    payment = Payment.objects.get(household=household)
    old = payment.history.latest("history_date")
    Payment.objects.filter(pk=payment.pk).update(cancel_reason="cancelled by the office")
    url = reverse("admin:collectors_payment_simple_history", args=[payment.pk, old.history_id])
    assert client.post(url, form_data(client.get(url).content.decode())).status_code == 403
    payment.refresh_from_db()
    assert payment.cancel_reason == "cancelled by the office"
