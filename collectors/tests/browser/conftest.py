"""Playwright driving Debian's Chromium at a cheap phone's size (360×740)
against pytest-django's live server (static files served too)."""

import os
import time
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from conftest import CHROMIUM
from households.tests.factories import seed_rules_of_law

# Playwright's sync API runs an event loop in this thread; the tests still
# read the database synchronously between steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}  # a provincial office's laptop
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        yield None  # the browser marker skips (or fails under CI) before a test gets here
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def rules_of_law(transactional_db):
    """The dated rates a migration seeds: a live-server test's database is
    emptied between tests, so put them back."""
    seed_rules_of_law()


@pytest.fixture
def phone(chromium, live_server, rules_of_law):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US",
                                   base_url=live_server.url, service_workers="allow")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def wait_in_page(page, expression, timeout=30):
    """Evaluates `expression` in the page until it is truthy. Not Playwright's
    wait_for_function: when it polls it calls eval(), which the field pages'
    Content-Security-Policy refuses, so it failed whenever the first look was false."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false in the page after {timeout} s: {expression}")
        time.sleep(0.1)


def sign_in(page, username):
    page.goto("/field/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/field/")


@pytest.fixture
def admin_page(chromium, live_server, rules_of_law):
    from django.contrib.auth import get_user_model

    from outreach.roles import provincial_staff_group

    call_command("load_communes", stdout=StringIO())
    call_command("seed_demo", households=40, seed=5, today=date(2026, 11, 25), stdout=StringIO())
    staff = get_user_model().objects.create_user("tinh", password=PASSWORD, is_staff=True, first_name="Cán bộ")
    staff.groups.add(provincial_staff_group())
    context = chromium.new_context(viewport=LAPTOP, locale="vi-VN", base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/admin/login/")
    page.fill("input[name=username]", "tinh")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    yield page
    context.close()
