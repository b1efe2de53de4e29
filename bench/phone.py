"""Benchmark of the field pages on a phone on slow 3G (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outreach_bench_phone .venv/bin/python bench/phone.py [--runs 3] [--record]

Seeds the demo (migrate, load_communes --province 66, seed_demo --households
3000, demo_accounts; once: later runs reuse it), collects the static files
into a temporary folder and serves the app as deployed: gunicorn with
deploy/gunicorn.conf.py, DEBUG=0, static files through WhiteNoise, on a free
loopback port (plain HTTP: Chromium treats 127.0.0.1 as a secure origin, so
the Secure cookies and the service worker work as behind the TLS proxy).

Then Debian's Chromium through Playwright, at 360×740, under slow 3G emulated
with CDP's Network.emulateNetworkConditions (400 kbps down and up, 400 ms
latency) on the page AND on its service worker (the service worker fetches
the field pages itself, network first: unthrottled it would hide the
network). The collector signs in once; each page is then opened in a new
browser context (empty cache, no service worker) — the first visit — then,
once the service worker is installed and the network quiet, opened again
from another field page (the offline page; about:blank for the public
pages) — the repeat visit. A visit in which a request came over the network
faster than the emulated latency (Chromium now and then leaves a service
worker's fetch unthrottled) is measured again. For each: the bytes that came over the
network (encodedDataLength of the responses not served from a cache or the
service worker's storage, the page's and the service worker's), the requests
the page made (and how many of them reached the network) and the load time
(navigation start → load event), median of --runs, each beside the same
figure for a 1 KB HTML page served by the same gunicorn (a minimal Django
view, not cached, as the field pages are not): the network's floor. Targets:
first load ≤ 1.5 s, repeat ≤ 0.6 s.
"""

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outreach.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from collectors.badges import badge_for  # noqa: E402
from collectors.models import Collector, Payment  # noqa: E402
from collectors.receipts import link_for  # noqa: E402
from collectors.selectors import households_in_area, today_list  # noqa: E402
from households.models import Household, Member  # noqa: E402
from pages import record_section  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
# Slow 3G: 400 kbps each way (CDP takes bytes per second), 400 ms from request to response headers.
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
FIRST_TARGET, REPEAT_TARGET = 1500, 600  # ms
PASSWORD = "bench-phone-password"  # demo_accounts sets it on this benchmark's database only
QUIET = 1.0  # s without a request in flight: the service worker is installed, the page's background work done
NAVIGATION_TIMEOUT = 30_000  # ms
OTHER_PAGE = "/field/offline/"  # where the repeat visit starts from
# Chromium does not always apply the emulation to a service worker's fetches (in about one visit
# in three here, whatever the moment of attaching): a visit with a request faster than the
# emulated latency is measured again, up to this many times.
ATTEMPTS = 8


def seed(households: int):
    call_command("migrate", verbosity=0)
    if not Household.objects.exists():
        started = time.perf_counter()
        call_command("load_communes", province=66, stdout=open(os.devnull, "w"))
        call_command("seed_demo", households=households, stdout=open(os.devnull, "w"))
        print(f"seeded the demo ({households:,} households) in {time.perf_counter() - started:.0f} s", flush=True)
    os.environ["DEMO_PASSWORD"] = PASSWORD
    call_command("demo_accounts", stdout=open(os.devnull, "w"))


def field_pages():
    """(label, path, signed in) for every field page, on the demo collector's own households."""
    collector = Collector.objects.select_related("user").get(user__username="collector1")
    area = households_in_area(collector)
    on = timezone.localdate()
    listing = today_list(collector, area, on=on, page=1)
    household = listing.villages[0][1][0].household if listing.villages else area.order_by("pk").first()
    member = Member.objects.filter(household__in=area).exclude(full_name="").order_by("pk").first()
    term = member.full_name.split()[-1]  # a given name, as a collector types it
    payment = Payment.objects.filter(cancelled_at__isnull=True).order_by("pk").first()
    return [
        ("login", "/field/login/", False),
        ("Today", "/field/", True),
        ("Today, page 2", "/field/?page=2", True),
        (f"Find “{term}”", f"/field/find/?q={urllib.request.quote(term)}", True),
        ("household", f"/field/h/{household.pk}/", True),
        ("visit form", f"/field/h/{household.pk}/visit/", True),
        ("register", "/field/new/", True),
        ("payment", f"/field/h/{household.pk}/pay/", True),
        ("referral", f"/field/h/{household.pk}/referral/", True),
        ("My month", "/field/month/", True),
        ("offline page", "/field/offline/", True),
        ("receipt (household's link)", f"/r/{link_for(payment).token}/", False),
        ("badge (public)", f"/badge/{badge_for(collector).token}/", False),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(static_root: str):
    """gunicorn as deployed, on a free loopback port (picked again if another process takes it)."""
    for _ in range(5):
        port = free_port()
        env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "DEBUG": "0", "STATIC_ROOT": static_root,
               "SECRET_KEY": "bench-phone-" + os.urandom(24).hex(), "ALLOWED_HOSTS": "127.0.0.1",
               "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback (no TLS proxy here)
               "DJANGO_SETTINGS_MODULE": "bench_settings", "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}"}
        env.pop("CELERY_BROKER_URL", None)
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "outreach.wsgi", "--config",
                                   str(ROOT / "deploy/gunicorn.conf.py")], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(60):
            if server.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/page/", timeout=2) as response:
                    if response.status == 200:
                        return server, port
            except OSError:
                time.sleep(0.5)
        server.kill()
        server.wait()
    sys.exit("gunicorn did not start")


@dataclass
class Visit:
    load_ms: float
    wire_bytes: int
    requests: int  # what the page asked for, however it was served
    network_requests: int  # those that reached the network (the page's or its service worker's)


class Unthrottled(Exception):
    pass


class Traffic:
    """The Network events of a page and of the service workers, with CDP's monotonic timestamps."""

    def __init__(self):
        self.clear()

    def clear(self):
        self.requests = {}  # (source, requestId) → {"start", "end", "bytes", "cached", "page"}
        self.load_fired = None

    def started(self, source, params):
        if params["request"]["url"].startswith("data:"):
            return
        key = (source, params["requestId"])
        entry = self.requests.setdefault(key, {"cached": False, "bytes": 0, "end": None})
        entry.update(start=params["timestamp"], page=source == "page", url=params["request"]["url"])

    def response(self, source, params):
        entry = self.requests.get((source, params["requestId"]))
        response = params["response"]
        if entry is not None and (response.get("fromDiskCache") or response.get("fromServiceWorker")
                                  or response.get("fromPrefetchCache")):
            entry["cached"] = True

    def from_cache(self, source, params):
        entry = self.requests.get((source, params["requestId"]))
        if entry is not None:
            entry["cached"] = True

    def finished(self, source, params, failed=False):
        entry = self.requests.get((source, params["requestId"]))
        if entry is not None:
            entry["end"] = params["timestamp"]
            entry["bytes"] = 0 if failed else params.get("encodedDataLength", 0)

    def unthrottled(self, until):
        """A page request answered by the service worker whose network fetch we did not see, or a
        request that went over the network faster than the emulated latency allows: the emulation
        did not hold (the service worker not yet attached or throttled), the figures would lie."""
        done = [e for e in self.requests.values() if e["end"] is not None and e["end"] <= until]
        fetched = {e["url"] for e in done if not e["page"]}
        unseen = any(e["page"] and e["cached"] and e["url"] not in fetched and "/static/" not in e["url"] for e in done)
        too_fast = any(not e["cached"] and e["end"] - e["start"] < 0.95 * SLOW_3G["latency"] / 1000 for e in done)
        return unseen or too_fast

    def in_flight(self):
        return sum(1 for entry in self.requests.values() if entry["end"] is None)

    def last_event(self):
        times = [t for entry in self.requests.values() for t in (entry.get("start"), entry["end"]) if t]
        return max(times, default=0)

    def figures(self, until=None):
        """Requests, network requests and bytes on the wire of the requests that ended by `until`."""
        done = [e for e in self.requests.values() if e["end"] is not None and (until is None or e["end"] <= until)]
        network = [e for e in done if not e["cached"]]
        return (sum(1 for e in done if e["page"]), len(network), sum(e["bytes"] for e in network))


class Phone:
    """One browser; each page measured in a context of its own, throttled page and service worker."""

    def __init__(self, browser, base_url, cookies):
        self.browser, self.base_url, self.cookies = browser, base_url, cookies
        self.traffic = Traffic()
        self.workers = {}  # CDP session id of each service worker → message counter
        self.attached = set()  # their target ids
        # Service workers are not the page's targets: attach to each as it appears (browser-level
        # auto-attach needs the flat protocol, which Playwright's CDP sessions do not expose), and
        # stay attached, which also keeps the worker running between the two visits.
        self.root = browser.new_browser_cdp_session()
        self.root.on("Target.targetCreated", self._worker_created)
        self.root.on("Target.attachedToTarget", self._worker_attached)
        self.root.on("Target.receivedMessageFromTarget", self._worker_message)
        self.root.send("Target.setDiscoverTargets", {"discover": True})

    def _worker_created(self, event):
        self._attach(event["targetInfo"])

    def _attach(self, info):
        if info["type"] == "service_worker" and info["targetId"] not in self.attached:
            self.attached.add(info["targetId"])
            self.root.send("Target.attachToTarget", {"targetId": info["targetId"], "flatten": False})

    def attach_workers(self):
        """Every service worker there is now (one may have started without its event yet)."""
        for info in self.root.send("Target.getTargets")["targetInfos"]:
            self._attach(info)

    def _to_worker(self, session_id, method, params=None):
        self.workers[session_id] = self.workers.get(session_id, 0) + 1
        message = {"id": self.workers[session_id], "method": method, "params": params or {}}
        self.root.send("Target.sendMessageToTarget", {"sessionId": session_id, "message": json.dumps(message)})

    def _worker_attached(self, event):
        session_id = event["sessionId"]
        self._to_worker(session_id, "Network.enable")
        self._to_worker(session_id, "Network.emulateNetworkConditions", SLOW_3G)

    def _worker_message(self, event):
        message = json.loads(event["message"])
        self._network_event("worker", message.get("method"), message.get("params"))

    def _network_event(self, source, method, params):
        if method == "Network.requestWillBeSent":
            self.traffic.started(source, params)
        elif method == "Network.responseReceived":
            self.traffic.response(source, params)
        elif method == "Network.requestServedFromCache":
            self.traffic.from_cache(source, params)
        elif method == "Network.loadingFinished":
            self.traffic.finished(source, params)
        elif method == "Network.loadingFailed":
            self.traffic.finished(source, params, failed=True)

    def measure(self, path, signed_in):
        """(first visit, repeat visit) of one page in a new context."""
        context = self.browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", base_url=self.base_url,
            service_workers="allow", storage_state={"cookies": self.cookies if signed_in else [], "origins": []})
        try:
            page = context.new_page()
            page.set_default_timeout(NAVIGATION_TIMEOUT)
            cdp = context.new_cdp_session(page)
            for method in ("Network.requestWillBeSent", "Network.responseReceived", "Network.requestServedFromCache",
                           "Network.loadingFinished", "Network.loadingFailed"):
                cdp.on(method, lambda params, method=method: self._network_event("page", method, params))
            cdp.on("Page.loadEventFired", lambda params: setattr(self.traffic, "load_fired", params["timestamp"]))
            cdp.send("Page.enable")
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", SLOW_3G)
            first = self._visit(page, path)
            self._settle(page)
            # From another page: a field page for those under the service worker (as a collector
            # goes from page to page; it also wakes the worker, so that it is throttled before the
            # measured visit), else about:blank.
            page.goto(OTHER_PAGE if path.startswith("/field/") and path != OTHER_PAGE else "about:blank")
            self.attach_workers()
            page.wait_for_timeout(300)
            repeat = self._visit(page, path)
            return first, repeat
        finally:
            context.close()

    def _visit(self, page, path):
        self.traffic.clear()
        response = page.goto(path, wait_until="load")
        if response is None or response.status != 200:
            raise RuntimeError(f"{path}: {response and response.status}")
        load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventStart")
        deadline = time.monotonic() + 5
        while self.traffic.load_fired is None and time.monotonic() < deadline:
            page.wait_for_timeout(20)  # the load event's CDP message, behind Playwright's own
        page.wait_for_timeout(500)  # the service worker's last events, which come by another session
        requests, network, wire = self.traffic.figures(until=self.traffic.load_fired)
        if self.traffic.unthrottled(self.traffic.load_fired):
            raise Unthrottled(path)
        return Visit(load, wire, requests, network)

    def _settle(self, page, limit=30):
        """Until the service worker (if the page has one) is active and nothing has moved for QUIET seconds."""
        page.evaluate("""() => 'serviceWorker' in navigator && document.body.dataset.sw
            ? Promise.race([navigator.serviceWorker.ready, new Promise(r => setTimeout(r, 20000))]) : null""")
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            page.wait_for_timeout(250)
            if self.traffic.in_flight() == 0:
                quiet_since = time.monotonic()
                while self.traffic.in_flight() == 0 and time.monotonic() - quiet_since < QUIET:
                    page.wait_for_timeout(100)
                if self.traffic.in_flight() == 0:
                    return


def sign_in(browser, base_url):
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale="vi-VN", base_url=base_url)
    try:
        page = context.new_page()
        page.goto("/field/login/")
        page.fill("input[name=username]", "collector1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/field/")
        return context.cookies()
    finally:
        context.close()


def warm_up(base_url, pages, cookies, rounds=6):
    """Each page a few times without the browser, so that every gunicorn worker has loaded
    its code and templates: the phone measures the network, not a cold server."""
    session = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    for _ in range(rounds):
        for _label, path, signed_in in pages:
            request = urllib.request.Request(base_url + path, headers={
                "Accept-Language": "vi", "Accept-Encoding": "gzip", **({"Cookie": session} if signed_in else {})})
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()


def median_visit(visits):
    return Visit(*(statistics.median(getattr(v, field) for v in visits)
                   for field in ("load_ms", "wire_bytes", "requests", "network_requests")))


def kb(n):
    return f"{n / 1000:.1f} KB"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3, help="visits of each page (the median is shown)")
    parser.add_argument("--max-minutes", type=float, default=20, help="stop measuring after this long")
    parser.add_argument("--only", nargs="*", help="pages whose label holds one of these words (and the baseline)")
    parser.add_argument("--record", action="store_true", help="write the figures to docs/performance.md")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"Needs Debian's Chromium at {CHROMIUM} (apt-get install chromium).")

    seed(args.households)
    pages = [("1 KB HTML page (baseline)", "/bench/page/", False)] + field_pages()
    if args.only:
        pages = pages[:1] + [page for page in pages[1:] if any(word.lower() in page[0].lower() for word in args.only)]
    static_root = tempfile.mkdtemp(prefix="bench-phone-static-")
    server = None
    try:
        subprocess.run([str(ROOT / ".venv/bin/python"), "manage.py", "collectstatic", "--no-input", "-v0"],
                       cwd=ROOT, env={**os.environ, "STATIC_ROOT": static_root, "DEBUG": "0"}, check=True)
        server, port = start_server(static_root)
        base_url = f"http://127.0.0.1:{port}"
        print(f"gunicorn (DEBUG=0, WhiteNoise) on {base_url}; Chromium at {PHONE['width']}×{PHONE['height']}, "
              f"400 kbps down and up, 400 ms latency; median of {args.runs} runs\n", flush=True)
        results = measure_all(base_url, pages, args.runs, time.monotonic() + args.max_minutes * 60)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(static_root, ignore_errors=True)
    report(results, args)


def measure_all(base_url, pages, runs, deadline):
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        # Playwright gives the browser a new, empty user-data-dir.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            cookies = sign_in(browser, base_url)
            warm_up(base_url, pages, cookies)
            phone = Phone(browser, base_url, cookies)
            for label, path, signed_in in pages:
                if time.monotonic() > deadline:
                    print(f"stopped: --max-minutes reached before “{label}”")
                    break
                firsts, repeats, discarded = [], [], 0
                for _ in range(runs):
                    for _attempt in range(ATTEMPTS):
                        try:
                            first, repeat = phone.measure(path, signed_in)
                            break
                        except Unthrottled:
                            discarded += 1
                    else:
                        sys.exit(f"{label}: the service worker's fetches were not throttled in {ATTEMPTS} attempts")
                    firsts.append(first)
                    repeats.append(repeat)
                if discarded:
                    print(f"  ({label}: {discarded} visit(s) measured again: a fetch faster than the emulated latency)")
                first, repeat = median_visit(firsts), median_visit(repeats)
                results.append((label, path, first, repeat,
                                (min(v.load_ms for v in firsts), max(v.load_ms for v in firsts)),
                                (min(v.load_ms for v in repeats), max(v.load_ms for v in repeats))))
                print_line(label, first, repeat, results[0], flush=True)
        finally:
            browser.close()
    return results


def ratio(value, base):
    return f"{value / base:.1f}×" if base else "—"


def verdict(ms, target):
    return "PASS" if ms <= target else "MISS"


def print_line(label, first, repeat, baseline, flush=False):
    _, _, base_first, base_repeat, *_ = baseline
    print(f"{label:<30} first  {first.load_ms:6.0f} ms ({ratio(first.load_ms, base_first.load_ms)}) "
          f"{verdict(first.load_ms, FIRST_TARGET)}  {kb(first.wire_bytes):>9} ({ratio(first.wire_bytes, base_first.wire_bytes)}) "
          f"{first.requests:g} req ({first.network_requests:g} network, {ratio(first.requests, base_first.requests)})\n"
          f"{'':<30} repeat {repeat.load_ms:6.0f} ms ({ratio(repeat.load_ms, base_repeat.load_ms)}) "
          f"{verdict(repeat.load_ms, REPEAT_TARGET)}  {kb(repeat.wire_bytes):>9} ({ratio(repeat.wire_bytes, base_repeat.wire_bytes)}) "
          f"{repeat.requests:g} req ({repeat.network_requests:g} network, {ratio(repeat.requests, base_repeat.requests)})",
          flush=flush)


def report(results, args):
    if not results:
        return
    _, _, base_first, base_repeat, *_ = results[0]
    misses = [(label, kind) for label, _, first, repeat, *_ in results[1:]
              for kind, visit, target in (("first", first, FIRST_TARGET), ("repeat", repeat, REPEAT_TARGET))
              if visit.load_ms > target]
    print("\nmisses: " + (", ".join(f"{label} ({kind})" for label, kind in misses) or "none"))
    table = ["| page | first visit: load | bytes | requests (network) | repeat: load | bytes | requests (network) |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, _, first, repeat, first_range, repeat_range in results:
        cells = [label]
        for visit, base, target in ((first, base_first, FIRST_TARGET), (repeat, base_repeat, REPEAT_TARGET)):
            cells += [f"{visit.load_ms:.0f} ms ({ratio(visit.load_ms, base.load_ms)}) {verdict(visit.load_ms, target)}",
                      f"{kb(visit.wire_bytes)} ({ratio(visit.wire_bytes, base.wire_bytes)})",
                      f"{visit.requests:g} ({visit.network_requests:g})"]
        table.append("| " + " | ".join(cells) + " |")
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    text = "\n".join([
        "## Phone pages on slow 3G",
        "",
        "`bench/phone.py` (run: `DATABASE_URL=postgres://…/outreach_bench_phone .venv/bin/python bench/phone.py "
        "--record`) seeds the demo (3,000 households), serves it with gunicorn as deployed (DEBUG=0, static",
        "files collected and served by WhiteNoise) on loopback, and opens each field page in Debian's Chromium",
        "through Playwright at 360×740 under slow 3G emulated by CDP (`Network.emulateNetworkConditions`:",
        "400 kbps down and up, 400 ms latency, on the page and on its service worker), signed in as `collector1`.",
        "First visit: a new browser context (empty cache, no service worker); repeat: the same page again, once",
        "the service worker is installed, from another field page (about:blank for the public pages); a visit",
        "with a request faster than the emulated latency (Chromium now and then leaves a service worker's fetch",
        "unthrottled) is measured again. Load: navigation start → load event; bytes: what",
        "came over the network (encodedDataLength, cache and service-worker storage excluded) by the load",
        f"event; requests: what the page asked for (in brackets, those that reached the network). Median of "
        f"{args.runs} runs; each figure beside the same figure for a 1 KB HTML page from the same gunicorn",
        "(a minimal Django view, not cached, as the field pages are not): the network's floor.",
        "",
        f"{date.today():%d/%m/%Y} — {machine}; Chromium {chromium_version()}. Targets: first load ≤ 1.5 s, repeat ≤ 0.6 s.",
        "",
        *table,
        "",
        "Misses: " + ("; ".join(f"{label} ({kind} visit)" for label, kind in misses) or "none") + ".",
        "",
    ])
    if args.record:
        record_section("Phone pages on slow 3G", text)


def chromium_version():
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=30).stdout
        return out.split()[1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    main()
