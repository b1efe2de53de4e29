"""Requests no page can answer, refused before any view runs."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RefuseNulCharacters:
    """A NUL character (%00) in the address's parameters — a search box, an
    autocomplete's term, a filter — is refused with a 400: PostgreSQL cannot
    store or compare text holding one, so every query using it would fail
    (a 500). Nobody types one; form fields refuse it in posted data already."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # A view that cleans its own parameters (a gateway's delivery report, whose free text
        # it stores without control characters) says so: refusing it would lose the report.
        if getattr(view_func, "accepts_nul_characters", False):
            return None
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            message = _("The address holds a NUL character (%00), which no search or filter accepts: remove it "
                        "and try again.")
            if "json" in request.headers.get("accept", "") or request.path.endswith("/autocomplete/"):
                return JsonResponse({"error": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return None
