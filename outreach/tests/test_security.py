"""Safe to put online: lockout, headers, Content Security Policy, sessions."""

import pytest
from django.urls import reverse

from collectors.tests.factories import AssignmentFactory, CollectorFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def sign_in(client, username, password, address="10.1.1.1"):
    return client.post(reverse("field:login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_repeated_failures_lock_the_username_from_that_address(client, settings):
    settings.AXES_ENABLED = True
    collector = CollectorFactory()
    AssignmentFactory(collector=collector)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, collector.user.username, "wrong")
    locked = sign_in(client, collector.user.username, PASSWORD)
    assert locked.status_code == 429
    # Another phone (address) is not locked out with it; the right password works there.
    elsewhere = sign_in(client, collector.user.username, PASSWORD, address="10.1.1.2")
    assert elsewhere.status_code == 302 and elsewhere.url == reverse("field:today")


def test_the_admin_sign_in_is_locked_out_too(client, settings):
    settings.AXES_ENABLED = True
    staff = UserFactory(is_staff=True)
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": staff.username, "password": "wrong"}, REMOTE_ADDR="10.2.2.2")
    response = client.post(url, {"username": staff.username, "password": PASSWORD}, REMOTE_ADDR="10.2.2.2")
    assert response.status_code == 429


@pytest.mark.parametrize("url", ["/field/login/", "/admin/login/"])
def test_pages_carry_security_headers_and_a_strict_content_security_policy(client, url):
    response = client.get(url)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy and "http" not in policy  # nothing from outside the site
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_sessions_end_after_a_working_day(client, settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 60 * 60
    collector = CollectorFactory()
    sign_in(client, collector.user.username, PASSWORD)
    assert client.cookies["sessionid"]["max-age"] == 12 * 60 * 60


def test_passwords_must_be_strong():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ["short1", "1234567890123", "password123"]:
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Buôn Ma Thuột 2026 cà phê")
