"""Charts say what they cannot draw."""

from django.template.loader import render_to_string

from reports import charts
from reports.tables import MONEY, TEXT, Chart, Column, Table


def commission_table(values):
    return Table(key="commission", title="Commission", columns=[Column("Collector", kind=TEXT),
                                                               Column("Commission", kind=MONEY)],
                 rows=[[name, value] for name, value in zip(["Trần Thị Mai", "H'Hen Ksor"], values)],
                 chart=Chart(kind="bars", series=[1]))


def test_a_chart_whose_values_are_all_zero_says_so_instead_of_an_axis_to_1_dong():
    svg = charts.build(commission_table([0, 0]))
    html = render_to_string("reports/_chart.html", {"svg": svg})
    assert "Nothing to draw: every value is 0." in html
    assert "1 ₫" not in html and "<rect" not in html and "<line" not in html


def test_a_chart_with_a_value_draws_its_bars_and_axis():
    html = render_to_string("reports/_chart.html", {"svg": charts.build(commission_table([0, 150_000]))})
    assert "Nothing to draw" not in html
    assert "<rect" in html and "<line" in html and "150.000 ₫" in html
