"""An outbox row as the bytes an SMTP server receives, built without the email package's
generator.

Django's `EmailMultiAlternatives(...).message().as_bytes()` parses and refolds every
header and encodes every part through the stdlib email machinery; for a newsletter that
was most of the cost of a copy. Here a copy is a few string joins: headers that are plain
ASCII within the line limit go out as they are, anything else is encoded the way Django
encodes it (its own `sanitize_address` for addresses, `email.header.Header` for the
rest), and the sender's, reply-to and subject encodings are cached, since a newsletter
repeats them for every copy. The result is the same message Django would send (same
headers, multipart/alternative text + HTML, UTF-8, quoted-printable only where a line is
too long for SMTP), and the same errors: BadHeaderError for a newline in a header,
ValueError for an address no server will take.
"""

from __future__ import annotations

import binascii
import re
import secrets
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate, parseaddr
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import BadHeaderError
from django.core.mail.message import sanitize_address

if TYPE_CHECKING:
    from keepwarm.mail.claims import Claimed
    from keepwarm.mail.models import OutboxMessage

# RFC 5322: a line is at most 998 characters; SMTP servers may refuse longer ones.
LINE_LIMIT = 998
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# A bare ASCII addr-spec needs no encoding: header and envelope are the address itself.
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
# Headers the structure of the message decides; a row's own `headers` cannot replace them.
_STRUCTURAL = {"mime-version", "content-type", "content-transfer-encoding"}


@dataclass(frozen=True)
class Wire:
    sender: str  # envelope MAIL FROM
    recipient: str  # envelope RCPT TO
    data: bytes  # the message, CRLF line ends


def _no_newline(name: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r} for {name})")


def _address(value: str) -> tuple[str, str]:
    """The header form and envelope form of one address, as Django's SMTP backend has them."""
    value = value.strip()
    if _PLAIN_ADDRESS.fullmatch(value):
        return value, value
    _no_newline("address", value)
    header = sanitize_address(value, "utf-8")  # ValueError when it is no address
    return header, parseaddr(header)[1]


_cached_address = lru_cache(maxsize=256)(_address)


def _header(name: str, value: str) -> str:
    _no_newline(name, value)
    if value.isascii() and len(name) + 2 + len(value) <= LINE_LIMIT:
        return f"{name}: {value}\r\n"
    charset = None if value.isascii() else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}\r\n"


_cached_header = lru_cache(maxsize=256)(_header)


def _part(subtype: str, text: str, *, lines_fit: bool) -> tuple[str, bytes]:
    """Content headers and body of one text part; `lines_fit`: the caller knows no line of
    `text` is over LINE_LIMIT bytes, so they need not be measured."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    body = text.encode()
    if not lines_fit and len(body) > LINE_LIMIT and max(map(len, body.split(b"\n"))) > LINE_LIMIT:
        encoding = "quoted-printable"
        body = binascii.b2a_qp(body, istext=True)
    else:
        encoding = "7bit" if body.isascii() else "8bit"
    if not body.endswith(b"\n"):
        body += b"\n"
    headers = (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n"
    )
    return headers, body.replace(b"\n", b"\r\n")


def envelope(message: OutboxMessage | Claimed) -> tuple[str, str] | None:
    """The envelope sender and recipient `build` would give, or None when it would fail."""
    try:
        return _cached_address(message.from_email)[1], _address(message.to_email)[1]
    except (BadHeaderError, ValueError):
        return None


@lru_cache(maxsize=2)
def _date(second: int, localtime: bool) -> str:
    return _header("Date", formatdate(second, localtime=localtime))


def build(message: OutboxMessage | Claimed, *, lines_fit: bool = False) -> Wire:
    """The bytes to send for `message`; raises BadHeaderError or ValueError. `lines_fit`:
    the caller knows no line of either body is over LINE_LIMIT bytes (Claimed.lines_fit)."""
    sender_header, sender = _cached_address(message.from_email)
    to_header, recipient = _address(message.to_email)
    fields = {
        "subject": _cached_header("Subject", message.subject),
        "from": f"From: {sender_header}\r\n",
        "to": f"To: {to_header}\r\n",
        # The text changes once a second: made once a second, not for every copy.
        "date": _date(int(time.time()), settings.EMAIL_USE_LOCALTIME),
    }
    if message.reply_to:
        fields["reply-to"] = f"Reply-To: {_cached_address(message.reply_to)[0]}\r\n"
    for name, value in message.headers.items():
        if name.lower() not in _STRUCTURAL:
            fields[name.lower()] = _header(name, str(value))
    # Generated when the row was queued and kept across retries.
    fields["message-id"] = _header("Message-ID", message.message_id)
    head = "".join(fields.values()) + "MIME-Version: 1.0\r\n"
    text_headers, text = _part("plain", message.body_text, lines_fit=lines_fit)
    if not message.body_html:
        return Wire(sender, recipient, (head + text_headers + "\r\n").encode() + text)
    html_headers, html = _part("html", message.body_html, lines_fit=lines_fit)
    boundary = f"=_kw_{secrets.token_hex(12)}"
    while boundary.encode() in text or boundary.encode() in html:
        boundary = f"=_kw_{secrets.token_hex(12)}"
    # The line end before a delimiter belongs to the delimiter (RFC 2046), so each part
    # keeps its own final line end, as in Django's messages.
    data = b"".join(
        (
            (head + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n').encode(),
            f"--{boundary}\r\n{text_headers}\r\n".encode(),
            text,
            f"\r\n--{boundary}\r\n{html_headers}\r\n".encode(),
            html,
            f"\r\n--{boundary}--\r\n".encode(),
        )
    )
    return Wire(sender, recipient, data)
