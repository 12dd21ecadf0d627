"""Behind a reverse proxy: trust forwarded headers from the configured proxies only.

``KSHARE_PROXY_ADDRESSES`` lists the addresses (or networks) of the proxies in front of kshare
(default: this machine, ``127.0.0.1`` and ``::1``). ``ProxyMiddleware``, first in the middleware,
looks at the address the request came from:

* from a trusted proxy, the client's address is the right-most address of ``X-Forwarded-For``
  that is not itself a trusted proxy; it replaces ``REMOTE_ADDR``, so everything after (the
  sign-in throttle, logs) sees the real client. ``X-Forwarded-Proto`` is left for Django's
  ``SECURE_PROXY_SSL_HEADER``.
* from anyone else, the forwarded headers are removed: a client talking to kshare directly
  cannot claim another address or pretend its plain http request came over TLS.

``kshare serve`` gives gunicorn the same list as ``forwarded_allow_ips`` (which decides
``wsgi.url_scheme`` there), so the server and Django agree on whom they trust.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST")


def parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address from a header or the peer, or None when it is not one.

    ``[::1]`` and ``1.2.3.4:5678`` (as some proxies write them) are understood; an IPv4 address
    mapped into IPv6 counts as the IPv4 address.
    """
    value = text.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_trusted(address: str, networks: Sequence[Network]) -> bool:
    parsed = parse_address(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: Sequence[Network]) -> str:
    """The real client's address: ``peer``, or for a trusted peer the right-most untrusted hop."""
    if not is_trusted(peer, networks):
        return peer
    client = peer
    for hop in reversed([part for part in forwarded_for.split(",") if part.strip()]):
        address = parse_address(hop)
        if address is None:
            break  # garbage a client wrote: the last good hop is as far as we can tell
        client = str(address)
        if not any(address in network for network in networks):
            break
    return client


class ProxyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        networks = settings.KSHARE_PROXY_NETWORKS
        peer = meta.get("REMOTE_ADDR", "")
        if is_trusted(peer, networks):
            meta["REMOTE_ADDR"] = client_address(
                peer, meta.get("HTTP_X_FORWARDED_FOR", ""), networks
            )
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
