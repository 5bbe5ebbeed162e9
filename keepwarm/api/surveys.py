"""Questionnaires (read), the invitations sent, and the responses with their answers.

Invitations and responses follow placement visibility: a consultant sees those about
their own placements and those of colleagues they cover.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema
from pydantic import WithJsonSchema

from keepwarm.accounts.models import User
from keepwarm.api.auth import caller
from keepwarm.api.lookups import username_of
from keepwarm.api.schemas import ErrorOut, Id, Moment, PageQuery, SyncQuery
from keepwarm.audit.recording import brief_label, record_read
from keepwarm.care.models import Audience
from keepwarm.care.queries import visible_placements
from keepwarm.surveys.models import Answer, Invitation, Question, Questionnaire, Response

# Written out inline: the schema would otherwise merge it with other enums named alike.
QuestionKind = Annotated[
    Question.Kind, WithJsonSchema({"type": "string", "enum": Question.Kind.values})
]

questionnaires_router = Router()
invitations_router = Router()
responses_router = Router()


def _page(items: QuerySet[Any], filters: PageQuery) -> dict[str, Any]:
    window = list(items[filters.offset : filters.offset + filters.limit])
    if items.model is not Questionnaire:
        # Invitations and responses are about a person: who read them goes on the trail.
        record_read(window, label=brief_label)
    return {
        "count": items.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": window,
    }


# --- Questionnaires --------------------------------------------------------------------------


class ChoiceOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    id: int
    code: str
    kind: QuestionKind
    label: str
    help: str
    required: bool
    choices: list[ChoiceOut]
    number_label: str
    show_if: int | None = Field(alias="show_if_id", description="Asked only after this one…")
    show_if_values: list[str] = Field(description="…when its answer is one of these values.")

    @staticmethod
    def resolve_choices(obj: Question) -> list[dict[str, str]]:
        return [{"value": value, "label": label} for value, label in obj.options()]

    @staticmethod
    def resolve_show_if_values(obj: Question) -> list[str]:
        return obj.trigger_values


class QuestionnaireOut(Schema):
    id: int
    url: str
    code: str
    name: str
    audience: Audience
    intro: str
    thanks: str
    asks_about_targets: bool
    is_active: bool
    questions: list[QuestionOut]

    @staticmethod
    def resolve_url(obj: Questionnaire) -> str:
        return reverse("api:questionnaire", args=[obj.pk])

    @staticmethod
    def resolve_questions(obj: Questionnaire) -> list[Question]:
        return [q for q in obj.questions.all() if q.invitation_id is None]


class QuestionnairePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[QuestionnaireOut]


class QuestionnaireFilters(SyncQuery):
    audience: Audience | None = None
    active: bool | None = None


def _questionnaires() -> QuerySet[Questionnaire]:
    return Questionnaire.objects.prefetch_related("questions").order_by("audience", "name", "id")


@questionnaires_router.get("", response=QuestionnairePage, url_name="questionnaires")
def list_questionnaires(
    request: HttpRequest, filters: Query[QuestionnaireFilters]
) -> dict[str, Any]:
    caller(request)
    items = _questionnaires()
    if filters.audience:
        items = items.filter(audience=filters.audience)
    if filters.active is not None:
        items = items.filter(is_active=filters.active)
    return _page(filters.changed(items), filters)


@questionnaires_router.get(
    "/{id}", response={200: QuestionnaireOut, 404: ErrorOut}, url_name="questionnaire"
)
def read_questionnaire(request: HttpRequest, id: Id) -> Questionnaire:
    caller(request)
    return get_object_or_404(_questionnaires(), pk=id)


# --- Invitations -------------------------------------------------------------------------------


class InvitationOut(Schema):
    id: int
    url: str
    placement: int = Field(alias="placement_id")
    person: int = Field(alias="person_id")
    questionnaire: int = Field(alias="questionnaire_id")
    touchpoint: int | None = Field(alias="touchpoint_id")
    sender: str | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    expires_at: dt.datetime
    answered_at: dt.datetime | None
    reminded_at: dt.datetime | None
    response: int | None

    @staticmethod
    def resolve_url(obj: Invitation) -> str:
        return reverse("api:invitation", args=[obj.pk])

    @staticmethod
    def resolve_sender(obj: Invitation) -> str | None:
        return username_of(obj.sender)

    @staticmethod
    def resolve_response(obj: Invitation) -> int | None:
        response = getattr(obj, "response", None) if obj.answered_at else None
        return response.pk if response is not None else None


class InvitationPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[InvitationOut]


class InvitationFilters(SyncQuery):
    placement: Id | None = None
    person: Id | None = None
    questionnaire: Id | None = None
    answered: bool | None = None


def _by_placement_person_questionnaire(items: QuerySet[Any], filters: Any) -> QuerySet[Any]:
    """The filters invitations and responses share."""
    if filters.placement:
        items = items.filter(placement_id=filters.placement)
    if filters.person:
        items = items.filter(person_id=filters.person)
    if filters.questionnaire:
        items = items.filter(questionnaire_id=filters.questionnaire)
    return items


def _invitations(user: User) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(placement__in=visible_placements(user))
        .select_related("sender", "response")
        .order_by("-created_at", "-id")
    )


@invitations_router.get("", response=InvitationPage, url_name="invitations")
def list_invitations(request: HttpRequest, filters: Query[InvitationFilters]) -> dict[str, Any]:
    items = _by_placement_person_questionnaire(_invitations(caller(request)), filters)
    if filters.answered is not None:
        items = items.filter(answered_at__isnull=not filters.answered)
    return _page(filters.changed(items), filters)


@invitations_router.get(
    "/{id}", response={200: InvitationOut, 404: ErrorOut}, url_name="invitation"
)
def read_invitation(request: HttpRequest, id: Id) -> Invitation:
    return get_object_or_404(_invitations(caller(request)), pk=id)


# --- Responses -----------------------------------------------------------------------------------


class AnswerOut(Schema):
    question: int = Field(alias="question_id")
    code: str
    kind: QuestionKind
    label: str
    value_number: Decimal | None
    value_text: str
    value_choices: list[str]
    display: str

    @staticmethod
    def resolve_code(obj: Answer) -> str:
        return obj.question.code

    @staticmethod
    def resolve_kind(obj: Answer) -> str:
        return obj.question.kind

    @staticmethod
    def resolve_label(obj: Answer) -> str:
        return obj.question.label

    @staticmethod
    def resolve_display(obj: Answer) -> str:
        return obj.display()


class ResponseOut(Schema):
    id: int
    url: str
    invitation: int = Field(alias="invitation_id")
    placement: int = Field(alias="placement_id")
    person: int = Field(alias="person_id")
    questionnaire: int = Field(alias="questionnaire_id")
    submitted_at: dt.datetime
    answers: list[AnswerOut]

    @staticmethod
    def resolve_url(obj: Response) -> str:
        return reverse("api:response", args=[obj.pk])

    @staticmethod
    def resolve_answers(obj: Response) -> list[Answer]:
        return list(obj.answers.all())


class ResponsePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ResponseOut]


class ResponseFilters(SyncQuery):
    placement: Id | None = None
    person: Id | None = None
    questionnaire: Id | None = None
    submitted_after: Moment | None = Field(None, description="On or after this moment.")


def _responses(user: User) -> QuerySet[Response]:
    return (
        Response.objects.filter(placement__in=visible_placements(user))
        .prefetch_related("answers__question")
        .order_by("-submitted_at", "-id")
    )


@responses_router.get("", response=ResponsePage, url_name="responses")
def list_responses(request: HttpRequest, filters: Query[ResponseFilters]) -> dict[str, Any]:
    items = _by_placement_person_questionnaire(_responses(caller(request)), filters)
    if filters.submitted_after:
        items = items.filter(submitted_at__gte=filters.submitted_after)
    return _page(filters.changed(items), filters)


@responses_router.get("/{id}", response={200: ResponseOut, 404: ErrorOut}, url_name="response")
def read_response(request: HttpRequest, id: Id) -> Response:
    return get_object_or_404(_responses(caller(request)), pk=id)
