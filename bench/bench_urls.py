"""The project's URLs plus a minimal view: the baseline of what any request costs."""

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/minimal/", minimal), path("", include("outreach.urls"))]
