"""The admin on a provincial office's laptop (1,366 × 768): no page wider
than the screen, lists whose first columns stay in view beside the filters,
and a commune filter one can search instead of 102 links.

Drives Debian's Chromium (conftest) against the live server, on the demo's
data, signed in as provincial staff (who open every page)."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from collectors.tests.browser.conftest import LAPTOP
from outreach.tests.test_url_access import concrete_urls, walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def width(page):
    return page.evaluate("document.documentElement.scrollWidth")


def admin_urls():
    from households.models import Household

    household = Household.objects.filter(payments__isnull=False).order_by("pk").first()
    urls = set()
    for route in walk():
        if not route.startswith("admin/") or any(part in route for part in ("logout", "password", "delete",
                                                                            "import/template", "export/?")):
            continue
        for url, _outside in concrete_urls(route, household):
            urls.add(url)
    return sorted(urls)


# Answers without a page to draw: a download, or an empty non-2xx answer (a POST-only view's 405).
NOTHING_DRAWN = ("Download is starting", "net::ERR_HTTP_RESPONSE_CODE_FAILURE", "net::ERR_ABORTED")


def test_no_admin_page_is_wider_than_a_1366_pixel_screen(admin_page):
    too_wide, not_loaded, seen = [], [], 0
    for url in admin_urls():
        # A page of its own for each address: an error page Chromium is still drawing for the
        # last one would otherwise interrupt this navigation (and the next, and the next).
        page = admin_page.context.new_page()
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if not any(reason in str(error) for reason in NOTHING_DRAWN):
                not_loaded.append(f"{url}: {str(error).splitlines()[0]}")
            continue
        else:
            if response and response.status == 200 and "html" in response.headers.get("content-type", ""):
                seen += 1
                if width(page) > LAPTOP["width"]:
                    too_wide.append(f"{url}: {width(page)} px")
        finally:
            page.close()
    assert not_loaded == []
    assert seen > 150  # every list, change, add, history and dashboard page (169 on the demo's data)
    assert too_wide == []


def test_the_household_page_fits_the_screen(admin_page):
    from households.models import Household

    household = Household.objects.order_by("-pk").filter(members__isnull=False).first()
    admin_page.goto(f"/admin/households/household/{household.pk}/change/")
    assert width(admin_page) <= LAPTOP["width"]


def test_the_member_lists_columns_are_all_in_view_beside_the_filters(admin_page):
    admin_page.goto("/admin/households/member/")
    filters = admin_page.locator("#changelist-filter").bounding_box()
    for header in admin_page.locator("#result_list thead th").all():
        box = header.bounding_box()
        assert box["x"] + box["width"] <= filters["x"], header.inner_text()  # the ID columns too
    # No column hidden behind a sideways scroll of the list.
    assert admin_page.evaluate("(e => e.scrollWidth <= e.clientWidth)(document.querySelector('.results'))")


def test_the_commune_filter_is_searched_not_scrolled(admin_page):
    admin_page.goto("/admin/households/household/")
    search = admin_page.locator("#changelist-filter input[type=search]").first
    search.fill("quang phu")  # typed without accents
    shown = admin_page.locator("#changelist-filter select option:not([hidden])")
    assert shown.all_inner_texts() == ["Xã Quảng Phú"]
    admin_page.locator("#changelist-filter select").first.select_option(label="Xã Quảng Phú")
    admin_page.wait_for_url("**commune**24259**")
    assert "24259" in admin_page.url
    # No list of a hundred links: the communes are the options of one select.
    assert admin_page.locator("#changelist-filter li a").count() < 40
