"""One webhook POST: resolve once, check every address, connect to the checked one.

Resolving the name and then letting an HTTP library resolve it again to connect would let a
DNS server answer a public address to the check and ``127.0.0.1`` to the connection (DNS
rebinding). So the name is resolved here once, every address it gave is checked
(``addresses.addresses_check``), and the socket is opened to the first checked address while the
request still carries the original name: the ``Host`` header, and for https the TLS server name
(SNI) and the certificate check. No proxy is used and redirects are not followed (a 3xx is a
failed attempt), so no second address is ever reached.

A failure becomes a ``DeliveryFailed`` with a generic class — "address not allowed", "DNS lookup
failed", "connection refused", "timeout", "TLS error", "connection failed", "invalid response" —
which is all the delivery row, the admin, the API and the pages show: the socket's own error
text would turn webhooks into a port scanner of the server's network. The detail goes to the
server log only.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from kshare.webhooks.addresses import (
    AddressRefused,
    AllowList,
    IPAddress,
    addresses_check,
    host_literal,
)

ADDRESS_NOT_ALLOWED = "address not allowed"
DNS_FAILED = "DNS lookup failed"
REFUSED = "connection refused"
TIMEOUT = "timeout"
TLS_ERROR = "TLS error"
CONNECTION_FAILED = "connection failed"
INVALID_RESPONSE = "invalid response"
FAILURE_CLASSES = (
    ADDRESS_NOT_ALLOWED,
    DNS_FAILED,
    REFUSED,
    TIMEOUT,
    TLS_ERROR,
    CONNECTION_FAILED,
    INVALID_RESPONSE,
)


class DeliveryFailed(Exception):
    """An attempt that reached no answer: ``failure`` is the class shown, ``detail`` is logged."""

    def __init__(self, failure: str, detail: str = "") -> None:
        super().__init__(failure)
        self.failure = failure
        self.detail = detail or failure


def failure_class(error: BaseException) -> str:
    """The generic class of a network error."""
    if isinstance(error, DeliveryFailed):
        return error.failure
    if isinstance(error, AddressRefused):
        return ADDRESS_NOT_ALLOWED
    if isinstance(error, socket.gaierror):
        return DNS_FAILED
    if isinstance(error, ConnectionRefusedError):
        return REFUSED
    if isinstance(error, (TimeoutError, socket.timeout)):
        return TIMEOUT
    if isinstance(error, (ssl.SSLError, ssl.CertificateError)):
        return TLS_ERROR
    if isinstance(error, http.client.HTTPException):
        return INVALID_RESPONSE
    return CONNECTION_FAILED


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for (an IP literal in any form, or a DNS answer)."""
    literal = host_literal(host)
    if literal is not None:
        return [literal]
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = host_literal(str(sockaddr[0]))
        if address is not None and address not in found:
            found.append(address)
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    return found


class _PinnedHTTP(http.client.HTTPConnection):
    """HTTP to ``address``, with ``host`` as the name in the request."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self.address), self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to ``address``; SNI and the certificate check use ``host``."""

    def __init__(self, host: str, port: int, *, address: IPAddress, timeout: float) -> None:
        # A fresh context each time: it reads the system's CA store (and SSL_CERT_FILE) now.
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self.address), self.port), self.timeout)
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
        except BaseException:
            sock.close()
            raise


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow: AllowList
) -> int:
    """POST ``body`` to ``url``; the HTTP status, or ``DeliveryFailed`` with its class."""
    status, _ = post_answer(url, body=body, headers=headers, timeout=timeout, allow=allow)
    return status


def post_answer(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow: AllowList
) -> tuple[int, dict[str, str]]:
    """``post``, with the answer's headers too (names in lower case): a chat platform's 429
    says in ``Retry-After`` when to come back. The answer's body is never read past 1 KB."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryFailed(ADDRESS_NOT_ALLOWED, f"not an http(s) URL: {url!r}")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise DeliveryFailed(ADDRESS_NOT_ALLOWED, str(exc)) from None
    try:
        addresses = resolve(host, port)
        addresses_check(host=host, port=port, addresses=addresses, allow=allow)
    except (AddressRefused, OSError) as exc:
        raise DeliveryFailed(failure_class(exc), f"{type(exc).__name__}: {exc}") from None
    connection_class = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address=addresses[0], timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        return int(response.status), {name.lower(): value for name, value in response.getheaders()}
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryFailed(failure_class(exc), f"{type(exc).__name__}: {exc}") from None
    finally:
        connection.close()
