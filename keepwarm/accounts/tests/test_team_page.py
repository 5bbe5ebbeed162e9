from __future__ import annotations

from django.contrib.sessions.models import Session
from django.test import Client

from keepwarm.accounts.models import ApiToken, User
from keepwarm.care.services import hand_over
from keepwarm.conftest import Cast
from keepwarm.placements.models import Placement

PASSWORD = "correct-horse-battery"  # the cast's


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_consultant(**overrides: str) -> dict[str, str]:
    data = {
        "username": "nina_new",
        "first_name": "Nina",
        "last_name": "Newton",
        "email": "nina@agency.example",
        "phone": "0113 496 0000",
        "role": "consultant",
        "password": "plum-kettle-orbit-42",
    }
    data.update(overrides)
    return data


def test_team_lists_everyone_with_role_email_and_phone(cast: Cast):
    cast.owner.phone = "07700 900001"
    cast.owner.save()

    page = signed_in(cast.admin).get("/team/").content.decode()

    assert "Olivia Owner" in page
    assert "olivia_owner@agency.example" in page
    assert "07700 900001" in page
    assert "Manager" in page
    assert "Add a colleague" in page


def test_admin_adds_a_consultant_who_can_then_sign_in(cast: Cast):
    response = signed_in(cast.admin).post("/team/new/", new_consultant())

    assert response.status_code == 302
    nina = User.objects.get(username="nina_new")
    assert (nina.role, nina.email, nina.phone) == (
        "consultant",
        "nina@agency.example",
        "0113 496 0000",
    )
    login = Client().post(
        "/login/", {"username": "nina_new", "password": "plum-kettle-orbit-42"}, follow=True
    )
    assert login.wsgi_request.user == nina
    assert b"Nina Newton" in login.content


def test_blank_password_is_made_up_and_shown_once(cast: Cast):
    admin = signed_in(cast.admin)

    first = admin.post("/team/new/", new_consultant(password=""), follow=True).content.decode()
    again = admin.get("/team/").content.decode()

    assert "Password for nina_new" in first
    password = first.split('user-select:all">')[1].split("</code>")[0]
    assert User.objects.get(username="nina_new").check_password(password)
    assert password not in again


def test_weak_password_is_explained_and_the_form_keeps_what_was_typed(cast: Cast):
    response = signed_in(cast.admin).post("/team/new/", new_consultant(password="12345678"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too common." in page
    assert "at least 12 characters" in page
    assert 'value="nina_new"' in page
    assert 'value="nina@agency.example"' in page
    assert 'value="12345678"' in page
    assert not User.objects.filter(username="nina_new").exists()


def test_taken_username_is_refused_whatever_its_case(cast: Cast):
    response = signed_in(cast.admin).post("/team/new/", new_consultant(username="Olivia_Owner"))

    assert "already taken" in response.content.decode()
    assert User.objects.filter(username__iexact="olivia_owner").count() == 1


def test_consultant_gets_403_on_the_team_pages(cast: Cast):
    client = signed_in(cast.owner)

    assert client.get("/team/").status_code == 403
    assert client.get("/team/new/").status_code == 403
    assert client.post("/team/new/", new_consultant()).status_code == 403
    assert client.post(f"/team/{cast.outsider.pk}/deactivate/").status_code == 403
    assert not User.objects.filter(username="nina_new").exists()
    assert b'href="/team/"' not in client.get("/").content


def test_manager_sees_the_team_but_cannot_change_it(cast: Cast):
    client = signed_in(cast.manager)

    page = client.get("/team/")

    assert page.status_code == 200
    assert b"Olivia Owner" in page.content
    assert b"Add a colleague" not in page.content
    assert client.get(f"/team/{cast.owner.pk}/").status_code == 403
    assert client.post(f"/team/{cast.outsider.pk}/deactivate/").status_code == 403
    cast.outsider.refresh_from_db()
    assert cast.outsider.is_active


def test_admin_changes_a_colleagues_details_and_role(cast: Cast):
    response = signed_in(cast.admin).post(
        f"/team/{cast.owner.pk}/",
        {
            "first_name": "Olivia",
            "last_name": "Oakes",
            "email": "olivia@agency.example",
            "phone": "07700 900002",
            "role": "manager",
            "your_password": PASSWORD,  # a new email address asks for the admin's
        },
    )

    assert response.status_code == 302
    cast.owner.refresh_from_db()
    assert cast.owner.display_name == "Olivia Oakes"
    assert (cast.owner.email, cast.owner.role) == ("olivia@agency.example", "manager")


def test_admin_cannot_remove_their_own_admin_role(cast: Cast):
    response = signed_in(cast.admin).post(
        f"/team/{cast.admin.pk}/",
        {"first_name": "Ada", "last_name": "Admin", "email": cast.admin.email, "role": "manager"},
    )

    assert response.status_code == 200
    assert "You cannot remove your own admin role" in response.content.decode()
    cast.admin.refresh_from_db()
    assert cast.admin.role == "admin"


def test_admin_cannot_deactivate_themselves(cast: Cast):
    response = signed_in(cast.admin).post(f"/team/{cast.admin.pk}/deactivate/", follow=True)

    assert "You cannot deactivate yourself" in response.content.decode()
    cast.admin.refresh_from_db()
    assert cast.admin.is_active


def test_deactivated_user_is_signed_out_and_cannot_sign_in_again(cast: Cast):
    oscar = Client()
    assert oscar.login(username="oscar_other", password=PASSWORD)
    assert oscar.get("/").status_code == 200
    ApiToken.issue(user=cast.outsider)
    still_signed_in = signed_in(cast.colleague)

    response = signed_in(cast.admin).post(f"/team/{cast.outsider.pk}/deactivate/", follow=True)

    assert "deactivated and signed out everywhere" in response.content.decode()
    cast.outsider.refresh_from_db()
    assert not cast.outsider.is_active
    assert oscar.get("/").status_code == 302  # back to the login page
    assert Session.objects.count() == 2  # Colin's and the admin's
    assert not ApiToken.objects.filter(user=cast.outsider).exists()
    login = Client().post("/login/", {"username": "oscar_other", "password": PASSWORD})
    assert login.status_code == 200
    assert b"do not match" in login.content
    assert still_signed_in.get("/").status_code == 200


def test_owner_of_active_placements_is_deactivated_only_after_a_handover(cast: Cast):
    admin = signed_in(cast.admin)

    refused = admin.post(f"/team/{cast.owner.pk}/deactivate/", follow=True).content.decode()

    assert "still owns 1 active placement" in refused
    assert 'href="/cover/handover/"' in refused
    cast.owner.refresh_from_db()
    assert cast.owner.is_active

    hand_over(from_user=cast.owner, to_user=cast.colleague, by=cast.admin)
    admin.post(f"/team/{cast.owner.pk}/deactivate/")

    cast.owner.refresh_from_db()
    assert not cast.owner.is_active
    assert Placement.objects.get().owner == cast.colleague


def test_reactivated_user_signs_in_with_their_old_password(cast: Cast):
    admin = signed_in(cast.admin)
    admin.post(f"/team/{cast.outsider.pk}/deactivate/")

    admin.post(f"/team/{cast.outsider.pk}/reactivate/")

    assert Client().login(username="oscar_other", password=PASSWORD)
