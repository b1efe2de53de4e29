"""A local SMS gateway for tests and the benchmark: the JSON-over-HTTP API of
`reminders.channels.sms_http`, on 127.0.0.1 with an ephemeral port.

Like real gateways it de-duplicates by idempotency key: a repeated key is
answered as accepted and delivered once. It records every request, so tests
can count deliveries per phone and the calls that were repeats. Failures are
deterministic: the fate of the n-th call for a phone number is drawn from a
random generator seeded with (seed, phone, n)."""

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Delivery:
    key: str
    to: str
    text: str


@dataclass
class LocalGateway:
    token: str = "test-token"
    latency: float = 0.0  # seconds before answering an accepted message
    failure_rate: float = 0.0  # share of calls that fail: 503, or too slow (a timeout)
    timeout_share: float = 0.5  # of the failures, the share that are too slow
    slow_answer: float = 1.0  # how long a "timeout" call takes to answer (longer than the client waits)
    invalid_numbers: set = field(default_factory=set)
    seed: int = 1

    def __post_init__(self):
        self.lock = threading.Lock()
        self.deliveries: dict[str, Delivery] = {}  # by idempotency key
        self.requests: list[tuple[str, str, str]] = []  # (key, to, answer)
        self.calls_per_phone: Counter = Counter()
        self.in_flight = 0

    # --- what tests read ----------------------------------------------------------------------------

    def delivered_per_phone(self) -> Counter:
        with self.lock:
            return Counter(d.to for d in self.deliveries.values())

    def texts_to(self, phone: str) -> list[str]:
        with self.lock:
            return [d.text for d in self.deliveries.values() if d.to == phone]

    def repeats(self) -> int:
        """Calls whose key had already been delivered (answered from the de-duplication)."""
        with self.lock:
            return sum(1 for _, _, answer in self.requests if answer == "duplicate")

    def answers(self) -> Counter:
        with self.lock:
            return Counter(answer for _, _, answer in self.requests)

    # --- the server -------------------------------------------------------------------------------------

    def start(self) -> str:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer at once, not after the client's delayed ACK

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.headers.get("Authorization") != f"Bearer {gateway.token}":
                    return self._answer(401, {"error": {"code": "unauthorized", "message": "bad token"}})
                key = self.headers.get("Idempotency-Key") or body.get("client_ref", "")
                status, answer, delay = gateway._decide(key, body.get("to", ""), body.get("text", ""))
                with gateway.lock:
                    gateway.in_flight += 1
                try:
                    time.sleep(delay)
                    self._answer(status, answer)
                finally:
                    with gateway.lock:
                        gateway.in_flight -= 1

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout) or was killed
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_port}/v1/sms"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _decide(self, key: str, to: str, text: str):
        with self.lock:
            self.calls_per_phone[to] += 1
            if key in self.deliveries:
                self.requests.append((key, to, "duplicate"))
                return 200, {"id": key, "duplicate": True}, self.latency
            if to in self.invalid_numbers:
                self.requests.append((key, to, "invalid_number"))
                return 400, {"error": {"code": "invalid_number", "message": "Số điện thoại không hợp lệ"}}, 0
            fate = random.Random(f"{self.seed}:{to}:{self.calls_per_phone[to]}").random()
            if fate < self.failure_rate * (1 - self.timeout_share):
                self.requests.append((key, to, "error_503"))
                return 503, {"error": {"code": "overloaded", "message": "try later"}}, 0
            # Accepted: delivered now, even if the answer comes too late for the client.
            self.deliveries[key] = Delivery(key=key, to=to, text=text)
            if fate < self.failure_rate:
                self.requests.append((key, to, "timeout"))
                return 200, {"id": key}, self.slow_answer
            self.requests.append((key, to, "accepted"))
            return 200, {"id": key}, self.latency
