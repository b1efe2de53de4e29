"""The project's URLs plus minimal views: the baselines of what any request costs."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache


def minimal(request):
    return HttpResponse("ok")


# About 1 KB of HTML, as bench/phone.py's floor: one request, nothing to fetch after it.
PAGE = ("<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Bench</title></head><body>"
        + "".join(f"<p>Dòng {n}: một trang HTML tối thiểu, không tệp tĩnh.</p>" for n in range(13))
        + "</body></html>")


@never_cache  # as the field pages: each visit asks the server
def page(request):
    return HttpResponse(PAGE)


urlpatterns = [path("bench/minimal/", minimal), path("bench/page/", page), path("", include("outreach.urls"))]
