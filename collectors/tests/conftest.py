import pytest

from collectors.tests import fieldkit as kit


@pytest.fixture
def collector(client):
    """A collector with an area, signed in on the test client's phone pages.
    (A module needing another collector defines its own `collector`.)"""
    collector = kit.collector_with_area()
    kit.phone_login(client, collector)
    return collector
