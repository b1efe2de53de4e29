"""A manager sees their agent's area and collectors only; a commune officer
their commune's figures (world.py)."""

from datetime import date

import pytest

from reports.selectors import Filters, filter_choices, network_dashboard, performance_dashboard, province_dashboard

from .test_network_and_training import NOON
from .world import AS_OF

pytestmark = pytest.mark.django_db

MAY = date(2026, 5, 1)


def test_a_manager_sees_the_villages_of_their_collectors_only(world):
    board = province_dashboard(world.manager, Filters(start=date(2026, 3, 1), end=MAY))
    # Trần Thị Mai works village Thôn 1 only: household HA1 (m1, m2, m3), its receipts P1 and P3, its reminders;
    # not the population (the commune is not theirs as a whole).
    assert board.table("coverage").rows == [["Xã An Thử", 90101, 3, 3, 1.0, 2, 1, None, None]]
    assert board.table("movements").rows == [
        [date(2026, 3, 1), 0, 0, 0, 0], [date(2026, 4, 1), 0, 2, 1, 0], [MAY, 0, 1, 1, 0]]
    assert board.table("ending").rows == [["Xã An Thử", 2, 2, 2, 0, 0, 0]]
    assert board.table("reminders").rows[:2] == [[date(2026, 3, 1), 1, 1, 1, 1.0], [date(2026, 4, 1), 0, 0, 0, None]]
    assert board.table("bhyt_monthly").rows[-1][1] == 2
    assert board.table("bhxh_monthly").rows[-1][1] == 1


def test_a_manager_cannot_widen_their_area_with_a_filter(world):
    board = province_dashboard(world.manager, Filters(commune=world.b.pk))
    assert board.table("coverage").rows == []
    assert all(row[1:] == [0, 0, 0, 0] for row in board.table("movements").rows)


def test_a_commune_officer_sees_their_commune(world):
    board = province_dashboard(world.officer, Filters(start=MAY, end=MAY))
    assert board.table("coverage").rows == [["Xã Bình Thử", 90102, 4, 2, 0.5, 2, 0, None, None]]
    assert board.table("movements").rows == [[MAY, 1, 1, 1, 0]]
    assert [card.value for card in board.cards][:2] == [4, 2]


def test_a_managers_performance_and_commission_are_their_agents(world):
    board = performance_dashboard(world.manager, Filters(end=MAY))
    assert [row[0] for row in board.table("collectors").rows] == ["Trần Thị Mai"]
    assert board.table("agents").rows == [["Bưu điện Thử", 1, 1, 210_600, 8_951]]
    officer = performance_dashboard(world.officer, Filters(end=MAY))
    assert officer.table("collectors").rows == [] and officer.table("agents").rows == []


def test_the_network_as_a_manager_and_as_an_officer(world):
    manager = network_dashboard(world.manager, Filters(), now=NOON)
    assert manager.table("communes").rows == [["Xã An Thử", 90101, "Trần Thị Mai", 1, 1, 1, 0]]
    assert manager.table("gaps").rows == []
    officer = network_dashboard(world.officer, Filters(), now=NOON)
    assert officer.table("communes").rows == [["Xã Bình Thử", 90102, "H'Hen Ksor", 1, 1, 1, 0]]
    assert officer.table("quiet").rows == []  # collectors' work is their agents' to follow


def test_the_filters_offer_the_users_area_only(world):
    assert filter_choices(world.staff) == (
        [(90101, "Xã An Thử"), (90102, "Xã Bình Thử")],
        [(world.p.pk, "Bưu điện Thử"), (world.w.pk, "Hội Phụ nữ Thử")])
    assert filter_choices(world.manager) == ([(90101, "Xã An Thử")], [(world.p.pk, "Bưu điện Thử")])
    assert filter_choices(world.officer) == ([(90102, "Xã Bình Thử")], [(world.w.pk, "Hội Phụ nữ Thử")])


def test_the_training_page_as_a_manager(world):
    from reports.selectors import training_dashboard

    board = training_dashboard(world.manager, Filters(), on=AS_OF)
    assert [row[0] for row in board.table("flags").rows] == ["Trần Thị Mai"]
    assert [row[-1] for row in board.table("sessions").rows] == [0, 0, 1]
