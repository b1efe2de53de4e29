"""The household export page in a real browser, as provincial staff with the
Vietnamese admin: "Chọn tất cả" clears and ticks every column, bound by
outreach/admin.js because the Content Security Policy refuses inline handlers,
and the page reports no error (a refused script is a console error)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_select_all_clears_and_ticks_every_column_without_a_console_error(admin_page):
    from households.imports import HOUSEHOLD_SPEC

    errors = []
    admin_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    admin_page.on("pageerror", lambda error: errors.append(str(error)))

    admin_page.goto("/admin/households/household/")
    admin_page.get_by_role("link", name="Xuất dữ liệu", exact=True).click()
    admin_page.wait_for_url("**/admin/households/household/export/**")

    toggle = admin_page.get_by_label("Chọn tất cả")
    columns = admin_page.locator('.selectable-field-export-row input[type=checkbox]:not(.select-toggle)')
    assert columns.count() == len(HOUSEHOLD_SPEC.columns)
    for column in HOUSEHOLD_SPEC.columns:  # named as in the Vietnamese import template
        assert admin_page.get_by_label(column.vietnamese, exact=True).is_visible()

    def ticked():
        return [box.is_checked() for box in columns.all()]

    assert toggle.is_checked() and all(ticked())
    toggle.uncheck()
    assert not any(ticked())
    toggle.check()
    assert all(ticked())
    # One column cleared by hand, then "select all" again: every column back.
    columns.first.uncheck()
    toggle.uncheck()
    toggle.check()
    assert all(ticked())

    assert errors == []
