"""HTTP requests to addresses a user typed in (webhooks), made so they cannot reach inside.

A URL's host is resolved once, every address it gives is checked (`net.refusal`), and the
connection goes to a checked address: resolving again to connect would let a DNS server
answer a public address for the check and 127.0.0.1 for the connection (DNS rebinding).
TLS still verifies the certificate against the host name, which is also sent as SNI.
Redirects are never followed: the target of one would not have been checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from keepwarm.lib.net import Address, refusal

DEFAULT_PORTS = {"http": 80, "https": 443}
# C0 and C1 control characters, DEL, and Unicode's invisible direction and format marks,
# which could make a logged answer look like something else.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]+")


class RefusedAddress(ValueError):
    """The URL's host is, or resolves to, an address Keepwarm does not call."""

    def __init__(self, message: str, *, loopback: bool = False) -> None:
        super().__init__(message)
        self.loopback = loopback  # only this machine: allowed by a setting for local testing


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def excerpt(raw: bytes, *, limit: int) -> str:
    """A short, printable extract of what a receiver answered: safe to show on a page."""
    text = _UNPRINTABLE.sub(" ", raw.decode("utf-8", "replace"))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def checked_addresses(host: str, port: int, *, allow_loopback: bool) -> list[Address]:
    """Every address `host` resolves to, once; RefusedAddress if any may not be called.

    Refusing when any one is bad (not just skipping it) keeps a name that mixes public
    and private addresses from reaching inside on a retry.
    """
    try:
        addresses: list[Address] = [ipaddress.ip_address(host)]
    except ValueError:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason:
            shown = host if str(address) == host else f"{host} ({address})"
            raise RefusedAddress(
                f"{shown} is {reason}; Keepwarm does not send there.",
                loopback=refusal(address, allow_loopback=True) == "",
            )
    return addresses


def _connect(addresses: list[Address], port: int, timeout: float) -> socket.socket:
    problem: OSError = OSError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((str(address), port), timeout=timeout)
        except OSError as exc:
            problem = exc
    raise problem


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, addresses: list[Address], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self._seconds = timeout

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self._seconds)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[Address],
        timeout: float,
        tls: ssl.SSLContext,
    ):
        super().__init__(host, port, timeout=timeout, context=tls)
        self._addresses = addresses
        self._seconds = timeout
        self._tls = tls

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self._seconds)
        # The host name, not the address, for SNI and for checking the certificate.
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    allow_loopback: bool = False,
    excerpt_chars: int = 200,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """POST `body` to `url` and return the status with an excerpt of the answer.

    Raises RefusedAddress for a host Keepwarm must not call, OSError (including socket
    timeouts and DNS failures) and http.client.HTTPException when the receiver cannot be
    reached or answers nonsense. A 3xx is returned as it is, not followed.
    """
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise RefusedAddress("Not an http(s) URL.")
    host = parts.hostname
    port = parts.port or DEFAULT_PORTS[parts.scheme]
    addresses = checked_addresses(host, port, allow_loopback=allow_loopback)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = tls or ssl.create_default_context()
        connection = _PinnedHTTPS(host, port, addresses=addresses, timeout=timeout, tls=context)
    else:
        connection = _PinnedHTTP(host, port, addresses=addresses, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        raw = response.read(excerpt_chars * 4)
        return Answer(status=response.status, excerpt=excerpt(raw, limit=excerpt_chars))
    finally:
        connection.close()
