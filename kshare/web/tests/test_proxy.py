"""kshare.web.proxy: forwarded headers count only from the configured proxies."""

from __future__ import annotations

import ipaddress

import pytest
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from kshare.web.proxy import ProxyMiddleware, client_address

LOOPBACK = [ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1/128")]
PROXIES = [*LOOPBACK, ipaddress.ip_network("10.0.0.0/8")]


@pytest.mark.parametrize(
    ("peer", "forwarded_for", "client"),
    [
        # nginx on this machine passes the client it saw.
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        # A client's own X-Forwarded-For is kept to the left of what nginx appends: ignored.
        ("127.0.0.1", "198.51.100.1, 203.0.113.9", "203.0.113.9"),
        # Two proxies (a load balancer at 10.0.0.2, then nginx): the right-most untrusted hop.
        ("10.0.0.3", "198.51.100.1, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        # Every hop a proxy: the left-most is as far as anyone can tell.
        ("127.0.0.1", "10.0.0.7, 10.0.0.2", "10.0.0.7"),
        # No header: the proxy itself.
        ("127.0.0.1", "", "127.0.0.1"),
        # Garbage where the client should be: the last hop that is an address.
        ("127.0.0.1", "203.0.113.9, nonsense", "127.0.0.1"),
        ("127.0.0.1", "nonsense, 10.0.0.2", "10.0.0.2"),
        # Written with ports and brackets, IPv6, IPv4 mapped into IPv6.
        ("127.0.0.1", "203.0.113.9:51234", "203.0.113.9"),
        ("::1", "[2001:db8::7]:443", "2001:db8::7"),
        ("::ffff:127.0.0.1", "2001:db8::7", "2001:db8::7"),
        # Not from a proxy: the header is the client's own claim and changes nothing.
        ("192.0.2.5", "203.0.113.9", "192.0.2.5"),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(
    peer, forwarded_for, client
):
    assert client_address(peer, forwarded_for, PROXIES) == client


def through_middleware(**meta: str):
    seen = {}

    def view(request):
        seen.update(
            remote_addr=request.META["REMOTE_ADDR"],
            secure=request.is_secure(),
            forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR"),
        )
        return HttpResponse()

    request = RequestFactory().get("/", **meta)
    ProxyMiddleware(view)(request)
    return seen


@override_settings(
    KSHARE_PROXY_NETWORKS=LOOPBACK, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_a_trusted_proxy_names_the_client_and_the_scheme():
    seen = through_middleware(
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert seen == {"remote_addr": "203.0.113.9", "secure": True, "forwarded_for": "203.0.113.9"}


@override_settings(
    KSHARE_PROXY_NETWORKS=LOOPBACK, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_a_client_talking_directly_cannot_fake_https_or_its_address():
    seen = through_middleware(
        REMOTE_ADDR="192.0.2.5",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert seen == {"remote_addr": "192.0.2.5", "secure": False, "forwarded_for": None}


@override_settings(KSHARE_PROXY_NETWORKS=[], SECURE_PROXY_SSL_HEADER=None)
def test_with_no_proxy_configured_nobody_is_trusted():
    seen = through_middleware(
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert seen == {"remote_addr": "127.0.0.1", "secure": False, "forwarded_for": None}
