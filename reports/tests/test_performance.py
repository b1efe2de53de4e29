"""Collectors' performance and commission on the known world (world.py)."""

from datetime import date

import pytest

from reports.selectors import Filters, performance_dashboard
from reports.services import commission

pytestmark = pytest.mark.django_db

MAY = date(2026, 5, 1)


def test_each_collector_against_their_targets_with_the_commission_due(world):
    board = performance_dashboard(world.staff, Filters(end=MAY))
    # c1: two visits in May (one at 00:30 on 1 May), P2 new, P3 renewed on time, a referral, target set.
    #     Commission: 105,300 × 5 % = 5,265 and 105,300 × 3.5 % (the rate from 01/05) = 3,685.5 → 3,686.
    # c2: P5 new (1,980,000 × 8 % = 158,400) and P6 renewed (no rate for that kind: nothing due).
    # c4: active, nothing done yet; c3 left and did nothing.
    assert board.table("collectors").rows == [
        ["H'Hen Ksor", "TV-2", "Hội Phụ nữ Thử", 0, None, 1, None, 1, None, 1, 0, None, 2_970_000, None, 158_400],
        ["Nguyễn Thị Mới", "TV-4", "Hội Phụ nữ Thử", 0, None, 0, None, 0, None, 0, 0, None, 0, None, 0],
        ["Trần Thị Mai", "TV-1", "Bưu điện Thử", 2, 10, 1, 2, 1, 2, 1, 1, 1_000_000, 210_600, 0.2106, 8_951],
    ]
    assert board.table("agents").rows == [
        ["Bưu điện Thử", 1, 1, 210_600, 8_951],
        ["Hội Phụ nữ Thử", 1, 1, 2_970_000, 158_400],
    ]
    assert [card.value for card in board.cards] == [2, 2, 2, 3_180_600, 167_351]


def test_the_last_12_months(world):
    trend = performance_dashboard(world.staff, Filters(end=MAY)).table("trend").rows
    assert [row[0] for row in trend] == [date(2025, m, 1) for m in range(6, 13)] + [date(2026, m, 1)
                                                                                    for m in range(1, 6)]
    # April: P1 (m1 on time, m2 late), 2,148,120 × 3 % = 64,443.6 → 64,444; one visit.
    assert trend[-2] == [date(2026, 4, 1), 1, 0, 2, 1, 0, 2_148_120, 64_444]
    assert trend[-1] == [MAY, 2, 2, 2, 2, 1, 3_180_600, 167_351]
    assert all(row[1:] == [0] * 7 for row in trend[:-2])


def test_the_agent_filter(world):
    board = performance_dashboard(world.staff, Filters(agent=world.w.pk, end=MAY))
    assert [row[0] for row in board.table("collectors").rows] == ["H'Hen Ksor", "Nguyễn Thị Mới"]
    assert board.table("agents").rows == [["Hội Phụ nữ Thử", 1, 1, 2_970_000, 158_400]]


def test_commission_is_rounded_half_up_to_the_dong():
    from decimal import Decimal

    assert commission(105_300, Decimal("0.035")) == 3_686
    assert commission(105_299, Decimal("0.035")) == 3_685
    assert commission(2_148_120, Decimal("0.03")) == 64_444


def test_past_a_few_dozen_collectors_the_chart_waits_for_an_agent(world):
    from collectors.tests.factories import CollectorFactory

    CollectorFactory.create_batch(40, agent=world.p)
    assert performance_dashboard(world.staff, Filters(end=MAY)).table("collectors").chart is None
    assert performance_dashboard(world.staff, Filters(agent=world.w.pk, end=MAY)).table("collectors").chart
