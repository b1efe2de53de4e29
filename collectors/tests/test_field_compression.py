"""The field pages reach the phone gzip-compressed, padded against BREACH."""

import gzip

import pytest
from django.urls import reverse

from collectors.tests import fieldkit as kit

pytestmark = pytest.mark.django_db


@pytest.fixture
def collector(client):
    collector = kit.collector_with_area()
    kit.cover(kit.head_of(kit.household(collector, head="Nguyễn Thị Hiền")), ends_in_days=10)
    kit.phone_login(client, collector)
    return collector


def test_today_is_sent_gzip_compressed_to_a_phone_that_accepts_it(client, collector):
    response = client.get(reverse("field:today"), HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "Nguyễn Thị Hiền" in html
    assert len(response.content) < len(html.encode()) * 0.6  # a small page; bigger ones shrink more


def test_each_compressed_page_carries_random_padding_against_breach(client, collector):
    """A random-length file name in the gzip header (FNAME flag, byte 3) makes
    the length of a page vary from one response to the next."""
    lengths = set()
    for _ in range(8):
        body = client.get(reverse("field:today"), HTTP_ACCEPT_ENCODING="gzip").content
        assert body[3] & gzip.FNAME
        lengths.add(len(body))
    assert len(lengths) > 1


def test_a_phone_that_does_not_accept_gzip_gets_plain_html(client, collector):
    response = client.get(reverse("field:today"), HTTP_ACCEPT_ENCODING="identity")
    assert not response.has_header("Content-Encoding")
    assert "Nguyễn Thị Hiền" in response.content.decode()
