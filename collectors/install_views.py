"""The web app manifest of the field pages: "Add to home screen" gives an app
that opens on Today, full screen, with the office's colour and icons
(static/field/icons, drawn by deploy/make_field_icons.py)."""

from django.http import JsonResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME_COLOUR = "#0b5cad"  # as the field pages' header and <meta name="theme-color">
BACKGROUND_COLOUR = "#f4f5f2"  # as field.css's body, shown while the app opens


@require_GET
@cache_control(max_age=86400)
def manifest(request):
    today = reverse("field:today")
    return JsonResponse({
        "id": today,
        "name": _("Outreach: social-insurance collector"),
        "short_name": pgettext("name under the home-screen icon", "Collector"),
        "lang": get_language(),
        "start_url": today,
        "scope": today,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [{"src": static(f"field/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any"} for size in (192, 512)],
    }, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
