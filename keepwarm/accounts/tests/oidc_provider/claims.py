"""The ID token's claims for each test user, as the test gave them (KW_IDP_USERS)."""

from __future__ import annotations

import json
import os
from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

USERS: dict[str, dict[str, Any]] = json.loads(os.environ["KW_IDP_USERS"])


class ClaimsValidator(OAuth2Validator):  # type: ignore[misc]
    # Every claim the test set goes in the ID token (amr too, which no scope names).
    oidc_claim_scope = None

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        claims: dict[str, Any] = USERS[request.user.username]["claims"]
        return claims
