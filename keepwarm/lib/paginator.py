"""Pages of long lists whose count stops at a cap ("more than 1,000" instead of a scan),
and keyset pages that start at a cursor instead of counting past every row before it."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest

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
            return _counted(object_list, limit)
        return min(len(object_list), limit)

    @property
    def more_than(self) -> int | None:
        """How many rows the list has more than, when it was not counted to the end."""
        return self.counted_up_to if self.count > self.counted_up_to else None


class KeysetPage:
    """A page of a keyset-paged list: its rows, and the cursors of the pages either side.
    Iterates like Django's Page, so `record_read` and row templates take either."""

    def __init__(
        self,
        object_list: list[Any],
        paginator: KeysetPaginator,
        *,
        next_cursor: str = "",
        previous_cursor: str = "",
        is_first: bool = True,
    ) -> None:
        self.object_list = object_list
        self.paginator = paginator
        self.next_cursor = next_cursor
        self.previous_cursor = previous_cursor
        self.is_first = is_first

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return bool(self.next_cursor)

    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()


class KeysetPaginator:
    """Pages read from where the last one ended, in an order whose last column is unique
    (`("last_name", "first_name", "id")`, or all descending: `("-received_at", "-id")`).

    Page 40 costs what page 1 does: the database starts at the cursor in the order's index
    instead of counting past (OFFSET) every row before it. A cursor is the order's values
    of the row the page ends (`after`) or starts (`before`) at; a stale or mangled cursor
    gives the first page. The count is capped as CappedPaginator's (`more_than`).

    `load`, when given, turns a page's ids into its rows: the page is then found from the
    order's columns alone (which an index may hold) and only its rows are read whole.
    `count_of`, when given, counts the list up to a limit more cheaply than the page's
    query can (the ids of whom a consultant may see, without reading each person).
    `find`, when given, finds a page's rows itself: `find(cursor, ascending, limit)` gives
    the order's values of the first `limit` rows past `cursor` (None: from the start), in
    the order or its reverse, from a statement written once for a list read on every page
    view (the consultant's people: care.queries.visible_people_names). The order's columns
    must not be null."""

    def __init__(
        self,
        queryset: QuerySet[Any],
        per_page: int,
        *,
        order: tuple[str, ...],
        load: Callable[[list[Any]], Iterable[Any]] | None = None,
        count_of: Callable[[int], int] | None = None,
        find: Callable[[list[Any] | None, bool, int], list[Any]] | None = None,
        cap: int = COUNT_CAP,
    ) -> None:
        descending = {name.startswith("-") for name in order}
        if len(descending) != 1:
            raise ValueError("a keyset order runs one way: all ascending or all descending")
        self.descending = descending.pop()
        if find is not None and load is None:
            raise ValueError("a list found by its order's columns needs `load`")
        self.fields = tuple(name.lstrip("-") for name in order)
        self.queryset = queryset
        self.per_page = per_page
        self.load = load
        self.count_of = count_of
        self.find = find
        self.cap = cap
        self.counted_up_to = cap

    @cached_property
    def count(self) -> int:
        """Rows up to the cap + 1: one more than the cap means the list goes on."""
        if self.count_of is not None:
            return self.count_of(self.cap + 1)
        return _counted(self.queryset, self.cap + 1)

    @property
    def more_than(self) -> int | None:
        return self.cap if self.count > self.cap else None

    def page(self, *, after: str | None = None, before: str | None = None) -> KeysetPage:
        """The page after the cursor `after`, else the one before `before`, else the first."""
        start = self._decode(after) if after else None
        end = self._decode(before) if before and start is None else None
        if end is not None:
            rows = self._rows(end, forward=False)
            rows.reverse()
            # Going back: a page short of full means the list's start was reached.
            if len(rows) <= self.per_page:
                return self.page()
            rows = rows[1:]
            return self._page(rows, has_more_after=True, has_more_before=True)
        rows = self._rows(start, forward=True)
        more = len(rows) > self.per_page
        return self._page(rows[: self.per_page], has_more_after=more, has_more_before=bool(start))

    def _page(self, rows: list[Any], *, has_more_after: bool, has_more_before: bool) -> KeysetPage:
        keys = [self._key(row) for row in rows]
        objects = self._objects(rows)
        return KeysetPage(
            objects,
            self,
            next_cursor=self._encode(keys[-1]) if has_more_after and keys else "",
            previous_cursor=self._encode(keys[0]) if has_more_before and keys else "",
            is_first=not has_more_before,
        )

    def _rows(self, cursor: list[Any] | None, *, forward: bool) -> list[Any]:
        ascending = forward != self.descending
        if self.find is not None:
            return self.find(cursor, ascending, self.per_page + 1)
        order = [name if ascending else f"-{name}" for name in self.fields]
        return list(self._top(self.queryset, cursor, order, ascending))

    def _top(
        self, qs: QuerySet[Any], cursor: list[Any] | None, order: list[str], ascending: bool
    ) -> QuerySet[Any]:
        """The first per_page + 1 rows of `qs` past `cursor`."""
        if cursor is not None:
            qs = qs.filter(_beyond(self.fields, cursor, ascending=ascending))
        qs = qs.order_by(*order)
        if self.load is not None:
            qs = qs.values_list(*self.fields)
        return qs[: self.per_page + 1]

    def _key(self, row: Any) -> list[Any]:
        if self.load is not None:
            return list(row)
        return [getattr(row, "pk" if name == "id" else name) for name in self.fields]

    def _objects(self, rows: list[Any]) -> list[Any]:
        if self.load is None:
            return rows
        ids = [row[-1] for row in rows]
        found = {obj.pk: obj for obj in self.load(ids)}
        return [found[pk] for pk in ids if pk in found]

    def _encode(self, key: list[Any]) -> str:
        text = json.dumps([_plain(value) for value in key], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    def _decode(self, cursor: str) -> list[Any] | None:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            values = json.loads(text)
            if not isinstance(values, list) or len(values) != len(self.fields):
                return None
            meta = self.queryset.model._meta
            return [
                meta.get_field(name).to_python(value)
                for name, value in zip(self.fields, values, strict=True)
            ]
        except (ValueError, TypeError, ValidationError, UnicodeDecodeError):
            return None


def _counted(qs: QuerySet[Any], limit: int) -> int:
    """How many of `qs`'s rows there are, up to `limit`. Unordered: any `limit` rows will
    do, so the database need not sort them all. Only the ids: a count of a slice keeps
    every column the list shows in its subquery (a referral's "may the reader open its
    people" columns matched the consultant's whole book again, for nothing)."""
    return qs.order_by().values("pk")[:limit].count()


def _plain(value: Any) -> Any:
    # Whole microseconds: DjangoJSONEncoder keeps milliseconds, and a cursor a little
    # before its row would show that row again.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _beyond(fields: tuple[str, ...], key: list[Any], *, ascending: bool) -> Q:
    """Rows after `key` in the order of `fields` (lexicographic). The leading `>=` on the
    first column is implied by the rest; it is there so either engine starts an index
    range at the cursor instead of filtering every row."""
    op = "gt" if ascending else "lt"
    beyond = Q()
    for i, name in enumerate(fields):
        same = {field: value for field, value in zip(fields[:i], key[:i], strict=True)}
        beyond |= Q(**same, **{f"{name}__{op}": key[i]})
    return Q(**{f"{fields[0]}__{op}e": key[0]}) & beyond


def keyset_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    per_page: int,
    *,
    order: tuple[str, ...],
    load: Callable[[list[Any]], Iterable[Any]] | None = None,
    count_of: Callable[[int], int] | None = None,
    find: Callable[[list[Any] | None, bool, int], list[Any]] | None = None,
) -> KeysetPage:
    """The page of a list that the request's `after` or `before` cursor asks for."""
    paginator = KeysetPaginator(
        queryset, per_page, order=order, load=load, count_of=count_of, find=find
    )
    return paginator.page(after=request.GET.get("after"), before=request.GET.get("before"))


def keyset_chunks(
    queryset: QuerySet[Any], fields: list[str], *, order: tuple[str, ...], chunk: int
) -> Iterator[tuple[Any, ...]]:
    """Every row of `queryset` as a tuple of `fields`, in `order` (as KeysetPaginator's),
    read `chunk` rows per query from where the last chunk ended: a long download holds no
    cursor or transaction open between chunks and never counts past rows it has sent."""
    names = tuple(name.lstrip("-") for name in order)
    ascending = not order[0].startswith("-")
    if {name.startswith("-") for name in order} != {not ascending}:
        raise ValueError("a keyset order runs one way: all ascending or all descending")
    width = len(fields)
    rows_of = queryset.order_by(*order).values_list(*fields, *names)
    key: list[Any] | None = None
    while True:
        found = rows_of if key is None else rows_of.filter(_beyond(names, key, ascending=ascending))
        rows = list(found[:chunk])
        for row in rows:
            yield row[:width]
        if len(rows) < chunk:
            return
        key = list(rows[-1][width:])
