"""Start the test identity provider in its own process and wait until it answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "keepwarm-test-client"
CLIENT_SECRET = "keepwarm-test-secret-" + "s" * 24
# Starting Django and migrating an empty SQLite database takes a few seconds here.
START_LIMIT_SECONDS = 60


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    log: Path

    def keepwarm_config(self, *, name: str = "Agency ID") -> dict[str, Any]:
        """KEEPWARM_SSO_PROVIDERS' entry for it, as settings.py builds from the environment."""
        return {
            "slug": "oidc",
            "name": name,
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "verified_claims": ["email_verified"],
        }


def _signing_key(path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@contextmanager
def running_provider(
    *, folder: Path, port: int, redirect_uri: str, users: dict[str, dict[str, Any]]
) -> Iterator[RunningProvider]:
    """`users`: username -> {"password": ..., "claims": {...}} for the ID token."""
    _signing_key(folder / "signing-key.pem")
    env = {
        **os.environ,
        "KW_IDP_DIR": str(folder),
        "KW_IDP_PORT": str(port),
        "KW_IDP_USERS": json.dumps(users),
        "KW_IDP_CLIENT_ID": CLIENT_ID,
        "KW_IDP_CLIENT_SECRET": CLIENT_SECRET,
        "KW_IDP_REDIRECT_URI": redirect_uri,
    }
    log = folder / "provider.log"
    issuer = f"http://127.0.0.1:{port}/o"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "keepwarm.accounts.tests.oidc_provider"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_answering(process, f"{issuer}/.well-known/openid-configuration", log)
        yield RunningProvider(issuer=issuer, log=log)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_answering(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the identity provider stopped:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the identity provider did not answer in time:\n{log.read_text()}")
