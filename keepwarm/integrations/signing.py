"""Standard Webhooks signatures (https://www.standardwebhooks.com).

A secret is `whsec_` and the base64 of random bytes (the key). Each request is signed
over `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256 under the key and sent as
`webhook-signature: v1,<base64>`; during a secret's rotation one signature per secret
goes in the header, separated by spaces, so a receiver holding either accepts it.
The tests verify these with the reference `standardwebhooks` package.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError

PREFIX = "whsec_"
KEY_BYTES = 32
# The specification asks for keys between 24 and 64 bytes.
MIN_KEY_BYTES, MAX_KEY_BYTES = 24, 64


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def check_secret(secret: str) -> str:
    """A secret a receiver generated itself, as the specification writes one."""
    secret = secret.strip()
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not secret.startswith(PREFIX) or not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ValidationError(
            {
                "secret": f"Use a secret of the form {PREFIX}<base64 of 24 to 64 random bytes>,"
                " or leave it empty and Keepwarm makes one."
            }
        )
    return secret


def sign(secret: str, *, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(key_of(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signature_header(keys: Iterable[str], *, msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(s, msg_id=msg_id, timestamp=timestamp, body=body) for s in keys)
