"""API: questionnaires with their questions, invitations and responses, by placement access."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from keepwarm.api.tests.conftest import Api
from keepwarm.conftest import Cast
from keepwarm.surveys.models import Invitation
from keepwarm.surveys.services import Given, create_invitation, record_response
from keepwarm.surveys.tests.conftest import Asked


def test_questionnaires_list_with_questions_and_follow_ups(cast: Cast, asked: Asked) -> None:
    api = Api(cast.owner)
    page = api.get("/questionnaires", audience="candidate").json()
    codes = [q["code"] for q in page["items"]]
    assert "test-check-in" in codes and "candidate-week-1" in codes
    assert "client-check-in" not in codes
    one = api.get(f"/questionnaires/{asked.questionnaire.pk}").json()
    detail = next(q for q in one["questions"] if q["code"] == "expectations_detail")
    assert detail["show_if"] == asked.expectations.pk
    assert detail["show_if_values"] == ["no"]
    rating = next(q for q in one["questions"] if q["code"] == "satisfaction_job")
    assert rating["choices"][0] == {"value": "1", "label": "1 – Very poor"}
    assert api.get("/questionnaires/999999").status_code == 404


def test_invitations_filter_by_answered_and_hide_other_consultants_work(
    cast: Cast, asked: Asked, invitation: Invitation
) -> None:
    other = create_invitation(
        placement=cast.placement,
        person=cast.client_contact,
        questionnaire=asked.questionnaire,
        sender=cast.owner,
    )
    record_response(invitation=other, given={asked.nps.pk: Given(number=Decimal(10))})
    api = Api(cast.owner)
    everything = api.get("/invitations", placement=cast.placement.pk).json()
    assert everything["count"] == 2
    waiting = api.get("/invitations", answered="false").json()["items"]
    assert [i["id"] for i in waiting] == [invitation.pk]
    answered = api.get(f"/invitations/{other.pk}").json()
    assert answered["response"] is not None and answered["answered_at"] is not None

    outsider = Api(cast.outsider)
    assert outsider.get("/invitations").json()["count"] == 0
    assert outsider.get(f"/invitations/{invitation.pk}").status_code == 404
    assert outsider.get(f"/invitations/{invitation.pk}").json() == {
        "detail": "Not found",
        "errors": [],
    }


def test_responses_carry_their_answers(cast: Cast, asked: Asked, invitation: Invitation) -> None:
    response = record_response(
        invitation=invitation,
        given={asked.expectations.pk: Given(text="no"), asked.nps.pk: Given(number=Decimal(4))},
    )
    api = Api(cast.manager)
    body: Any = api.get(f"/responses/{response.pk}").json()
    answers = {a["code"]: a for a in body["answers"]}
    assert answers["expectations_met"]["value_text"] == "no"
    assert answers["expectations_met"]["display"] == "No"
    assert Decimal(answers["nps"]["value_number"]) == 4
    assert api.get("/responses", person=cast.candidate.pk).json()["count"] == 1
    assert Api(cast.outsider).get(f"/responses/{response.pk}").status_code == 404
    assert Api(cast.owner).get("/responses", limit=500).status_code == 422
