"""Report figures about the agency's business around placements: referrals and leads,
newsletter engagement, and each client's health. Grouped reads, as in queries.py."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate

from keepwarm.care.models import Audience
from keepwarm.mail.models import OutboxMessage
from keepwarm.network.models import IntelNote, Lead, Referral
from keepwarm.newsletters.models import Issue
from keepwarm.newsletters.queries import issue_engagement, issue_progress
from keepwarm.people.models import Company
from keepwarm.placements.models import Placement
from keepwarm.reports.queries import MONEY, ZERO, NpsFigure, Scope, nps_counts
from keepwarm.surveys.models import Answer, Question

# --- Referrals and leads ----------------------------------------------------------------

REFERRAL_WON = (
    Referral.Status.PLACED,
    Referral.Status.WON,
    Referral.Status.REWARD_DUE,
    Referral.Status.PAID,
)


@dataclass
class Network:
    referrals: list[dict[str, Any]]  # per kind
    leads: dict[str, Any]


def network(scope: Scope) -> Network:
    """Referrals and leads received in the period, and the placements and fees they led to."""
    refs: QuerySet[Referral] = Referral.objects.filter(
        received_at__date__gte=scope.start, received_at__date__lte=scope.end
    )
    if scope.owner_id:
        refs = refs.filter(owner_id=scope.owner_id)
    if scope.company_id or scope.sector:
        refs = scope.narrow(refs.filter(placement__isnull=False), "placement", by_owner=False)
    referral_rows = []
    # "Candidate referrals", not the choice's own "A candidate" (who made the referral).
    kinds = {Referral.Kind.CANDIDATE: "Candidate", Referral.Kind.CLIENT: "Client"}
    for row in (
        refs.values("kind")
        .annotate(
            received=Count("id"),
            contacted=Count("id", filter=~Q(status=Referral.Status.RECEIVED)),
            won=Count("id", filter=Q(status__in=REFERRAL_WON) | Q(placement__isnull=False)),
            revenue=Coalesce(Sum("placement__fee"), ZERO),
            rewards_due=Coalesce(
                Sum("reward_amount", filter=Q(status=Referral.Status.REWARD_DUE)), ZERO
            ),
            rewards_paid=Coalesce(
                Sum("reward_amount", filter=Q(status=Referral.Status.PAID)), ZERO
            ),
        )
        .order_by("kind")
    ):
        referral_rows.append({**row, "label": str(kinds.get(row["kind"], row["kind"]))})
    leads = Lead.objects.filter(
        received_at__date__gte=scope.start, received_at__date__lte=scope.end
    )
    if scope.owner_id:
        leads = leads.filter(owner_id=scope.owner_id)
    if scope.company_id:
        leads = leads.filter(company_id=scope.company_id)
    if scope.sector:
        leads = leads.filter(company__sector=scope.sector)
    # The business a converted lead led to: placements at its company since it came in.
    since = Placement.objects.filter(
        company=OuterRef("company"), start_date__gte=OuterRef("received_on")
    ).exclude(status=Placement.Status.FELL_OFF)
    placed = since.values("company").annotate(n=Count("id")).values("n")
    fees = since.values("company").annotate(s=Sum("fee")).values("s")
    lead_figures = (
        leads.annotate(received_on=TruncDate("received_at"))
        .annotate(
            placed_n=Coalesce(Subquery(placed, output_field=IntegerField()), 0),
            fee_sum=Coalesce(Subquery(fees, output_field=MONEY), ZERO),
        )
        .aggregate(
            received=Count("id"),
            converted=Count("id", filter=Q(status=Lead.Status.CONVERTED)),
            discarded=Count("id", filter=Q(status=Lead.Status.DISCARDED)),
            placements=Coalesce(Sum("placed_n"), 0),
            revenue=Coalesce(Sum("fee_sum"), ZERO),
        )
    )
    return Network(referrals=referral_rows, leads=lead_figures)


# --- Newsletters ------------------------------------------------------------------------

SENT_STATES = (Issue.State.SENDING, Issue.State.PAUSED, Issue.State.SENT)


def newsletter_issues(scope: Scope, *, limit: int = 24) -> list[dict[str, Any]]:
    """Per issue sent in the period: copies, sent, failed, bounces, complaints, unsubscribes
    (what the outbox and the receiving side's reports hold), and for issues of newsletters
    that track them (off by default) unique opens and clicks; `engagement` is None for the
    others, whose `untracked_because` says why."""
    issues = (
        Issue.objects.filter(
            state__in=SENT_STATES,
            scheduled_for__date__gte=scope.start,
            scheduled_for__date__lte=scope.end,
        )
        .select_related("newsletter")
        .order_by("-scheduled_for", "-id")
    )
    if scope.owner_id:
        issues = issues.filter(newsletter__audience__consultant_id=scope.owner_id)
    result = []
    for issue in issues[:limit]:  # one grouped range scan per issue, at most `limit`
        progress = issue_progress(issue)
        sent = progress.get(OutboxMessage.State.SENT, 0) + progress.get(
            OutboxMessage.State.CAPTURED, 0
        )
        result.append(
            {
                "issue": issue,
                "copies": progress["total"],
                "sent": sent,
                "failed": progress.get(OutboxMessage.State.FAILED, 0),
                "bounced": progress["bounced"],
                "complained": progress["complained"],
                "unsubscribed": progress["unsubscribed"],
                "delivered": progress["delivered"],
                "bounce_percent": round(100 * progress["bounced"] / sent, 1) if sent else None,
                "unsubscribe_percent": (
                    round(100 * progress["unsubscribed"] / sent, 1) if sent else None
                ),
                "engagement": issue_engagement(issue, sent=sent),
            }
        )
    return result


# --- Client health ----------------------------------------------------------------------


def client_health(scope: Scope, *, limit: int = 100) -> list[dict[str, Any]]:
    """Per client with placements in the period: how the hires do, how the client answers,
    repeat business, and what the agency has noted about them."""
    placements = scope.placements()
    in_period = placements.filter(start_date__gte=scope.start, start_date__lte=scope.end)
    per_company = list(
        in_period.values("company_id")
        .annotate(
            placed=Count("id"),
            in_post=Count("id", filter=~Q(status__in=Placement.ENDED)),
            ended=Count("id", filter=Q(status__in=Placement.ENDED)),
            fees=Coalesce(Sum("fee"), ZERO),
        )
        .order_by("-placed", "company_id")[:limit]
    )
    ids = [r["company_id"] for r in per_company]
    earlier = dict(
        placements.filter(company_id__in=ids, start_date__lt=scope.start)
        .values("company_id")
        .annotate(n=Count("id"))
        .values_list("company_id", "n")
        .order_by()
    )
    client_answers = Answer.objects.filter(
        response__placement__company_id__in=ids,
        response__placement__in=placements.values("pk"),
        response__questionnaire__audience=Audience.CLIENT,
        response__submitted_at__date__gte=scope.start,
        response__submitted_at__date__lte=scope.end,
    )
    company = "response__placement__company_id"
    targets: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        client_answers.filter(question__code__startswith="target:")
        .values(company, "value_text")
        .annotate(n=Count("id"))
        .order_by()
    ):
        targets[row[company]][row["value_text"]] = row["n"]
    client_nps: dict[int, NpsFigure] = {}
    for row in (
        client_answers.filter(question__kind=Question.Kind.NPS, value_number__isnull=False)
        .values(company)
        .annotate(**nps_counts())
        .order_by()
    ):
        client_nps[row[company]] = NpsFigure(row["promoters"], row["passives"], row["detractors"])
    intel = {
        row["company_id"]: row
        for row in IntelNote.objects.filter(company_id__in=ids)
        .values("company_id")
        .annotate(n=Count("id"), latest=Max("noted_on"))
        .order_by()
    }
    companies = Company.objects.in_bulk(ids)
    result = []
    for row in per_company:
        cid = row["company_id"]
        answered = targets.get(cid, {})
        result.append(
            {
                "company": companies[cid],
                "placed": row["placed"],
                "in_post": row["in_post"],
                "ended": row["ended"],
                "fees": row["fees"],
                "repeat": bool(earlier.get(cid)) or row["placed"] > 1,
                "earlier": earlier.get(cid, 0),
                "targets_met": answered.get("met", 0) + answered.get("on_track", 0),
                "targets_behind": answered.get("behind", 0),
                "nps": client_nps.get(cid, NpsFigure()),
                "intel_notes": intel.get(cid, {}).get("n", 0),
                "latest_intel": intel.get(cid, {}).get("latest"),
            }
        )
    return result
