"""Admins build questionnaires: questions of every kind, follow-ups, and a preview."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.surveys.models import Question, Questionnaire
from keepwarm.surveys.services import record_response
from keepwarm.surveys.tests.conftest import Asked


def _as(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_only_admins_open_the_builder(cast: Cast, asked: Asked) -> None:
    pk = asked.questionnaire.pk
    for path in (
        reverse("questionnaires"),
        reverse("questionnaire", args=[pk]),
        reverse("questionnaire_preview", args=[pk]),
        reverse("question_new", args=[pk]),
    ):
        assert _as(cast.owner).get(path).status_code == 403
        assert _as(cast.manager).get(path).status_code == 403
        assert _as(cast.admin).get(path).status_code == 200
    assert Client().get(reverse("questionnaires")).status_code == 302  # to sign in


def test_admin_creates_a_questionnaire_with_a_follow_up_question(cast: Cast) -> None:
    admin = _as(cast.admin)
    made = admin.post(
        reverse("questionnaire_new"),
        {"name": "Exit chat", "code": "exit-chat", "audience": "candidate", "is_active": "on"},
    )
    assert made.status_code == 302
    questionnaire = Questionnaire.objects.get(code="exit-chat")
    new_question = reverse("question_new", args=[questionnaire.pk])
    assert (
        admin.post(
            new_question,
            {"order": 10, "kind": "yes_no", "label": "Would you come back?", "required": "on"},
        ).status_code
        == 302
    )
    trigger = Question.objects.get(questionnaire=questionnaire)
    assert trigger.code == "would_you_come_back"

    # A follow-up needs answer values that the trigger question can give.
    wrong = admin.post(
        new_question,
        {
            "order": 20,
            "kind": "text",
            "label": "Why not?",
            "show_if": trigger.pk,
            "show_if_values": "maybe",
        },
    )
    assert wrong.status_code == 200
    assert "Use the answer values: yes, no." in wrong.text
    assert "Why not?" in wrong.text  # what was typed is kept
    admin.post(
        new_question,
        {
            "order": 20,
            "kind": "text",
            "label": "Why not?",
            "show_if": trigger.pk,
            "show_if_values": "no",
        },
    )
    follow_up = Question.objects.get(questionnaire=questionnaire, label="Why not?")
    assert follow_up.show_if == trigger and follow_up.trigger_values == ["no"]

    page = admin.get(reverse("questionnaire", args=[questionnaire.pk]))
    assert "Only if “Would you come back?” is no" in page.text


def test_choice_questions_need_choices_and_keep_their_values(cast: Cast, asked: Asked) -> None:
    admin = _as(cast.admin)
    url = reverse("question_new", args=[asked.questionnaire.pk])
    empty = admin.post(url, {"order": 60, "kind": "choice", "label": "How do you travel?"})
    assert "Give at least two choices" in empty.text
    admin.post(
        url,
        {
            "order": 60,
            "kind": "multi_choice",
            "label": "How do you travel?",
            "choices_text": "Car\nTrain\nOn foot",
        },
    )
    question = Question.objects.get(label="How do you travel?")
    assert question.choices == [
        {"value": "car", "label": "Car"},
        {"value": "train", "label": "Train"},
        {"value": "on_foot", "label": "On foot"},
    ]
    edit = admin.get(reverse("question_edit", args=[question.pk]))
    assert "Car\nTrain\nOn foot" in edit.text


def test_a_question_people_answered_cannot_be_removed(
    cast: Cast, asked: Asked, invitation: object
) -> None:
    from keepwarm.surveys.services import Given

    record_response(invitation=invitation, given={asked.nps.pk: Given(number=8)})  # type: ignore[arg-type]
    admin = _as(cast.admin)
    kept = admin.post(reverse("question_delete", args=[asked.nps.pk]), follow=True)
    assert "stays for the record" in kept.text
    assert Question.objects.filter(pk=asked.nps.pk).exists()
    admin.post(reverse("question_delete", args=[asked.concerns.pk]))
    assert not Question.objects.filter(pk=asked.concerns.pk).exists()


def test_preview_shows_the_page_with_a_sample_target_and_no_way_to_send(cast: Cast) -> None:
    client_check_in = Questionnaire.objects.get(code="client-check-in")
    page = _as(cast.admin).get(reverse("questionnaire_preview", args=[client_check_in.pk]))
    assert page.status_code == 200
    assert "Preview." in page.text
    assert "how is Priya doing against the agreed target?" in page.text
    assert "Are the agreed terms being kept on your side" in page.text
    assert 'type="submit"' not in page.text
