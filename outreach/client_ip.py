"""The address a request comes from, for the sign-in lockout (django-axes).

Behind a reverse proxy every request arrives from the proxy's address, so a
lockout by (username, address) would lock the username for everyone. The
proxy's X-Forwarded-For header is read only when the request does come from
one of TRUSTED_PROXIES: anyone else could write that header themselves.
"""

import ipaddress

from django.conf import settings


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address, proxies) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or, from a trusted proxy, the last address in
    X-Forwarded-For that is not itself a trusted proxy (proxies append the
    address they were reached from, so the ones to its left are the client's
    own claims)."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXIES
    if not proxies or not _trusted(_address(remote or ""), proxies):
        return remote
    for text in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(text)
        if address is None:
            return remote  # a malformed chain: keep to what the connection says
        if not _trusted(address, proxies):
            return str(address)
    return remote
