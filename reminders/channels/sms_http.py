"""The SMS gateway: JSON over HTTPS with a bearer token.

Request  POST SMS_GATEWAY_URL
         Authorization: Bearer SMS_GATEWAY_TOKEN
         Idempotency-Key: <the message's key>
         {"to": "0912345678", "text": "…", "sender": SMS_GATEWAY_SENDER, "client_ref": "<key>"}
Answer   2xx {"id": "…"}                                  → sent (a repeated key answers 2xx too)
         4xx/5xx {"error": {"code": "…", "message": "…"}} → SMS_GATEWAY_ERROR_CODES[code] if listed,
         else retry for 5xx, 408, 425 and 429 and give up for other 4xx.
Timeouts and refused connections are retried: the key makes that safe even
when the gateway did receive the first call. The text arrives as sealed
(without diacritics when the channel policy says so, see reminders.text).
Delivery reports come back to /reminders/dlr/gateway/ (reminders.views).
"""

import threading

import requests
from django.conf import settings

from . import GIVE_UP, RETRY, SENT, Result

_local = threading.local()
RETRY_STATUSES = {408, 425, 429}


def _session() -> requests.Session:
    # One keep-alive session per thread (and per worker process, made after the fork).
    if getattr(_local, "session", None) is None:
        _local.session = requests.Session()
    return _local.session


class HttpSmsBackend:
    def reports_delivery(self) -> bool:
        return bool(settings.SMS_GATEWAY_CALLBACK_SECRET)

    def send(self, *, to: str, text: str, key: str) -> Result:
        payload = {"to": to, "text": text, "sender": settings.SMS_GATEWAY_SENDER, "client_ref": key}
        headers = {"Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}", "Idempotency-Key": key}
        timeout = (settings.SMS_GATEWAY_CONNECT_TIMEOUT, settings.SMS_GATEWAY_READ_TIMEOUT)
        try:
            response = _session().post(settings.SMS_GATEWAY_URL, json=payload, headers=headers, timeout=timeout)
        except requests.Timeout as error:
            return Result(RETRY, code="timeout", detail=str(error)[:300])
        except requests.RequestException as error:
            return Result(RETRY, code="connection_error", detail=str(error)[:300])
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if 200 <= response.status_code < 300:
            return Result(SENT, provider_id=str(body.get("id", ""))[:100], http_status=response.status_code)
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        code = str(error.get("code") or f"http_{response.status_code}")[:50]
        detail = str(error.get("message") or response.reason or "")[:300]
        decision = settings.SMS_GATEWAY_ERROR_CODES.get(code)
        if decision not in (RETRY, GIVE_UP):
            status = response.status_code
            decision = RETRY if status >= 500 or status in RETRY_STATUSES else GIVE_UP
        return Result(decision, http_status=response.status_code, code=code, detail=detail)
