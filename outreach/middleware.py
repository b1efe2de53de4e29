"""Requests no page can answer, refused before any view runs."""

from django.contrib import messages
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

# Names, codes and numbers are short: no search needs more. SQLite refuses a LIKE pattern over
# 50,000 bytes (a 500), and every word of a term is one more condition on every searched field.
MAX_SEARCH_LENGTH = 100
SEARCH_PARAMETERS = ("q", "term")  # the admin's and the field pages' search boxes; autocomplete


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


class BoundSearchTerms:
    """A search term past MAX_SEARCH_LENGTH characters, in any admin list, autocomplete or
    field page, is cut to that length, with a message on the page (not in an autocomplete's
    answer): searched for as typed, no one's term is that long."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        long = [name for name in SEARCH_PARAMETERS if len(request.GET.get(name, "")) > MAX_SEARCH_LENGTH]
        if long:
            query = request.GET.copy()
            for name in long:
                query.setlist(name, [value[:MAX_SEARCH_LENGTH] for value in query.getlist(name)])
            query._mutable = False
            request.GET = query
            if not ("json" in request.headers.get("accept", "") or request.path.endswith("/autocomplete/")):
                messages.warning(request, _("A search takes at most %(max)s characters: it was cut to the first "
                                            "%(max)s.") % {"max": MAX_SEARCH_LENGTH})
        return self.get_response(request)
