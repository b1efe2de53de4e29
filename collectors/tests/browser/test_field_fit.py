"""The field pages fit a 360 px phone and one thumb: no page wider than the
screen, every tap target at least 48 px tall, and the household can be
called, sent an SMS or a Zalo message from Today and from its page."""

import pytest
from playwright.sync_api import expect

from collectors.tests import fieldkit as kit
from collectors.tests.browser.conftest import PHONE, sign_in
from collectors.tests.test_field_month import receipt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TAP = 48  # px: a thumb, not a fingertip


@pytest.fixture
def collector(rules_of_law):
    collector = kit.collector_with_area()
    household = kit.household(collector, head="Nguyễn Thị Hiền", phone="0912345678",
                              address="Thôn 3, xã Ea Kao, thành phố Buôn Ma Thuột",
                              latitude="12.650123", longitude="108.071234")  # "Directions" shown
    kit.cover(kit.head_of(household), ends_in_days=10)
    kit.cover(kit.add_member(household, name="Trần Văn Bình", phone="0987654321"), ends_in_days=-20)
    receipt(collector, household, "BL-2026-000123", 12_345_678)
    collector.test_household = household
    return collector


def field_pages(household):
    h = f"/field/h/{household.pk}/"
    return ["/field/", "/field/find/?q=nguyen", "/field/new/", "/field/month/", h, h + "visit/", h + "pay/",
            h + "referral/?q=tran", h + "member/", "/field/offline/", "/field/?page=2"]


# Interactive elements the thumb has to hit (hidden inputs and the choice
# rows' own radio boxes aside: the whole 48 px row around them is the target).
SMALL_TARGETS = """() => Array.from(document.querySelectorAll('a[href], button, summary, select, input, textarea'))
  .filter(e => e.type !== 'hidden' && e.offsetParent !== null && !e.closest('label'))
  .map(e => [e.outerHTML.slice(0, 80), Math.round(e.getBoundingClientRect().height)])
  .filter(([_, height]) => height < %d)""" % MIN_TAP


def test_no_field_page_is_wider_than_the_phone_and_every_target_is_thumb_sized(phone, collector):
    sign_in(phone, collector.user.username)
    wider, small = {}, {}
    for url in field_pages(collector.test_household):
        phone.goto(url)
        phone.locator("details").evaluate_all("all => all.forEach(d => d.open = true)")
        # Fields and buttons shown only after a choice (the location's button once the household agrees).
        phone.locator("[data-show-when]").evaluate_all("all => all.forEach(e => e.hidden = false)")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wider[url] = width
        if found := phone.evaluate(SMALL_TARGETS):
            small[url] = found
    assert (wider, small) == ({}, {})


def test_the_login_page_fits_too(phone, collector):
    phone.goto("/field/login/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert phone.evaluate(SMALL_TARGETS) == []


def contact_links(scope):
    return {name: scope.get_by_role("link", name=name, exact=False) for name in ("Call", "SMS", "Zalo")}


def test_call_sms_and_zalo_from_today_and_from_the_household_page(phone, collector):
    sign_in(phone, collector.user.username)
    card = phone.locator(".card", has_text="Nguyễn Thị Hiền")
    links = contact_links(card)
    expect(links["Call"]).to_have_attribute("href", "tel:0912345678")
    expect(links["SMS"]).to_have_attribute("href", "sms:0912345678")
    expect(links["Zalo"]).to_have_attribute("href", "https://zalo.me/0912345678")
    for link in links.values():
        assert link.bounding_box()["height"] >= MIN_TAP

    card.get_by_role("link", name="Nguyễn Thị Hiền").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Nguyễn Thị Hiền")
    household = contact_links(phone.locator(".contact").first)
    expect(household["Call"]).to_have_attribute("href", "tel:0912345678")
    expect(household["Zalo"]).to_have_attribute("href", "https://zalo.me/0912345678")
    member = contact_links(phone.locator(".card", has_text="Trần Văn Bình"))
    expect(member["SMS"]).to_have_attribute("href", "sms:0987654321")
    for link in (*household.values(), *member.values()):
        assert link.bounding_box()["height"] >= MIN_TAP


def test_the_receipt_fits_the_phone_for_the_collector_and_the_household(phone, collector, live_server):
    """Its table's total row once pushed the page out to 411 px."""
    from collectors.models import PaymentLine
    from collectors.receipts import link_for

    payment = receipt(collector, collector.test_household, "BL-2026-000124", 12_345_678, new_people=2)
    PaymentLine.objects.filter(payment=payment).update(amount=6_172_839, monthly_amount=514_403, monthly_support=98_765)
    sign_in(phone, collector.user.username)
    for url in (f"/field/receipt/{payment.pk}/", f"/r/{link_for(payment).token}/"):
        phone.goto(url)
        expect(phone.get_by_text("12.345.678 ₫").first).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], url
