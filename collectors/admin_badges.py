"""Admin actions on collectors: print their badge QR codes, revoke badges."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from .badges import badge_for, qr_svg, revoke_badges


@admin.action(description=gettext_lazy("Print the badge QR codes of the selected collectors"),
              permissions=["change"])
def print_badges(modeladmin, request, queryset):
    active = [collector for collector in queryset.select_related("agent") if collector.active]
    if len(active) < len(queryset):
        modeladmin.message_user(request, _("Inactive collectors get no badge."), messages.WARNING)
    if not active:
        return None
    badges = []
    for collector in active:
        url = request.build_absolute_uri(reverse("badge_check", args=[badge_for(collector).token]))
        badges.append({"collector": collector, "url": url, "qr": qr_svg(url)})
    return TemplateResponse(request, "badges/print.html", {"badges": badges})


@admin.action(description=gettext_lazy("Revoke the badges of the selected collectors"), permissions=["change"])
def revoke_badges_action(modeladmin, request, queryset):
    count = revoke_badges(queryset)
    modeladmin.message_user(request, ngettext(
        "%(count)s badge revoked: its QR code now answers “not an active collector”.",
        "%(count)s badges revoked: their QR codes now answer “not an active collector”.", count) % {"count": count})
