import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from . import GIVE_UP, RETRY, SENT, Result


class EmailBackend:
    """E-mail reminders through Django's EMAIL_BACKEND (SMTP in production,
    console or file in development)."""

    def send(self, *, to: str, text: str, key: str) -> Result:
        with translation.override(settings.REMINDERS_MESSAGE_LANGUAGE):
            subject = _("Your insurance cover is running out")
        # The key as Message-ID: mail stores that de-duplicate drop a copy sent again after a crash.
        email = EmailMessage(subject, text, to=[to], headers={"Message-ID": f"<{key}@reminders.outreach>"})
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            return Result(GIVE_UP, code="recipient_refused", detail=str(error)[:300])
        except (smtplib.SMTPException, OSError) as error:
            return Result(RETRY, code=type(error).__name__, detail=str(error)[:300])
        return Result(SENT, provider_id=key)
