"""Kannel (https://www.kannel.org/): smsbox's HTTP interface in front of bearerbox
and the operators' SMSCs.

Request  GET KANNEL_SENDSMS_URL?username=…&password=…&to=…&from=SMS_GATEWAY_SENDER&text=…
             &charset=UTF-8[&coding=2]&dlr-mask=31&dlr-url=…   (text and the rest URL-encoded)
Answer   202 "0: Accepted for delivery" (older
             smsbox: "Sent.")                     → sent
         202 "3: Queued for later delivery"      → sent (no SMSC up now: bearerbox keeps it and
                                                    delivers when one comes back)
         4xx (bad user, missing or bad number)   → give up
         5xx ("Sending failed", …), timeout,
         connection reset or refused (smsbox down) → retry
(tests/test_kannel_answers.py pins each against a stub smsbox)

Text outside GSM-7 (Vietnamese with diacritics) goes as `coding=2` (UCS-2);
smsbox splits a long text into `max-messages` parts when `concatenation` is on.
Kannel does not de-duplicate: a message sent again after a worker was killed
mid-call can arrive twice (docs/reminders.md states the bound). The `dlr-url`
carries the message's key and a signature of it, so the delivery report
endpoint knows which message a report is about and that Kannel was given it by us.
"""

import hashlib
import hmac
import threading
from urllib.parse import urlencode

import requests
from django.conf import settings

from ..text import GSM7, sms_size
from . import GIVE_UP, RETRY, SENT, Result

_local = threading.local()
# Delivered (1), undelivered (2), queued at the SMSC (4), accepted by the SMSC (8), rejected by it (16).
DLR_MASK = 31


def _session() -> requests.Session:
    if getattr(_local, "session", None) is None:
        _local.session = requests.Session()
    return _local.session


def signature(key: str) -> str:
    """What proves a report for `key` comes from a dlr-url we gave (KANNEL_DLR_SECRET)."""
    return hmac.new(settings.KANNEL_DLR_SECRET.encode(), key.encode(), hashlib.sha256).hexdigest()[:32]


def dlr_url(key: str) -> str:
    # %d: the report's type, %A: the SMSC's answer (Kannel fills them in).
    return f"{settings.KANNEL_DLR_URL}?key={key}&sig={signature(key)}&type=%d&answer=%A"


class KannelBackend:
    def reports_delivery(self) -> bool:
        return bool(settings.KANNEL_DLR_URL)

    def send(self, *, to: str, text: str, key: str) -> Result:
        params = {"username": settings.KANNEL_USERNAME, "password": settings.KANNEL_PASSWORD, "to": to,
                  "from": settings.SMS_GATEWAY_SENDER, "text": text, "charset": "UTF-8"}
        if sms_size(text).encoding != GSM7:
            params["coding"] = "2"
        if settings.KANNEL_SMSC:
            params["smsc"] = settings.KANNEL_SMSC
        if settings.KANNEL_DLR_URL:
            params.update({"dlr-mask": str(DLR_MASK), "dlr-url": dlr_url(key)})
        timeout = (settings.SMS_GATEWAY_CONNECT_TIMEOUT, settings.SMS_GATEWAY_READ_TIMEOUT)
        try:
            response = _session().get(f"{settings.KANNEL_SENDSMS_URL}?{urlencode(params)}", timeout=timeout)
        except requests.ConnectTimeout as error:  # never reached smsbox
            return Result(RETRY, code="unreachable", detail=str(error)[:300])
        except requests.Timeout as error:  # smsbox may have taken it
            return Result(RETRY, code="timeout", detail=str(error)[:300])
        except requests.ConnectionError as error:
            # Refused: smsbox is down and has nothing. Cut mid-call: it may have taken it.
            refused = "NewConnectionError" in repr(error) or "Connection refused" in str(error)
            return Result(RETRY, code="unreachable" if refused else "connection_error", detail=str(error)[:300])
        except requests.RequestException as error:
            return Result(RETRY, code="connection_error", detail=str(error)[:300])
        answer = response.text.strip()[:300]
        status = response.status_code
        if 200 <= status < 300:
            return Result(SENT, provider_id=key, http_status=status, code=answer.split(":", 1)[0][:50], detail=answer)
        decision = RETRY if status >= 500 or status in (408, 429) else GIVE_UP
        return Result(decision, http_status=status, code=f"kannel_{status}", detail=answer)
