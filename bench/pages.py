"""Benchmark of the admin changelists and the field pages at province scale (not a test).

    createdb -h 127.0.0.1 -U postgres outreach_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outreach_bench .venv/bin/python bench/pages.py [--households 1000000]

Seeds the registry with `seed_demo` (once; later runs reuse it), gives one
collector a large area (the ten largest communes), then times each page
through Django's test client in this process — server time, no network —
as median and p95 of --repeat requests, with its query count, beside a
minimal Django view measured the same way in the same run. It also shows
PostgreSQL's plan for a name search typed without diacritics.
With --record it writes the figures to the "Pages" section of docs/performance.md.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outreach.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from collectors.models import Agent, Assignment, Collector  # noqa: E402
from households.models import Household, Member  # noqa: E402
from households.search import member_filter  # noqa: E402
from outreach.roles import PROVINCIAL_STAFF, ensure_roles  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def seed(households: int):
    if connection.vendor != "postgresql":
        sys.exit("Run against PostgreSQL: DATABASE_URL=postgres://…")
    call_command("migrate", verbosity=0)
    call_command("load_communes", stdout=open(os.devnull, "w"))
    have = Household.objects.count()
    if have < households:
        if have:
            sys.exit(f"The database holds {have} households, fewer than {households}: use an empty database.")
        started = time.perf_counter()
        call_command("seed_demo", households=households, seed=1, today=date(2026, 11, 25), registry_only=True)
        print(f"seeded {households:,} households in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have: index-only scans need it


def people():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    groups = ensure_roles()
    staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    staff.groups.add(groups[PROVINCIAL_STAFF])
    user, _ = User.objects.get_or_create(username="bench-collector")
    agent, _ = Agent.objects.get_or_create(code="BENCH", defaults={"name": "Bench agent", "kind": "post_office"})
    collector, _ = Collector.objects.get_or_create(
        user=user, defaults={"agent": agent, "code": "BENCH-1", "full_name": "Bench Collector"})
    largest = (Household.objects.values("commune").annotate(n=Count("id")).order_by("-n")[:10])
    for row in largest:
        Assignment.objects.get_or_create(collector=collector, commune_id=row["commune"], village=None,
                                         defaults={"start": date(2020, 1, 1)})
    area = Household.objects.filter(commune__in=[row["commune"] for row in largest]).count()
    return staff, collector, area


def measure(client, url, repeat):
    for _ in range(3):  # warm caches and connections
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = len(captured)  # now: the log is reset by the next request
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, queries


def name_search_plan(term):
    queryset = Member.objects.filter(member_filter(term)).order_by("-id")[:50]
    return queryset.explain()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--record", action="store_true", help="write the figures to docs/performance.md")
    args = parser.parse_args()

    seed(args.households)
    staff, collector, area = people()
    commune = Assignment.objects.filter(collector=collector).values_list("commune_id", flat=True).first()
    member = Member.objects.filter(household__commune=commune, citizen_id__isnull=False).order_by("id").first()
    name = member.search_key.split(" ", 1)[1] if " " in member.search_key else member.search_key
    household = member.household
    households, members = Household.objects.count(), Member.objects.count()

    staff_client, field_client = Client(), Client()
    staff_client.force_login(staff)
    field_client.force_login(collector.user)
    pages = [
        ("minimal Django view (baseline)", staff_client, "/bench/minimal/"),
        ("admin: households", staff_client, "/admin/households/household/"),
        ("admin: households, one commune", staff_client, f"/admin/households/household/?commune__code__exact={commune}"),
        ("admin: households, member name", staff_client, f"/admin/households/household/?q={name}"),
        ("admin: households, citizen ID", staff_client, f"/admin/households/household/?q={member.citizen_id}"),
        ("admin: members", staff_client, "/admin/households/member/"),
        ("admin: members, one commune", staff_client,
         f"/admin/households/member/?household__commune__code__exact={commune}"),
        ("admin: members, name without diacritics", staff_client, f"/admin/households/member/?q={name}"),
        ("admin: members, citizen ID", staff_client, f"/admin/households/member/?q={member.citizen_id}"),
        ("admin: enrolments", staff_client, "/admin/households/enrolment/"),
        ("admin: enrolments, one commune", staff_client,
         f"/admin/households/enrolment/?member__household__commune__code__exact={commune}"),
        ("admin: enrolments, member name", staff_client, f"/admin/households/enrolment/?q={name}"),
        ("admin: enrolments, citizen ID", staff_client, f"/admin/households/enrolment/?q={member.citizen_id}"),
        ("admin: enrolments, ending within 30 days", staff_client, "/admin/households/enrolment/?coverage=30"),
        ("field: Today", field_client, "/field/"),
        ("field: Find by name", field_client, f"/field/find/?q={name}"),
        ("field: Household", field_client, f"/field/h/{household.pk}/"),
    ]
    rows = []
    # Plain HTTP in-process, static files from the app folders (no collectstatic).
    plain = {"ROOT_URLCONF": "bench_urls", "ALLOWED_HOSTS": ["*"], "SECURE_SSL_REDIRECT": False,
             "STORAGES": {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                          "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}
    with override_settings(**plain):
        for label, client, url in pages:
            median, p95, queries = measure(client, url, args.repeat)
            rows.append((label, median, p95, queries))
            print(f"{label:<45} median {median:7.1f} ms  p95 {p95:7.1f} ms  {queries:3d} queries", flush=True)
    baseline = rows[0][1]
    plan = name_search_plan(name)
    uses_index = "member_search_key_trgm" in plan
    print(f"\nname search “{name}” plan:\n{plan}\n→ trigram index used: {uses_index}")

    table = ["| page | median | p95 | queries | median ÷ minimal view |", "| --- | ---: | ---: | ---: | ---: |"]
    table += [f"| {label} | {median:.1f} ms | {p95:.1f} ms | {queries} | {median / baseline:.1f}× |"
              for label, median, p95, queries in rows]
    worst = max(p95 for label, _, p95, _ in rows[1:])
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    text = "\n".join([
        "## Pages",
        "",
        "`bench/pages.py` (run: `DATABASE_URL=postgres://…/outreach_bench .venv/bin/python bench/pages.py --record`)",
        "seeds the registry with `seed_demo`, gives a collector the ten largest communes, and times each page",
        "in-process through Django's test client (server time, no network), median and p95 of "
        f"{args.repeat} requests, beside a minimal Django view in the same run.",
        "",
        f"{date.today():%d/%m/%Y} — {machine}; {households:,} households, {members:,} members; "
        f"the collector's area: {area:,} households.",
        "",
        *table,
        "",
        f"Slowest p95: {worst:.0f} ms (target: under 300 ms). Name search without diacritics "
        + ("uses the trigram index (`Bitmap Index Scan on member_search_key_trgm`)."
           if uses_index else "does NOT use the trigram index:") ,
        "",
    ])
    if not uses_index:
        text += "\n```\n" + plan + "\n```\n"
    if args.record:
        record_section("Pages", text)


KEPT = "<!-- written by hand: kept when the figures are recorded again -->"


def record_section(title: str, text: str):
    """Replace (or add) the "## <title>" section of docs/performance.md, leaving the others
    and, within it, whatever follows the KEPT line (the explanation of the figures)."""
    current = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    start = current.find(f"\n## {title}\n")
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + 1)
        section = current[start + 1:end + 1 if end != -1 else len(current)]
        kept = section[section.find(KEPT):].rstrip("\n") + "\n" if KEPT in section else ""
        updated = current[:start + 1] + text + kept + ("\n" + current[end + 1:] if end != -1 else "")
    DOCS.write_text(updated)


if __name__ == "__main__":
    main()
