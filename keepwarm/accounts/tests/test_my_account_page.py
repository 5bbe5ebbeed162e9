from __future__ import annotations

from django.test import Client

from keepwarm.accounts.models import ApiToken, User, hash_token
from keepwarm.conftest import Cast

PASSWORD = "correct-horse-battery"  # the cast's


def signed_in(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_everyone_reaches_my_account_from_the_menu(cast: Cast):
    client = signed_in(cast.owner)

    assert b'href="/account/"' in client.get("/").content
    page = client.get("/account/").content.decode()
    assert "olivia_owner" in page
    assert "Consultant" in page


def test_changing_name_and_phone(cast: Cast):
    response = signed_in(cast.owner).post(
        "/account/",
        {"first_name": "Liv", "last_name": "Owner", "phone": "07700 900003", "role": "admin"},
        follow=True,
    )

    assert "Your details are saved." in response.content.decode()
    cast.owner.refresh_from_db()
    assert (cast.owner.display_name, cast.owner.phone) == ("Liv Owner", "07700 900003")
    assert cast.owner.role == "consultant"  # not something you can give yourself


def test_changing_password_needs_the_current_one(cast: Cast):
    client = signed_in(cast.owner)

    wrong = client.post(
        "/account/password/",
        {
            "old_password": "not-my-password",
            "new_password1": "plum-kettle-orbit-42",
            "new_password2": "plum-kettle-orbit-42",
        },
    )
    assert "Your old password was entered incorrectly" in wrong.content.decode()

    right = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "plum-kettle-orbit-42",
            "new_password2": "plum-kettle-orbit-42",
        },
        follow=True,
    )
    assert "Your password is changed." in right.content.decode()
    assert client.get("/").status_code == 200  # this session stays signed in
    assert Client().login(username="olivia_owner", password="plum-kettle-orbit-42")


def test_weak_new_password_is_explained(cast: Cast):
    response = signed_in(cast.owner).post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "password", "new_password2": "password"},
    )

    assert "This password is too common." in response.content.decode()
    cast.owner.refresh_from_db()
    assert cast.owner.check_password(PASSWORD)


def test_new_token_is_shown_once_and_opens_the_api(cast: Cast):
    client = signed_in(cast.owner)

    page = client.post("/account/tokens/new/", {"name": "Zapier"}, follow=True).content.decode()
    raw = page.split('user-select:all">')[1].split("</code>")[0]

    token = ApiToken.objects.get(user=cast.owner)
    assert (token.name, token.digest) == ("Zapier", hash_token(raw))
    assert raw not in client.get("/account/").content.decode()
    api = Client().get("/api/v1/placements", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200


def test_tokens_are_listed_with_prefix_label_and_last_use(cast: Cast):
    token, _ = ApiToken.issue(user=cast.owner, name="finance export")
    ApiToken.issue(user=cast.colleague, name="colins script")

    page = signed_in(cast.owner).get("/account/").content.decode()

    assert f"{token.prefix}…" in page
    assert "finance export" in page
    assert "never" in page
    assert "colins script" not in page


def test_revoking_a_token_closes_the_api_to_it(cast: Cast):
    token, raw = ApiToken.issue(user=cast.owner)

    response = signed_in(cast.owner).post(f"/account/tokens/{token.pk}/revoke/", follow=True)

    assert "revoked" in response.content.decode()
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    api = Client().get("/api/v1/placements", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 401


def test_nobody_revokes_someone_elses_token(cast: Cast):
    token, _ = ApiToken.issue(user=cast.owner)

    for user in (cast.colleague, cast.admin):
        assert signed_in(user).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_revoking_needs_a_post(cast: Cast):
    token, _ = ApiToken.issue(user=cast.owner)

    assert signed_in(cast.owner).get(f"/account/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()
