"""The nightly task: in-process without a broker, and on a real worker."""

from datetime import date

import pytest

from households.tests.factories import EnrolmentFactory
from reports.models import AreaSnapshot, SummaryRun
from reports.tasks import refresh_summaries


def some_cover():
    EnrolmentFactory(coverage_start=date(2026, 1, 1), coverage_end=date(2026, 12, 31))


@pytest.mark.django_db
def test_the_task_refreshes_the_summaries_in_process():
    some_cover()
    result = refresh_summaries.apply(args=["2026-05-20"]).get()
    assert result["as_of"] == "2026-05-20"
    assert AreaSnapshot.objects.get(run_id=result["run"]).insured == 1


@pytest.mark.broker
def test_the_task_runs_on_a_real_worker(celery_worker):
    some_cover()
    result = refresh_summaries.delay("2026-05-20").get(timeout=60)
    assert SummaryRun.objects.get().pk == result["run"]
    assert AreaSnapshot.objects.get().insured == 1
