"""Benchmark of the nightly reminder scan (not a test).

    createdb -h 127.0.0.1 -U postgres h4bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h4bench .venv/bin/python bench/reminders_scan.py

Seeds 1,000,000 enrolments with set-based SQL (once; later runs reuse them),
then, in the same run and on the same table, times:
- the baseline: ONE hand-written INSERT … SELECT … ON CONFLICT DO NOTHING doing
  the same selection as the app (stages from the rules, active or lapsed cover,
  not renewed, not opted out, "no phone" marked) over the catch-up window: the
  night and the --missed nights before it that had no run (overtaken and
  too-late stages marked skipped);
- the app's claim (`services.claim_reminders` for each rule), and the whole
  night's preparation (claim + merge into messages + allot to the night);
and the sends per second of `services.send_message` against the local HTTP
gateway and, where Debian's kannel and kannel-extras are installed, through a
real Kannel (bearerbox + smsbox + fakesmsc, reminders/tests/kannel.py), without and
with a dlr-url (the delivery reports come back to this app's endpoint, served in a
thread, and are recorded as they would be in production). Each timing is the median
of --repeat runs, the table emptied between.
"""

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outreach.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from households.models import Commune, Enrolment  # noqa: E402
from reminders import services  # noqa: E402
from reminders.models import ChannelPolicy, Message, NightlyRun, Reminder, ReminderRule  # noqa: E402
from reminders.tests.gateway import LocalGateway  # noqa: E402
from reminders.tests.kannel import Kannel  # noqa: E402
from reminders.tests.kannel import installed as kannel_installed  # noqa: E402

NIGHT = date(2027, 3, 1)
MISSED = 2  # nights without a run before NIGHT (--missed)
COMMUNE = 24259  # Xã Quảng Phú

SEED_SQL = [
    # 400,000 households, 9 in 10 with a phone.
    """INSERT INTO households_household (code, commune_id, village_id, address, phone, economic_status, status_year,
                                         created_at, updated_at)
       SELECT 'BENCH' || lpad(g::text, 8, '0'), %(commune)s, NULL, '',
              CASE WHEN g %% 10 = 0 THEN NULL ELSE '09' || lpad(g::text, 8, '0') END, 'other', NULL, now(), now()
       FROM generate_series(1, %(households)s) g""",
    # 2.5 members a household; 3 in 10 with a phone of their own.
    """INSERT INTO households_member (household_id, full_name, search_key, date_of_birth, sex, ethnicity, relation,
                                      citizen_id, si_number, phone, created_at, updated_at)
       SELECT h.min_id + ((g - 1) * 2) / 5, 'Nguyễn Văn ' || g, 'nguyen van ' || g, date '1980-01-01' + (g %% 15000),
              CASE WHEN g %% 2 = 0 THEN 'F' ELSE 'M' END, '01', 'child', NULL, NULL,
              CASE WHEN g %% 10 < 3 THEN '032' || lpad(g::text, 7, '0') END, now(), now()
       FROM generate_series(1, %(members)s) g,
            (SELECT min(id) AS min_id FROM households_household WHERE code LIKE 'BENCH%%') h""",
    # One enrolment a member: 4 in 5 BHYT, the ends spread over a year around the night.
    """INSERT INTO households_enrolment (member_id, scheme, card_number, coverage_start, coverage_end, status,
                                         monthly_amount, created_at, updated_at)
       SELECT m.id, CASE WHEN m.id %% 5 = 0 THEN 'bhxh_tn' ELSE 'bhyt_hgd' END, '',
              e.end_date - 364, e.end_date,
              CASE WHEN e.end_date < %(night)s THEN 'lapsed' ELSE 'active' END, 113850, now(), now()
       FROM households_member m
       CROSS JOIN LATERAL (SELECT %(night)s::date - 182 + (m.id %% 365)::int AS end_date) e
       WHERE m.full_name LIKE 'Nguyễn Văn %%'""",
]

# The same selection as `services.due_enrolments` + `_claim_rows`, for every active rule at once.
BASELINE_SQL = """
INSERT INTO reminders_reminder (enrolment_id, coverage_end, stage, channel, household_id, due_on, status, reason,
                                created_at, updated_at)
SELECT e.id, e.coverage_end, r.offset_days, r.channel, m.household_id, e.coverage_end + r.offset_days,
       CASE WHEN e.coverage_end + r.next_offset <= %(night)s::date THEN 'skipped'
            WHEN e.coverage_end + r.offset_days < %(night)s::date - %(late)s THEN 'skipped'
            WHEN r.channel = 'sms' AND m.phone IS NULL AND h.phone IS NULL THEN 'no_phone' ELSE 'queued' END,
       CASE WHEN e.coverage_end + r.next_offset <= %(night)s::date THEN 'overtaken'
            WHEN e.coverage_end + r.offset_days < %(night)s::date - %(late)s THEN 'late' ELSE '' END,
       now(), now()
FROM (SELECT r.*, (SELECT min(n.offset_days) FROM reminders_reminderrule n
                   WHERE n.active AND n.scheme = r.scheme AND n.channel = r.channel
                     AND n.offset_days > r.offset_days) AS next_offset
      FROM reminders_reminderrule r) r
JOIN households_enrolment e ON e.scheme = r.scheme
 AND e.coverage_end BETWEEN %(first)s::date - r.offset_days AND %(night)s::date - r.offset_days
JOIN households_member m ON m.id = e.member_id
JOIN households_household h ON h.id = m.household_id
WHERE r.active AND e.status IN ('active', 'lapsed')
  AND NOT EXISTS (SELECT 1 FROM households_enrolment later
                  WHERE later.member_id = e.member_id AND later.scheme = e.scheme
                    AND later.coverage_end > e.coverage_end AND later.status <> 'cancelled')
  AND NOT EXISTS (SELECT 1 FROM reminders_reminderoptout o
                  WHERE o.household_id = m.household_id AND (o.member_id IS NULL OR o.member_id = e.member_id)
                    AND (o.channel = '' OR o.channel = r.channel))
  AND (r.channel <> 'email' OR EXISTS (SELECT 1 FROM reminders_householdemail a WHERE a.household_id = h.id))
ON CONFLICT (enrolment_id, coverage_end, stage, channel) DO NOTHING
"""


def seed(enrolments: int):
    have = Enrolment.objects.count()
    if have >= enrolments:
        print(f"Reusing {have:,} enrolments.")
        return
    if have:
        sys.exit(f"The database holds {have:,} enrolments, fewer than {enrolments:,}: use an empty database.")
    Commune.objects.get_or_create(code=COMMUNE, defaults={"name": "Xã Quảng Phú", "kind": "xa", "province_code": 66})
    params = {"commune": COMMUNE, "households": enrolments * 2 // 5, "members": enrolments, "night": NIGHT}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in SEED_SQL:
            cursor.execute(sql, params)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Seeded {Enrolment.objects.count():,} enrolments in {time.perf_counter() - started:.0f} s.")


def empty_outbox():
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE reminders_deliveryattempt, reminders_reminder, reminders_message, "
                       "reminders_nightlyrun")


def timed(work) -> float:
    empty_outbox()
    started = time.perf_counter()
    with transaction.atomic():
        work()
    return time.perf_counter() - started


def first_night() -> date:
    return NIGHT - timedelta(days=MISSED)


def baseline():
    with connection.cursor() as cursor:
        cursor.execute(BASELINE_SQL, {"night": NIGHT, "first": first_night(),
                                      "late": settings.REMINDERS_CATCH_UP_DAYS})


def app_claim():
    now = timezone.now()
    rules = list(ReminderRule.objects.filter(active=True))
    for rule in rules:
        services.claim_reminders(rule=rule, first=first_night(), day=NIGHT, now=now,
                                 next_offset=services._next_offset(rule, rules))


def app_prepare():
    # The ledger says the last completed night was before the missed ones: the run catches them up.
    NightlyRun.objects.create(day=first_night() - timedelta(days=1), finished_at=timezone.now(), runs=1)
    services.prepare_night(day=NIGHT)


def _send(ids):
    connections.close_all()  # a forked process opens its own connection
    for message_id in ids:
        services.send_message(message_id=message_id)
    connections.close_all()


class ReportReceiver:
    """This app's delivery-report endpoint (/reminders/dlr/kannel/) served in a thread, as
    gunicorn would: Kannel calls each message's dlr-url, and each report is recorded."""

    def start(self) -> str:
        from django.core.handlers.wsgi import WSGIHandler
        from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

        class Quiet(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        # Served in plain HTTP here as behind the TLS proxy: no redirect to https (smsbox would
        # follow it to a port that speaks no TLS; Kannel 1.4.5's smsbox then panics).
        settings.SECURE_SSL_REDIRECT = False
        self.server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
        self.server.set_app(WSGIHandler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}/reminders/dlr/kannel/"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def sends_per_second(count: int, processes: int, kannel: Kannel | None = None,
                     dlr_url: str = "") -> tuple[float, int, float | None]:
    """Like `processes` Celery worker processes: each sends its share, one message at a time,
    to the local gateway or through `kannel` (with `dlr_url`: asking for delivery reports).
    Returns sends/s, the count, and (with reports) the seconds until every report was recorded."""
    if kannel:
        settings.REMINDERS_SMS_BACKEND = "reminders.channels.kannel.KannelBackend"
        settings.KANNEL_SENDSMS_URL, settings.KANNEL_DLR_URL = kannel.sendsms_url, dlr_url
        settings.KANNEL_DLR_SECRET = "bench-dlr-secret"
        settings.KANNEL_USERNAME, settings.KANNEL_PASSWORD = kannel.username, kannel.password
        received_before = len(kannel.received())
    else:
        gateway = LocalGateway()
        settings.REMINDERS_SMS_BACKEND = "reminders.channels.sms_http.HttpSmsBackend"
        settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = gateway.start(), gateway.token
    ChannelPolicy.objects.update(quiet_from=None, quiet_until=None, nightly_cap=None)
    empty_outbox()
    services.prepare_night(day=NIGHT)
    ids = list(Message.objects.order_by("id").values_list("pk", flat=True)[:count])
    connections.close_all()
    started = time.perf_counter()
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_send, [ids[i::processes] for i in range(processes)]))
    elapsed = time.perf_counter() - started
    reported = None
    if kannel:
        assert Message.objects.filter(pk__in=ids, status="sent").count() == len(ids)
        deadline = time.monotonic() + 120  # bearerbox hands them to the fake SMSC a moment later
        while len(kannel.received()) - received_before < len(ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        delivered = len(kannel.received()) - received_before
        if dlr_url:  # the fake SMSC reports each delivered: every report recorded?
            while (Message.objects.filter(pk__in=ids, delivery="delivered").count() < len(ids)
                   and time.monotonic() < deadline + 120):
                time.sleep(0.2)
            reported = time.perf_counter() - started
            assert Message.objects.filter(pk__in=ids, delivery="delivered").count() == len(ids)
    else:
        gateway.stop()
        delivered = sum(gateway.delivered_per_phone().values())
    assert delivered == len(ids), (delivered, len(ids))
    return len(ids) / elapsed, len(ids), reported


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sends", type=int, default=2_000)
    parser.add_argument("--missed", type=int, default=2, help="nights without a run before the night")
    args = parser.parse_args()
    global MISSED
    MISSED = args.missed
    if connection.vendor != "postgresql":
        sys.exit("Point DATABASE_URL at a PostgreSQL database of its own (it is filled with test data).")
    call_command("migrate", verbosity=0)
    seed(args.enrolments)

    times = {"baseline": [], "claim": [], "prepare": []}
    for _ in range(args.repeat):  # interleaved, so that caches favour neither
        times["baseline"].append(timed(baseline))
        rows = Reminder.objects.count()
        times["claim"].append(timed(app_claim))
        assert Reminder.objects.count() == rows, "the app and the baseline must claim the same rows"
        times["prepare"].append(timed(app_prepare))
    median = {name: statistics.median(values) for name, values in times.items()}
    messages = Message.objects.count()

    print(f"Night {NIGHT:%d/%m/%Y} catching up {args.missed} missed nights from {first_night():%d/%m/%Y}: "
          f"{rows:,} reminders claimed from {Enrolment.objects.count():,} enrolments, "
          f"merged into {messages:,} messages (median of {args.repeat}).")
    print(f"  hand-written INSERT … SELECT … ON CONFLICT : {median['baseline'] * 1000:8.0f} ms")
    print(f"  app's claim (services.claim_reminders)      : {median['claim'] * 1000:8.0f} ms"
          f"   ratio {median['claim'] / median['baseline']:.2f}×")
    print(f"  app's whole night (claim + merge + allot)   : {median['prepare'] * 1000:8.0f} ms"
          f"   ratio {median['prepare'] / median['baseline']:.2f}×")
    # Texts name a phone to call; the bench's households have no collector, so the office's.
    settings.REMINDERS_OFFICE_PHONE = settings.REMINDERS_OFFICE_PHONE or "02623000000"
    for processes in (1, 2):
        rate, sent, _ = sends_per_second(args.sends, processes)
        print(f"  sends to the local gateway, {processes} process(es)     : {rate:8.0f} /s ({sent:,} messages)")
    if kannel_installed():
        with tempfile.TemporaryDirectory() as folder:
            kannel = Kannel(Path(os.environ.get("KANNEL_BENCH_FOLDER") or folder)).start()
            receiver = ReportReceiver()
            dlr_url = receiver.start()
            try:
                for processes in (1, 2):
                    rate, sent, _ = sends_per_second(args.sends, processes, kannel)
                    print(f"  sends through Kannel, {processes} process(es)          : {rate:8.0f} /s "
                          f"({sent:,} messages, each received by the fake SMSC)")
                for processes in (1, 2):
                    rate, sent, reported = sends_per_second(args.sends, processes, kannel, dlr_url)
                    print(f"  sends through Kannel with a dlr-url, {processes} process(es): {rate:8.0f} /s "
                          f"({sent:,} messages; every delivery report recorded {reported:.1f} s after the first "
                          f"send: {sent / reported:.0f} messages/s sent and reported)")
            finally:
                receiver.stop()
                kannel.stop()
    else:
        print("  sends through Kannel: not measured (apt-get install kannel kannel-extras)")
    print(f"  machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PostgreSQL {connection.cursor().connection.info.server_version}")
    empty_outbox()


if __name__ == "__main__":
    main()
