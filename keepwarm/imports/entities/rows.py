"""What every kind of row shares: the row itself, the run's context (who imports, the
report spool, lookups by external id, consultant and company name), and the repeats a
batch meets. Each kind's handler lives in its own module beside this one.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from keepwarm.accounts.models import User
from keepwarm.audit.recording import record_created
from keepwarm.imports.models import ExternalRef, ImportRun, RowResult
from keepwarm.lib.bulk import insert_rows, staged
from keepwarm.people.models import Company, Person

Outcome = RowResult.Outcome


@dataclass
class Row:
    line: int
    values: dict[str, str]
    fingerprint: str

    def get(self, name: str) -> str:
        return self.values.get(name, "")


class RowSpool:
    """Row results written to a temporary file while the import runs, so a dry run's report
    survives its rollback and a big import holds no results in memory."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
        self.batch: list[dict[str, Any]] = []

    def add(self, **result: Any) -> None:
        self.batch.append(result)

    def end_batch(self) -> None:
        """Spool the batch's results in line order: a handler reports its repeats and
        rejections as it meets them and what it wrote afterwards, and the report reads
        best in the file's own order."""
        for result in sorted(self.batch, key=lambda r: r["line"]):
            self.file.write(json.dumps(result) + "\n")
        self.batch = []

    def save(self, run: ImportRun) -> None:
        self.end_batch()
        self.file.seek(0)
        insert_rows(RowResult, ({"run_id": run.pk, **json.loads(line)} for line in self.file))

    def close(self) -> None:
        self.file.close()


@dataclass
class Context:
    run: ImportRun
    by: User
    today: dt.date
    month_first: bool
    spool: RowSpool = field(default_factory=RowSpool)
    counts: Counter[str] = field(default_factory=Counter)
    file_name: str = ""
    _users: dict[str, int] | None = None
    _companies: dict[str, int] | None = None
    _user_objects: dict[int, User] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.run.source

    def record(
        self,
        entity: str,
        row: Row,
        outcome: str,
        *,
        label: str = "",
        reason: str = "",
        target: str = "",
    ) -> None:
        self.counts[outcome] += 1
        self.spool.add(
            entity=entity,
            file_name=self.file_name[:200],
            line=row.line,
            outcome=outcome,
            external_id=row.get("external_id")[:100],
            label=label[:200],
            reason=reason,
            target=target,
        )

    def owner_id(self, name: str) -> int | None:
        """A consultant by username, email or full name, any case."""
        if self._users is None:
            self._users = {}
            for pk, username, email, first, last in User.objects.values_list(
                "pk", "username", "email", "first_name", "last_name"
            ):
                for key in (username, email, f"{first} {last}"):
                    if key.strip():
                        self._users.setdefault(" ".join(key.lower().split()), pk)
        return self._users.get(" ".join(name.lower().split())) if name else None

    def user(self, pk: int) -> User:
        if pk not in self._user_objects:
            self._user_objects[pk] = User.objects.get(pk=pk)
        return self._user_objects[pk]

    def company_by_name(self, name: str) -> int | None:
        if self._companies is None:
            self._companies = {}
            for pk, company_name in Company.objects.values_list("pk", "name").order_by("pk"):
                self._companies.setdefault(company_name.strip().lower(), pk)
        return self._companies.get(name.strip().lower())

    def remember_company(self, name: str, pk: int) -> None:
        if self._companies is not None:
            self._companies.setdefault(name.strip().lower(), pk)

    def refs(self, entity: str, ids: list[str]) -> dict[str, ExternalRef]:
        wanted = [i for i in dict.fromkeys(ids) if i]
        if not wanted:
            return {}
        return {
            ref.external_id: ref
            for ref in ExternalRef.objects.filter(
                source=self.source, entity=entity, external_id__any_of=wanted
            )
        }

    def ref_ids(self, entity: str, ids: list[str]) -> dict[str, int]:
        """External id -> Keepwarm id, for rows that only refer to objects of `entity`
        (a placement's candidate, a contact's company): no ExternalRef instance each."""
        return self._ref_column(entity, ids, "object_id")

    def ref_data(self, entity: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        """External id -> what the import kept of it (a job order's title, client and
        owner), for rows that only read it: a placement batch names a thousand job
        orders, and an ExternalRef instance each cost more than the lookup."""
        return self._ref_column(entity, ids, "data")

    def _ref_column(self, entity: str, ids: list[str], column: str) -> dict[str, Any]:
        wanted = [i for i in dict.fromkeys(ids) if i]
        if not wanted:
            return {}
        return dict(
            ExternalRef.objects.filter(
                source=self.source, entity=entity, external_id__any_of=wanted
            ).values_list("external_id", column)
        )

    def known_refs(self, wanted: dict[str, Iterable[str]]) -> dict[str, dict[str, ExternalRef]]:
        """The external ids a batch names, of each kind in `wanted` (entity -> ids), that
        earlier imports wrote: entity -> external id -> its ExternalRef. Matched in SQL,
        one statement for every kind (see match_keys), not a lookup per kind."""
        keys = {(entity, ext) for entity, ids in wanted.items() for ext in ids if ext}
        found: dict[str, dict[str, ExternalRef]] = {entity: {} for entity in wanted}
        for row in match_keys(keys, lambda table: (refs_sql(table), [self.source])):
            ref = self.ref_from(row)
            found[ref.entity][ref.external_id] = ref
        return found

    def ref_from(self, row: tuple[Any, ...]) -> ExternalRef:
        """An ExternalRef as refs_sql reads it."""
        entity, pk, external_id, object_id, fingerprint, data, first_run_id = row
        ref = ExternalRef(
            pk=pk, source=self.source, entity=entity, external_id=external_id,
            object_id=object_id, fingerprint=fingerprint, data=json.loads(data),
            first_run_id=first_run_id,
        )  # fmt: skip
        ref._state.adding = False
        ref._state.db = connection.alias
        return ref

    def new_ref(
        self, entity: str, external_id: str, pk: int, row: Row, **data: Any
    ) -> dict[str, Any]:
        """The ExternalRef row that knows `row` as object `pk` on the next import, as
        insert_rows takes it (an import makes one per row; no instance is needed)."""
        return {
            "source": self.source,
            "entity": entity,
            "external_id": external_id,
            "object_id": pk,
            "fingerprint": row.fingerprint,
            "data": data,
            "first_run_id": self.run.pk,
        }


# A batch's keys, staged for matching in SQL: (kind, key), where the kind is an entity
# for an external id of that entity, or names another key ("email", "phone"). Text of
# any length: a cell longer than any column matches nothing, as before, and fails no COPY.
MATCH_KEYS = (("kind", "text"), ("key", "text"))
# The columns every matching statement gives, refs_sql's first: kind, id, key, object id,
# fingerprint, data (text), first run; another kind's SELECT fills them as it needs.
REF_COLUMNS = 7


def match_keys(
    keys: set[tuple[str, str]], sql: Callable[[str], tuple[str, list[Any]]]
) -> list[tuple[Any, ...]]:
    """The rows `sql(table)` selects, `table` being the staged `keys` (COPY on
    PostgreSQL): a batch is matched against what Keepwarm holds by joins in one statement,
    not by a query per kind of key."""
    if not keys:
        return []
    with staged("import_match_keys", MATCH_KEYS, sorted(keys)) as table:
        query, params = sql(table)
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return list(cursor.fetchall())


def refs_sql(table: str) -> str:
    """The ExternalRefs of the staged keys whose kind is an entity (one parameter: the
    run's source), as Context.ref_from reads them."""
    refs = connection.ops.quote_name(ExternalRef._meta.db_table)
    # Table names come from code and the model; the keys are rows of the staged table.
    return (
        "SELECT k.kind, r.id, r.external_id, r.object_id, r.fingerprint, "  # noqa: S608
        "CAST(r.data AS text), r.first_run_id "
        f"FROM {table} k JOIN {refs} r "
        "ON r.source = %s AND r.entity = k.kind AND r.external_id = k.key"
    )


class Repeats:
    """The ids a batch has met so far. An export may list a row twice; the first line is
    the one imported, and a second would write the same external id again."""

    def __init__(self, ctx: Context, entity: str) -> None:
        self.ctx, self.entity = ctx, entity
        self.lines: dict[str, int] = {}  # id -> the line that brought it

    def repeated(self, row: Row, key: str, *, label: str) -> bool:
        """Whether `key` came earlier in the batch; if so the row is reported as a repeat."""
        if key in self.lines:
            reason = f"repeats line {self.lines[key]}"
            self.ctx.record(self.entity, row, Outcome.UNCHANGED, label=label, reason=reason)
            return True
        if key:
            self.lines[key] = row.line
        return False


def people_by_email(rows: list[Row]) -> dict[str, int]:
    """The people the rows name by email (a placement's or a note's `person_email`)."""
    emails = [r.get("person_email").lower() for r in rows if r.get("person_email")]
    if not emails:
        return {}
    return dict(Person.objects.filter(email__any_of=emails).values_list("email", "pk"))


def company_named(ctx: Context, name: str) -> int:
    """A company by name, created when no company has that name (other CSVs name them)."""
    pk = ctx.company_by_name(name)
    if pk is None:
        company = Company.objects.create(name=name[:200])
        record_created(company)
        pk = company.pk
        ctx.remember_company(name, pk)
    return pk
