"""Channels a reminder message goes out by, chosen in settings like Django's
e-mail backends:

    REMINDERS_SMS_BACKEND = "reminders.channels.sms_http.HttpSmsBackend"    # the SMS gateway
    REMINDERS_SMS_BACKEND = "reminders.channels.console.ConsoleBackend"     # development (default)
    REMINDERS_SMS_BACKEND = "reminders.channels.file.FileBackend"           # development, to files
    REMINDERS_EMAIL_BACKEND = "reminders.channels.email.EmailBackend"       # through Django's EMAIL_BACKEND

A backend has one method, `send(*, to, text, key) -> Result`. `key` is the
message's idempotency key: a backend that talks to a service passes it on, so
that sending the same message again (after a crash) delivers it once.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

SENT = "sent"
RETRY = "retry"  # transient: try again later
GIVE_UP = "give_up"  # permanent: retrying cannot help


@dataclass(frozen=True)
class Result:
    outcome: str
    provider_id: str = ""
    http_status: int | None = None
    code: str = ""
    detail: str = ""


def backend_path(channel: str) -> str:
    return settings.REMINDERS_EMAIL_BACKEND if channel == "email" else settings.REMINDERS_SMS_BACKEND


def get_backend(channel: str):
    return import_string(backend_path(channel))()


def reports_delivery(channel: str) -> bool:
    """Whether the channel's backend, as configured, sends delivery reports back (a backend
    says so with a `reports_delivery()` method; the development ones and e-mail do not)."""
    backend = get_backend(channel)
    return bool(getattr(backend, "reports_delivery", lambda: False)())
