"""Fixtures shared by every app's tests.

Tests that need a real service say so with a marker. Outside CI a missing
service skips them with the reason; under CI=true it fails them, so that a
green CI always means the whole suite ran.
"""

import os

import pytest
from django.conf import settings
from django.db import connection

# Browser tests drive Debian's Chromium; Playwright downloads no browser of its own.
CHROMIUM = "/usr/bin/chromium"
# Kannel tests run Debian's bearerbox and smsbox (kannel) and the fake SMSC (kannel-extras).
KANNEL = ["/usr/sbin/bearerbox", "/usr/sbin/smsbox", "/usr/lib/kannel/test/fakesmsc"]


def _require(available: bool, what: str):
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI=true but is not configured")
    pytest.skip(f"{what} not configured (set it to run this test)")


@pytest.fixture(autouse=True)
def _services_for_markers(request):
    if request.node.get_closest_marker("postgres"):
        _require(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://…)")
    if request.node.get_closest_marker("broker"):
        _require(bool(settings.CELERY_BROKER_URL), "A Celery broker (CELERY_BROKER_URL=redis://…)")
    if request.node.get_closest_marker("browser"):
        _require(os.path.exists(CHROMIUM), f"Chromium ({CHROMIUM}: apt-get install chromium)")
    if request.node.get_closest_marker("kannel"):
        _require(all(os.path.exists(path) for path in KANNEL), "Kannel (apt-get install kannel kannel-extras)")


@pytest.fixture(autouse=True)
def _english_messages(settings):
    """Tests read messages in English unless they activate Vietnamese."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (threads, in this process) on the configured broker.

    Data the test writes must be committed for the worker to see it, hence
    transactional_db."""
    from celery.contrib.testing.worker import start_worker

    from outreach.celery import app

    app.control.purge()
    with start_worker(app, perform_ping_check=False, shutdown_timeout=30):
        yield app


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """For the whole run, before any live server starts: fast password
    hashing; static files without collectstatic's manifest; plain HTTP (the
    test client and live server speak no TLS); login lockout off except in
    the tests about it (they turn it on)."""
    from django.test import override_settings

    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        STORAGES={**settings.STORAGES,
                  "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}},
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        AXES_ENABLED=False,
    ):
        yield


@pytest.fixture
def staff(client, db):
    """A provincial staff member, signed in on `client`."""
    from collectors.tests.factories import UserFactory
    from outreach.roles import provincial_staff_group

    user = UserFactory(username="staff", is_staff=True)
    user.groups.add(provincial_staff_group())
    client.force_login(user)
    return user


@pytest.fixture
def staff_client(client, staff):
    return client
