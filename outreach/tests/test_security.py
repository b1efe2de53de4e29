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


def test_behind_the_proxy_a_lockout_is_the_clients_not_everyones(client, settings):
    """The attack: every sign-in arrives from nginx (127.0.0.1), so five wrong
    passwords from one phone locked the username on every phone."""
    import ipaddress

    settings.AXES_ENABLED = True
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1")]
    collector = CollectorFactory()
    AssignmentFactory(collector=collector)

    def through_proxy(password, phone):
        return client.post(reverse("field:login"), {"username": collector.user.username, "password": password},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=phone)

    for _ in range(settings.AXES_FAILURE_LIMIT):
        through_proxy("wrong", "203.0.113.7")
    assert through_proxy(PASSWORD, "203.0.113.7").status_code == 429
    elsewhere = through_proxy(PASSWORD, "198.51.100.20")
    assert elsewhere.status_code == 302 and elsewhere.url == reverse("field:today")


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(rf, settings):
    import ipaddress

    from outreach.client_ip import client_ip

    def address(remote, forwarded):
        return client_ip(rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded))

    settings.TRUSTED_PROXIES = []
    assert address("198.51.100.20", "203.0.113.7") == "198.51.100.20"  # no proxy configured: the header is anyone's
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    assert address("198.51.100.20", "203.0.113.7") == "198.51.100.20"  # not from the proxy
    assert address("10.0.0.5", "203.0.113.7") == "203.0.113.7"
    # What the client wrote itself is to the left of what the proxy appended.
    assert address("10.0.0.5", "1.2.3.4, 203.0.113.7") == "203.0.113.7"
    assert address("10.0.0.5", "203.0.113.7, 10.0.0.9") == "203.0.113.7"  # two proxies of ours
    assert address("10.0.0.5", "") == "10.0.0.5"
    assert address("10.0.0.5", "not-an-address") == "10.0.0.5"
