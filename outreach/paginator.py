"""Admin lists over tables of millions of rows (households, members, enrolments)."""

from django.conf import settings
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


def estimated_row_count(model, using="default"):
    """PostgreSQL's planner estimate of a table's rows, or None where unknown."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
        row = cursor.fetchone()
    # -1 means the table was never analysed: no estimate.
    return row[0] if row and row[0] >= 0 else None


class LargeTablePaginator(Paginator):
    """Pages over tables of millions of rows without counting them all.

    An unfiltered list of a large table shows PostgreSQL's estimate of its
    size ("about N"); a filtered list is counted up to
    ADMIN_EXACT_COUNT_LIMIT rows ("more than N" beyond: counting the 25,000
    enrolments of a commune took longer than showing a page of them).
    `count_is` tells templates which: "exact", "estimate" or "at_least".
    """

    count_is = "exact"

    @cached_property
    def count(self):
        queryset = self.object_list
        limit = settings.ADMIN_EXACT_COUNT_LIMIT
        if not queryset.query.where:
            estimate = estimated_row_count(queryset.model, queryset.db)
            if estimate is not None and estimate >= limit:
                self.count_is = "estimate"
                return estimate
        counted = queryset.order_by().values("pk")[:limit + 1].count()  # without the columns shown
        if counted > limit:
            self.count_is = "at_least"
            return limit
        return counted


class LargeTableChangeList(ChangeList):
    """Reads a page in two steps: the ids of its rows (filtered and sorted on
    the list's own table and whatever the filters join), then those rows with
    their related rows and computed columns. In one query PostgreSQL joins and
    computes them for every matching row before it sorts (a page of the 5,500
    enrolments found by a name: 176 → 100 ms; the unfiltered list: 2 + 1 ms)."""

    def get_results(self, request):
        super().get_results(request)
        ids = list(self.result_list.values_list("pk", flat=True))
        rows = self.apply_select_related(self.root_queryset).filter(pk__in=ids)
        self.result_list = rows.order_by(*self.queryset.query.order_by)
