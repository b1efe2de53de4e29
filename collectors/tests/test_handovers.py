"""Money handed over: refused unless it is exactly the collector's receipts;
afterwards the receipts cannot be cancelled; what is still held shows."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from collectors.handovers import held_by, record_handover
from collectors.models import Handover, HandoverReceipt
from collectors.payments import cancel_payment
from collectors.tests.factories import AssignmentFactory, CollectorFactory, UserFactory
from collectors.tests.fieldkit import collector_with_area, household, phone_login, today
from collectors.tests.test_receipts import paid
from households.contributions import format_vnd
from outreach.roles import AGENT_MANAGER, ensure_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def collector():
    return collector_with_area()


@pytest.fixture
def manager(collector):
    user = UserFactory(username="truongbd", is_staff=True)
    user.groups.add(ensure_roles()[AGENT_MANAGER])
    collector.agent.managers.add(user)
    return user


@pytest.fixture
def receipts(collector):
    return [paid(collector, household(collector, head=name), receipt=number)
            for name, number in [("Nguyễn Thị Hiền", "BL-1"), ("Lê Văn Tám", "BL-2")]]


def hand_over(collector, manager, numbers, total, **extra):
    return record_handover(collector=collector, numbers=numbers, total=total, handed_on=extra.get("on", today()),
                           received_by="Phạm Thị Lan", recorded_by=manager)


def refusal(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    assert not Handover.objects.exists() and not HandoverReceipt.objects.exists()
    return caught.value.message_dict


def test_a_handover_of_the_receipts_with_their_total_is_recorded(collector, manager, receipts):
    total = sum(p.amount for p in receipts)
    handover = hand_over(collector, manager, ["BL-1", "BL-2"], total)
    assert handover.total == total and handover.agent == collector.agent and handover.recorded_by == manager
    assert set(handover.receipts.values_list("payment__receipt_number", flat=True)) == {"BL-1", "BL-2"}
    assert held_by(collector).amount == 0


def test_a_handover_that_leaves_out_a_receipt_is_refused(collector, manager, receipts):
    total = sum(p.amount for p in receipts)  # the cash of both, but only one receipt entered
    errors = refusal(lambda: hand_over(collector, manager, ["BL-1"], total))
    assert errors["total"] == [f"The receipts entered add up to {format_vnd(receipts[0].amount)}, not "
                               f"{format_vnd(total)}: check the cash and the receipts."]


def test_a_handover_that_adds_another_collector_s_receipt_is_refused(collector, manager, receipts):
    other = CollectorFactory(agent=collector.agent, full_name="Hà Văn Nam")
    AssignmentFactory(collector=other, commune=collector.test_commune, start=today() - timedelta(days=30))
    foreign = paid(other, household(collector, head="Y Bhin Niê"), receipt="BL-9")
    errors = refusal(lambda: hand_over(collector, manager, ["BL-1", "BL-9"], receipts[0].amount + foreign.amount))
    assert errors["receipts"] == ["Not accepted: BL-9 taken by another collector (Hà Văn Nam)."]


def test_a_receipt_is_handed_over_once_and_a_cancelled_one_not_at_all(collector, manager, receipts):
    hand_over(collector, manager, ["BL-1"], receipts[0].amount)
    errors = refusal_after_first(lambda: hand_over(collector, manager, ["BL-1"], receipts[0].amount))
    assert errors["receipts"] == [f"Not accepted: BL-1 already handed over on {today():%d/%m/%Y}."]
    cancel_payment(payment=receipts[1], user=collector.user, reason="nhập nhầm")
    errors = refusal_after_first(lambda: hand_over(collector, manager, ["BL-2", "BL-7"], receipts[1].amount))
    assert errors["receipts"] == ["Not accepted: no receipt BL-7 at this agent; BL-2 cancelled."]


def refusal_after_first(call) -> dict:
    before = HandoverReceipt.objects.count()
    with pytest.raises(ValidationError) as caught:
        call()
    assert HandoverReceipt.objects.count() == before and Handover.objects.count() == 1
    return caught.value.message_dict


def test_a_manager_of_another_agent_cannot_record_it(collector, receipts):
    stranger = UserFactory(username="khac", is_staff=True)
    CollectorFactory().agent.managers.add(stranger)
    errors = refusal(lambda: hand_over(collector, stranger, ["BL-1"], receipts[0].amount))
    assert "collector" in errors


def test_a_handed_over_receipt_can_no_longer_be_cancelled(collector, manager, receipts):
    hand_over(collector, manager, ["BL-1"], receipts[0].amount)
    with pytest.raises(ValidationError) as caught:
        cancel_payment(payment=receipts[0], user=manager, reason="nhầm")
    assert caught.value.message_dict["__all__"] == [
        "Receipt BL-1 was handed over to the agent: it can no longer be cancelled."]
    receipts[0].refresh_from_db()
    assert not receipts[0].is_cancelled


def test_the_manager_records_it_in_the_admin_and_a_wrong_total_changes_nothing(client, collector, manager, receipts):
    client.force_login(manager)
    url = reverse("admin:collectors_handover_add")
    form = {"collector": collector.pk, "receipts": "BL-1\nBL-2", "handed_on": today().strftime("%Y-%m-%d"),
            "received_by": "Phạm Thị Lan", "total": "1000"}
    response = client.post(url, form)
    assert response.status_code == 200 and not Handover.objects.exists()
    assert "The receipts entered add up to" in response.content.decode()
    form["total"] = str(sum(p.amount for p in receipts))
    response = client.post(url, form)
    assert response.status_code == 302 and Handover.objects.get().receipts.count() == 2


def test_my_month_and_the_admin_show_what_each_collector_still_holds(client, collector, manager, receipts,
                                                                     django_assert_num_queries):
    html = phone_login(client, collector).get(reverse("field:month")).content.decode()
    assert f"You still hold {format_vnd(sum(p.amount for p in receipts))} from 2 receipts since" in html
    hand_over(collector, manager, ["BL-1"], receipts[0].amount)
    for n in range(3):
        CollectorFactory(agent=collector.agent)
    CollectorFactory()  # another agent's: not shown to this manager
    client.force_login(manager)
    # session, user, user's and groups' permissions, provincial staff?, count, count unfiltered, the page's rows
    with django_assert_num_queries(8):  # the same whatever the number of collectors and receipts
        response = client.get(reverse("admin:collectors_cashheld_changelist"))
    html = response.content.decode()
    assert format_vnd(receipts[1].amount) in html and collector.full_name in html
    assert html.count('class="field-full_name') == 4


def test_a_manager_sees_only_their_agent_s_handovers_in_a_fixed_number_of_queries(client, collector, manager,
                                                                                   receipts,
                                                                                   django_assert_num_queries):
    for payment in receipts:
        hand_over(collector, manager, [payment.receipt_number], payment.amount)
    other = collector_with_area()
    stranger_receipt = paid(other, household(other, head="Hà Văn Nam"), receipt="BL-77")
    staff = UserFactory(is_superuser=True, is_staff=True)
    record_handover(collector=other, numbers=["BL-77"], total=stranger_receipt.amount, handed_on=today(),
                    received_by="Phạm Thị Lan", recorded_by=staff)
    client.force_login(manager)
    # session, user, user's and groups' permissions, provincial staff?, count, count unfiltered, rows, agents filter
    with django_assert_num_queries(9):
        response = client.get(reverse("admin:collectors_handover_changelist"))
    html = response.content.decode()
    assert html.count('class="field-collector') == 2 and other.full_name not in html
