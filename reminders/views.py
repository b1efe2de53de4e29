"""Delivery reports: what the handset got, from Kannel's dlr-url and the JSON gateway's callback.

Both are authenticated per backend (Kannel: the dlr-url is signed per message with
KANNEL_DLR_SECRET; the JSON gateway: a bearer SMS_GATEWAY_CALLBACK_SECRET), idempotent
(`services.record_delivery`), and answer bad input with a 4xx that says what is wrong,
never a 500: a gateway that gets a 500 may resend its report forever."""

import hmac
import json
import uuid

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import services
from .channels.kannel import signature
from .models import Message

# Kannel's report types (dlr-mask bits).
KANNEL_TYPES = {1: Message.Delivery.DELIVERED, 2: Message.Delivery.UNDELIVERED, 4: Message.Delivery.ACCEPTED,
                8: Message.Delivery.ACCEPTED, 16: Message.Delivery.UNDELIVERED}
GATEWAY_STATES = {"delivered": Message.Delivery.DELIVERED, "undelivered": Message.Delivery.UNDELIVERED,
                  "failed": Message.Delivery.UNDELIVERED, "expired": Message.Delivery.EXPIRED,
                  "accepted": Message.Delivery.ACCEPTED}


def _key(text) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def _text(value, limit: int = 300) -> str:
    """A report's free text as the database can store it: PostgreSQL refuses NUL in text
    (a 500, and the gateway would resend the report forever), so control characters go."""
    return "".join(ch for ch in str(value) if ch >= " " or ch in "\t\n")[:limit]


def _answer(changed: bool) -> HttpResponse:
    return HttpResponse("recorded" if changed else "already recorded", content_type="text/plain")


def accepts_nul_characters(view):
    """outreach.middleware.RefuseNulCharacters lets this view clean its own parameters."""
    view.accepts_nul_characters = True
    return view


@accepts_nul_characters
@csrf_exempt
@require_http_methods(["GET", "POST"])
def kannel_report(request):
    data = request.GET if request.method == "GET" else request.POST
    key, sig = _key(data.get("key", "")), data.get("sig", "")
    if not settings.KANNEL_DLR_SECRET or key is None or not hmac.compare_digest(
            signature(str(key)).encode(), sig.encode()):  # bytes: a non-ASCII str would raise
        return HttpResponse("bad or missing key/sig", status=403, content_type="text/plain")
    try:
        state = KANNEL_TYPES[int(data.get("type", ""))]
    except (KeyError, ValueError):
        return HttpResponse(f"type must be one of {sorted(KANNEL_TYPES)}", status=400, content_type="text/plain")
    answer = _text(data.get("answer", ""))
    if data.get("type") == "2" and "EXPIRED" in answer.upper():
        state = Message.Delivery.EXPIRED  # SMPP's "stat:EXPIRED": the phone stayed unreachable
    if not Message.objects.filter(key=key).exists():
        return HttpResponse("unknown message", status=404, content_type="text/plain")
    return _answer(services.record_delivery(key=key, state=state, reason=answer))


@csrf_exempt
@require_http_methods(["POST"])
def gateway_report(request):
    secret = settings.SMS_GATEWAY_CALLBACK_SECRET
    given = request.headers.get("Authorization", "")
    if not secret or not hmac.compare_digest(given.encode(), f"Bearer {secret}".encode()):
        return JsonResponse({"error": "bad or missing bearer secret"}, status=403)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "the body must be JSON"}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"error": "the body must be a JSON object"}, status=400)
    key = _key(body.get("client_ref", ""))
    if key is None:
        return JsonResponse({"error": "client_ref must be the message's key (a UUID)"}, status=400)
    state = GATEWAY_STATES.get(str(body.get("status", "")))
    if state is None:
        return JsonResponse({"error": f"status must be one of {sorted(GATEWAY_STATES)}"}, status=400)
    if not Message.objects.filter(key=key).exists():
        return JsonResponse({"error": "unknown message"}, status=404)
    changed = services.record_delivery(key=key, state=state, reason=_text(body.get("reason") or ""))
    return JsonResponse({"recorded": changed})
