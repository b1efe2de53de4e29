"""Network coverage and training, live, on the known world (world.py)."""

from datetime import date, datetime

import pytest

from collectors.training import months_before
from reports.selectors import Filters, network_dashboard, training_dashboard

from .world import AS_OF, LOCAL

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 5, 20, 12, 0, tzinfo=LOCAL)


def test_each_communes_collectors_and_the_places_nobody_covers(world):
    board = network_dashboard(world.staff, Filters(), now=NOON)
    # Lê Văn Nghỉ left: Thôn 2 has nobody; H'Hen Ksor covers the whole of Xã Bình Thử.
    assert board.table("communes").rows == [
        ["Xã An Thử", 90101, "Trần Thị Mai", 1, 2, 1, 1],
        ["Xã Bình Thử", 90102, "H'Hen Ksor", 1, 1, 1, 0],
    ]
    assert board.table("gaps").rows == [["Xã An Thử", "Thôn 2"]]
    assert [card.value for card in board.cards] == [0, 1, 2]


def test_a_commune_with_no_collector_at_all_is_listed_whole(world):
    from households.tests.factories import CommuneFactory

    CommuneFactory(code=90103, name="Xã Cư Thử")
    board = network_dashboard(world.staff, Filters(), now=NOON)
    assert board.table("communes").rows[-1] == ["Xã Cư Thử", 90103, "", 0, 0, 0, 0]
    assert board.table("gaps").rows[-1] == ["Xã Cư Thử", "(whole commune)"]
    assert board.cards[0].value == 1


def test_collectors_with_no_visit_in_14_days(world):
    board = network_dashboard(world.staff, Filters(), now=NOON)
    assert board.table("quiet").rows == [
        ["H'Hen Ksor", "TV-2", "Hội Phụ nữ Thử", "Xã Bình Thử", None, None],
        ["Nguyễn Thị Mới", "TV-4", "Hội Phụ nữ Thử", "", None, None],
    ]
    later = network_dashboard(world.staff, Filters(), now=datetime(2026, 6, 1, 12, 0, tzinfo=LOCAL))
    assert later.table("quiet").rows[-1] == ["Trần Thị Mai", "TV-1", "Bưu điện Thử", "Thôn 1, Xã An Thử",
                                             date(2026, 5, 10), 22]


def test_training_flags_courses_and_sessions(world):
    board = training_dashboard(world.staff, Filters(), on=AS_OF)
    # Trần Thị Mai: data collection last on 01/03/2025 (older than 12 months), persuasion on 01/10/2025 (older
    # than 6). H'Hen Ksor: the VssID session she is down for is on 01/06/2026, not yet held. Nguyễn Thị Mới: new.
    assert board.table("flags").rows == [
        ["H'Hen Ksor", "TV-2", "Hội Phụ nữ Thử", date(2025, 1, 1), True, "Ứng dụng VssID", False, "",
         date(2026, 1, 10)],
        ["Nguyễn Thị Mới", "TV-4", "Hội Phụ nữ Thử", date(2026, 5, 1), True, "Thu thập dữ liệu, Ứng dụng VssID",
         False, "", None],
        ["Trần Thị Mai", "TV-1", "Bưu điện Thử", date(2024, 1, 1), False, "", True,
         "Thu thập dữ liệu, Thuyết phục hộ gia đình", date(2025, 10, 1)],
    ]
    assert board.table("courses").rows == [
        ["Thu thập dữ liệu", "collecting household data", True, 12, 1, 1, 1],
        ["Thuyết phục hộ gia đình", "persuading households", False, 6, 0, 1, 2],
        ["Ứng dụng VssID", "the VssID app", True, None, 1, 0, 2],
    ]
    assert [row[0] for row in board.table("sessions").rows] == [date(2026, 6, 1), date(2026, 1, 10),
                                                                date(2025, 10, 1)]
    assert [row[-1] for row in board.table("sessions").rows] == [1, 1, 1]
    assert [card.value for card in board.cards] == [3, 2, 1]


def test_a_refresher_is_due_only_once_the_period_is_over():
    assert months_before(date(2026, 5, 20), 12) == date(2025, 5, 20)
    assert months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 1, 15), 6) == date(2025, 7, 15)
