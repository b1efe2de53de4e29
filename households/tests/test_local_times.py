"""Times are kept in UTC and shown as Đắk Lắk's clock: an export at 18:30 UTC
was made at 01:30 the next morning there."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from households.models import ExportLog

pytestmark = pytest.mark.django_db


def test_an_export_is_named_by_vietnam_s_day_and_hour():
    log = ExportLog.objects.create(user=get_user_model().objects.create_user("xuat"), resource="households", format="csv", row_count=3,
                                   personal_data=True)
    ExportLog.objects.filter(pk=log.pk).update(created_at=datetime(2026, 12, 4, 18, 30, tzinfo=UTC))
    log.refresh_from_db()
    assert str(log) == "households · 3 · 05/12/2026 01:30"
