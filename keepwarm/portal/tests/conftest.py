"""Signing an outsider in, as the emailed link does."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from keepwarm.people.links import make_token
from keepwarm.people.models import Person
from keepwarm.portal.signin import COOKIE


def link_path(person: Person, kind: str = "signin") -> str:
    return reverse("portal_link", args=[make_token(person=person, kind=kind)])


def sign_in(client: Client, person: Person) -> Client:
    response = client.post(link_path(person))
    assert response.status_code == 302, response.content
    assert COOKIE in response.cookies
    return client
