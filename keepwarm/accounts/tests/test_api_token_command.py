from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from keepwarm.accounts.models import ApiToken, hash_token


def test_api_token_prints_a_new_token_once_and_stores_only_its_digest(cast):
    out, err = StringIO(), StringIO()

    call_command("api_token", "olivia_owner", "--name", "zapier", stdout=out, stderr=err)

    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=cast.owner)
    assert raw.startswith("kw_")
    assert token.digest == hash_token(raw)
    assert token.name == "zapier"
    assert raw not in {token.digest, token.prefix, token.name}
    assert "will not be shown again" in err.getvalue()


def test_printed_token_opens_the_api(cast):
    out = StringIO()
    call_command("api_token", "olivia_owner", stdout=out, stderr=StringIO())

    response = Client().get(
        "/api/v1/placements", headers={"Authorization": f"Bearer {out.getvalue().strip()}"}
    )

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_unknown_user_gets_a_clear_error(cast):
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("api_token", "nobody", stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


def test_deactivated_user_gets_no_token(cast):
    cast.outsider.is_active = False
    cast.outsider.save()

    with pytest.raises(CommandError, match="deactivated"):
        call_command("api_token", "oscar_other", stdout=StringIO(), stderr=StringIO())
