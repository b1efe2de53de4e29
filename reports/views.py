"""The dashboards, served inside the admin (see admin.py). Thin: read the
filters, ask a selector, render the page or export one of its tables."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from . import selectors, tasks
from .charts import build
from .forms import FilterForm
from .tables import xlsx_response


@dataclass
class Page:
    name: str
    title: str
    read: object
    fields: list[str]
    labels: dict | None = None


PAGES = {
    page.name: page
    for page in [
        Page("province", _("Province"), selectors.province_dashboard, ["commune", "agent", "start", "end"]),
        Page("performance", _("Collectors' performance"), selectors.performance_dashboard, ["agent", "end"],
             {"end": _("Month")}),
        Page("network", _("Network coverage"), selectors.network_dashboard, ["commune", "agent"]),
        Page("training", _("Training"), selectors.training_dashboard, ["agent"]),
    ]
}


def dashboard(request, *, name: str, site):
    if not selectors.can_view_dashboards(request.user):
        raise PermissionDenied
    page = PAGES[name]
    communes, agents = selectors.filter_choices(request.user, communes="commune" in page.fields)
    form = FilterForm(request.GET or None, fields=page.fields, communes=communes, agents=agents, labels=page.labels)
    board = page.read(request.user, form.filters() if form.is_bound else selectors.Filters())
    if export := request.GET.get("export"):
        table = board.table(export)
        if table is None:
            raise Http404
        return xlsx_response(table, as_of=board.run.as_of if board.run else None)
    context = {
        **site.each_context(request),
        "title": page.title,
        "page": page,
        "pages": PAGES.values(),
        "form": form,
        "board": board,
        "panels": [(table, build(table)) for table in board.tables],
        "can_refresh": selectors.can_refresh(request.user),
    }
    return TemplateResponse(request, "reports/dashboard.html", context)


@require_POST
def refresh(request):
    """Staff's "refresh now": the nightly task, run at once (in-process when no
    broker is configured, else by a worker)."""
    if not selectors.can_refresh(request.user):
        raise PermissionDenied
    tasks.refresh_summaries.delay()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        messages.success(request, _("The figures were recomputed."))
    else:
        messages.info(request, _("The figures are being recomputed; reload the page in a few minutes."))
    following = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(following, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        following = "admin:reports_province"
    return redirect(following)
