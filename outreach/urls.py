from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from collectors import badge_views, receipt_views
from collectors import views as field_views
from outreach.health import healthz

admin.site.site_header = _("Outreach — provincial social insurance")
admin.site.site_title = "Outreach"
admin.site.index_title = _("Registry and field operation")

urlpatterns = [
    path("", field_views.home),  # collectors to /field/, staff to /admin/, others to sign in
    path("healthz", healthz, name="healthz"),
    # Browsers ask every site for /favicon.ico: the icon under static/.
    path("favicon.ico", lambda request: redirect(static("outreach/favicon.ico"), permanent=True)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("field/", include("collectors.urls")),
    path("reminders/", include("reminders.urls")),  # delivery reports from the SMS gateways
    # The household's receipt link: the token opens that receipt only, no sign-in.
    path("r/<str:token>/", receipt_views.household_receipt, name="household_receipt"),
    path("r/<str:token>/pdf/", receipt_views.household_receipt_pdf, name="household_receipt_pdf"),
    # A collector's badge QR: the token shows who the collector is, nothing else.
    path("badge/<str:token>/", badge_views.badge_check, name="badge_check"),
]
