"""The batch against a real Kannel: bearerbox + smsbox + the fake SMSC of kannel-extras,
through Redis and real workers, with delivery reports coming back to the dlr-url.

Kannel does not de-duplicate: a message sent again after its answer was lost (a worker
killed mid-call, a restart that cut the call) can reach the phone twice. The bound
(docs/reminders.md): doubles ≤ the calls whose answer was lost — attempts recorded as
"interrupted" or retried after Kannel may have taken them — which is at most the
messages in flight when the fault hit. Each test writes its counts to the CI log (the
"Kannel fault tests" section of the terminal summary, conftest.fault_report) and checks the bound.
"""

import signal
import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from reminders import services, tasks
from reminders.models import ChannelPolicy, DeliveryAttempt, Message, Reminder, ReminderRule

from reminders.text import sms_size

from .kannel import DelayingProxy, Kannel
# The broker tests' worker in a process of its own, their fixtures and helpers.
from .test_broker import WorkerProcess, clean_broker, households_due, threaded_worker, wait_until  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.kannel]
DLR_SECRET = "dlr-test-secret"


@pytest.fixture
def kannel(tmp_path):
    kannel = Kannel(tmp_path / "kannel").start()
    yield kannel
    kannel.stop()


@pytest.fixture
def through_kannel(settings, kannel, live_server):
    """SMS go through Kannel; its delivery reports come back to this test's live server."""
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
    settings.KANNEL_SENDSMS_URL = kannel.sendsms_url
    settings.KANNEL_USERNAME, settings.KANNEL_PASSWORD = kannel.username, kannel.password
    settings.KANNEL_DLR_URL = f"{live_server.url}/reminders/dlr/kannel/"
    settings.KANNEL_DLR_SECRET = DLR_SECRET
    settings.SMS_GATEWAY_CONNECT_TIMEOUT, settings.SMS_GATEWAY_READ_TIMEOUT = 1, 2
    return kannel


def doubles(kannel: Kannel) -> int:
    return sum(count - 1 for count in kannel.received_per_phone().values() if count > 1)


def answer_lost() -> int:
    """Attempts whose answer never came back: the only way to a double with Kannel."""
    # A call that could not connect never reached Kannel; any other failed call may have.
    return DeliveryAttempt.objects.filter(outcome__in=["interrupted", "retry"]).exclude(code="unreachable").count()


def report(fault_report, name, kannel, *, bound: int | None = None, what="calls whose answer was lost") -> int:
    """One line in the CI log's "Kannel fault tests" section (conftest.fault_report), then the
    bound checked: doubles ≤ `bound` (default: the calls whose answer was lost)."""
    found = doubles(kannel)
    bound = answer_lost() if bound is None else bound
    fault_report(
        f"[{name}] messages {Message.objects.count()}, sent {Message.objects.filter(status='sent').count()}, "
        f"delivered {Message.objects.filter(delivery='delivered').count()}, "
        f"received by the SMSC {len(kannel.received())}, doubles {found} (bound {bound}: {what})")
    assert found <= bound
    return found


class InFlight:
    """What is in flight while a fault lasts, sampled every 20 ms from another connection:
    the calls open at the workers (messages "sending") and the messages bearerbox holds
    unconfirmed by the SMSC (its store). A call or a stored message is what a restart can
    cut off and have sent again; nothing else can arrive twice."""

    def __init__(self, kannel: Kannel):
        self.kannel, self.calls, self.stored = kannel, 0, 0
        self._stop = threading.Event()

    def sample(self):
        self.calls = max(self.calls, Message.objects.filter(status="sending").count())
        self.stored = max(self.stored, self.kannel.store_size())

    def _run(self):
        try:
            while not self._stop.is_set():
                self.sample()
                time.sleep(0.02)
        finally:
            connection.close()

    def __enter__(self):
        self.sample()  # at the moment the fault starts
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(timeout=10)

    @property
    def total(self) -> int:
        return self.calls + self.stored


def all_sent():
    return not Message.objects.exclude(status="sent").exists()


def all_delivered():
    return not Message.objects.exclude(status="sent", delivery="delivered").exists()


def states() -> dict:
    """How many messages are in each (status, delivery report): what a failed wait shows."""
    return dict(Counter(Message.objects.values_list("status", "delivery")))


def dispatch():
    services.dispatch_due(enqueue=lambda ids: tasks.send_messages.delay(ids))


def test_the_batch_through_kannel_delivers_each_text_once_and_records_the_reports(
        threaded_worker, through_kannel, any_hour, fault_report):
    phones = households_due(20)
    tasks.run_nightly_batch.delay().get(timeout=30)
    assert wait_until(all_delivered, 60, every=0.3)
    assert through_kannel.received_per_phone() == {phone: 1 for phone in phones}
    assert report(fault_report, "no fault", through_kannel) == 0
    [(to, text)] = [m for m in through_kannel.received() if m[0] == phones[0]]
    assert text.startswith("BHXH Dak Lak: The BHYT cua ") and text.isascii()  # GSM-7, one part
    assert set(Reminder.objects.values_list("status", flat=True)) == {"delivered"}


def test_vietnamese_with_diacritics_goes_as_ucs2_and_arrives_whole(reseeded, through_kannel, any_hour):
    # With diacritics a rule must fit 70 UCS-2 characters (the admin refuses longer ones).
    ReminderRule.objects.exclude(scheme="bhyt_hgd", offset_days=-7).update(active=False)
    ReminderRule.objects.filter(scheme="bhyt_hgd", offset_days=-7).update(
        template_vi="{names}: hết hạn {end_date}. LH {collector_phone}",
        template_en="{names}: ends {end_date}. Call {collector_phone}")
    policy = ChannelPolicy.objects.get(channel="sms")
    policy.unaccented = False
    policy.full_clean()
    policy.save()
    [phone] = households_due(1)
    services.prepare_night(day=timezone.localdate())
    services.dispatch_due(enqueue=lambda ids: [services.send_message(message_id=i) for i in ids])
    message = Message.objects.get()
    assert wait_until(lambda: through_kannel.received(), 20)
    [(to, text)] = through_kannel.received()
    assert (to, text) == (phone, message.text) and text.startswith("Nguyễn Văn") and "hết hạn" in text
    # One part, as every text (it was 2–4 parts before texts were kept to one), sent as UCS-2.
    size = sms_size(message.text)
    assert size.encoding == "UCS-2" and size.parts == through_kannel.smsc_log.read_text().count("Got message") == 1
    assert "ucs-2" in through_kannel.smsc_log.read_text()


def test_the_smsc_gone_for_part_of_the_night_queues_in_kannel_and_delivers_once_it_is_back(
        threaded_worker, through_kannel, any_hour, fault_report):
    phones = households_due(15)
    through_kannel.stop_smsc()
    tasks.run_nightly_batch.delay().get(timeout=30)
    assert wait_until(lambda: not Message.objects.exclude(status="sent").exists(), 60, every=0.3)
    answers = Counter(DeliveryAttempt.objects.values_list("detail", flat=True))
    assert answers == {"3: Queued for later delivery": 15}
    assert through_kannel.received() == [] and not Message.objects.filter(delivery="delivered").exists()

    through_kannel.start_smsc()
    assert wait_until(all_delivered, 60, every=0.3)
    assert through_kannel.received_per_phone() == {phone: 1 for phone in phones}
    assert report(fault_report, "SMSC gone", through_kannel) == 0


def test_smsbox_refusing_connections_for_a_while_is_retried_until_it_is_back(
        threaded_worker, through_kannel, any_hour, fast_retries, settings, fault_report):
    settings.REMINDERS_RETRY_DELAY, settings.REMINDERS_RETRY_DELAY_MAX = 0.3, 1
    phones = households_due(15)
    through_kannel.stop_smsbox()
    tasks.run_nightly_batch.delay().get(timeout=30)
    assert wait_until(lambda: DeliveryAttempt.objects.filter(code="unreachable").count() >= 15, 30)
    through_kannel.start_smsbox()
    assert wait_until(all_delivered, 90, every=0.5, tick=dispatch)
    assert through_kannel.received_per_phone() == {phone: 1 for phone in phones}
    assert report(fault_report, "smsbox refusing", through_kannel) == 0


def test_a_bearerbox_restart_mid_batch_loses_nothing_and_doubles_at_most_what_was_in_flight(
        threaded_worker, through_kannel, any_hour, fast_retries, settings, fault_report):
    settings.REMINDERS_RETRY_DELAY, settings.REMINDERS_RETRY_DELAY_MAX = 0.3, 1
    phones = households_due(40)
    tasks.run_nightly_batch.delay()
    assert wait_until(lambda: len(through_kannel.received()) >= 5, 30, every=0.05)
    # Counted from the SIGTERM until bearerbox, smsbox and the SMSC are back.
    stopped_at = timezone.now()
    with InFlight(through_kannel) as in_flight:
        through_kannel.restart_bearerbox(signal.SIGTERM)
    assert wait_until(lambda: all_sent() and set(through_kannel.received_per_phone()) == set(phones),
                      120, every=0.5, tick=dispatch), states()  # nothing lost
    # bearerbox keeps its delivery reports' keys in memory (dlr-storage = internal): a report the
    # SMSC sends for a text it had before the stop may be lost (the nightly sweep closes it as
    # "no delivery report"); every text sent after it is reported.
    may_lose_report = Message.objects.filter(attempts_made__outcome="sent", attempts_made__finished_at__lt=stopped_at)
    assert wait_until(lambda: not Message.objects.exclude(delivery="delivered").exclude(
        pk__in=may_lose_report.values("pk")).exists(), 60, every=0.5), states()
    report(fault_report, "bearerbox restart", through_kannel, bound=in_flight.total,
           what=f"in flight at the restart: {in_flight.calls} calls open, {in_flight.stored} in bearerbox's store")


@pytest.fixture
def slow_kannel(through_kannel):
    proxy = DelayingProxy(through_kannel.sendsms_url, delay=0.4)
    url = proxy.start()
    yield through_kannel, proxy, url
    proxy.stop()


@pytest.mark.parametrize("reports", [True, False], ids=["with delivery reports", "without"])
def test_a_worker_killed_mid_send_costs_at_most_the_messages_in_flight(
        reseeded, slow_kannel, clean_broker, any_hour, settings, live_server, reports, fault_report):
    """With delivery reports, a report that arrives for a message whose worker died closes
    it (it is not sent again); without them, the messages in flight are sent again."""
    kannel, proxy, url = slow_kannel
    settings.REMINDERS_CHUNK_SIZE = 5
    settings.REMINDERS_REDISPATCH_AFTER = 1
    phones = households_due(40)
    services.prepare_night(day=timezone.localdate())
    dispatch()
    env = {"REMINDERS_SMS_BACKEND": "reminders.channels.kannel.KannelBackend", "KANNEL_SENDSMS_URL": url,
           "KANNEL_USERNAME": kannel.username, "KANNEL_PASSWORD": kannel.password,
           "KANNEL_DLR_URL": f"{live_server.url}/reminders/dlr/kannel/" if reports else "",
           "KANNEL_DLR_SECRET": DLR_SECRET}
    done = all_delivered if reports else all_sent
    first, second = WorkerProcess(**env), WorkerProcess(**env)
    try:
        first.start()
        # Kill it while calls are in flight: Kannel has the messages, the worker has not heard back.
        assert wait_until(lambda: proxy.forwarded >= 6 and proxy.in_flight > 0, 60, every=0.01)
        in_flight = proxy.in_flight
        first.kill()
        if not reports:  # with them, the reports of the calls cut off may already have closed them
            assert Message.objects.filter(status="sending").exists()
        second.start()
        assert wait_until(done, 120, every=1, tick=dispatch)
    finally:
        first.stop()
        second.stop()

    assert set(kannel.received_per_phone()) == set(phones)  # every text arrived
    interrupted = DeliveryAttempt.objects.filter(outcome="interrupted").count()
    closed_by_report = Message.objects.exclude(attempts_made__outcome="sent").count()
    found = report(fault_report, f"worker SIGKILL, {'with' if reports else 'without'} delivery reports", kannel,
                   bound=in_flight, what=f"calls in flight at the kill; {interrupted} sent again, "
                                         f"{closed_by_report} closed by their delivery report instead")
    assert found <= interrupted <= in_flight  # at most the calls in flight at the kill
    assert Reminder.objects.filter(status="delivered" if reports else "sent").count() == 40
