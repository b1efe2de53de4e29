"""/healthz: is this instance able to serve? Checks the database and the broker."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    if not settings.CELERY_BROKER_URL:
        return "not configured: tasks run in-process"
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


@never_cache
@require_GET
def healthz(request):
    checks, healthy = {}, True
    for name, check in [("database", _database), ("broker", _broker)]:
        try:
            checks[name] = check()
        except Exception as error:  # any failure means "not healthy", with its reason
            checks[name] = f"error: {error.__class__.__name__}: {error}"
            healthy = False
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)
