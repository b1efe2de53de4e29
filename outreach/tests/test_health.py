import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_the_database_and_the_broker(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["broker"] in ("ok", "not configured: tasks run in-process")


@pytest.mark.broker
def test_healthz_fails_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error:")
