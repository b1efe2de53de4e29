import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def test_deploy_check_refuses_the_development_secret_key(settings):
    settings.SECRET_KEY = settings.DEVELOPMENT_SECRET_KEY
    with pytest.raises(SystemCheckError, match="outreach.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_the_home_page_leads_to_the_sign_in_page(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url == "/field/login/"
