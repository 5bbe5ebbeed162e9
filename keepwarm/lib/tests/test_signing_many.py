"""Signing many values with one derived key gives Django's own signatures."""

from __future__ import annotations

import time_machine
from django.core import signing

from keepwarm.lib.signing import ManySigner, encoded


@time_machine.travel("2026-06-10T08:30:00+00:00", tick=False)
def test_signatures_are_the_ones_django_makes() -> None:
    plain = signing.Signer(salt="view")
    stamped = signing.TimestampSigner(salt="unsubscribe")
    for value in ("12.345", "ünïcode", ""):
        assert ManySigner(plain).sign(value) == plain.sign(value)
        assert ManySigner(stamped).sign(value) == stamped.sign(value)
    payload = {"p": 345, "u": "newsletter"}
    token = ManySigner(stamped).sign_object(payload)
    assert token == stamped.sign_object(payload, compress=False)
    assert signing.TimestampSigner(salt="unsubscribe").unsign_object(token) == payload


@time_machine.travel("2026-06-10T08:30:00+00:00", tick=False)
def test_one_payload_encoded_once_signs_as_each_signer_signs_the_object() -> None:
    payload = {"p": 345, "u": "newsletter"}
    for salt in ("unsubscribe", "preferences"):
        stamped = signing.TimestampSigner(salt=salt)
        token = ManySigner(stamped).sign(encoded(payload))
        assert token == stamped.sign_object(payload, compress=False)
