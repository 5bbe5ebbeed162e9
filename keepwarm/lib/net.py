"""Network addresses: where a request came from, and which addresses Keepwarm must not call.

Read by settings.py too, so nothing here imports Django's request machinery at load time.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOPBACK_NAMES = ("localhost",)

# Cloud providers' instance metadata services, which hand out credentials to whoever asks
# from inside the machine. Most are link-local or private anyway; named so the refusal
# says what they are.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, Azure, GCP, DigitalOcean, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)


# NAT64 carries an IPv4 address in its last 32 bits (RFC 6052).
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _unwrap(address: Address) -> Address:
    """The IPv4 address an IPv6 one stands for, if any (::ffff:127.0.0.1 is 127.0.0.1)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_loopback_host(host: str) -> bool:
    """Whether a URL's host name is this machine: localhost, 127.0.0.0/8 or ::1."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return _unwrap(ipaddress.ip_address(host)).is_loopback
    except ValueError:
        return False


def refusal(address: Address, *, allow_loopback: bool = False) -> str:
    """Why Keepwarm must not connect to `address` ("" when it may): anything but a public
    address could reach this machine, the office network or the cloud's metadata service."""
    address = _unwrap(address)
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "" if allow_loopback else "a loopback address (this machine)"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private network address"
    if not address.is_global:
        return "a reserved address"
    return ""


def client_address(request: HttpRequest) -> str:
    """The address a request came from, through KEEPWARM_PROXY_COUNT trusted proxies.

    Each proxy appends the address it saw to X-Forwarded-For, so the client's is the
    PROXY_COUNT-th from the right; anything further left was written by the client, and
    with no proxy configured the whole header is the client's and ignored.
    """
    count = settings.KEEPWARM_PROXY_COUNT
    remote = str(request.META.get("REMOTE_ADDR") or "0.0.0.0")  # noqa: S104 -- a placeholder
    if count:
        forwarded = [
            part.strip()
            for part in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote
