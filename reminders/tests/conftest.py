import importlib

import pytest
from django.apps import apps

from reminders.channels import locmem
from reminders.models import ChannelPolicy

from .gateway import LocalGateway


@pytest.fixture
def outbox(settings):
    """SMS and e-mail reminders kept in memory."""
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.locmem.LocmemBackend"
    settings.REMINDERS_EMAIL_BACKEND = "reminders.channels.locmem.LocmemBackend"
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


@pytest.fixture
def any_hour(db):
    """Tests that send at the real current time must not depend on the hour: no quiet hours."""
    ChannelPolicy.objects.update(quiet_from=None, quiet_until=None)


@pytest.fixture
def fast_retries(settings):
    settings.REMINDERS_RETRY_DELAY = 0.05
    settings.REMINDERS_RETRY_DELAY_MAX = 0.2
    settings.REMINDERS_MAX_ATTEMPTS = 10


def _gateway(settings, **options):
    gateway = LocalGateway(**options)
    settings.REMINDERS_SMS_BACKEND = "reminders.channels.sms_http.HttpSmsBackend"
    settings.SMS_GATEWAY_URL = gateway.start()
    settings.SMS_GATEWAY_TOKEN = gateway.token
    settings.SMS_GATEWAY_CONNECT_TIMEOUT = 1
    settings.SMS_GATEWAY_READ_TIMEOUT = 0.3
    return gateway


@pytest.fixture
def gateway(settings):
    """The local HTTP gateway, answering promptly; tests may change its failure modes."""
    gateway = _gateway(settings)
    yield gateway
    gateway.stop()


@pytest.fixture
def eager_tasks():
    """Tasks called from a test run in-process even when a broker is configured."""
    from outreach.celery import app

    before = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def reseeded(transactional_db):
    """Tests with committed data run last and each ends by emptying every table, the
    rules seeded by migration 0002 too: seed them again."""
    from reminders.models import ReminderRule

    if not ReminderRule.objects.exists():
        importlib.import_module("reminders.migrations.0002_default_rules_and_schedule").seed(apps, None)
        importlib.import_module("reminders.migrations.0004_catch_up_delivery_reports_one_part_texts").forwards(
            apps, None)


@pytest.fixture(autouse=True)
def office_phone(settings):
    """Texts name a phone to call; with nobody assigned it is the office's (test data)."""
    settings.REMINDERS_OFFICE_PHONE = settings.REMINDERS_OFFICE_PHONE or "02623000000"


# --- the Kannel fault tests' counts, in the CI log ------------------------------------------------------
# `-ra` hides what a passing test prints; these lines are the evidence the issue asks CI to show
# (messages sent, delivered, doubles and their bound, one line per fault), so they go to the
# terminal summary, which is always printed.
FAULT_LINES = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def fault_report(pytestconfig):
    """`fault_report(line)` adds a line to the "Kannel fault tests" section of the terminal summary."""
    return pytestconfig.stash.setdefault(FAULT_LINES, []).append


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(FAULT_LINES, [])
    if lines:
        terminalreporter.section("Kannel fault tests: messages, deliveries and doubles against their bound")
        for line in lines:
            terminalreporter.write_line(line)
