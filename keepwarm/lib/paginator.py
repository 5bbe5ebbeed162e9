"""Pages of long lists whose count stops at a cap: "more than 1,000" instead of a scan."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

# Past this many rows a list says "more than 1,000": nobody pages through a thousand
# people, and counting every one of an agency's 200,000 read them all on each page view.
COUNT_CAP = 1000


class CappedPaginator(Paginator[Any]):
    """Django's paginator, counting at most `cap` rows (or as far as the page asked for,
    plus one): the count is exact up to there, and `more_than` says a list goes on.
    A page past the cap is still reachable (Next keeps working); its count reaches it."""

    def __init__(self, object_list: Any, per_page: int, *, cap: int = COUNT_CAP) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap
        self.counted_up_to = cap

    def get_page(self, number: Any) -> Page[Any]:
        self._reach(number)
        return super().get_page(number)

    def page(self, number: Any) -> Page[Any]:
        self._reach(number)
        return super().page(number)

    def _reach(self, number: Any) -> None:
        # Before anything reads `count`: a page beyond the cap counts up to itself.
        if "count" in self.__dict__:
            return
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        self.counted_up_to = max(self.cap, wanted * self.per_page)

    @cached_property
    def count(self) -> int:
        """Rows up to `counted_up_to` + 1: one more than that means the list goes on."""
        limit = self.counted_up_to + 1
        object_list = self.object_list
        if isinstance(object_list, QuerySet):
            # Unordered: any `limit` rows will do, so the database need not sort them all.
            return object_list.order_by()[:limit].count()
        return min(len(object_list), limit)

    @property
    def more_than(self) -> int | None:
        """How many rows the list has more than, when it was not counted to the end."""
        return self.counted_up_to if self.count > self.counted_up_to else None
