"""A sync learns what to remove: erased people (and other deleted records) are listed at
/deletions, since a moment and after an id, as people themselves leave the people list."""

from __future__ import annotations

from django.utils import timezone

from keepwarm.privacy.erasure import erase_person


def test_an_erased_person_is_listed_as_a_deletion_since_the_last_sync(cast, api_as):
    api = api_as(cast.manager)
    started = timezone.now()

    erase_person(cast.client_contact, by=cast.admin, reason="Asked us to")

    page = api.get("/deletions", updated_since=started.isoformat()).json()
    [gone] = page["items"]
    assert (gone["type"], gone["object_id"], gone["action"]) == (
        "people.person",
        str(cast.client_contact.pk),
        "erased",
    )
    assert api.get("/deletions", after_id=gone["id"]).json()["items"] == []
    later = api.get("/deletions", updated_since=timezone.now().isoformat()).json()
    assert later["items"] == []


def test_only_managers_and_admins_read_deletions(cast, api_as):
    assert api_as(cast.owner).get("/deletions").status_code == 403
    assert api_as(cast.admin).get("/deletions").status_code == 200
