from django.contrib import admin
from django.shortcuts import redirect
from django.urls import path

from outreach.scoped_admin import ViewOnlyAdmin

from . import views
from .models import SummaryRun


@admin.register(SummaryRun)
class DashboardsAdmin(ViewOnlyAdmin):
    """Hangs the dashboards in the admin (its login, layout and language);
    the refresh runs themselves are not edited by hand, and the index shows
    the dashboards through templates/admin/index.html."""

    def get_urls(self):
        wrap = self.admin_site.admin_view

        def page(name):
            return wrap(lambda request: views.dashboard(request, name=name, site=self.admin_site))

        return [
            *[path(f"{name}/", page(name), name=f"reports_{name}") for name in views.PAGES],
            path("refresh/", wrap(views.refresh), name="reports_refresh"),
            path("", wrap(lambda request: redirect("admin:reports_province")), name="reports_summaryrun_changelist"),
        ]

    def has_module_permission(self, request):
        return False  # no model list in the index: the "Dashboards" module links the pages

