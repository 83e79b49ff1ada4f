"""The guard for requests the server makes to URLs users gave it (server-side request forgery).

Link previews fetch pages named in messages; mini-program webhooks POST to a developer's
`notify_url`. Both go through `check`: only http(s), no credentials in the URL, only the
usual ports (unless the caller allows others), and every address the host name resolves to
must be public — no private, loopback, link-local, multicast, reserved or unspecified address,
also not behind an IPv4-mapped IPv6 address — unless the operator allows private ones.

The answer names the address that was checked, and the caller connects to it (keeping the
name for Host and TLS), so the name is not resolved a second time and DNS rebinding cannot
swap a private address in between the check and the connection. Redirects are the caller's
business: each hop is a new URL to check.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import anyio

USUAL_PORTS = frozenset({80, 443})


class Refused(Exception):
    """The URL may not be fetched."""


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to `url` (the address in place of the name), send `host` as
    the Host header and TLS server name."""

    url: str
    host: str
    scheme: str
    address: str
    port: int


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, sorted (an IP literal resolves to itself)."""
    with contextlib.suppress(ValueError):
        return [str(ipaddress.ip_address(host))]  # no trip to the resolver's thread
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: str) -> bool:
    """Is this a globally routable unicast address? (IPv4-mapped IPv6 is judged as IPv4.)"""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


async def check(
    url: str,
    *,
    allow_private: bool = False,
    ports: Collection[int] | None = USUAL_PORTS,
) -> Target:
    """Check `url` for a server-side request; raises `Refused` with a short reason.

    `ports=None` allows any port. `allow_private` (the operator's switch, for demos and tests)
    lets the name resolve to private or loopback addresses."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise Refused("only http(s) URLs")
    if parts.username or parts.password:
        raise Refused("no credentials in URLs")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused("bad port") from exc
    if ports is not None and port not in ports:
        raise Refused("unusual port")
    host = parts.hostname
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise Refused("host does not resolve") from exc
    if not addresses:
        raise Refused("host does not resolve")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise Refused("private address")
    ip = addresses[0]
    netloc = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
    return Target(
        url=urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
        host=host,
        scheme=parts.scheme,
        address=ip,
        port=port,
    )
