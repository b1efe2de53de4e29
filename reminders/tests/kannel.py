"""A real Kannel for tests and the benchmark: bearerbox, smsbox and the fake SMSC of
kannel-extras, with a config of their own on free loopback ports, in a folder of their own.

    kannel = Kannel(folder); kannel.start()   # bearerbox, then smsbox, then fakesmsc
    kannel.sendsms_url, kannel.username, kannel.password
    kannel.received()                        # [(to, text)] as the fake SMSC got them
    kannel.stop_smsc() / start_smsc(), stop_smsbox() / start_smsbox(), restart_bearerbox()
    kannel.stop()

bearerbox keeps its queue in a spool folder (store-type = spool), so a restart loses
nothing it had accepted. The fake SMSC acknowledges every message and reports it
delivered (Kannel then calls the message's dlr-url with type 8, then 1).
"""

import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"


MESSAGE_LINE = re.compile(r"^.* (\d+) (?:udh (\S+) )?(text|ucs-2|data) ?(.*)$", re.S)


def installed() -> bool:
    return all(os.access(path, os.X_OK) for path in (BEARERBOX, SMSBOX, FAKESMSC))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise TimeoutError(f"Kannel: {what} within {timeout:.0f} s")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


CONFIG = """
group = core
admin-port = {admin}
admin-password = {password}
admin-interface = 127.0.0.1
smsbox-port = {smsbox}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{folder}/bearerbox.log"
log-level = 1
access-log = "{folder}/access.log"
store-type = spool
store-location = "{folder}/store"
dlr-storage = internal
sms-resend-retry = -1

group = smsc
smsc = fake
smsc-id = fake
port = {smsc}
our-host = 127.0.0.1
connect-allow-ip = 127.0.0.1
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {smsbox}
sendsms-port = {sendsms}
sendsms-interface = 127.0.0.1
log-file = "{folder}/smsbox.log"
log-level = 1

group = sendsms-user
username = {username}
password = {password}
max-messages = 6
concatenation = true
"""


class Kannel:
    username = "outreach"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        (self.folder / "store").mkdir(parents=True, exist_ok=True)
        self.password = "kannel-test"
        self.ports = {name: free_port() for name in ("admin", "smsbox", "smsc", "sendsms")}
        self.config = self.folder / "kannel.conf"
        self.config.write_text(CONFIG.format(folder=self.folder, password=self.password, username=self.username,
                                             **self.ports))
        self.processes: dict[str, subprocess.Popen] = {}
        self.smsc_log = self.folder / "fakesmsc.log"
        self.sendsms_url = f"http://127.0.0.1:{self.ports['sendsms']}/cgi-bin/sendsms"

    # --- the three processes --------------------------------------------------------------------------

    def _start(self, name, args, **options):
        log = open(self.folder / f"{name}.out", "ab")
        self.processes[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True, **options)

    def _stop(self, name, sig=signal.SIGTERM):
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, sig)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def start_bearerbox(self):
        self._start("bearerbox", [BEARERBOX, "-v", "1", str(self.config)])
        wait_for(lambda: _listening(self.ports["admin"]), 20, "bearerbox did not listen")

    def start_smsbox(self):
        self._start("smsbox", [SMSBOX, "-v", "1", str(self.config)])
        self.wait_for_smsbox()

    def wait_for_smsbox(self):
        wait_for(lambda: _listening(self.ports["sendsms"]), 30, "smsbox did not listen")

    def start_smsc(self):
        # fakesmsc reads messages to send from its standard input: keep it open, send none.
        # It prints each message it receives ("Got message N: <from to coding text>").
        log = open(self.smsc_log, "ab")
        self.processes["fakesmsc"] = subprocess.Popen(
            [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["smsc"]), "-m", "0"],
            stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: self.smsc_online(), 20, "the fake SMSC did not come online")

    def stop_smsc(self):
        self._stop("fakesmsc")
        wait_for(lambda: not self.smsc_online(), 20, "bearerbox did not see the fake SMSC go")

    def stop_smsbox(self):
        """smsbox and its supervisor go: calls to sendsms are refused until start_smsbox()."""
        self._stop("smsbox")
        wait_for(lambda: not _listening(self.ports["sendsms"]), 20, "smsbox did not stop")

    def restart_bearerbox(self, sig=signal.SIGTERM):
        """bearerbox stops (SIGTERM: as `systemctl restart`; SIGKILL: a crash) and starts again.
        smsbox exits when its bearerbox goes, and the fake SMSC with its connection: they are
        started again after it, as the kannel service (and an operator's SMSC) would."""
        self._stop("bearerbox", sig)
        wait_for(lambda: self.processes["smsbox"].poll() is not None, 20, "smsbox did not follow bearerbox")
        self.processes.pop("fakesmsc", None)
        self.start_bearerbox()
        self.start_smsbox()
        self.start_smsc()

    def start(self):
        self.start_bearerbox()
        self.start_smsbox()
        self.start_smsc()
        return self

    def stop(self):
        for name in ("fakesmsc", "smsbox", "bearerbox"):
            self._stop(name)

    def status(self) -> str:
        try:
            return requests.get(f"http://127.0.0.1:{self.ports['admin']}/status.txt",
                                params={"password": self.password}, timeout=2).text
        except requests.RequestException:
            return ""

    def store_size(self) -> int:
        """Messages bearerbox holds in its store: accepted from smsbox, not yet confirmed by
        an SMSC (status.txt: "SMS: received …, sent …, store size N")."""
        found = re.search(r"store size (-?\d+)", self.status())
        return max(int(found.group(1)), 0) if found else 0

    def smsc_online(self) -> bool:
        return any("fake" in line and "online" in line for line in self.status().splitlines())

    # --- what the fake SMSC received --------------------------------------------------------------------

    def received(self) -> list[tuple[str, str]]:
        """Each message the fake SMSC got, as (to, text); the parts of a concatenated
        message (UDH 00 03 ref total seq) are joined, as a phone shows them."""
        messages, parts = [], {}
        if not self.smsc_log.exists():
            return messages
        for line in self.smsc_log.read_text(errors="replace").splitlines():
            if "Got message" not in line or "<" not in line:
                continue
            # "sender receiver coding [udh] data"; the sender ("BHXH DAKLAK") may hold spaces, the number not.
            match = MESSAGE_LINE.match(line.split("<", 1)[1].rsplit(">", 1)[0])
            if not match:
                continue
            to, udh, coding, data = match.groups()
            if coding == "text":  # GSM-7, printed as it is
                text = data
            else:  # URL-encoded UTF-16 bytes, "+" for the byte 0x20
                text = urllib.parse.unquote_to_bytes(data.replace("+", "%20")).decode("utf-16-be")
            if not udh:
                messages.append((to, text))
                continue
            header = urllib.parse.unquote_to_bytes(udh)
            ref, total, seq = header[3], header[4], header[5]
            pieces = parts.setdefault((to, ref), {})
            pieces[seq] = text
            if len(pieces) == total:
                messages.append((to, "".join(pieces[n] for n in sorted(pieces))))
                del parts[(to, ref)]
        return messages

    def received_per_phone(self) -> Counter:
        return Counter(to for to, _ in self.received())


class DelayingProxy:
    """In front of smsbox: forwards each sendsms call at once and answers `delay` seconds
    later, so that a test can kill a worker after Kannel took a message and before the
    worker heard back (the window in which a gateway without de-duplication may get it twice)."""

    def __init__(self, target: str, delay: float):
        self.target, self.delay = target, delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.forwarded = 0

    def start(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with proxy.lock:
                    proxy.in_flight += 1
                try:
                    try:
                        answer = requests.get(proxy.target + "?" + self.path.split("?", 1)[-1], timeout=10)
                        status, body = answer.status_code, answer.content
                    except requests.RequestException:
                        status, body = 502, b"smsbox unreachable"
                    with proxy.lock:
                        proxy.forwarded += 1
                    time.sleep(proxy.delay)
                    try:
                        self.send_response(status)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    except OSError:  # the worker was killed
                        pass
                finally:
                    with proxy.lock:
                        proxy.in_flight -= 1

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/cgi-bin/sendsms"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
