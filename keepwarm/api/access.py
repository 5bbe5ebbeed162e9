"""What a caller may reach through the API: the same rules as the web pages.

Managers and admins see everything; a consultant sees their own work and that of
colleagues they cover (keepwarm.care.queries). Anything else is a 404, never a 403,
so the API does not confirm that someone else's record exists.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from keepwarm.accounts.models import User
from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import visible_people, visible_placements, visible_touchpoints
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

__all__ = [
    "get_person_for",
    "get_placement_for",
    "get_touchpoint_for",
    "visible_people",
    "visible_placements",
    "visible_touchpoints",
]


def get_person_for(user: User, pk: int) -> Person:
    return get_object_or_404(visible_people(user), pk=pk)


def get_placement_for(user: User, pk: int) -> Placement:
    return get_object_or_404(visible_placements(user), pk=pk)


def get_touchpoint_for(user: User, pk: int) -> Touchpoint:
    return get_object_or_404(visible_touchpoints(user), pk=pk)
