"""The figures behind each report, read with grouped queries.

Every read here is an aggregate the database does (COUNT/SUM grouped by a few columns);
Python only walks the groups, whose number is bounded by days, consultants or clients,
never by placements. A `Scope` carries the filters and who is asking: a consultant's
reports are their own figures, whatever the URL says.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    Func,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least, TruncMonth

from keepwarm.accounts.models import User
from keepwarm.care.models import NOT_REACHED, SENT_BY_WORKER, Audience, Kind, Touchpoint
from keepwarm.lib.dates import add_working_days
from keepwarm.people.models import Company, GuaranteeUnit
from keepwarm.placements.models import Placement
from keepwarm.reports.models import RebatePayment
from keepwarm.reports.survival import CAP, HORIZONS, Curve, kaplan_meier
from keepwarm.signals.models import Alert
from keepwarm.surveys.models import Answer, Question

# Month-by-month figures over centuries help nobody and would draw thousands of points.
MAX_PERIOD_DAYS = 20 * 366

_M = TypeVar("_M", bound=Model)

MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


@dataclass(frozen=True)
class Scope:
    user: User
    start: dt.date
    end: dt.date
    today: dt.date
    consultant_id: int | None = None
    company_id: int | None = None
    sector: str = ""

    def placements(self) -> QuerySet[Placement]:
        """Placements these figures may count: a consultant's own, or the filtered team's."""
        qs = Placement.objects.all()
        owner_id = self.consultant_id if self.user.sees_whole_team else self.user.pk
        if owner_id:
            qs = qs.filter(owner_id=owner_id)
        if self.company_id:
            qs = qs.filter(company_id=self.company_id)
        if self.sector:
            qs = qs.filter(company__sector=self.sector)
        return qs

    def narrow(self, qs: QuerySet[_M], path: str, *, by_owner: bool = True) -> QuerySet[_M]:
        """`qs` limited to rows whose placement (at `path`, e.g. "response__placement") is in
        scope, by joins rather than an IN over every placement id. `by_owner=False` when the
        caller filters on its own owner column (who did the call, who handles a referral)."""
        if by_owner and self.owner_id:
            qs = qs.filter(**{f"{path}__owner_id": self.owner_id})
        if self.company_id:
            qs = qs.filter(**{f"{path}__company_id": self.company_id})
        if self.sector:
            qs = qs.filter(**{f"{path}__company__sector": self.sector})
        return qs

    @property
    def owner_id(self) -> int | None:
        return self.consultant_id if self.user.sees_whole_team else self.user.pk

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters (for the CSV link and the API)."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.user.sees_whole_team and self.consultant_id:
            params["consultant"] = str(self.consultant_id)
        if self.company_id:
            params["client"] = str(self.company_id)
        if self.sector:
            params["sector"] = self.sector
        return params


def _names(model: Any, ids: Iterable[int | None], attr: str) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {obj.pk: str(getattr(obj, attr)) for obj in model.objects.filter(pk__in=wanted)}


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=wanted)}


# --- Retention --------------------------------------------------------------------------

BY_CHOICES = {"consultant": "owner_id", "client": "company_id", "sector": "company__sector"}


@dataclass
class RetentionRow:
    key: Any
    name: str
    curve: Curve

    @property
    def figures(self) -> list[float | None]:
        return [self.curve.at(h) for h in HORIZONS]


@dataclass
class Retention:
    overall: Curve
    rows: list[RetentionRow]
    by: str
    excluded: int = 0  # ended without a leaving date: cannot be placed on the curve


class DaysBetween(Func):
    """Whole days from the second date to the first, computed by the database itself
    (Django's portable date arithmetic runs a Python function per row on SQLite)."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]
        # PostgreSQL: date - date is an integer number of days.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return Func.as_sql(
            self,
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def retention(scope: Scope, *, by: str = "consultant") -> Retention:
    """Survival at 30/90/180/365 days of placements started in the period."""
    by = by if by in BY_CHOICES else "consultant"
    group = BY_CHOICES[by]
    qs = scope.placements().filter(
        start_date__gte=scope.start, start_date__lte=min(scope.end, scope.today)
    )
    # A finished contract is no fall-off: it is watched until its end date, then censored.
    watched_until = Case(
        When(status__in=Placement.ENDED, then=F("left_on")),
        When(end_date__lt=scope.today, then=F("end_date")),
        default=Value(scope.today),
        output_field=DateField(),
    )
    # Grouped by whole days watched (capped past the last horizon), not by dates: at most
    # CAP + 1 groups per consultant, client or sector, however many placements there are.
    rows = (
        qs.annotate(
            ended=Case(When(status__in=Placement.ENDED, then=1), default=0),
            unknown=Case(When(status__in=Placement.ENDED, left_on__isnull=True, then=1), default=0),
            days=Least(DaysBetween(watched_until, F("start_date")), Value(CAP)),
        )
        .values(group, "ended", "unknown", "days")
        .annotate(n=Count("id"))
        .order_by()
        .values_list(group, "ended", "unknown", "days", "n")
    )
    overall: list[tuple[int, bool, int]] = []
    grouped: dict[Any, list[tuple[int, bool, int]]] = defaultdict(list)
    excluded = 0
    for key, ended, unknown, days, n in rows:
        if unknown:  # ended without a leaving date: cannot be placed on the curve
            excluded += n
            continue
        obs = (days, bool(ended), n)
        overall.append(obs)
        grouped[key].append(obs)
    if by == "consultant":
        names = user_names(grouped)
    elif by == "client":
        names = _names(Company, grouped, "name")
    else:
        names = {k: k or "No sector" for k in grouped}
    result = [
        RetentionRow(key=key, name=names.get(key, "—"), curve=kaplan_meier(obs))
        for key, obs in grouped.items()
    ]
    result.sort(key=lambda r: (-r.curve.placements, r.name))
    return Retention(overall=kaplan_meier(overall), rows=result, by=by, excluded=excluded)


# --- Fall-offs and rebates --------------------------------------------------------------


@dataclass
class FallOffReason:
    reason: str
    label: str
    inside: int = 0
    after: int = 0
    rebate_owed: Decimal = Decimal("0.00")
    rebate_paid: Decimal = Decimal("0.00")


@dataclass
class FallOffs:
    reasons: list[FallOffReason]
    placements: int  # started in the period, for the rate

    @property
    def inside(self) -> int:
        return sum(r.inside for r in self.reasons)

    @property
    def after(self) -> int:
        return sum(r.after for r in self.reasons)

    @property
    def rebate_owed(self) -> Decimal:
        return sum((r.rebate_owed for r in self.reasons), Decimal("0.00"))

    @property
    def rebate_paid(self) -> Decimal:
        return sum((r.rebate_paid for r in self.reasons), Decimal("0.00"))


def _guarantee_end(start: dt.date, length: int, unit: str) -> dt.date:
    if unit == GuaranteeUnit.WORKING:
        return add_working_days(start, length)
    return start + dt.timedelta(days=length)


def fall_offs(scope: Scope) -> FallOffs:
    """Placements that ended in the period, by reason, inside the guarantee or after it."""

    ended = scope.placements().filter(
        status__in=Placement.ENDED, left_on__gte=scope.start, left_on__lte=scope.end
    )
    # One payment per placement at most (one-to-one), so the join repeats no row.
    rows = (
        ended.values("leave_reason", "start_date", "left_on", "guarantee_length", "guarantee_unit")
        .annotate(
            n=Count("id"),
            owed=Coalesce(Sum("rebate_owed"), ZERO),
            paid_sum=Coalesce(Sum("rebate_payment__amount"), ZERO),
        )
        .order_by()
    )
    labels = dict(Placement.LeaveReason.choices)
    by_reason: dict[str, FallOffReason] = {}
    for row in rows:
        reason = row["leave_reason"] or "other"
        item = by_reason.setdefault(
            reason, FallOffReason(reason=reason, label=str(labels.get(reason, "Other")))
        )
        end = _guarantee_end(row["start_date"], row["guarantee_length"], row["guarantee_unit"])
        if row["left_on"] <= end:
            item.inside += row["n"]
        else:
            item.after += row["n"]
        item.rebate_owed += row["owed"]
        item.rebate_paid += row["paid_sum"]
    started = (
        scope.placements().filter(start_date__gte=scope.start, start_date__lte=scope.end).count()
    )
    reasons = sorted(by_reason.values(), key=lambda r: (-(r.inside + r.after), r.label))
    return FallOffs(reasons=reasons, placements=started)


def rebates_outstanding(scope: Scope) -> QuerySet[Placement]:
    """Fall-offs in the period with a rebate owed, and what has been paid of it."""
    paid = RebatePayment.objects.filter(placement=OuterRef("pk"))
    return (
        scope.placements()
        .filter(
            status__in=Placement.ENDED,
            left_on__gte=scope.start,
            left_on__lte=scope.end,
            rebate_owed__gt=0,
        )
        .annotate(
            paid_amount=Subquery(paid.values("amount")[:1], output_field=MONEY),
            paid_on=Subquery(paid.values("paid_on")[:1]),
        )
        .select_related("person", "company", "owner")
        .order_by("-left_on", "-id")
    )


# --- Check-in discipline ----------------------------------------------------------------


@dataclass
class DisciplineRow:
    owner_id: int
    name: str
    on_time: int
    late: int
    missed: int
    skipped: int

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.missed + self.skipped

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.total) if self.total else None


def discipline(scope: Scope) -> list[DisciplineRow]:
    """Calls and meetings due in the period, per consultant: done on time, late, missed.

    Check-in emails and questionnaires are left out: the worker sends those by itself.
    A planned one whose day has passed counts as missed, as the worker will mark it. A call
    tried without reaching anyone is judged by the day it was first due (retries move its
    due date): missed until someone is reached, then late. The tries themselves (done calls
    that reached nobody) are not calls that were due, and are not counted.
    """
    last = min(scope.end, scope.today - dt.timedelta(days=1))
    qs = Touchpoint.objects.exclude(kind__in=(*SENT_BY_WORKER, Kind.NOTE))
    # Naming every owner and state lets the (owner, state, due_on) index serve the date range
    # as a few hundred short range scans instead of a scan of every touchpoint (2.4x on SQLite).
    owners = [scope.owner_id] if scope.owner_id else list(User.objects.values_list("pk", flat=True))
    qs = qs.filter(owner_id__in=owners, state__in=Touchpoint.State.values)
    if scope.company_id or scope.sector:
        qs = scope.narrow(qs, "placement", by_owner=False)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    # Most calls were never retried and are found by due_on; the few retried ones by the
    # small partial index on first_due_on, read first by itself: joined with the filters
    # above, SQLite would rather read every touchpoint of each owner.
    never_retried = qs.filter(due_on__gte=scope.start, due_on__lte=last, first_due_on=None)
    retried_ids = Touchpoint.objects.filter(
        first_due_on__gte=scope.start, first_due_on__lte=last
    ).values_list("id", flat=True)
    retried = qs.filter(pk__in=list(retried_ids))
    for found, due_day in ((never_retried, "due_on"), (retried, "first_due_on")):
        for row in _discipline_counts(found, due_day):
            for name, value in row.items():
                if name != "owner_id":
                    counts[row["owner_id"]][name] += value
    names = user_names(counts)
    result = [
        DisciplineRow(
            owner_id=owner_id,
            name=names.get(owner_id, "—"),
            on_time=row["on_time"],
            late=row["late"],
            missed=row["missed"],
            skipped=row["skipped"],
        )
        for owner_id, row in counts.items()
    ]
    return sorted(result, key=lambda r: r.name)


def _discipline_counts(qs: QuerySet[Touchpoint], due_day: str) -> Iterable[dict[str, Any]]:
    """Per owner: on time, late, missed and skipped, judged against the `due_day` column."""
    reached = Q(state=Touchpoint.State.DONE) & ~Q(outcome__in=NOT_REACHED)
    return (
        qs.values("owner_id")
        .annotate(
            # Done with no time recorded (imported history) gets the benefit of the doubt.
            on_time=Count(
                "id",
                filter=reached & (Q(done_at__date__lte=F(due_day)) | Q(done_at__isnull=True)),
            ),
            late=Count("id", filter=reached & Q(done_at__date__gt=F(due_day))),
            missed=Count(
                "id", filter=Q(state__in=(Touchpoint.State.MISSED, Touchpoint.State.PLANNED))
            ),
            skipped=Count("id", filter=Q(state=Touchpoint.State.SKIPPED)),
        )
        .order_by()
    )


# --- NPS --------------------------------------------------------------------------------


# Below this many answers one happy client reads "+100": no score is shown, only the count.
MIN_NPS_ANSWERS = 10


@dataclass
class NpsFigure:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> int | None:
        """Net Promoter Score: % promoters (9–10) minus % detractors (0–6); None until
        there are MIN_NPS_ANSWERS answers to go on."""
        if self.answers < MIN_NPS_ANSWERS:
            return None
        return round(100 * (self.promoters - self.detractors) / self.answers)

    @property
    def wanting(self) -> str:
        """Why there is no score yet, in words: "3 answers so far — a score needs 10"."""
        n = self.answers
        so_far = "No answers yet" if not n else f"{n} answer{'' if n == 1 else 's'} so far"
        return f"{so_far} — a score needs {MIN_NPS_ANSWERS}"


@dataclass
class Nps:
    months: list[dt.date]
    by_month: dict[str, dict[dt.date, NpsFigure]]  # audience -> month -> figure
    by_consultant: list[tuple[str, NpsFigure, NpsFigure]]  # name, candidates, clients
    overall: dict[str, NpsFigure]


def nps_counts() -> dict[str, Any]:
    return {
        "promoters": Count("id", filter=Q(value_number__gte=9)),
        "passives": Count("id", filter=Q(value_number__gte=7, value_number__lt=9)),
        "detractors": Count("id", filter=Q(value_number__lt=7)),
    }


def nps_answers(scope: Scope) -> QuerySet[Answer]:
    answers = Answer.objects.filter(
        question__kind=Question.Kind.NPS,
        value_number__isnull=False,
        response__submitted_at__date__gte=scope.start,
        response__submitted_at__date__lte=scope.end,
    )
    return scope.narrow(answers, "response__placement")


def _month(day: dt.date | dt.datetime) -> dt.date:
    return dt.date(day.year, day.month, 1)


def nps(scope: Scope) -> Nps:
    """NPS of candidates and of clients, month by month and per consultant."""
    answers = nps_answers(scope)
    audience = "response__questionnaire__audience"
    monthly = (
        answers.annotate(month=TruncMonth("response__submitted_at"))
        .values(audience, "month")
        .annotate(**nps_counts())
        .order_by()
    )
    by_month: dict[str, dict[dt.date, NpsFigure]] = {a: {} for a in Audience.values}
    overall = {a: NpsFigure() for a in Audience.values}
    for row in monthly:
        figure = NpsFigure(row["promoters"], row["passives"], row["detractors"])
        by_month.setdefault(row[audience], {})[_month(row["month"])] = figure
        total = overall.setdefault(row[audience], NpsFigure())
        total.promoters += figure.promoters
        total.passives += figure.passives
        total.detractors += figure.detractors
    months = []
    month = _month(scope.start)
    while month <= scope.end:
        months.append(month)
        month = _month(month + dt.timedelta(days=32))
    owner = "response__placement__owner_id"
    per_owner: dict[int, dict[str, NpsFigure]] = defaultdict(dict)
    for row in answers.values(owner, audience).annotate(**nps_counts()).order_by():
        per_owner[row[owner]][row[audience]] = NpsFigure(
            row["promoters"], row["passives"], row["detractors"]
        )
    names = user_names(per_owner)
    by_consultant = sorted(
        (
            (
                names.get(owner_id, "—"),
                figures.get(Audience.CANDIDATE, NpsFigure()),
                figures.get(Audience.CLIENT, NpsFigure()),
            )
            for owner_id, figures in per_owner.items()
        ),
        key=lambda r: r[0],
    )
    return Nps(months=months, by_month=by_month, by_consultant=by_consultant, overall=overall)


def nps_comments(scope: Scope) -> QuerySet[Answer]:
    """Free-text answers given in the period, newest first, with the NPS of the same response."""
    score = Answer.objects.filter(
        response=OuterRef("response"), question__kind=Question.Kind.NPS
    ).values("value_number")[:1]
    texts = Answer.objects.filter(
        question__kind=Question.Kind.TEXT,
        response__submitted_at__date__gte=scope.start,
        response__submitted_at__date__lte=scope.end,
    )
    return (
        scope.narrow(texts, "response__placement")
        .exclude(value_text="")
        .annotate(nps=Subquery(score))
        .select_related(
            "question",
            "response__person",
            "response__questionnaire",
            "response__placement__owner",
            "response__placement__company",
        )
        .order_by("-response__submitted_at", "-id")
    )


# --- Alerts -----------------------------------------------------------------------------

OUTCOME_LABELS = {
    "improved": "Next answer better",
    "same": "Next answer the same",
    "worse": "Next answer worse",
    "waiting": "No answer since",
    "no_before": "No answer before to compare",
}


@dataclass
class AlertRow:
    owner_id: int
    name: str
    raised: int
    in_time: int
    late: int
    open: int
    overdue: int


@dataclass
class Alerts:
    rows: list[AlertRow]
    outcomes: dict[str, int] = field(default_factory=dict)

    def total(self, attr: str) -> int:
        return sum(getattr(r, attr) for r in self.rows)


def alerts(scope: Scope) -> Alerts:
    """Alerts raised in the period per consultant, closed within their due time or not, and
    whether the placement's next NPS answer was better than the one before the alert."""
    qs = scope.narrow(
        Alert.objects.filter(opened_at__date__gte=scope.start, opened_at__date__lte=scope.end),
        "placement",
    )
    now = dt.datetime.combine(scope.today, dt.time.max, tzinfo=dt.UTC)
    rows = list(
        qs.values("owner_id")
        .annotate(
            raised=Count("id"),
            in_time=Count("id", filter=Q(state=Alert.State.CLOSED, closed_at__lte=F("due_at"))),
            late=Count("id", filter=Q(state=Alert.State.CLOSED, closed_at__gt=F("due_at"))),
            open=Count("id", filter=Q(state=Alert.State.OPEN)),
            overdue=Count("id", filter=Q(state=Alert.State.OPEN, due_at__lt=now)),
        )
        .order_by()
    )
    names = user_names(r["owner_id"] for r in rows)
    result = [
        AlertRow(name=names.get(r["owner_id"], "—"), **r)
        for r in sorted(rows, key=lambda r: names.get(r["owner_id"], ""))
    ]
    nps_answer = Answer.objects.filter(
        response__placement=OuterRef("placement"), question__kind=Question.Kind.NPS
    )
    before = nps_answer.filter(response__submitted_at__lt=OuterRef("opened_at")).order_by(
        "-response__submitted_at", "-id"
    )
    after = nps_answer.filter(response__submitted_at__gt=OuterRef("opened_at")).order_by(
        "response__submitted_at", "id"
    )
    compared = (
        qs.annotate(
            before=Subquery(before.values("value_number")[:1]),
            after=Subquery(after.values("value_number")[:1]),
        )
        .annotate(
            outcome=Case(
                When(after__isnull=True, then=Value("waiting")),
                When(before__isnull=True, then=Value("no_before")),
                When(after__gt=F("before"), then=Value("improved")),
                When(after=F("before"), then=Value("same")),
                default=Value("worse"),
            )
        )
        .values("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    outcomes = dict.fromkeys(OUTCOME_LABELS, 0)
    for row in compared:
        outcomes[row["outcome"]] = row["n"]
    return Alerts(rows=result, outcomes=outcomes)
