"""PostgreSQL-only guards and indexes; SQLite (the quick start) skips them.

- No two overlapping, non-cancelled enrolments of one member in one scheme:
  an exclusion constraint, so that even concurrent writers cannot break it.
- Diacritic-free name search (`search_key LIKE '%…%'`) served by a trigram index.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE households_enrolment ADD CONSTRAINT enrolment_no_overlap
    EXCLUDE USING gist (
        member_id WITH =,
        scheme WITH =,
        daterange(coverage_start, coverage_end, '[]') WITH &&
    ) WHERE (status <> 'cancelled')
    """,
    "CREATE INDEX member_search_key_trgm ON households_member USING gin (search_key gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS member_search_key_trgm",
    "ALTER TABLE households_enrolment DROP CONSTRAINT IF EXISTS enrolment_no_overlap",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
