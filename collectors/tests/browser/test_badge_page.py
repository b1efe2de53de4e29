"""A household scans a collector's badge on its own phone (360×740, not
signed in): an active collector's page, then a revoked badge's."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from collectors.badges import badge_for, revoke_badges
from collectors.tests import fieldkit as kit
from collectors.tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_household_sees_an_active_collector_and_then_a_revoked_badge(phone):
    collector = kit.collector_with_area(full_name="Trần Thị Thu")
    collector.assignments.update(end=kit.today() + timedelta(days=200))
    token = badge_for(collector).token

    phone.goto(f"/badge/{token}/")
    card = phone.locator(".card")
    expect(card).to_contain_text("Active collector")
    expect(card.get_by_role("heading")).to_have_text("Trần Thị Thu")
    expect(card).to_contain_text(collector.agent.name)
    expect(card).to_contain_text(str(collector.test_commune.name))
    expect(card).to_contain_text((kit.today() + timedelta(days=200)).strftime("%d/%m/%Y"))
    assert phone.locator("a").count() == 0
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    revoke_badges([collector])
    response = phone.goto(f"/badge/{token}/")
    assert response.status == 404
    expect(phone.locator(".card")).to_contain_text("Not an active collector")
    expect(phone.locator("body")).not_to_contain_text("Trần Thị Thu")
