"""Every benchmark in one run, each on a PostgreSQL database of its own:

    make bench                     # or: .venv/bin/python bench/run.py [--only pages visits …]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/…);
takes about 40 minutes on 2 cores, most of it seeding a million households
twice, plus a few minutes for the phone pages in Chromium. Each benchmark prints its
figures (kept in bench/results/); pages, visits, import and phone also write their
section of docs/performance.md.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# (name, database, script and arguments, the database must not exist beforehand)
STEPS = [
    ("pages", "outreach_bench", ["bench/pages.py", "--record"], False),
    ("visits", "outreach_bench", ["bench/visits_http.py", "--record"], False),
    ("reminders", "outreach_bench_reminders", ["bench/reminders_scan.py"], False),
    ("import", "outreach_bench_import", ["bench/import_households.py", "--record"], False),
    ("dashboards", "outreach_bench_dashboards", ["bench/dashboards.py"], True),
    # The demo's 3,000 households (seeded once, then reused), served by gunicorn to Chromium on slow 3G.
    ("phone", "outreach_bench_phone", ["bench/phone.py", "--record"], False),
]


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def prepare(url: str, name: str, must_not_exist: bool):
    parts = urlparse(url)
    with psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username,
                         password=parts.password, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and must_not_exist:
            conn.execute(f'DROP DATABASE "{name}"')
        if not exists and not must_not_exist:
            conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", choices=[name for name, *_ in STEPS])
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/outreach_bench")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    failed = []
    for name, database, command, must_not_exist in STEPS:
        if args.only and name not in args.only:
            continue
        prepare(base, database, must_not_exist)
        env = {**os.environ, "DATABASE_URL": with_database(base, database)}
        env.pop("CELERY_BROKER_URL", None)
        print(f"\n=== {name}: {' '.join(command)} on {database}", flush=True)
        started = time.perf_counter()
        with open(results / f"{name}.txt", "w") as log:
            process = subprocess.Popen([PYTHON, *command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True)
            for line in process.stdout:
                sys.stdout.write(line)
                log.write(line)
        if process.wait() != 0:
            failed.append(name)
        print(f"=== {name}: {'failed' if process.returncode else 'done'} in {time.perf_counter() - started:.0f} s")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
