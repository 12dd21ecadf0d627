"""Which network addresses a webhook may be sent to (no Django in here).

A webhook makes kshare's server send a request to an address an organiser typed: without a
rule it would reach whatever the server can reach — its own loopback services, the company
network, the cloud provider's metadata service that hands out credentials (server-side request
forgery). So a delivery goes only to public unicast addresses:

- refused: loopback, unspecified (``0.0.0.0``, ``::``), private (10/8, 172.16/12, 192.168/16),
  shared/CGNAT (100.64/10), link-local (169.254/16, fe80::/10), unique-local (fc00::/7), site-local
  (fec0::/10), multicast, reserved and documentation ranges, and everything else Python's
  ``ipaddress`` does not call global;
- IPv6 forms that carry an IPv4 address are judged by that address too: IPv4-mapped
  (``::ffff:127.0.0.1``), IPv4-compatible (``::127.0.0.1``), 6to4 (``2002:7f00:1::``), Teredo and
  NAT64 (``64:ff9b::7f00:1``);
- the host part of a URL is read the way the C library reads it, so ``2130706433``, ``0x7f.1``,
  ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1, and ``localhost`` / ``*.localhost`` are loopback
  by name;
- cloud metadata addresses (``METADATA``) are refused even when the allow-list covers them.

An administrator may allow internal receivers with an allow-list (``KSHARE_WEBHOOK_ALLOW_HOSTS``):
host names (exact, any address they resolve to), IP addresses and CIDR networks, each with an
optional port (``chat.internal``, ``10.1.2.3:8080``, ``[fd12::5]:443``, ``10.20.0.0/16``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Instance metadata and platform services of the large clouds: never a webhook receiver.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle …
        "169.254.169.253",  # AWS DNS resolver
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.123",  # AWS time sync
        "fd00:ec2::254",  # AWS (IPv6)
        "fd00:ec2::253",
        "fd00:ec2::123",
        "168.63.129.16",  # Azure WireServer (a public address!)
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_LEGACY_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
METADATA_PROBLEM = "a cloud metadata address"


def gettext_noop(message: str) -> str:
    """Marks a message for the translation catalogue (this module has no Django in it): the
    refusal carries the English template and its values, translated where a person reads it
    (``kshare.core.language.error_text``); logs and stored errors keep the English."""
    return message


class AddressRefused(Exception):
    """A webhook address that may not be called; the message says why, for the form.

    ``message`` is the English template, ``params`` its values; ``str()`` is the English text."""

    def __init__(self, message: str, params: dict[str, str] | None = None) -> None:
        self.message, self.params = message, dict(params or {})
        super().__init__(message % self.params if self.params else message)


def host_literal(host: str) -> IPAddress | None:
    """The IP address a URL's host part stands for, read as ``inet_aton`` would, else None.

    ``urlsplit(...).hostname`` has already removed IPv6 brackets and lowered the case.
    """
    host = host.rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # an IPv6 zone id is ignored
    except ValueError:
        pass
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_LEGACY_PART.fullmatch(p) for p in parts):
        return None
    numbers = [_legacy_number(p) for p in parts]
    # a.b.c.d, a.b.c (c is 16 bits), a.b (b is 24 bits), a (32 bits): the last part fills the rest.
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(numbers)) + last
    return ipaddress.IPv4Address(value)


def _legacy_number(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part, 16)
    if len(part) > 1 and part[0] == "0":
        return int(part, 8)
    return int(part)


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 form carries."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        packed = address.packed
        if packed[:12] == bytes(12) and packed[12:] != bytes(4):  # ::a.b.c.d (IPv4-compatible)
            found.append(ipaddress.IPv4Address(packed[12:]))
        if any(address in net for net in NAT64):
            found.append(ipaddress.IPv4Address(packed[12:]))
    return found


def address_problem(address: IPAddress) -> str | None:
    """Why a delivery may not go to ``address`` (a phrase), or None for a public address."""
    carried = _embedded(address)
    if any(one in METADATA for one in carried):
        return METADATA_PROBLEM
    for problem, test in _PROBLEMS:
        if any(test(one) for one in carried):
            return problem
    return None


_CGNAT = ipaddress.ip_network("100.64.0.0/10")
# In this order, so that the phrase names the most telling category (6to4 of 127.0.0.1 is
# "loopback", not the "private" Python also calls 2002::/16).
_PROBLEMS = (
    ("a loopback address", lambda a: a.is_loopback),
    ("an unspecified address", lambda a: a.is_unspecified),
    ("a link-local address", lambda a: a.is_link_local),
    ("a multicast address", lambda a: a.is_multicast),
    ("a site-local address", lambda a: a.version == 6 and a.is_site_local),
    ("a private network address", lambda a: a in _CGNAT or (a.is_private and not a.is_reserved)),
    ("a reserved address", lambda a: a.is_reserved or not a.is_global),
)

# Each refusal as whole sentences (with and without the address the name resolved to), so
# that a translation never has to fit a phrase into someone else's sentence.
REFUSALS = {
    METADATA_PROBLEM: (
        gettext_noop("%(host)s is a cloud metadata address."),
        gettext_noop("%(host)s is a cloud metadata address (%(address)s)."),
    ),
    "a loopback address": (
        gettext_noop("%(host)s is a loopback address."),
        gettext_noop("%(host)s is a loopback address (%(address)s)."),
    ),
    "an unspecified address": (
        gettext_noop("%(host)s is an unspecified address."),
        gettext_noop("%(host)s is an unspecified address (%(address)s)."),
    ),
    "a link-local address": (
        gettext_noop("%(host)s is a link-local address."),
        gettext_noop("%(host)s is a link-local address (%(address)s)."),
    ),
    "a multicast address": (
        gettext_noop("%(host)s is a multicast address."),
        gettext_noop("%(host)s is a multicast address (%(address)s)."),
    ),
    "a site-local address": (
        gettext_noop("%(host)s is a site-local address."),
        gettext_noop("%(host)s is a site-local address (%(address)s)."),
    ),
    "a private network address": (
        gettext_noop("%(host)s is a private network address."),
        gettext_noop("%(host)s is a private network address (%(address)s)."),
    ),
    "a reserved address": (
        gettext_noop("%(host)s is a reserved address."),
        gettext_noop("%(host)s is a reserved address (%(address)s)."),
    ),
}


@dataclass(frozen=True)
class AllowList:
    """Internal receivers an administrator allows (``KSHARE_WEBHOOK_ALLOW_HOSTS``)."""

    hosts: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[IPNetwork, int | None], ...] = field(default=())

    @classmethod
    def parse(cls, entries: list[str]) -> AllowList:
        """Raises ValueError naming the first entry that is not a host, address or network."""
        hosts: set[tuple[str, int | None]] = set()
        networks: list[tuple[IPNetwork, int | None]] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            if "://" in entry:
                raise ValueError(
                    f"{raw!r} is not a host name, an IP address or a network such as 10.0.0.0/8 "
                    "(each optionally with :port)"
                )
            name, port = _split_port(entry)
            try:
                networks.append((ipaddress.ip_network(name, strict=False), port))
                continue
            except ValueError:
                pass
            if "/" in name or not re.fullmatch(
                r"[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?\.?", name
            ):
                raise ValueError(
                    f"{raw!r} is not a host name, an IP address or a network such as 10.0.0.0/8 "
                    "(each optionally with :port)"
                )
            literal = host_literal(name.lower())
            if literal is not None:
                networks.append((ipaddress.ip_network(literal), port))
            else:
                hosts.add((name.lower().rstrip("."), port))
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def allows(self, *, host: str, address: IPAddress, port: int) -> bool:
        host = host.lower().rstrip(".")
        if (host, None) in self.hosts or (host, port) in self.hosts:
            return True
        for one in _embedded(address):
            for network, allowed_port in self.networks:
                if (
                    one.version == network.version
                    and one in network
                    and allowed_port in (None, port)
                ):
                    return True
        return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        inside, _, rest = entry[1:].partition("]")
        if not rest:
            return inside, None
        if not rest.startswith(":") or not rest[1:].isdigit():
            raise ValueError(f"{entry!r} has a bad port")
        return inside, _port(rest[1:], entry)
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        if not port.isdigit():
            raise ValueError(f"{entry!r} has a bad port")
        return name, _port(port, entry)
    return entry, None


def _port(text: str, entry: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise ValueError(f"{entry!r} has a port outside 1-65535")
    return port


def addresses_check(*, host: str, port: int, addresses: list[IPAddress], allow: AllowList) -> None:
    """Raise ``AddressRefused`` unless every address ``host`` resolved to may be called.

    Every address must pass, not only the one that will be used: a name that answers with a
    public and a private address is refused. Metadata addresses are refused whatever the
    allow-list says.
    """
    name = host.lower().rstrip(".")
    for address in addresses:
        problem = address_problem(address)
        if problem is None:
            continue
        if problem != METADATA_PROBLEM and allow.allows(host=host, address=address, port=port):
            continue
        plain, with_address = REFUSALS[problem]
        if str(address) != name:
            raise AddressRefused(with_address, {"host": host, "address": str(address)})
        raise AddressRefused(plain, {"host": host})


def host_refusal(host: str, *, port: int, allow: AllowList) -> AddressRefused | None:
    """A refusal known from the name alone (no DNS): ``localhost`` names and IP literals; the
    error itself, so that its message is translated where it is shown."""
    name = host.lower().rstrip(".")
    literal = host_literal(name)
    try:
        if literal is not None:
            addresses_check(host=host, port=port, addresses=[literal], allow=allow)
        elif name == "localhost" or name.endswith(".localhost"):
            addresses_check(
                host=host, port=port, addresses=[ipaddress.ip_address("127.0.0.1")], allow=allow
            )
    except AddressRefused as exc:
        return exc
    return None
