"""The network's cards on the person page, as parts the page reads with its others
(`lib.bulk.read_together`: one round trip on PostgreSQL for all of them)."""

from __future__ import annotations

from typing import Any

from keepwarm.accounts.models import User
from keepwarm.lib.bulk import Reading
from keepwarm.network import queries
from keepwarm.network.forms import StatementForm
from keepwarm.network.models import Lead, StatusStatement
from keepwarm.network.performance import Record, records_reading
from keepwarm.people.models import Person


def person_network(user: User, person: Person) -> Reading[dict[str, Any]]:
    """Referrals made and received (attribution both ways), leads given, latest statement;
    who referred them is named only if `user` may open that person too. What a person has
    is read with the page; the rest only for those who have some."""
    has = queries.network_of(person)
    return Reading(has.statements, lambda rows: _network_card(user, person, has.make(rows)))


def _network_card(user: User, person: Person, has: queries.NetworkOf) -> dict[str, Any]:
    referred_by, referrals_made = (
        queries.referrals_about(user, person) if has.referred or has.referring else ([], [])
    )
    return {
        "referred_by": referred_by,
        "referrals_made": referrals_made,
        # Only what the card writes of each lead: its full row and its company's are ~30
        # columns to compile.
        "leads_given": list(
            Lead.objects.filter(source=person)
            .only("id", "source", "company_name", "role_hint", "status", "received_at")
            .order_by("-received_at")[:20]
        )
        if has.leads
        else [],
        "statement": StatusStatement.objects.filter(pk=has.statement_id).first()
        if has.statement_id is not None
        else None,
        "statement_form": StatementForm(prefix="statement"),
    }


def performance_record(person: Person) -> Reading[Record | None]:
    """What the agency watched of `person` in each placement (None if never placed)."""
    records = records_reading([person.pk])
    return Reading(records.statements, lambda rows: records.make(rows).get(person.pk))
