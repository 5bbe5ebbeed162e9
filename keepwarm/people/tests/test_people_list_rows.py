"""What each row of the people list shows, and the navigation every page carries."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from keepwarm.audit.models import AuditEntry
from keepwarm.conftest import Cast
from keepwarm.people.models import Person


def _page(user: object, url: str = "") -> str:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    response = client.get(url or reverse("people"))
    assert response.status_code == 200
    return response.content.decode()


def _row_of(page: str, name: str) -> str:
    start = page.rindex("<tr>", 0, page.index(name))
    return page[start : page.index("</tr>", start)]


def test_a_row_shows_link_headline_contact_owner_and_last_contact(cast: Cast) -> None:
    priya = cast.candidate
    Person.objects.filter(pk=priya.pk).update(
        headline="Account manager, B2B software",
        last_contacted_at=timezone.make_aware(dt.datetime(2026, 3, 9, 23, 30)),
    )
    row = _row_of(_page(cast.owner), "Priya Patel")
    assert f'<a href="{reverse("person", args=[priya.pk])}"><strong>Priya Patel</strong></a>' in row
    assert '<div class="muted small">Account manager, B2B software</div>' in row
    assert "priya@example.net" in row
    assert "<div>07700 900123</div>" in row
    assert '<td data-label="Owner">Olivia Owner</td>' in row
    assert '<td data-label="Last contact">9 Mar 2026</td>' in row


def test_a_row_without_contact_or_owner_says_so(cast: Cast) -> None:
    Person.objects.create(first_name="Nina", last_name="Nobody", owner=None)
    row = _row_of(_page(cast.manager), "Nina Nobody")
    assert '<td data-label="Owner">—</td>' in row
    assert '<span class="muted">never</span>' in row
    assert "muted small" not in row and "<div>" not in row


def test_names_typed_with_markup_are_shown_as_text(cast: Cast) -> None:
    Person.objects.create(
        first_name="<b>Bold</b>",
        last_name="O'Brien & Sons",
        headline="<script>alert(1)</script>",
        email="x@example.net",
        owner=cast.owner,
    )
    page = _page(cast.owner)
    assert "&lt;b&gt;Bold&lt;/b&gt; O&#x27;Brien &amp; Sons" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page


def test_an_empty_list_says_nobody_is_here(cast: Cast) -> None:
    page = _page(cast.outsider)
    assert "Nobody here yet." in page


def test_every_person_shown_is_on_the_readers_trail(cast: Cast) -> None:
    _page(cast.owner)
    viewed = AuditEntry.objects.filter(action=AuditEntry.Action.VIEWED, actor=cast.owner)
    assert sorted(viewed.values_list("person_id", "object_repr")) == sorted(
        [(cast.candidate.pk, "Priya Patel"), (cast.client_contact.pk, "Harry Hughes")]
    )
    assert {e.object_type for e in viewed} == {"people.person"}


def test_the_navigation_marks_the_page_and_shows_admin_only_to_those_who_may(
    cast: Cast,
) -> None:
    # The same page for a consultant, an admin and a consultant again: each sees their own.
    for user, admin_menu, admin_links in (
        (cast.owner, False, False),
        (cast.admin, True, True),
        (cast.manager, True, False),
        (cast.owner, False, False),
    ):
        page = _page(user)
        nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
        assert f'<a href="{reverse("people")}" aria-current="page">People</a>' in nav
        assert "aria-current" not in nav.replace('href="/people/" aria-current', "")
        assert ("<summary>Admin</summary>" in nav) is admin_menu
        assert ("Agency settings" in nav) is admin_links
    today = _page(cast.owner, reverse("companies"))
    nav = today[today.index('<nav aria-label="Main">') : today.index("</nav>")]
    assert f'<a href="{reverse("companies")}" aria-current="page">Companies</a>' in nav
    assert 'href="/people/" aria-current' not in nav
