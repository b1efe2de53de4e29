"""Benchmark of the dashboards at a province's size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h7bench .venv/bin/python bench/dashboards.py [--households 1000000]

Creates the database named in DATABASE_URL (it must not exist, unless
--reuse), seeds the registry with `seed_demo` (PostgreSQL COPY), adds the field
operation with set-based SQL (collectors, assignments, receipts, visits,
referrals, reminders, training), then times the nightly refresh and each
dashboard page as provincial staff (median and p95 of several requests through
Django's test client) against a trivial admin page measured in the same run.
Drops the database at the end unless --keep.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outreach.settings")

import psycopg  # noqa: E402

PAGES = [
    ("trivial admin page (baseline)", "/admin/password_change/"),
    ("province", "/admin/reports/summaryrun/province/"),
    ("province, one commune, 24 months", "/admin/reports/summaryrun/province/?commune=24259&start={start}"),
    ("performance", "/admin/reports/summaryrun/performance/"),
    ("network", "/admin/reports/summaryrun/network/"),
    ("training", "/admin/reports/summaryrun/training/"),
]


def maintenance(url):
    parts = urlparse(url)
    return parts.path.lstrip("/"), psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username, password=parts.password,
        dbname="postgres", autocommit=True)


def step(label):
    print(f"{label}…", flush=True)
    return time.perf_counter()


def done(started):
    seconds = time.perf_counter() - started
    print(f"  {seconds:,.1f} s", flush=True)
    return seconds


FIELD_SQL = [
    # Agents: the post office's branches and the unions, a few per commune.
    """INSERT INTO collectors_agent (code, name, kind, commune_id, address, phone, active)
       SELECT 'BD-' || code, 'Bưu điện ' || name, 'post_office', code, '', '', true FROM households_commune
       WHERE province_code = 66""",
    """INSERT INTO collectors_agent (code, name, kind, commune_id, address, phone, active)
       SELECT 'HPN-' || code, 'Hội Phụ nữ ' || name, 'womens_union', code, '', '', true FROM households_commune
       WHERE province_code = 66 AND code % 3 = 0""",
    # Three collectors in most communes, none in every twentieth (the gaps the network page shows).
    """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active,
                              date_joined)
       SELECT '!', false, 'bench-' || c.code || '-' || n, '', '', '', false, true, now()
       FROM households_commune c CROSS JOIN generate_series(1, 3) n WHERE c.province_code = 66 AND c.code % 20 <> 1""",
    """INSERT INTO collectors_collector (user_id, agent_id, code, full_name, phone, active, joined_on)
       SELECT u.id, a.id, 'TV-' || split_part(u.username, '-', 2) || '-' || split_part(u.username, '-', 3),
              'Cộng tác viên ' || split_part(u.username, '-', 2) || '-' || split_part(u.username, '-', 3), NULL,
              split_part(u.username, '-', 3) <> '3' OR split_part(u.username, '-', 2)::int % 4 <> 0,
              current_date - (split_part(u.username, '-', 2)::int % 900)
       FROM auth_user u JOIN collectors_agent a ON a.code = 'BD-' || split_part(u.username, '-', 2)
       WHERE u.username LIKE 'bench-%'""",
    # The first collector of a commune has it whole; the others a village each.
    """INSERT INTO collectors_assignment (collector_id, commune_id, village_id, start, "end")
       SELECT c.id, a.commune_id, NULL, current_date - 400, NULL FROM collectors_collector c
       JOIN collectors_agent a ON a.id = c.agent_id WHERE c.code LIKE 'TV-%-1'""",
    """INSERT INTO collectors_assignment (collector_id, commune_id, village_id, start, "end")
       SELECT c.id, v.commune_id, v.id, current_date - 400, NULL FROM collectors_collector c
       JOIN collectors_agent a ON a.id = c.agent_id
       JOIN LATERAL (SELECT id, commune_id FROM households_village WHERE commune_id = a.commune_id
                     ORDER BY id OFFSET split_part(c.code, '-', 3)::int LIMIT 1) v ON true
       WHERE c.code NOT LIKE 'TV-%-1'""",
    """CREATE TEMPORARY TABLE bench_collector AS
       SELECT a.commune_id, c.id AS collector_id, c.agent_id FROM collectors_assignment a
       JOIN collectors_collector c ON c.id = a.collector_id WHERE a.village_id IS NULL""",
    """INSERT INTO collectors_target (collector_id, month, visits, new_enrolments, renewals, amount)
       SELECT c.id, date_trunc('month', current_date)::date - (n || ' months')::interval, 120, 10, 40, 60000000
       FROM collectors_collector c CROSS JOIN generate_series(0, 11) n""",
    """INSERT INTO collectors_commissionrate (scheme, participant_kind, rate, effective_from, source) VALUES
       ('bhyt_hgd', 'new', 0.05, '2020-01-01', 'bench'), ('bhyt_hgd', 'renewal', 0.03, '2020-01-01', 'bench'),
       ('bhxh_tn', 'new', 0.08, '2020-01-01', 'bench'), ('bhxh_tn', 'renewal', 0.04, '2020-01-01', 'bench'),
       ('bhyt_hgd', 'renewal', 0.035, date_trunc('year', current_date), 'bench')""",
    # A receipt for every other household health-insurance card and every voluntary participant, paid
    # before the cover started (renewals) or at its start (new), one line each.
    """INSERT INTO collectors_payment (agent_id, collector_id, household_id, scheme, receipt_number, paid_on,
                                       months, amount, income, recorded_by_id, recorded_at, cancel_reason)
       SELECT bc.agent_id, bc.collector_id, h.id, e.scheme, 'E' || e.id,
              LEAST(current_date, e.coverage_start - (e.id % 25)::int), 12, e.monthly_amount * 12, NULL,
              (SELECT min(id) FROM auth_user), now(), ''
       FROM households_enrolment e JOIN households_member m ON m.id = e.member_id
       JOIN households_household h ON h.id = m.household_id JOIN bench_collector bc ON bc.commune_id = h.commune_id
       WHERE e.scheme = 'bhxh_tn' OR e.id % 2 = 0""",
    """INSERT INTO collectors_paymentline (payment_id, enrolment_id, amount, monthly_amount, support_months,
                                           created_enrolment, previous_end, previous_status, previous_monthly_amount,
                                           new_end)
       SELECT p.id, e.id, p.amount, e.monthly_amount, 0, e.id % 5 = 0,
              CASE WHEN e.id % 5 = 0 THEN NULL ELSE e.coverage_start - 1 END, '', NULL, e.coverage_end
       FROM collectors_payment p JOIN households_enrolment e ON e.id = substr(p.receipt_number, 2)::bigint""",
    "UPDATE collectors_payment SET cancelled_at = now(), cancel_reason = 'bench' WHERE id % 97 = 0",
    # A visit to every household over the last two years, and a second to every third one.
    """INSERT INTO collectors_visit (client_id, collector_id, household_id, visited_at, outcome, decline_reason,
                                     note, received_at)
       SELECT gen_random_uuid(), bc.collector_id, h.id, now() - ((h.id * n) % 730 || ' days')::interval
              - ((h.id % 600) || ' minutes')::interval, 'interested', '', '', now()
       FROM households_household h JOIN bench_collector bc ON bc.commune_id = h.commune_id
       CROSS JOIN generate_series(1, 2) n WHERE n = 1 OR h.id % 3 = 0""",
    """INSERT INTO collectors_referral (household_id, referred_by_household_id, collector_id, recorded_on)
       SELECT h.id, h.id - 1, bc.collector_id, current_date - (h.id % 700)::int
       FROM households_household h JOIN bench_collector bc ON bc.commune_id = h.commune_id WHERE h.id % 50 = 0""",
    # Reminders 30 days before each card's end, most sent, some failed.
    """INSERT INTO reminders_reminder (enrolment_id, coverage_end, stage, channel, household_id, due_on, status,
                                       reason, created_at, updated_at)
       SELECT e.id, e.coverage_end, -30, 'sms', m.household_id, e.coverage_end - 30,
              CASE WHEN e.id % 10 = 0 THEN 'failed' ELSE 'sent' END, '', now(), now()
       FROM households_enrolment e JOIN households_member m ON m.id = e.member_id
       WHERE e.coverage_end - 30 <= current_date AND e.coverage_end >= current_date - 700""",
    """INSERT INTO collectors_trainingcourse (title, topic, required_for_new_collectors, refresher_months) VALUES
       ('Thu thập dữ liệu', 'data_collection', true, 12), ('Quy định BHXH, BHYT', 'scheme_rules', true, 24),
       ('Ứng dụng VssID', 'vssid', true, NULL), ('Tra cứu mã số BHXH', 'si_lookup', false, NULL),
       ('Kỹ năng vận động', 'persuasion', false, 12)""",
    """INSERT INTO collectors_trainingsession (course_id, held_on, trainer, place)
       SELECT c.id, current_date - n * 45, 'BHXH tỉnh', 'Buôn Ma Thuột'
       FROM collectors_trainingcourse c CROSS JOIN generate_series(1, 12) n""",
    """INSERT INTO collectors_trainingattendance (session_id, collector_id, attended)
       SELECT DISTINCT ON (s.course_id, c.id) s.id, c.id, true FROM collectors_collector c
       JOIN collectors_trainingsession s ON (c.id + s.id) % 5 = 0 ORDER BY s.course_id, c.id, s.held_on DESC""",
]


def seed_field_operation():
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in FIELD_SQL:
            cursor.execute(sql)
        cursor.execute("ANALYZE")


def timed_requests(client, url, repeat):
    for _ in range(2):  # warm: templates, connection
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="use an already seeded database")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database of your own, e.g. postgres://…/h7bench")
    name, admin_connection = maintenance(url)
    if not args.reuse:
        admin_connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DEBUG"] = "0"
    os.environ.pop("CELERY_BROKER_URL", None)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings

    from outreach.roles import provincial_staff_group
    from households.models import Enrolment, Household, Member
    from reports.months import add_months
    from reports.services import refresh_summaries

    figures = {}
    try:
        started = step("migrate and load the communes")
        call_command("migrate", verbosity=0)
        call_command("load_communes", province=66, verbosity=0)
        done(started)
        if not args.reuse:
            started = step(f"seed {args.households:,} households (seed_demo)")
            call_command("seed_demo", households=args.households, verbosity=0, registry_only=True)
            figures["seed households"] = done(started)
            started = step("seed the field operation (set-based SQL)")
            seed_field_operation()
            figures["seed field operation"] = done(started)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM collectors_paymentline")
            lines = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM collectors_visit")
            visits = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM reminders_reminder")
            reminders = cursor.fetchone()[0]
        sizes = (f"{Household.objects.count():,} households, {Member.objects.count():,} members, "
                 f"{Enrolment.objects.count():,} enrolments, {lines:,} receipt lines, {visits:,} visits, "
                 f"{reminders:,} reminders")
        print(sizes)

        refreshes = []
        for attempt in range(2):
            started = step(f"nightly refresh ({attempt + 1})")
            run = refresh_summaries()
            refreshes.append(done(started))

        user, _ = get_user_model().objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
        user.groups.add(provincial_staff_group())
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        start = add_months(run.as_of.replace(day=1), -23).strftime("%Y-%m")
        results = []
        # Production settings (DEBUG off), but plain HTTP in-process and static files from the app
        # folders (no collectstatic), as bench/pages.py does.
        plain = {"ALLOWED_HOSTS": ["*"], "SECURE_SSL_REDIRECT": False,
                 "STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                              "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}
        with override_settings(**plain):
            for label, path in PAGES:
                median, p95 = timed_requests(client, path.format(start=start), args.repeat)
                results.append((label, median, p95))
                print(f"  {label}: median {median:,.0f} ms, p95 {p95:,.0f} ms", flush=True)
    finally:
        connection.close()
        if not args.keep:
            admin_connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    baseline = results[0][1]
    print()
    print(f"{date.today():%d/%m/%Y}, {platform.node()}, {os.cpu_count()} cores, "
          f"PostgreSQL {connection.pg_version // 10000 if hasattr(connection, 'pg_version') else '?'}: {sizes}")
    for key, seconds in figures.items():
        print(f"| {key} | {seconds:,.0f} s |")
    print(f"| nightly refresh | {min(refreshes):,.1f} s (of {', '.join(f'{s:.1f}' for s in refreshes)}) |")
    print("| page | median | p95 | × baseline |")
    print("| --- | --- | --- | --- |")
    for label, median, p95 in results:
        print(f"| {label} | {median:,.0f} ms | {p95:,.0f} ms | {median / baseline:.1f} |")
    slow = [label for label, median, p95 in results[1:] if p95 >= 1000]
    if slow:
        sys.exit(f"Over a second: {', '.join(slow)}")


if __name__ == "__main__":
    main()
