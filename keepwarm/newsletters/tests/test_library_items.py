"""The library is shared by the whole team: whoever saved an item, or a manager or admin,
may remove it; anyone else is told why not and the item stays."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.accounts.models import User
from keepwarm.conftest import Cast
from keepwarm.newsletters.models import Kind, LibraryBlock

pytestmark = pytest.mark.django_db

LIBRARY = "/newsletters/library/"


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def saved_by(user: User) -> LibraryBlock:
    signed_in(user).post(
        LIBRARY, {"kind": Kind.CV_TIPS, "title": "Lead with results", "body": "Numbers first."}
    )
    return LibraryBlock.objects.get(title="Lead with results")


def test_whoever_saves_an_item_may_remove_it(cast: Cast) -> None:
    item = saved_by(cast.owner)
    assert item.created_by == cast.owner
    client = signed_in(cast.owner)
    assert 'name="delete"' in client.get(LIBRARY).content.decode()

    page = client.post(LIBRARY, {"delete": item.pk}, follow=True)

    assert not LibraryBlock.objects.filter(pk=item.pk).exists()
    assert "Removed “Lead with results” from the library." in page.content.decode()


def test_a_colleague_cannot_remove_someone_elses_item_and_is_told_why(cast: Cast) -> None:
    item = saved_by(cast.owner)
    client = signed_in(cast.outsider)
    listed = client.get(LIBRARY).content.decode()
    assert "Lead with results" in listed and 'name="delete"' not in listed

    page = client.post(LIBRARY, {"delete": item.pk}, follow=True)

    assert LibraryBlock.objects.filter(pk=item.pk).exists()
    assert page.status_code == 200
    assert "only whoever saved it, or a manager or admin, can remove it" in page.content.decode()


def test_a_manager_removes_anyones_item_and_those_saved_before_authors_were_kept(
    cast: Cast,
) -> None:
    item = saved_by(cast.owner)
    older = LibraryBlock.objects.create(kind=Kind.CV_TIPS, title="Old tip", body="Keep it short.")
    client = signed_in(cast.manager)

    client.post(LIBRARY, {"delete": item.pk})
    client.post(LIBRARY, {"delete": older.pk})

    assert not LibraryBlock.objects.exists()


def test_nobody_but_a_manager_removes_an_item_without_an_author(cast: Cast) -> None:
    older = LibraryBlock.objects.create(kind=Kind.CV_TIPS, title="Old tip", body="Keep it short.")

    signed_in(cast.owner).post(LIBRARY, {"delete": older.pk})

    assert LibraryBlock.objects.filter(pk=older.pk).exists()


def test_a_junk_item_to_remove_is_not_found(cast: Cast) -> None:
    response = signed_in(cast.manager).post(LIBRARY, {"delete": "not-a-number"})

    assert response.status_code == 404
    assert reverse("newsletter_library") == LIBRARY
