from django.conf import settings
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
    """Pages over tables of millions of rows without a full COUNT(*).

    An unfiltered list of a large table shows PostgreSQL's estimate of its
    size; filtered lists and small tables are counted exactly.
    """

    @cached_property
    def count(self):
        queryset = self.object_list
        if not queryset.query.where:
            estimate = estimated_row_count(queryset.model, queryset.db)
            if estimate is not None and estimate >= settings.ADMIN_EXACT_COUNT_LIMIT:
                return estimate
        return super().count
