"""Benchmark of logging visits over HTTP through gunicorn (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outreach_bench .venv/bin/python bench/visits_http.py [--record]

Runs gunicorn as deployed (deploy/gunicorn.conf.py) against the benchmark
database that bench/pages.py seeded, then sends, from concurrent clients on
this machine (keep-alive connections, bounded in time), first GETs of a
minimal Django view served by the same gunicorn — the baseline — then the
phone's JSON visit posts (a new client id each, to households of the bench
collector's area), then the outbox's batches of BATCH visits a request.
Prints requests/s and p95 of each and the ratios (target: visits at least half
the minimal view's requests/s), and checks every visit sent was stored once.
"""

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outreach.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.utils.crypto import get_random_string  # noqa: E402

from collectors.models import Collector, Visit  # noqa: E402
from collectors.selectors import households_in_area  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from pages import record_section  # noqa: E402


BATCH = 20  # visits a phone sends at once after a day in the villages


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(user) -> str:
    """A signed-in session for `user`, as the login page would make it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def load(port, make_request, seconds, clients):
    """`clients` threads, each on one keep-alive connection, for `seconds`."""
    latencies, errors, lock = [], [], threading.Lock()
    deadline = time.perf_counter() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < deadline:
            method, path, body, headers = make_request()
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status not in (200, 201):
                with lock:
                    errors.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    return len(latencies) / elapsed, p95, statistics.median(latencies), errors, len(latencies)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--record", action="store_true", help="write the figures to docs/performance.md")
    args = parser.parse_args()

    collector = Collector.objects.get(code="BENCH-1")  # made by bench/pages.py
    household_ids = list(households_in_area(collector).order_by("pk").values_list("pk", flat=True)[:5000])
    cookie = session_cookie(collector.user)
    csrf = get_random_string(32)  # the CSRF secret's own alphabet and length
    headers = {"Cookie": f"sessionid={cookie}; csrftoken={csrf}", "X-CSRFToken": csrf,
               "Content-Type": "application/json", "Accept": "application/json", "X-Forwarded-Proto": "https"}
    visits_before = Visit.objects.count()

    port = free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "DEBUG": "0",
           # The session made above is signed with this process's key.
           "SECRET_KEY": settings.SECRET_KEY,
           "ALLOWED_HOSTS": "127.0.0.1", "SECURE_PROXY_SSL_HEADER": "1",
           "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "outreach.wsgi", "--config",
                               str(ROOT / "deploy/gunicorn.conf.py")], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(60):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/bench/minimal/", headers={"X-Forwarded-Proto": "https"})
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            sys.exit("gunicorn did not start")
        minimal = load(port, lambda: ("GET", "/bench/minimal/", None, {"X-Forwarded-Proto": "https"}),
                       args.seconds, args.clients)
        counter = iter(range(10**9))

        def visit():
            household = household_ids[next(counter) % len(household_ids)]
            body = json.dumps({"client_id": str(uuid.uuid4()), "outcome": "interested",
                               "visited_on": date.today().isoformat(), "note": "bench"})
            return "POST", f"/field/h/{household}/visit/", body, headers

        def outbox():
            """The phone's outbox after a day without signal: BATCH visits in one request."""
            visits = [{"household": household_ids[next(counter) % len(household_ids)], "client_id": str(uuid.uuid4()),
                       "outcome": "interested", "visited_on": date.today().isoformat(), "note": "bench"}
                      for _ in range(BATCH)]
            return "POST", "/field/visits/", json.dumps({"visits": visits}), headers

        # Over HTTPS (as behind the proxy) Django's CSRF check also wants a same-origin Referer.
        headers["Referer"] = f"https://127.0.0.1:{port}/field/"
        visits = load(port, visit, args.seconds, args.clients)
        batches = load(port, outbox, args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = Visit.objects.count() - visits_before
    sent = visits[4] + batches[4] * BATCH
    Visit.objects.filter(note="bench").delete()

    rows = [("minimal Django view (GET)", minimal, 0), ("log a visit (JSON POST)", visits, 1),
            (f"the outbox: {BATCH} visits a request (JSON POST)", batches, BATCH)]
    for label, (rate, p95, median, errors, _n), _per in rows:
        print(f"{label:<45} {rate:7.1f} req/s  median {median:6.1f} ms  p95 {p95:6.1f} ms  errors {len(errors)}"
              + (f" (first: HTTP {errors[0]})" if errors else ""))
    ratio = visits[0] / minimal[0]
    batch_ratio = batches[0] * BATCH / minimal[0]
    print(f"visits sent {sent}, stored {stored}; visit posts ÷ minimal view: {ratio:.2f} (target ≥ 0.5); "
          f"visits in batches ÷ minimal view's requests: {batch_ratio:.2f}")
    if stored != sent:
        sys.exit(f"{sent} visits were sent but {stored} stored")
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    text = "\n".join([
        "## Logging visits over HTTP",
        "",
        "`bench/visits_http.py` (after `bench/pages.py` seeded the database) runs gunicorn as deployed",
        f"(`deploy/gunicorn.conf.py`: 3 gthread workers × 4 threads) and {args.clients} keep-alive clients on the",
        f"same machine for {args.seconds:.0f} s each: a minimal Django view, then the phone's JSON visit posts,",
        f"then the outbox's batches of {BATCH} visits a request (`/field/visits/`).",
        "",
        f"{date.today():%d/%m/%Y} — {machine}.",
        "",
        "| requests | req/s | visits/s | median | p95 | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        *[f"| {label} | {rate:.0f} | {f'{rate * per:.0f}' if per else '—'} | {median:.0f} ms | {p95:.0f} ms | {len(errors)} |"
          for label, (rate, p95, median, errors, _n), per in rows],
        "",
        f"One visit a request runs at **{ratio:.2f}×** the minimal view's requests/s (target ≥ 0.5×); the outbox's "
        f"batches store **{batch_ratio:.2f}×** as many visits a second as the minimal view answers requests. "
        f"Every visit sent was stored once ({stored}).",
        "",
    ])
    if args.record:
        record_section("Logging visits over HTTP", text)


if __name__ == "__main__":
    main()
