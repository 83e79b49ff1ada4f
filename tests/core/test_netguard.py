"""The request guard: what a URL given by a user may make the server connect to."""

from __future__ import annotations

import pytest

from hutong.core import netguard
from hutong.core.netguard import Refused, check, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata (link-local)
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",  # multicast
        "240.0.0.1",  # reserved
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
        "2001:db8::1",  # documentation
    ],
)
def test_non_public_addresses_are_not_public(address: str) -> None:
    assert not is_public(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/admin",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "https://10.0.0.7/notify",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.1/",  # 127.0.0.1 in hex shorthand
    ],
)
async def test_private_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(Refused, match=r"private address|does not resolve"):
        await check(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/", "only http"),
        ("file:///etc/passwd", "only http"),
        ("gopher://127.0.0.1:70/", "only http"),
        ("http:///nohost", "only http"),
        ("http://user:pw@8.8.8.8/", "credentials"),
        ("http://8.8.8.8:6379/", "unusual port"),
        ("http://8.8.8.8:99999/", "bad port"),
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
async def test_bad_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        await check(url)


async def test_the_checked_address_is_the_one_to_connect_to() -> None:
    target = await check("https://8.8.8.8/hook?x=1#frag")
    assert target.url == "https://8.8.8.8:443/hook?x=1"
    assert (target.host, target.scheme, target.address, target.port) == (
        "8.8.8.8",
        "https",
        "8.8.8.8",
        443,
    )
    v6 = await check("http://[2606:4700:4700::1111]")
    assert v6.url == "http://[2606:4700:4700::1111]:80/"
    assert v6.host == "2606:4700:4700::1111"


async def test_the_operators_switch_allows_private_addresses_and_any_port() -> None:
    target = await check("http://localhost:8123/notify", allow_private=True, ports=None)
    assert target.host == "localhost"
    assert target.address in {"127.0.0.1", "::1"}
    assert target.url.endswith(":8123/notify")
    assert target.url.startswith("http://")
    # Still only http(s), still no credentials, even when private addresses are allowed.
    with pytest.raises(Refused):
        await check("ftp://localhost/", allow_private=True, ports=None)
    with pytest.raises(Refused):
        await check("http://a:b@localhost/", allow_private=True, ports=None)


async def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A name answering one public and one private address (a rebinding trick) is refused.
    async def two(host: str, port: int) -> list[str]:
        return ["10.0.0.5", "93.184.216.34"]

    monkeypatch.setattr(netguard, "resolve", two)
    with pytest.raises(Refused, match="private address"):
        await check("https://example.com/")

    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    monkeypatch.setattr(netguard, "resolve", public)
    target = await check("https://Example.com/x")
    assert target.url == "https://93.184.216.34:443/x"
    assert target.host == "example.com"
