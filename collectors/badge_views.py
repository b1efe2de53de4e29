"""The public page a collector's badge QR opens (collectors.badges)."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .badges import card_for_token


@never_cache
@require_GET
def badge_check(request, token):
    card = card_for_token(token)
    response = render(request, "badges/check.html", {"card": card}, status=200 if card else 404)
    # The token is the key: never sent on to another site, never indexed.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response
