"""The batch through Redis and real Celery workers, against the local gateway.

Deliveries are counted at the gateway, by phone: every due household gets
its text exactly once. A repeated call with a key already delivered is
answered from the gateway's de-duplication; tests bound how many there may be.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from reminders import services, tasks
from reminders.models import DeliveryAttempt, Message, Reminder

from households.tests.factories import HouseholdFactory

from .factories import due_enrolment, next_phone
from .gateway import LocalGateway

pytestmark = [pytest.mark.postgres, pytest.mark.broker]


@pytest.fixture
def threaded_worker(reseeded):
    """A real worker in this process, with 4 threads, so that tasks run at the same time."""
    from celery.contrib.testing.worker import start_worker

    from outreach.celery import app

    app.control.purge()
    with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False, shutdown_timeout=30):
        yield app


def households_due(count, *, members=1):
    """`count` households of `members` members whose BHYT cards end in 7 days; the households' phones."""
    today = timezone.localdate()
    phones = []
    for _ in range(count):
        household = HouseholdFactory(phone=next_phone())
        for _ in range(members):
            due_enrolment(ends=today + timedelta(days=7), household=household, phone=None)
        phones.append(household.phone)
    return phones


def wait_until(condition, timeout, every=0.2, tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if tick:
            tick()
        time.sleep(every)
    return condition()


def all_sent():
    return not Message.objects.exclude(status=Message.Status.SENT).exists()


def test_the_nightly_batch_through_the_broker_twice_sends_each_household_one_text(
        threaded_worker, gateway, any_hour):
    phones = households_due(12, members=2)
    first = tasks.run_nightly_batch.delay().get(timeout=30)
    assert first["claimed"] == 24 and first["dispatched"] == 12
    assert wait_until(all_sent, 30)
    second = tasks.run_nightly_batch.delay().get(timeout=30)
    assert second["claimed"] == 0 and second["dispatched"] == 0
    time.sleep(0.5)
    assert gateway.delivered_per_phone() == {phone: 1 for phone in phones}
    assert len(gateway.requests) == 12 and gateway.repeats() == 0


def test_two_beat_triggers_at_once_send_one_batchs_worth(threaded_worker, gateway, any_hour):
    phones = households_due(30)
    gateway.latency = 0.05
    results = [tasks.run_nightly_batch.delay() for _ in range(2)]
    outcomes = [r.get(timeout=30) for r in results]
    assert sorted(o["claimed"] for o in outcomes) == [0, 30]
    assert wait_until(all_sent, 30)
    time.sleep(0.5)
    assert gateway.delivered_per_phone() == {phone: 1 for phone in phones}
    # Not even a repeat for the gateway to drop: the claims kept the two batches apart.
    assert len(gateway.requests) == 30 and gateway.repeats() == 0
    assert Reminder.objects.filter(status="sent").count() == 30


def test_a_gateway_failing_30_percent_of_calls_still_delivers_each_text_once(
        threaded_worker, gateway, any_hour, fast_retries):
    phones = households_due(40)
    refused = households_due(1)[0]
    gateway.failure_rate, gateway.slow_answer = 0.3, 0.5
    gateway.invalid_numbers = {refused}

    tasks.run_nightly_batch.delay().get(timeout=30)
    # The back-off tasks resend; the dispatcher (every 10 minutes in production) is the safety net.
    assert wait_until(lambda: not Message.objects.filter(status__in=["queued", "sending"]).exists(), 60,
                      every=0.5, tick=lambda: tasks.dispatch_due.delay())
    time.sleep(0.6)

    assert gateway.delivered_per_phone() == {phone: 1 for phone in phones}
    answers = gateway.answers()
    assert answers["error_503"] > 0 and answers["timeout"] > 0
    # A repeat only follows a call that timed out after the gateway had taken the message.
    assert gateway.repeats() <= answers["timeout"]
    assert gateway.calls_per_phone[refused] == 1
    failed = Message.objects.get(status="failed")
    assert failed.recipient == refused and failed.error == "invalid_number: Số điện thoại không hợp lệ"
    assert Reminder.objects.get(message=failed).status == "failed"
    retried = DeliveryAttempt.objects.filter(outcome="retry").count()
    assert retried == answers["error_503"] + answers["timeout"]


# --- a worker killed with SIGKILL in the middle of sending ----------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """`celery worker` in its own process group, on the test database and the local gateway."""

    def __init__(self, gateway_url: str = "", token: str = "", **env):
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),  # pytest-django's test database, not the configured one
            "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
            "REMINDERS_SMS_BACKEND": "reminders.channels.sms_http.HttpSmsBackend",
            "SMS_GATEWAY_URL": gateway_url, "SMS_GATEWAY_TOKEN": token,
            "SMS_GATEWAY_CONNECT_TIMEOUT": "1", "SMS_GATEWAY_READ_TIMEOUT": "2",
            "REMINDERS_SEND_LEASE": "4", "REMINDERS_RETRY_DELAY": "0.1", "CONN_MAX_AGE": "0",
            "REMINDERS_OFFICE_PHONE": django_settings.REMINDERS_OFFICE_PHONE,
            **env,
        }
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "outreach", "worker", "-P", "prefork", "-c", "2", "-l", "warning",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"kill-test-{uuid.uuid4().hex}@%h"],
            cwd=django_settings.BASE_DIR, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)  # the main process and its pool children, no goodbye
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def slow_gateway():
    gateway = LocalGateway(latency=0.4)
    url = gateway.start()
    yield gateway, url
    gateway.stop()


@pytest.fixture
def clean_broker():
    from outreach.celery import app

    app.control.purge()
    yield
    app.control.purge()
    # The killed worker's unacknowledged tasks would come back after the visibility timeout: drop them.
    redis.Redis.from_url(django_settings.CELERY_BROKER_URL).delete("unacked", "unacked_index")


def test_a_worker_killed_mid_send_then_restarted_leaves_every_text_delivered_exactly_once(
        reseeded, slow_gateway, clean_broker, any_hour, settings):
    gateway, url = slow_gateway
    settings.REMINDERS_CHUNK_SIZE = 5
    settings.REMINDERS_REDISPATCH_AFTER = 1
    phones = households_due(40)
    services.prepare_night(day=timezone.localdate())
    services.dispatch_due(enqueue=lambda ids: tasks.send_messages.delay(ids))

    first = WorkerProcess(url, gateway.token)
    second = WorkerProcess(url, gateway.token)
    try:
        first.start()
        # Kill it while calls are in flight: the gateway has taken them, the worker has not heard back.
        assert wait_until(lambda: len(gateway.requests) >= 6 and gateway.in_flight > 0, 60, every=0.01)
        first.kill()
        delivered_at_kill = len(gateway.deliveries)
        assert 0 < delivered_at_kill < 40
        assert Message.objects.filter(status="sending").exists()

        second.start()
        # Beat would run the dispatcher every 10 minutes; here every second, until all is sent.
        assert wait_until(all_sent, 90, every=1,
                          tick=lambda: services.dispatch_due(enqueue=lambda ids: tasks.send_messages.delay(ids)))
    finally:
        first.stop()
        second.stop()

    assert gateway.delivered_per_phone() == {phone: 1 for phone in phones}
    interrupted = DeliveryAttempt.objects.filter(outcome="interrupted").count()
    assert interrupted >= 1
    # The only repeats are the calls cut off by the kill, sent again with the same key.
    assert 1 <= gateway.repeats() <= interrupted
    assert Reminder.objects.filter(status="sent").count() == 40
