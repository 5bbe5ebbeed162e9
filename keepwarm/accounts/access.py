"""Who is signed in, and which pages need more than signing in.

Every staff view reaches its user through `user_of(request)`, and a page for managers
or admins says so in its decorator instead of in its first lines. A role check that
fails is a 403 naming who may do it; what a signed-in user may *open* is the business
of the `get_<x>_for(user, pk)` helpers beside each `visible_<x>` query, which 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from keepwarm.accounts.models import User

View = TypeVar("View", bound=Callable[..., HttpResponse])


def user_of(request: HttpRequest) -> User:
    """The signed-in user of a request that passed `login_required` (or a role decorator)."""
    user = request.user
    assert isinstance(user, User), "user_of() needs a view behind login_required"
    return user


def _role_required(allowed: Callable[[User], bool], message: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not allowed(user_of(request)):
                raise PermissionDenied(message)
            return view(request, *args, **kwargs)

        # Signing in comes first: an anonymous visitor is sent to sign in, not refused.
        return cast(View, login_required(checked))

    return decorator


def admin_required(message: str) -> Callable[[View], View]:
    """Admins only (and superusers); anyone else signed in gets a 403 with `message`."""
    return _role_required(lambda user: user.is_admin, message)


def manager_required(message: str) -> Callable[[View], View]:
    """Managers and admins, who see the whole team; consultants get a 403 with `message`."""
    return _role_required(lambda user: user.sees_whole_team, message)
