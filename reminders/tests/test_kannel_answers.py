"""How Kannel's answers are read (reminders.channels.kannel), against a stub smsbox on
loopback: what is sent, what is retried, what is given up. The real Kannel is in test_kannel.py."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from reminders.channels import GIVE_UP, RETRY, SENT
from reminders.channels.kannel import DLR_MASK, KannelBackend


class StubSmsbox:
    """Answers every sendsms call with `status` and `body`, after `delay` seconds; with
    `reset`, closes the connection without an answer (smsbox or a proxy dying mid-call)."""

    def __init__(self):
        self.status, self.body, self.delay, self.reset = 202, "0: Accepted for delivery", 0.0, False
        self.calls: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                stub.calls.append({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
                if stub.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    return
                time.sleep(stub.delay)
                body = stub.body.encode()
                try:
                    self.send_response(stub.status)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up waiting
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/sendsms"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def smsbox(settings):
    stub = StubSmsbox()
    settings.KANNEL_SENDSMS_URL = stub.url
    settings.KANNEL_USERNAME, settings.KANNEL_PASSWORD = "outreach", "secret"
    settings.KANNEL_DLR_URL, settings.KANNEL_DLR_SECRET = "https://outreach.example/reminders/dlr/kannel/", "s"
    settings.SMS_GATEWAY_CONNECT_TIMEOUT, settings.SMS_GATEWAY_READ_TIMEOUT = 1, 0.5
    yield stub
    stub.stop()


def send(text="BHXH Dak Lak: The BHYT cua Le Van Tam het han 25/11/2026."):
    return KannelBackend().send(to="0912345678", text=text, key="6f1c0a4e-0000-4000-8000-000000000001")


@pytest.mark.parametrize("status, body", [
    (202, "0: Accepted for delivery"),
    (202, "3: Queued for later delivery"),  # no SMSC connected: bearerbox keeps it and delivers later
    (202, "Sent."),  # older smsbox
], ids=["accepted", "queued", "sent"])
def test_kannel_taking_the_message_is_sent(smsbox, status, body):
    smsbox.status, smsbox.body = status, body
    result = send()
    assert (result.outcome, result.http_status, result.detail) == (SENT, status, body)
    assert result.provider_id == "6f1c0a4e-0000-4000-8000-000000000001"


@pytest.mark.parametrize("status, body", [
    (403, "Authorization failed for sendsms"),
    (400, "Missing receiver number"),
    (400, "Number(s) blacklisted."),
], ids=["authorization", "no number", "bad number"])
def test_a_4xx_is_given_up_with_kannels_answer(smsbox, status, body):
    smsbox.status, smsbox.body = status, body
    result = send()
    assert (result.outcome, result.http_status, result.code, result.detail) == (
        GIVE_UP, status, f"kannel_{status}", body)


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_retried(smsbox, status):
    smsbox.status, smsbox.body = status, "Sending failed."
    assert (send().outcome, send().code) == (RETRY, f"kannel_{status}")


def test_a_timeout_is_retried_as_a_call_kannel_may_have_taken(smsbox):
    smsbox.delay = 2  # longer than the read timeout
    result = send()
    assert (result.outcome, result.code) == (RETRY, "timeout")


def test_a_connection_reset_mid_call_is_retried_as_a_call_kannel_may_have_taken(smsbox):
    smsbox.reset = True
    result = send()
    assert (result.outcome, result.code) == (RETRY, "connection_error") and len(smsbox.calls) == 1


def test_a_refused_connection_is_retried_as_a_call_that_never_reached_kannel(smsbox, settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        settings.KANNEL_SENDSMS_URL = f"http://127.0.0.1:{probe.getsockname()[1]}/cgi-bin/sendsms"
    result = send()
    assert (result.outcome, result.code) == (RETRY, "unreachable")


def test_the_call_carries_the_user_the_text_in_utf8_and_a_signed_dlr_url(smsbox):
    send()
    send("Thẻ BHYT của Lê Văn Tám")
    gsm7, ucs2 = smsbox.calls
    assert (gsm7["username"], gsm7["password"], gsm7["to"], gsm7["charset"]) == (
        "outreach", "secret", "0912345678", "UTF-8")
    assert "coding" not in gsm7 and ucs2["coding"] == "2" and ucs2["text"] == "Thẻ BHYT của Lê Văn Tám"
    assert gsm7["dlr-mask"] == str(DLR_MASK)
    assert gsm7["dlr-url"].startswith("https://outreach.example/reminders/dlr/kannel/?key=6f1c0a4e-")
    assert gsm7["dlr-url"].endswith("&type=%d&answer=%A")
