"""Answers remembered for one read-only request: a page asks who a consultant covers a dozen
times (every "may see" query), and the answer cannot change while it only reads.

Only GET and HEAD requests remember; anything else (a POST may set cover, then read)
and everything outside a request (the worker, the command line, tests calling services)
computes every time."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponseBase

T = TypeVar("T")

_memo: ContextVar[dict[Hashable, Any] | None] = ContextVar("request_memo", default=None)


def remembered(key: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`, once per read-only request for each `key`."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


class RequestMemoMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
