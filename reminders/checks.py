"""Settings that would break the reminders' guarantees are errors at start-up."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

DEVELOPMENT_BACKENDS = {"reminders.channels.console.ConsoleBackend", "reminders.channels.file.FileBackend",
                        "reminders.channels.locmem.LocmemBackend"}


@register()
def reminder_settings(app_configs, **kwargs):
    errors = []
    for name in ("REMINDERS_SMS_BACKEND", "REMINDERS_EMAIL_BACKEND"):
        try:
            import_string(getattr(settings, name))
        except ImportError as error:
            errors.append(Error(f"{name} cannot be imported: {error}", id="reminders.E001"))
    call = settings.SMS_GATEWAY_CONNECT_TIMEOUT + settings.SMS_GATEWAY_READ_TIMEOUT
    if settings.REMINDERS_SEND_LEASE <= call:
        errors.append(Error(
            "REMINDERS_SEND_LEASE must be longer than one gateway call (connect + read timeout), "
            "or a slow call could be sent again while it is still running.", id="reminders.E002"))
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", 3600)
    longest = max(settings.REMINDERS_RETRY_DELAY_MAX, settings.CELERY_TASK_TIME_LIMIT or 0)
    if visibility <= longest:
        errors.append(Error(
            "The broker's visibility_timeout must be longer than any task and any retry delay, "
            "or Redis hands a waiting task to a second worker.", id="reminders.E003"))
    if settings.REMINDERS_SMS_BACKEND not in DEVELOPMENT_BACKENDS and not settings.REMINDERS_OFFICE_PHONE.strip():
        errors.append(Error(
            "REMINDERS_OFFICE_PHONE is empty while SMS reminders go to people: a household whose collector "
            "(and their agent) has no phone would get a text with no number to call, so it would not be sent.",
            hint="Set REMINDERS_OFFICE_PHONE to the office's number.", id="reminders.E004"))
    return errors


@register(Tags.security, deploy=True)
def reminder_backends_in_production(app_configs, **kwargs):
    warnings = []
    if settings.REMINDERS_SMS_BACKEND in DEVELOPMENT_BACKENDS:
        warnings.append(Warning("SMS reminders go to a development backend, not to people.",
                                hint="Set REMINDERS_SMS_BACKEND=reminders.channels.sms_http.HttpSmsBackend.",
                                id="reminders.W001"))
    elif settings.REMINDERS_SMS_BACKEND.endswith("HttpSmsBackend") and not (
            settings.SMS_GATEWAY_URL.startswith("https://") and settings.SMS_GATEWAY_TOKEN):
        warnings.append(Warning("The SMS gateway needs an https:// SMS_GATEWAY_URL and an SMS_GATEWAY_TOKEN.",
                                id="reminders.W002"))
    elif settings.REMINDERS_SMS_BACKEND.endswith("KannelBackend") and not (
            settings.KANNEL_DLR_URL and settings.KANNEL_DLR_SECRET):
        warnings.append(Warning("Kannel sends no delivery reports without KANNEL_DLR_URL and KANNEL_DLR_SECRET: "
                                "undelivered reminders would not reach the collectors' lists.", id="reminders.W003"))
    elif settings.REMINDERS_SMS_BACKEND.endswith("KannelBackend") and not settings.KANNEL_DLR_URL.startswith(
            "https://"):
        warnings.append(Warning("KANNEL_DLR_URL should be https://: an http:// report URL is redirected to https "
                                "(SECURE_SSL_REDIRECT), and smsbox 1.4.5 follows a redirect to a port without TLS "
                                "into a crash.", id="reminders.W004"))
    return warnings
