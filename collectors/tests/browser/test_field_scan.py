"""Scanning a chip citizen ID card's QR code into Register and "Add a member",
in Chromium whose fake camera films a QR code made here (segno → a Y4M video),
with the browser's BarcodeDetector taken away so that the vendored decoder
(static/field/vendor/jsQR.js) reads it, as on phones without one."""

import pytest
import segno
from playwright.sync_api import expect

from collectors.tests import fieldkit as kit
from collectors.tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, sign_in
from households.models import Household, Member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = "066185000123|241234567|Nguyễn Thị Hiền|15031985|Nữ|Thôn 3, Xã Ea Kao, Buôn Ma Thuột, Đắk Lắk|01022022"
FRAME = (640, 480)


def y4m_of_qr(text: str, path, *, frames=5, module=5):
    """A few frames of a 4:2:0 YUV4MPEG2 video: the QR code of `text`, black on white, in the middle."""
    qr = segno.make(text, error="m")
    matrix = [[bool(v) for v in row] for row in qr.matrix]
    width, height = FRAME
    size = len(matrix) * module
    assert size + 8 * module <= height, "the QR code must fit the frame with its quiet zone"
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray(b"\xeb" * (width * height))  # white (video range)
    for row, cells in enumerate(matrix):
        line = bytearray()
        for dark in cells:
            line += (b"\x10" if dark else b"\xeb") * module
        for dy in range(module):
            start = (top + row * module + dy) * width + left
            luma[start:start + size] = line
    chroma = b"\x80" * (width // 2 * height // 2)  # no colour
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


@pytest.fixture
def camera_phone(chromium, live_server, rules_of_law, tmp_path):
    """A phone whose camera sees the QR code of the text given."""
    opened = []

    def open_with(text):
        video = y4m_of_qr(text, tmp_path / f"card{len(opened)}.y4m")
        browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=[
            *CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="en-US",
                                      base_url=live_server.url, permissions=["camera"])
        context.add_init_script("delete window.BarcodeDetector")  # the vendored decoder's path, surely
        context.set_default_timeout(15_000)
        opened.append(browser)
        return context.new_page()

    yield open_with
    for browser in opened:
        browser.close()


@pytest.fixture
def collector(rules_of_law):
    collector = kit.collector_with_area()
    collector.test_household = kit.household(collector, head="Trần Văn Bình")
    return collector


def watch_requests(page):
    sent = []
    page.on("request", lambda request: sent.append((request.method, request.url.split("/", 3)[3])))
    return sent


def test_scanning_the_card_fills_register_and_nothing_of_it_leaves_the_phone(camera_phone, collector):
    phone = camera_phone(CARD)
    sign_in(phone, collector.user.username)
    phone.goto("/field/new/")
    sent = watch_requests(phone)
    member = phone.locator("fieldset.member").first
    member.get_by_role("button", name="Scan the citizen ID card").click()

    expect(phone.locator("#notice")).to_have_text("Read from the card: check the details before saving.")
    expect(member.locator("[name=m-0-citizen_id]")).to_have_value("066185000123")
    expect(member.locator("[name=m-0-full_name]")).to_have_value("Nguyễn Thị Hiền")
    expect(member.locator("[name=m-0-date_of_birth]")).to_have_value("1985-03-15")
    expect(member.locator("[name=m-0-sex]")).to_have_value("F")
    expect(phone.locator("[name=address]")).to_have_value("Thôn 3, Xã Ea Kao, Buôn Ma Thuột, Đắk Lắk")
    expect(phone.locator(".scan")).to_have_count(0)  # the camera closed
    assert member.get_by_role("button", name="Scan the citizen ID card").get_attribute("data-decoder") == "jsqr"
    assert phone.evaluate("window.jsQR !== undefined")
    # Only the decoder was fetched: no frame, no text went to the server. (field.js may still be
    # fetching the collector's offline page, as on every page after a sign-in: a GET of nothing of the card.)
    assert [request for request in sent if not request[1].startswith(("static/field/", "field/offline/"))] == []
    assert {method for method, _ in sent} <= {"GET"} and not any("066185000123" in url for _, url in sent)

    phone.select_option("select[name=place]", f"village:{collector.test_village.pk}")
    phone.get_by_role("button", name="Register the household").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Nguyễn Thị Hiền")
    person = Member.objects.get(citizen_id="066185000123")
    assert (person.full_name, person.date_of_birth.isoformat(), person.sex, person.relation) == (
        "Nguyễn Thị Hiền", "1985-03-15", "F", "head")
    assert Household.objects.get(members=person).address == "Thôn 3, Xã Ea Kao, Buôn Ma Thuột, Đắk Lắk"


def test_scanning_the_card_fills_add_a_member_from_the_household_page(camera_phone, collector):
    phone = camera_phone(CARD.replace("Nguyễn Thị Hiền", "Trần Bảo Na").replace("15031985", "02112025"))
    sign_in(phone, collector.user.username)
    phone.goto(f"/field/h/{collector.test_household.pk}/")
    phone.get_by_role("link", name="Add a member").click()
    phone.get_by_role("button", name="Scan the citizen ID card").click()
    expect(phone.locator("[name=full_name]")).to_have_value("Trần Bảo Na")
    expect(phone.locator("[name=date_of_birth]")).to_have_value("2025-11-02")
    expect(phone.locator("[name=citizen_id]")).to_have_value("066185000123")
    phone.get_by_role("button", name="Add the member").click()
    expect(phone.locator(".msg.success")).to_have_text("Member added: Trần Bảo Na.")
    assert collector.test_household.members.get(citizen_id="066185000123").sex == "F"


def test_another_qr_code_is_not_taken_for_a_card_and_the_camera_can_be_closed(camera_phone, collector):
    phone = camera_phone("https://example.com/not-a-card")
    sign_in(phone, collector.user.username)
    phone.goto("/field/new/")
    phone.get_by_role("button", name="Scan the citizen ID card").first.click()
    overlay = phone.locator(".scan")
    expect(overlay).to_contain_text("This QR code is not a citizen ID card’s")
    cancel = overlay.get_by_role("button", name="Cancel")
    assert cancel.bounding_box()["height"] >= 48
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    cancel.click()
    expect(overlay).to_have_count(0)
    expect(phone.locator("[name=m-0-citizen_id]")).to_have_value("")
    assert phone.evaluate("document.querySelector('video') === null")


PARSE = "text => window.fieldScan.parseCccd(text)"


def test_the_cards_text_is_read_field_by_field(phone, collector):
    sign_in(phone, collector.user.username)
    phone.goto("/field/new/")
    person = phone.evaluate(PARSE, CARD)
    assert person == {"citizenId": "066185000123", "oldId": "241234567", "fullName": "Nguyễn Thị Hiền",
                      "birthDate": "1985-03-15", "sex": "F", "address": "Thôn 3, Xã Ea Kao, Buôn Ma Thuột, Đắk Lắk",
                      "issuedOn": "2022-02-01"}
    # No old ID, decomposed accents (NFD), "Nam", extra spaces: read all the same.
    nfd = "079090001234||  Lê   Văn Nam |01011990|NAM|Phường 1|".replace("ê", "e\u0302")
    assert phone.evaluate(PARSE, nfd) | {} == {
        "citizenId": "079090001234", "oldId": "", "fullName": "Lê Văn Nam", "birthDate": "1990-01-01",
        "sex": "M", "address": "Phường 1", "issuedOn": ""}
    # A date that does not exist is left for the collector to type.
    assert phone.evaluate(PARSE, "079090001234||Lê Văn Nam|31021990|Nam|Phường 1|01012020")["birthDate"] == ""
    for not_a_card in ["https://example.com", "12345|x|Lê Văn Nam|01011990|Nam|Phường 1|", "079090001234|Lê",
                       "079090001234||0123|01011990|Nam|Phường 1|", ""]:
        assert phone.evaluate(PARSE, not_a_card) is None, not_a_card
