"""Attacks on the admin that once worked, each kept as a test (issue #15).

Holes 1, 3, 8 and 12 (what staff see) of the attack report; hole 5 is in
reports/tests/test_export_formulas.py, and the walk of every URL with POSTs as
each read-only or partial role in test_url_access.py."""

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


def test_every_admin_with_a_history_uses_the_safe_history_pages():
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    from outreach.scoped_admin import HistoryAdmin

    with_history = [a for a in admin.site._registry.values() if isinstance(a, SimpleHistoryAdmin)]
    assert len(with_history) >= 7  # households, members, enrolments, assignments, receipts, reminder rules…
    assert [type(a).__name__ for a in with_history if not isinstance(a, HistoryAdmin)] == []


# --- 3. agent managers widened any collector's area ------------------------------------


@pytest.fixture
def agency(groups):
    """A manager's agent given commune `given`, its collector, and another agent's collector."""
    from households.tests.factories import CommuneFactory

    given, other = CommuneFactory(), CommuneFactory()
    manager = UserFactory(username="manager", is_staff=True)
    manager.groups.add(groups[AGENT_MANAGER])
    own = CollectorFactory(phone="0912000001")
    own.agent.managers.add(manager)
    own.agent.communes.add(given)
    AssignmentFactory(collector=own, commune=given, start=date(2020, 1, 1))
    foreign = CollectorFactory(agent=AgentFactory(name="Hội Nông dân Khác"), phone="0912000002")
    foreign.agent.communes.add(other)
    return manager, own, foreign, given, other


def add_assignment(client, collector, commune, start="01/01/2026"):
    return client.post(reverse("admin:collectors_assignment_add"), {
        "collector": collector.pk, "commune": commune.pk, "village": "", "start": start, "end": ""})


def test_a_manager_cannot_give_another_agents_collector_an_area(client, agency):
    manager, own, foreign, given, other = agency
    client.force_login(manager)
    response = add_assignment(client, foreign, other)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not foreign.assignments.exists()


def test_a_manager_assigns_only_in_the_communes_the_province_gave_their_agent(client, agency):
    manager, own, foreign, given, other = agency
    client.force_login(manager)
    response = add_assignment(client, own, other)
    assert (f"The province has not given {own.agent} this commune: ask the provincial office to add it to the "
            "agent&#x27;s communes.") in response.content.decode()
    assert list(own.assignments.values_list("commune", flat=True)) == [given.pk]
    assert add_assignment(client, own, given, start="01/06/2026").status_code == 302
    assert own.assignments.count() == 2


def test_a_manager_cannot_move_an_assignment_to_another_commune_or_collector(client, agency):
    manager, own, foreign, given, other = agency
    assignment = own.assignments.get()
    client.force_login(manager)
    url = reverse("admin:collectors_assignment_change", args=[assignment.pk])
    data = form_data(client.get(url).content.decode())
    for change in [{"commune": [str(other.pk)]}, {"collector": [str(foreign.pk)]}]:
        assert client.post(url, {**data, **change}).status_code == 200
        assignment.refresh_from_db()
        assert (assignment.collector, assignment.commune) == (own, given)
    # Ending it is always allowed, even once the province has taken the commune back.
    own.agent.communes.clear()
    assert client.post(url, {**data, "end": ["31/12/2026"]}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.end == date(2026, 12, 31)


def test_a_manager_cannot_widen_an_area_through_the_collectors_page_or_a_revert(client, agency):
    manager, own, foreign, given, other = agency
    client.force_login(manager)
    url = reverse("admin:collectors_collector_change", args=[own.pk])
    data = form_data(client.get(url).content.decode())
    data.update({"assignments-TOTAL_FORMS": ["2"], "assignments-1-commune": [str(other.pk)],
                 "assignments-1-village": [""], "assignments-1-start": ["01/01/2026"], "assignments-1-end": [""],
                 "assignments-1-id": [""], "assignments-1-collector": [str(own.pk)]})
    assert client.post(url, data).status_code == 200
    assert list(own.assignments.values_list("commune", flat=True)) == [given.pk]
    # Reverting to a version from when the province had the collector elsewhere is checked like any change.
    assignment = own.assignments.get()
    assignment.commune = other
    assignment.save()
    assignment.commune = given
    assignment.save()
    elsewhere = assignment.history.get(commune=other)
    revert = reverse("admin:collectors_assignment_simple_history", args=[assignment.pk, elsewhere.history_id])
    assert client.post(revert, form_data(client.get(revert).content.decode())).status_code == 200
    assignment.refresh_from_db()
    assert assignment.commune == given


def test_a_manager_never_changes_which_user_or_agent_a_collector_is(client, agency, staff):
    from households.models import Household
    from households.tests.factories import HouseholdFactory
    from outreach.access import household_scope

    manager, own, foreign, given, other = agency
    HouseholdFactory(commune=other)
    person, agent = own.user_id, own.agent_id
    client.force_login(manager)
    url = reverse("admin:collectors_collector_change", args=[own.pk])
    data = form_data(client.get(url).content.decode())
    assert "user" not in data and "agent" not in data  # shown, not editable
    for user in [staff, manager]:  # a staff account (to reach the province), their own (to see the area)
        response = client.post(url, {**data, "user": [str(user.pk)], "agent": [str(foreign.agent.pk)],
                                     "full_name": ["Renamed"]})
        assert response.status_code == 302
        own.refresh_from_db()
        assert (own.user_id, own.agent_id) == (person, agent)
    assert own.full_name == "Renamed"  # what a manager may change, they do
    assert not Household.objects.filter(household_scope(manager)).filter(commune=other).exists()


def test_a_manager_cannot_set_targets_for_another_agents_collector(client, agency):
    manager, own, foreign, given, other = agency
    client.force_login(manager)
    response = client.post(reverse("admin:collectors_target_add"), {
        "collector": foreign.pk, "month": "01/06/2026", "visits": 5, "new_enrolments": 1, "renewals": 1,
        "amount": 0})
    assert response.status_code == 200 and not foreign.targets.exists()


def test_only_the_province_imports_assignments(client, agency, staff):
    manager, *_ = agency
    url = reverse("admin:collectors_assignment_import")
    client.force_login(manager)
    assert client.get(url).status_code == 403
    client.force_login(staff)
    assert client.get(url).status_code == 200


def test_staff_give_an_agent_its_communes(client, agency, staff):
    manager, own, foreign, given, other = agency
    url = reverse("admin:collectors_agent_change", args=[own.agent.pk])
    data = form_data(client.get(url).content.decode())
    assert data["communes"] == [str(given.pk)]
    assert client.post(url, {**data, "communes": [str(given.pk), str(other.pk)]}).status_code == 302
    assert set(own.agent.communes.all()) == {given, other}
    client.force_login(manager)
    data = form_data(client.get(url).content.decode())
    assert "communes" not in data  # a manager sees them, read only
    assert client.post(url, {**data, "communes": [str(given.pk)]}).status_code == 403
    assert own.agent.communes.count() == 2


# --- 8. the agent admin was not scoped ---------------------------------------------------


def test_a_manager_sees_only_their_agent_and_its_collectors_phones(client, agency):
    manager, own, foreign, given, other = agency
    client.force_login(manager)
    listed = client.get(reverse("admin:collectors_agent_changelist")).content.decode()
    assert str(own.agent) in listed and "Hội Nông dân Khác" not in listed
    response = client.get(reverse("admin:collectors_agent_change", args=[foreign.agent.pk]))
    assert response.status_code == 302  # "doesn't exist", as for any row out of reach
    assert "0912000001" in client.get(reverse("admin:collectors_agent_change", args=[own.agent.pk])).content.decode()
    for url in [reverse("admin:collectors_visit_changelist"), reverse("admin:collectors_payment_changelist"),
                reverse("admin:collectors_collector_changelist"),
                reverse("admin:autocomplete") + "?app_label=collectors&model_name=collector&field_name=agent&term="]:
        body = client.get(url).content.decode()
        assert "Hội Nông dân Khác" not in body and "0912000002" not in body, url


# --- 12. a refused registration is told to staff, not to the collector -------------------


def test_staff_learn_of_a_registration_refused_for_a_citizen_id_registered_elsewhere(client, groups, staff):
    from collectors.models import RefusedRegistration
    from collectors.selectors import area_filter
    from households.models import Household

    collector = CollectorFactory()
    AssignmentFactory(collector=collector, start=date(2020, 1, 1))
    area = Household.objects.filter(area_filter(collector))
    elsewhere = MemberFactory(full_name="Y Registered Elsewhere", citizen_id="066090000001")
    inside = MemberFactory(household=HouseholdFactory(commune=collector.assignments.get().commune),
                           citizen_id="066090000002")
    people = [{"citizen_id": "066090000001", "full_name": "Y Typed Name"},
              {"citizen_id": "066090000002", "full_name": "Someone in the area"}, {"citizen_id": None}]
    assert RefusedRegistration.objects.record(collector=collector, area=area, people=people) == {"066090000001"}
    RefusedRegistration.objects.record(collector=collector, area=area, people=people)  # tried again
    refusal = RefusedRegistration.objects.get()
    assert (refusal.member, refusal.full_name, refusal.attempts, refusal.checked) == (
        elsewhere, "Y Typed Name", 2, False)
    assert not inside.refused_registrations.exists()

    listed = client.get(reverse("admin:collectors_refusedregistration_changelist")).content.decode()
    assert "Y Typed Name" in listed and elsewhere.household.code in listed and str(collector) in listed
    url = reverse("admin:collectors_refusedregistration_change", args=[refusal.pk])
    data = form_data(client.get(url).content.decode())
    assert set(data) - {"csrfmiddlewaretoken"} == {"note"}  # what was refused is not edited, only checked
    assert client.post(url, {**data, "checked": "on", "note": "moved; household updated"}).status_code == 302
    refusal.refresh_from_db()
    assert refusal.checked and refusal.collector == collector
    # Provincial staff check these; the other roles have no such list.
    listing = reverse("admin:collectors_refusedregistration_changelist")
    for user in [officer_of(elsewhere.household.commune, groups), manager_of(collector.assignments.get().commune,
                                                                             groups)]:
        client.force_login(user)
        assert client.get(listing).status_code == 403
