"""Directions to the house: the visit form takes the phone's location only
once the household agrees; the household page then opens the maps app."""

import pytest
from playwright.sync_api import expect

from collectors.models import Visit
from collectors.tests import fieldkit as kit
from collectors.tests.browser.conftest import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def located_phone(chromium, live_server, rules_of_law):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US",
                                   base_url=live_server.url, permissions=["geolocation"],
                                   geolocation={"latitude": 12.6801234, "longitude": 108.0456789})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_the_location_is_taken_only_with_consent_and_the_household_page_gives_directions(located_phone):
    phone = located_phone
    collector = kit.collector_with_area()
    household = kit.household(collector, head="Nguyễn Thị Hiền")
    sign_in(phone, collector.user.username)
    page = f"/field/h/{household.pk}/"

    phone.goto(page + "visit/")
    consent = phone.get_by_label("The household agrees that the house's location is recorded")
    expect(consent).not_to_be_checked()
    expect(phone.get_by_role("button", name="Add my location")).to_be_hidden()
    phone.get_by_label("interested").check()
    phone.get_by_role("button", name="Save the visit").click()
    expect(phone.locator("#notice")).to_have_text("Visit saved.")
    expect(phone.get_by_role("link", name="Directions")).to_have_count(0)
    assert list(Visit.objects.values_list("latitude", flat=True)) == [None]

    phone.goto(page + "visit/")
    phone.get_by_label("interested").check()
    consent.check()  # ticking it takes the location
    expect(phone.locator("#notice")).to_have_text("Location added.")
    assert phone.get_by_role("button", name="Add my location").bounding_box()["height"] >= 48
    phone.get_by_role("button", name="Save the visit").click()
    expect(phone.locator("#notice")).to_have_text("Visit saved.")
    directions = phone.get_by_role("link", name="Directions")
    expect(directions).to_have_attribute("href", "geo:12.680123,108.045679?q=12.680123,108.045679")
    assert directions.bounding_box()["height"] >= 48
    household.refresh_from_db()
    assert (str(household.latitude), str(household.longitude)) == ("12.680123", "108.045679")


def test_unticking_the_consent_forgets_the_location(located_phone):
    phone = located_phone
    collector = kit.collector_with_area()
    household = kit.household(collector)
    sign_in(phone, collector.user.username)
    phone.goto(f"/field/h/{household.pk}/visit/")
    phone.get_by_label("nobody home").check()
    consent = phone.get_by_label("The household agrees that the house's location is recorded")
    consent.check()
    expect(phone.locator("#notice")).to_have_text("Location added.")
    consent.uncheck()
    location = "f => [f.latitude.value, f.longitude.value]"
    assert phone.locator("form[data-outbox]").evaluate(location) == ["", ""]
    phone.get_by_role("button", name="Save the visit").click()
    expect(phone.locator("#notice")).to_have_text("Visit saved.")
    household.refresh_from_db()
    assert household.latitude is None and Visit.objects.get().latitude is None
