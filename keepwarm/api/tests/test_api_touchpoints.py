from __future__ import annotations

import datetime as dt

from keepwarm.care.models import Touchpoint
from keepwarm.conftest import START


def _touchpoint(cast, **fields):
    values = {
        "person": cast.candidate,
        "placement": cast.placement,
        "kind": "call",
        "title": "Week one call",
        "due_on": START + dt.timedelta(days=7),
        "owner": cast.owner,
    }
    values.update(fields)
    return Touchpoint.objects.create(**values)


def test_planning_a_call_for_a_person(cast, api_as):
    response = api_as(cast.owner).post(
        "/touchpoints",
        {"person": cast.client_contact.pk, "placement": cast.placement.pk, "due_on": "2026-04-01"},
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["state"], body["owner"]) == ("call", "planned", "olivia_owner")
    assert body["title"] == "Call Harry Hughes"
    assert body["audience"] == "client"  # Harry is the hiring manager
    assert body["from_care_plan"] is False
    assert Touchpoint.objects.get(pk=body["id"]).due_on == dt.date(2026, 4, 1)


def test_planning_an_email_needs_a_subject(cast, api_as):
    response = api_as(cast.owner).post(
        "/touchpoints", {"person": cast.candidate.pk, "kind": "email", "due_on": "2026-04-01"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email_subject"
    assert not Touchpoint.objects.exists()


def test_questionnaires_cannot_be_planned_by_hand(cast, api_as):
    response = api_as(cast.owner).post(
        "/touchpoints",
        {"person": cast.candidate.pk, "kind": "questionnaire", "due_on": "2026-04-01"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


def test_a_placement_of_someone_else_is_refused(cast, api_as):
    from keepwarm.people.models import Person

    stranger = Person.objects.create(first_name="Sid", last_name="Stranger", owner=cast.owner)
    response = api_as(cast.owner).post(
        "/touchpoints",
        {"person": stranger.pk, "placement": cast.placement.pk, "due_on": "2026-04-01"},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "placement"


def test_list_touchpoints_filters_by_state_kind_due_and_owner(cast, api_as):
    _touchpoint(cast)
    _touchpoint(cast, kind="email", title="Month one", due_on=START + dt.timedelta(days=30))
    _touchpoint(cast, title="Done call", state="done", due_on=START)
    _touchpoint(cast, person=cast.client_contact, title="Client call", owner=cast.colleague)
    api = api_as(cast.owner)

    def titles(**filters):
        return [t["title"] for t in api.get("/touchpoints", **filters).json()["items"]]

    assert titles(state="planned", kind="call") == ["Week one call", "Client call"]
    assert titles(due_after="2026-03-09", due_before="2026-04-01") == [
        "Week one call",
        "Client call",
        "Month one",
    ]
    assert titles(owner="colin_cover") == ["Client call"]
    assert titles(person=cast.client_contact.pk) == ["Client call"]
    assert titles(placement=cast.placement.pk, state="done") == ["Done call"]


def test_consultant_cannot_see_other_consultants_touchpoints(cast, api_as):
    touchpoint = _touchpoint(cast)
    api = api_as(cast.outsider)

    assert api.get("/touchpoints").json()["count"] == 0
    assert api.get(f"/touchpoints/{touchpoint.pk}").status_code == 404
    assert api.patch(f"/touchpoints/{touchpoint.pk}", {"title": "x"}).status_code == 404


def test_rescheduling_a_planned_touchpoint(cast, api_as):
    touchpoint = _touchpoint(cast)

    response = api_as(cast.owner).patch(
        f"/touchpoints/{touchpoint.pk}", {"due_on": "2026-03-12", "owner": "colin_cover"}
    )

    assert response.status_code == 200
    touchpoint.refresh_from_db()
    assert touchpoint.due_on == dt.date(2026, 3, 12)
    assert touchpoint.owner == cast.colleague


def test_done_touchpoints_are_history_and_do_not_change(cast, api_as):
    touchpoint = _touchpoint(cast, state="done")

    response = api_as(cast.owner).patch(f"/touchpoints/{touchpoint.pk}", {"title": "Rewritten"})

    assert response.status_code == 409
    assert "only planned" in response.json()["detail"]
    touchpoint.refresh_from_db()
    assert touchpoint.title == "Week one call"


def test_logging_a_planned_call_as_done_plans_the_follow_up(cast, api_as):
    touchpoint = _touchpoint(cast)

    response = api_as(cast.owner).patch(
        f"/touchpoints/{touchpoint.pk}",
        {
            "state": "done",
            "outcome": "reached",
            "notes": "Settling in well",
            "next_action_on": "2026-04-20",
        },
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "done"
    assert response.json()["done_by"] == "olivia_owner"
    cast.candidate.refresh_from_db()
    assert cast.candidate.last_contacted_at is not None
    follow_up = Touchpoint.objects.get(state="planned", due_on=dt.date(2026, 4, 20))
    assert follow_up.person == cast.candidate


def test_logging_as_done_needs_an_outcome(cast, api_as):
    touchpoint = _touchpoint(cast)

    response = api_as(cast.owner).patch(f"/touchpoints/{touchpoint.pk}", {"state": "done"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "outcome"
    touchpoint.refresh_from_db()
    assert touchpoint.state == "planned"


def test_skipping_a_touchpoint_records_why(cast, api_as):
    touchpoint = _touchpoint(cast)

    response = api_as(cast.owner).patch(
        f"/touchpoints/{touchpoint.pk}", {"state": "skipped", "skip_reason": "On holiday"}
    )

    assert response.status_code == 200
    touchpoint.refresh_from_db()
    assert (touchpoint.state, touchpoint.skip_reason) == ("skipped", "On holiday")


def test_an_unanswered_call_logged_through_the_api_stays_planned_for_a_retry(cast, api_as):
    from keepwarm.lib.working_days import next_working_day

    call = _touchpoint(cast)

    response = api_as(cast.owner).patch(
        f"/touchpoints/{call.pk}", {"state": "done", "outcome": "no_answer"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["attempts"], body["outcome"]) == ("planned", 1, "no_answer")
    assert body["first_due_on"] == call.due_on.isoformat()
    today = dt.date.today()
    assert body["due_on"] == max(call.due_on, next_working_day(today)).isoformat()
    tries = Touchpoint.objects.filter(person=cast.candidate, state="done")
    assert [t.outcome for t in tries] == ["no_answer"]
