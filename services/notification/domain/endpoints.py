"""Partner webhook endpoints in plain Python: whether a target URL may be called (no loopback, private, link-local
or otherwise internal address, checked at registration and again before each delivery) and whether a partner's
filters name things that exist."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]
_AREA = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")


class TargetRefused(ValueError):
    """Why a webhook URL may not be called; ``code`` is stable for the API."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (a name with one internal address among public ones is refused)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})
    except socket.gaierror:
        raise TargetRefused("unresolvable_host", "the host name does not resolve") from None


def names_a_host(url: str) -> bool:
    """Whether the URL's host is a name (checking it means asking DNS) rather than an address."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def check_target(url: str, *, allowed_networks: Iterable[str] = (), resolver: Resolver = resolve) -> None:
    """Raise ``TargetRefused`` unless ``url`` is an http(s) URL whose every address is public (or inside a network
    the operator allowed, such as a test receiver on loopback)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise TargetRefused("invalid_url", "the URL must be https:// (or http://)")
    if not parts.hostname:
        raise TargetRefused("invalid_url", "the URL has no host")
    if parts.username or parts.password:
        raise TargetRefused("invalid_url", "credentials in the URL are not accepted")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("invalid_url", "the port is not a number between 0 and 65535") from None
    addresses = resolver(parts.hostname, port) if names_a_host(url) else [parts.hostname]
    if not all(may_connect(address, allowed_networks) for address in addresses):
        raise TargetRefused("forbidden_target", "the URL resolves to a loopback, private, link-local or "
                                                "otherwise internal address")


# IPv6 prefixes that carry an IPv4 address a gateway translates to: NAT64 (RFC 6052's well-known prefix and the
# local-use one of RFC 8215), whose last 32 bits are the IPv4 address.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped and -compatible, 6to4, Teredo, NAT64."""
    if ip.version == 4:
        return []
    found = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo is not None:
        found += list(ip.teredo)
    if any(ip in net for net in _NAT64) or (int(ip) >> 32 == 0 and int(ip) > 1):  # NAT64, or ::a.b.c.d
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def may_connect(address: str, allowed_networks: Iterable[str] = ()) -> bool:
    """Whether a webhook may connect to this IP address: a public one, or one inside a network the operator
    allowed; an IPv6 address that carries an IPv4 one (NAT64, 6to4, Teredo, mapped) only if that one may too.
    (The sender's own name resolution applies it too, so a name that changes after the check cannot lead a
    connection inside.)"""
    ip = ipaddress.ip_address(address.split("%")[0])
    allowed = [ipaddress.ip_network(n) for n in allowed_networks]
    if any(ip.version == n.version and ip in n for n in allowed):
        return True
    if not ip.is_global or ip.is_multicast:
        return False
    return all(may_connect(str(inner), allowed_networks) for inner in embedded_ipv4(ip))


def unknown_filters(event_types: Iterable[str], areas: Iterable[str], *, known_types: Iterable[str]) -> list[str]:
    """The filter values that name nothing: event types not declared, area ids not well formed."""
    known = set(known_types)
    return [f"event type {t}" for t in event_types if t not in known] + \
        [f"area {a}" for a in areas if not _AREA.match(a)]
