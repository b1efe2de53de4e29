"""A collector's day on a 360×740 phone in Chromium: sign in, find a
household, log a visit (also without network), take a payment."""

import re

import pytest
from playwright.sync_api import expect

from collectors.models import Payment, Visit
from collectors.tests import fieldkit as kit
from collectors.tests.browser.conftest import sign_in, wait_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collector(rules_of_law):
    collector = kit.collector_with_area()
    household = kit.household(collector, head="Nguyễn Thị Hiền")
    kit.cover(kit.head_of(household), ends_in_days=10)
    kit.cover(kit.add_member(household, name="Trần Văn Bình"), ends_in_days=-20)
    collector.test_household = household
    return collector


def test_sign_in_find_a_household_and_log_a_visit(phone, collector):
    sign_in(phone, collector.user.username)
    expect(phone.get_by_role("heading", name=re.compile("Today"))).to_be_visible()
    expect(phone.locator(".card").first).to_contain_text("Nguyễn Thị Hiền")

    phone.get_by_role("link", name="Find").click()
    phone.fill("input[name=q]", "nguyen thi hien")
    phone.get_by_role("button", name="Find").click()
    phone.locator(".card", has_text="Nguyễn Thị Hiền").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Nguyễn Thị Hiền")

    phone.get_by_role("link", name="Log a visit").click()
    phone.get_by_label("will pay on a date").check()
    phone.fill("input[name=follow_up_on]", kit.today().replace(year=kit.today().year + 1).isoformat())
    phone.fill("textarea[name=note]", "Chờ bán cà phê")
    phone.get_by_role("button", name="Save the visit").click()

    expect(phone.locator("#notice")).to_have_text("Visit saved.")
    expect(phone.locator(".card", has_text="Chờ bán cà phê")).to_be_visible()
    visit = Visit.objects.get()
    assert (visit.collector, visit.household, visit.outcome) == (collector, collector.test_household, "will_pay")


def test_a_visit_logged_without_network_waits_on_the_phone_then_is_sent_once(phone, collector):
    sign_in(phone, collector.user.username)
    household_url = f"/field/h/{collector.test_household.pk}/"
    # Opened once with network, so that the service worker keeps the pages.
    phone.goto(household_url)
    phone.evaluate("navigator.serviceWorker.ready")
    phone.goto(household_url + "visit/")
    wait_in_page(phone, "navigator.serviceWorker.controller !== null")
    phone.reload()

    phone.context.set_offline(True)
    response = phone.goto(household_url + "visit/")  # from the phone's copy
    assert response.from_service_worker
    phone.get_by_label("nobody home").check()
    phone.get_by_role("button", name="Save the visit").click()
    outbox = phone.locator("#outbox")
    expect(outbox).to_contain_text("Waiting to send: 1")
    expect(outbox).to_contain_text("nobody home")
    expect(phone.locator("#notice")).to_contain_text("No network: the visit is kept on this phone")
    phone.get_by_label("interested").check()  # the form is ready for the next visit
    phone.get_by_role("button", name="Save the visit").click()
    expect(outbox).to_contain_text("Waiting to send: 2")
    assert Visit.objects.count() == 0

    posts = []
    phone.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    phone.context.set_offline(False)
    expect(outbox).to_be_hidden()
    expect(phone.locator("#notice")).to_have_text("Visits waiting on this phone were sent.")
    assert [url.split("/field/", 1)[1] for url in posts] == ["visits/"]  # both in one request
    phone.evaluate("() => window.dispatchEvent(new Event('online'))")  # a second sending changes nothing
    phone.wait_for_timeout(300)
    assert sorted(Visit.objects.values_list("outcome", "collector")) == [
        ("interested", collector.pk), ("nobody_home", collector.pk)]


def test_take_a_payment_seeing_the_amount_before_saving(phone, collector):
    household = collector.test_household
    sign_in(phone, collector.user.username)
    phone.goto(f"/field/h/{household.pk}/")
    phone.get_by_role("link", name="Take a payment").click()
    expect(phone.get_by_label("Nguyễn Thị Hiền")).to_be_checked()
    expect(phone.get_by_label("Trần Văn Bình")).to_be_checked()

    # The amount of the usual choice is there on opening: no tap on "Work out the amount".
    expect(phone.locator("[data-total]")).to_have_text("2.322.540 ₫")  # 12 × (113.850 + 79.695)
    phone.select_option("select[name=months]", "6")  # htmx asks again, in place
    expect(phone.locator("[data-total]")).to_have_text("1.161.270 ₫")
    expect(phone.locator("#quote")).to_contain_text("Renewal without a break")
    assert Payment.objects.count() == 0

    phone.fill("input[name=receipt_number]", "BL-000123")
    phone.get_by_role("button", name="Save the payment").click()
    expect(phone.locator(".msg.success")).to_contain_text("Payment saved: 1.161.270 ₫, receipt BL-000123.")
    payment = Payment.objects.get()
    assert (payment.amount, payment.months, payment.collector) == (1_161_270, 6, collector)
    assert Visit.objects.get().payment == payment


def test_the_offline_page_shows_the_outbox_and_sends_it_when_the_network_returns(phone, collector):
    sign_in(phone, collector.user.username)
    household_url = f"/field/h/{collector.test_household.pk}/"
    phone.goto(household_url + "visit/")
    phone.evaluate("navigator.serviceWorker.ready")
    wait_in_page(phone, "navigator.serviceWorker.controller !== null")
    phone.reload()  # now kept on the phone, and so is the collector's offline page
    wait_in_page(phone, "caches.open('field-pages').then(c => c.match('/field/offline/')).then(Boolean)")

    phone.context.set_offline(True)
    phone.goto(household_url + "visit/")
    phone.get_by_label("nobody home").check()
    phone.get_by_role("button", name="Save the visit").click()
    expect(phone.locator("#outbox")).to_contain_text("Waiting to send: 1")

    response = phone.goto("/field/month/")  # never opened: not on the phone
    assert response.from_service_worker
    expect(phone.get_by_role("heading", level=1)).to_have_text("No network")
    expect(phone.get_by_role("banner")).to_contain_text(collector.full_name)
    expect(phone.get_by_role("navigation").get_by_role("link", name="Today")).to_be_visible()
    outbox = phone.locator("#outbox")
    expect(outbox).to_contain_text("Waiting to send: 1")
    expect(outbox).to_contain_text("nobody home")

    pages = []
    phone.on("request", lambda request: pages.append(request.url) if request.is_navigation_request() else None)
    phone.context.set_offline(False)
    expect(outbox).to_be_hidden()
    expect(phone.locator("#notice")).to_have_text("Visits waiting on this phone were sent.")
    assert Visit.objects.get().outcome == "nobody_home"
    assert pages == [] and phone.url.endswith("/field/month/")  # sent from here, Today never opened


def test_vssid_help_recorded_from_a_visit_shows_on_the_household_and_leaves_today(phone, rules_of_law):
    collector = kit.collector_with_area()
    household = kit.household(collector, head="Lê Thị Mai", vssid=False)
    kit.cover(kit.head_of(household), ends_in_days=200)
    sign_in(phone, collector.user.username)
    card = phone.locator(".card", has_text="Lê Thị Mai")
    expect(card).to_contain_text("neither VssID nor VNeID level 2")

    card.get_by_role("link", name=re.compile("Lê Thị Mai")).click()
    expect(phone.locator(".card", has_text="Lê Thị Mai").first).to_contain_text("No VssID")
    phone.get_by_role("link", name="Log a visit").click()
    phone.get_by_label("interested").check()
    phone.get_by_label("Helped install VssID").check()
    phone.get_by_role("button", name="Save the visit").click()

    expect(phone.locator("#notice")).to_have_text("Visit saved.")
    expect(phone.locator(".card", has_text="Lê Thị Mai").first).to_contain_text("VssID installed")
    expect(phone.locator(".card", has_text="helped install VssID")).to_be_visible()
    phone.get_by_role("link", name="Today").click()
    expect(phone.get_by_text("Lê Thị Mai")).to_have_count(0)
