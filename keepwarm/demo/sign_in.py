"""How the demo's users sign in: what `keepwarm demo-data` prints about the second factor."""

from __future__ import annotations

SECOND_FACTOR_NOTE = (
    "Second factor: `make demo` serves with KEEPWARM_REQUIRE_SECOND_FACTOR=off, so the demo "
    "signs in with the password alone and every page says so in a banner. With it on (the "
    "default, and always in production) each user sets up an authenticator app at their "
    "first sign-in."
)
