"""The field pages install as an app: Chromium finds the manifest valid and
the page installable, and the app's start page (Today) opens without network."""

import pytest
from playwright.sync_api import expect

from collectors.tests import fieldkit as kit
from collectors.tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, sign_in, wait_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The paths in the service worker's cache of static files.
STATIC_KEPT = """caches.keys().then(names => caches.open(names.find(name => name.startsWith('field-static-'))))
                 .then(cache => cache.keys()).then(requests => requests.map(request => new URL(request.url).pathname))"""


@pytest.fixture
def collector(rules_of_law):
    collector = kit.collector_with_area()
    kit.cover(kit.head_of(kit.household(collector, head="Nguyễn Thị Hiền")), ends_in_days=10)
    return collector


@pytest.fixture
def installing_phone(chromium, live_server, tmp_path):
    """A phone with a profile of its own: Chromium installs nothing from an
    incognito context, which the other tests' contexts are."""
    context = chromium.browser_type.launch_persistent_context(
        tmp_path / "profile", executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=PHONE, is_mobile=True,
        has_touch=True, locale="en-US", base_url=live_server.url, service_workers="allow")
    context.set_default_timeout(10_000)
    yield context.pages[0] if context.pages else context.new_page()
    context.close()


def test_chromium_finds_the_app_installable_and_today_opens_offline(installing_phone, collector):
    phone = installing_phone
    sign_in(phone, collector.user.username)
    phone.evaluate("navigator.serviceWorker.ready")
    wait_in_page(phone, "navigator.serviceWorker.controller !== null")
    # The service worker keeps the static files by the names the page uses (hashed ones in production), no others.
    used = phone.evaluate("[document.querySelector('link[rel=stylesheet]').href, document.querySelector('script[src]').src]"
                          ".map(url => new URL(url).pathname)")
    kept = phone.evaluate(STATIC_KEPT)
    keep = set(phone.evaluate("document.body.dataset.keep.split(' ')"))
    assert set(used) <= keep and keep | {"/field/offline/"} <= set(kept)
    assert {path for path in kept if path.endswith((".js", ".css"))} == keep  # (the app icon comes through it too)
    cdp = phone.context.new_cdp_session(phone)

    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    parsed = manifest["manifest"]  # as Chromium read it
    assert parsed["startUrl"].endswith("/field/") and parsed["display"] == "kStandalone"
    assert {icon["url"].rsplit("/", 1)[1] for icon in parsed["icons"]} == {"icon-192.png", "icon-512.png"}
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

    phone.reload()  # Today now kept on the phone by the service worker
    phone.context.set_offline(True)
    response = phone.goto(parsed["startUrl"])
    assert response.from_service_worker
    expect(phone.locator(".card").first).to_contain_text("Nguyễn Thị Hiền")


def test_a_new_version_of_the_app_drops_the_static_files_it_no_longer_uses(phone, collector):
    sign_in(phone, collector.user.username)
    # The worker active (not whether it controls this page yet: the first page after a sign-in may stay
    # uncontrolled when its navigation began while the worker installed).
    installed = phone.evaluate("navigator.serviceWorker.ready.then(registration => registration.active.scriptURL)")
    keep = set(phone.evaluate("document.body.dataset.keep.split(' ')"))
    # What the phone kept from the last deploy, under names this one's pages no longer use.
    phone.evaluate("""caches.keys().then(names => caches.open(names.find(name => name.startsWith('field-static-'))))
                      .then(cache => cache.put('/static/field/field.0ld5ha.css', new Response('body {}')))""")
    assert "/static/field/field.0ld5ha.css" in phone.evaluate(STATIC_KEPT)
    # A deploy: the pages name another service worker (their keep list changed), which takes over.
    phone.evaluate(f"navigator.serviceWorker.register({installed!r} + '&deploy=2', {{scope: '/field/'}})")
    wait_in_page(phone, f"({STATIC_KEPT}).then(kept => !kept.includes('/static/field/field.0ld5ha.css'))")
    assert keep <= set(phone.evaluate(STATIC_KEPT))  # what the pages use stays on the phone


def test_the_manifest_is_in_vietnamese_for_a_vietnamese_phone(client):
    manifest = client.get("/field/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert (manifest["short_name"], manifest["name"]) == ("Thu BHXH", "Outreach: cộng tác viên thu BHXH, BHYT")
    assert manifest["start_url"] == "/field/" and manifest["theme_color"] == "#0b5cad"
