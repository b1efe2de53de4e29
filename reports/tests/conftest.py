import pytest

from reports.services import refresh_summaries

from .world import AS_OF, build_world


@pytest.fixture
def world(db):
    world = build_world()
    refresh_summaries(as_of=AS_OF)
    return world
