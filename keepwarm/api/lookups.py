"""Turning ids and usernames in a request body into objects, or a 422 naming the field."""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

from keepwarm.accounts.models import User
from keepwarm.api.errors import Invalid
from keepwarm.people.models import Company, Person

M = TypeVar("M", bound=Model)


def user_named(field: str, username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Invalid(field, f"no active user is called {username!r}")
    return user


def one_of(field: str, queryset: QuerySet[M], pk: int, noun: str) -> M:
    """The object with `pk` from `queryset`, which already holds only what the caller may use."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Invalid(field, f"no {noun} with id {pk} that you can see")
    return found


def hiring_manager_at(people: QuerySet[Person], pk: int, company: Company) -> Person:
    """A placement's hiring manager: someone the caller may see, a contact at its client."""
    manager = one_of("hiring_manager", people, pk, "person")
    if not manager.is_contact_at(company):
        raise Invalid(
            "hiring_manager",
            f"{manager.full_name} is not a client contact at {company.name}; "
            "give them that role first",
        )
    return manager


def username_of(user: User | None) -> str | None:
    return user.username if user is not None else None
