"""How the SMS gateway's answers are read."""

import socket

from reminders.channels import GIVE_UP, RETRY, SENT
from reminders.channels.sms_http import HttpSmsBackend
from reminders.text import unaccented


def send(to="0912345678"):
    return HttpSmsBackend().send(to=to, text="Thẻ BHYT", key="k-1")


def test_accepted_messages_carry_the_gateways_id(gateway):
    result = send()
    assert (result.outcome, result.provider_id, result.http_status) == (SENT, "k-1", 200)


def test_a_wrong_token_is_not_retried(gateway, settings):
    settings.SMS_GATEWAY_TOKEN = "wrong"
    result = send()
    assert (result.outcome, result.code, result.http_status) == (GIVE_UP, "unauthorized", 401)


def test_a_5xx_is_retried_unless_its_code_is_listed_as_permanent(gateway, settings):
    gateway.failure_rate, gateway.timeout_share = 1.0, 0.0
    assert send().outcome == RETRY
    settings.SMS_GATEWAY_ERROR_CODES = {**settings.SMS_GATEWAY_ERROR_CODES, "overloaded": "give_up"}
    assert send(to="0912345679").outcome == GIVE_UP


def test_an_unreachable_gateway_is_retried(settings):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{port}/v1/sms"
    result = send()
    assert (result.outcome, result.code) == (RETRY, "connection_error")


def test_vietnamese_is_sent_without_diacritics():
    assert unaccented("Đắk Lắk: thẻ của Nguyễn Thị Hiền, H'Hen Ksor") == "Dak Lak: the cua Nguyen Thi Hien, H'Hen Ksor"
